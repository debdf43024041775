-- Consent texts (versioned: every version's words are kept, so an answer always names the text
-- it was given to) and clients' answers, kept for ever (erasing a client erases theirs).

CREATE TABLE consents (
    id         TEXT PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    version    BIGINT NOT NULL,
    required   BIGINT NOT NULL,
    needed_for TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    active     BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE consent_versions (
    consent_id TEXT NOT NULL REFERENCES consents (id),
    version    BIGINT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT,
    PRIMARY KEY (consent_id, version)
);

CREATE TABLE consent_records (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL,
    consent_id  TEXT NOT NULL REFERENCES consents (id),
    version     BIGINT NOT NULL,
    action      TEXT NOT NULL,
    channel     TEXT NOT NULL,
    recorded_by TEXT,
    note        TEXT,
    at          BIGINT NOT NULL
);
CREATE INDEX consent_records_client ON consent_records (client_id, consent_id, at);
