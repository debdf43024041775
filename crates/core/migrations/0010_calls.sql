-- Calls as the events brought them: the chat shows its consultation's latest one (ringing, in
-- progress, ended).
CREATE TABLE calls (
    id              TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    rang_at         INTEGER NOT NULL,
    data            TEXT NOT NULL
);
CREATE INDEX calls_consultation ON calls (consultation_id, rang_at);
