-- Whether a message was written by the client, beside its JSON: unread counts (the client's
-- messages after my read position) read it for every message of a thread, and parsing the
-- JSON of each made listing a queue take hundreds of milliseconds on a big cache.
ALTER TABLE messages ADD COLUMN from_client INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET from_client = 1 WHERE json_extract(data, '$.author_kind') = 'client';
-- Counting them reads this index alone (a thread's rows are scattered over the table).
CREATE INDEX messages_unread ON messages (consultation_id, seq) WHERE from_client = 1;
