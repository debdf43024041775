-- The reports find the consultations with a moment in a period through these (and the steps'
-- (step, at) index): without them a month's report scanned every consultation.
CREATE INDEX consultations_created ON consultations (created_at);
CREATE INDEX consultations_first_response ON consultations (first_response_at);
CREATE INDEX consultations_closed ON consultations (closed_at);
-- A consultation's first take, found at once (the (step, at) index alone made the planner walk
-- every take for each consultation).
CREATE INDEX consultation_steps_first ON consultation_steps (consultation_id, step, at);
