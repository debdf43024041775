-- Booked visits as the events brought them: the agenda reads them by time, per specialist.
CREATE TABLE appointments (
    id          TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    starts_at   INTEGER NOT NULL,
    status      TEXT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX appointments_agenda ON appointments (starts_at, operator_id);
