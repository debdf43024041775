-- Careline server schema, SQLite flavour. Ids are UUID text, times are milliseconds since the
-- epoch (UTC), flags are 0/1, tag lists are JSON arrays. Never edit an applied migration.

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('seq', 0);

CREATE TABLE operators (
    id            TEXT PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    department    TEXT,
    capacity      INTEGER NOT NULL DEFAULT 5,
    disabled      INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'offline',
    last_seen     INTEGER,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE clients (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL UNIQUE,
    email         TEXT,
    gender        TEXT,
    birthday      TEXT,
    city          TEXT,
    height_cm     REAL,
    weight_kg     REAL,
    source        TEXT NOT NULL,
    tags          TEXT NOT NULL DEFAULT '[]',
    notes         TEXT,
    vip           INTEGER NOT NULL DEFAULT 0,
    blocked       INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT,
    -- Lower-cased name, phone, email and tags, for case-insensitive search in any script
    -- (SQLite's LOWER only folds ASCII).
    search        TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);

CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE tariffs (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    price    INTEGER NOT NULL,
    currency TEXT NOT NULL,
    active   INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE consultations (
    id                TEXT PRIMARY KEY,
    client_id         TEXT NOT NULL REFERENCES clients (id),
    kind              TEXT NOT NULL,
    status            TEXT NOT NULL,
    operator_id       TEXT REFERENCES operators (id),
    priority          TEXT NOT NULL DEFAULT 'normal',
    tags              TEXT NOT NULL DEFAULT '[]',
    tariff_id         TEXT,
    price             INTEGER NOT NULL DEFAULT 0,
    currency          TEXT NOT NULL DEFAULT 'RUB',
    subject           TEXT,
    created_at        INTEGER NOT NULL,
    taken_at          INTEGER,
    first_response_at INTEGER,
    closed_at         INTEGER,
    summary           TEXT,
    rating            INTEGER,
    rating_comment    TEXT,
    last_message_at   INTEGER
);
-- A client has at most one open consultation.
CREATE UNIQUE INDEX consultations_one_open ON consultations (client_id) WHERE status <> 'closed';
CREATE INDEX consultations_status ON consultations (status, id);
CREATE INDEX consultations_operator ON consultations (operator_id, status);
CREATE INDEX consultations_client ON consultations (client_id, id);

CREATE TABLE attachments (
    id          TEXT PRIMARY KEY,
    sha256      TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    uploader_id TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    client_id       TEXT NOT NULL,
    author_kind     TEXT NOT NULL,
    author_id       TEXT,
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL,
    attachment_id   TEXT REFERENCES attachments (id),
    client_msg_id   TEXT,
    internal        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    seq             INTEGER NOT NULL
);
-- The idempotency key: one message per (author, client_msg_id). The key leads, so keys made
-- time-ordered (UUIDv7) land at the end of the index, and a batch looks keys up in one query.
CREATE UNIQUE INDEX messages_idempotency ON messages (client_msg_id, author_id);
-- A client's thread; a consultation's messages are found through it (with its client_id).
-- Every index of this hot table costs a random page per insert: keep them few.
CREATE INDEX messages_thread ON messages (client_id, seq);
CREATE INDEX messages_attachment ON messages (attachment_id) WHERE attachment_id IS NOT NULL;

CREATE TABLE reads (
    consultation_id TEXT NOT NULL,
    reader_id       TEXT NOT NULL,
    reader_role     TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (consultation_id, reader_id)
);

CREATE TABLE callbacks (
    id              TEXT PRIMARY KEY,
    client_id       TEXT,
    phone           TEXT NOT NULL,
    preferred_at    INTEGER,
    preferred_until INTEGER,
    reason          TEXT,
    status          TEXT NOT NULL,
    operator_id     TEXT,
    due_at          INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    closed_at       INTEGER
);
CREATE INDEX callbacks_queue ON callbacks (status, due_at, id);
CREATE INDEX callbacks_client ON callbacks (client_id);

CREATE TABLE callback_attempts (
    callback_id TEXT NOT NULL REFERENCES callbacks (id),
    n           INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    operator_id TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    note        TEXT,
    PRIMARY KEY (callback_id, n)
);

-- The event log everything syncs on. `client_id` scopes an event to a client's stream;
-- `staff_only` events (internal notes, profiles, operators) never reach a client.
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    client_id  TEXT,
    staff_only INTEGER NOT NULL,
    data       TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX events_client ON events (client_id, seq);

CREATE TABLE audit (
    id          TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_id   TEXT,
    detail      TEXT,
    remote_addr TEXT,
    at          INTEGER NOT NULL
);
CREATE INDEX audit_at ON audit (at);
