-- The desktop cache: what an operator may see, as the server last said it. Entities are kept
-- whole as protocol JSON (`data`), with the columns lists and look-ups need beside them.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE operators (
    id   TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE tariffs (
    id   TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE clients (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    data TEXT NOT NULL
);

CREATE TABLE consultations (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    status          TEXT NOT NULL,
    operator_id     TEXT,
    created_at      INTEGER NOT NULL,
    -- Kept apart from `data`: message events move it without a consultation event.
    last_message_at INTEGER,
    data            TEXT NOT NULL
);
CREATE INDEX consultations_status ON consultations (status, created_at);
CREATE INDEX consultations_client ON consultations (client_id);

-- A message's rowid is its server seq: a thread reads in seq order straight off the table.
CREATE TABLE messages (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    consultation_id TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    data            TEXT NOT NULL
);
CREATE INDEX messages_thread ON messages (client_id, seq);

CREATE TABLE callbacks (
    id     TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    data   TEXT NOT NULL
);
CREATE INDEX callbacks_queue ON callbacks (status, due_at);

CREATE TABLE reads (
    consultation_id TEXT NOT NULL,
    reader_id       TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (consultation_id, reader_id)
);

-- Full-text search. The text is prepared by `search::index_text` (Chinese, Japanese and
-- Korean runs become single characters and overlapping pairs), so unicode61 finds two-
-- character words; rowids are those of the searched rows.
CREATE VIRTUAL TABLE message_fts USING fts5 (text, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE client_fts USING fts5 (text, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE consultation_fts USING fts5 (text, tokenize = 'unicode61 remove_diacritics 2');
