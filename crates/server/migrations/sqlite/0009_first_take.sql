-- A consultation's first take, kept on its row (a hand-back does not clear it): the reports
-- read one row per consultation instead of looking the take up in the steps for each.
ALTER TABLE consultations ADD COLUMN first_taken_at BIGINT;
UPDATE consultations SET first_taken_at =
    (SELECT MIN(s.at) FROM consultation_steps s WHERE s.consultation_id = consultations.id AND s.step = 'taken');
CREATE INDEX callbacks_created ON callbacks (created_at);
