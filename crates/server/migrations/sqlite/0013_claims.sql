-- A phone number no longer names one client (found by the outside security review): reception's record of a caller and a
-- self-registered account may share it until the patient proves the phone with the record's
-- claim code. Logins are matched by phone and password. SQLite cannot drop a column's UNIQUE,
-- so the table is rebuilt inside the migration's transaction: foreign keys cannot be turned off
-- there, so their checks are deferred to the commit, and the rows are copied back into the new
-- table after the old one is dropped (which resolves every consultation's reference again).
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE clients_copy AS SELECT * FROM clients;
CREATE TABLE clients_new (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL,
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
    search        TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    -- SHA-256 of the code reception hands the patient to claim a record made without a
    -- password; NULL once claimed (or for a self-registered account).
    claim_hash    TEXT
);
DROP TABLE clients;
ALTER TABLE clients_new RENAME TO clients;
INSERT INTO clients (id, name, phone, email, gender, birthday, city, height_cm, weight_kg, source, tags, notes, vip, blocked, password_hash, search, created_at)
    SELECT id, name, phone, email, gender, birthday, city, height_cm, weight_kg, source, tags, notes, vip, blocked, password_hash, search, created_at FROM clients_copy;
DROP TABLE clients_copy;
CREATE INDEX clients_phone ON clients (phone);
