-- Prescriptions and refunds as the events brought them: a chat shows its consultation's
-- prescriptions (offline too), a pharmacist's desk its review queue, an admin's the refunds
-- waiting for a decision.
CREATE TABLE prescriptions (
    id              TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    status          TEXT NOT NULL,
    updated_at      INTEGER NOT NULL,
    data            TEXT NOT NULL
);
CREATE INDEX prescriptions_consultation ON prescriptions (consultation_id, updated_at);
CREATE INDEX prescriptions_status ON prescriptions (status, updated_at);

CREATE TABLE refunds (
    id              TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    data            TEXT NOT NULL
);
CREATE INDEX refunds_status ON refunds (status, created_at);
