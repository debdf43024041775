-- What the operator did that the server has not confirmed yet, in the order it was done.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    op            TEXT NOT NULL,
    -- 'pending' until the server accepts it (then the row goes) or refuses it ('failed').
    state         TEXT NOT NULL DEFAULT 'pending',
    error_code    TEXT,
    error_message TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX outbox_state ON outbox (state, id);
