-- Calls between the operator and the client of a consultation, the one-time links that open a
-- call's page for the operator, and (for several instances) signalling frames in transit.

CREATE TABLE calls (
    id               TEXT PRIMARY KEY,
    consultation_id  TEXT NOT NULL REFERENCES consultations (id),
    client_id        TEXT NOT NULL REFERENCES clients (id),
    operator_id      TEXT NOT NULL REFERENCES operators (id),
    appointment_id   TEXT,
    media            TEXT NOT NULL,
    state            TEXT NOT NULL,
    end_reason       TEXT,
    rang_at          BIGINT NOT NULL,
    answered_at      BIGINT,
    ended_at         BIGINT,
    duration_seconds BIGINT
);
-- At most one call rings or runs in a consultation.
CREATE UNIQUE INDEX calls_one_live ON calls (consultation_id) WHERE state <> 'ended';
CREATE INDEX calls_consultation ON calls (consultation_id, rang_at);
CREATE INDEX calls_operator ON calls (operator_id, rang_at);
CREATE INDEX calls_client ON calls (client_id);
CREATE INDEX calls_live ON calls (state, rang_at);

-- A one-time link's code (hashed); used once, within a minute.
CREATE TABLE call_links (
    code_hash   TEXT PRIMARY KEY,
    call_id     TEXT NOT NULL REFERENCES calls (id),
    operator_id TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);

-- A session scoped to one call (the call page's): it may read that call, signal and hang up.
ALTER TABLE tokens ADD COLUMN call_id TEXT;

-- Signalling frames for a party connected to another instance (PostgreSQL: the row's id rides
-- a NOTIFY on careline_signals; rows older than a minute are swept).
CREATE TABLE call_signals (
    id       BIGSERIAL PRIMARY KEY,
    origin   TEXT NOT NULL,
    route    TEXT NOT NULL,
    body     TEXT NOT NULL,
    at       BIGINT NOT NULL
);
