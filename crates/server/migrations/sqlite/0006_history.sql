-- What the reports need and the current rows forget (a hand-back clears taken_at; a status is
-- overwritten): every step of a consultation, and every change of an operator's status.
CREATE TABLE consultation_steps (
    consultation_id TEXT NOT NULL,
    at              INTEGER NOT NULL,
    -- created, taken, transferred, released, closed
    step            TEXT NOT NULL,
    -- Who holds it after the step (taken, transferred), or who held it (released, closed).
    operator_id     TEXT
);
CREATE INDEX consultation_steps_by_consultation ON consultation_steps (consultation_id, at);
CREATE INDEX consultation_steps_at ON consultation_steps (step, at);

CREATE TABLE presence_changes (
    operator_id TEXT NOT NULL,
    at          INTEGER NOT NULL,
    status      TEXT NOT NULL
);
CREATE INDEX presence_changes_by_operator ON presence_changes (operator_id, at);

-- The history so far, as far as the rows remember it.
INSERT INTO consultation_steps (consultation_id, at, step, operator_id)
    SELECT id, created_at, 'created', NULL FROM consultations;
INSERT INTO consultation_steps (consultation_id, at, step, operator_id)
    SELECT id, taken_at, 'taken', operator_id FROM consultations WHERE taken_at IS NOT NULL;
INSERT INTO consultation_steps (consultation_id, at, step, operator_id)
    SELECT id, closed_at, 'closed', operator_id FROM consultations WHERE closed_at IS NOT NULL;
