-- Clinical records: prescriptions a pharmacist reviews, and refunds requested and decided.

CREATE TABLE prescriptions (
    id              TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    client_id       TEXT NOT NULL REFERENCES clients (id),
    prescriber_id   TEXT NOT NULL REFERENCES operators (id),
    status          TEXT NOT NULL,
    -- The items as JSON (read and written whole).
    items           TEXT NOT NULL,
    note            TEXT,
    revision        INTEGER NOT NULL DEFAULT 0,
    reviewer_id     TEXT,
    reviewed_at     INTEGER,
    reason          TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    submitted_at    INTEGER
);
CREATE INDEX prescriptions_consultation ON prescriptions (consultation_id, created_at);
CREATE INDEX prescriptions_client ON prescriptions (client_id, created_at);
CREATE INDEX prescriptions_status ON prescriptions (status, submitted_at);

-- Who asked for a refund and who decided it. A refund the server made (a declined visit) has
-- no requester; earlier rows get their client from their consultation.
ALTER TABLE refunds ADD COLUMN client_id TEXT;
ALTER TABLE refunds ADD COLUMN requested_by TEXT;
ALTER TABLE refunds ADD COLUMN requested_by_name TEXT;
ALTER TABLE refunds ADD COLUMN decided_by TEXT;
ALTER TABLE refunds ADD COLUMN decided_at INTEGER;
ALTER TABLE refunds ADD COLUMN decision_note TEXT;
UPDATE refunds SET client_id = (SELECT c.client_id FROM consultations c WHERE c.id = refunds.consultation_id);
CREATE INDEX refunds_client ON refunds (client_id, created_at);
CREATE INDEX refunds_status ON refunds (status, created_at);
-- At most one request of a consultation waits for a decision at a time.
CREATE UNIQUE INDEX refunds_one_open ON refunds (consultation_id) WHERE status = 'requested';
