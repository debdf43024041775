-- Visits booked ahead: specialists' schedules, appointments, and refunds.

-- One row per specialist who has a schedule. The week, the exceptions and the visit lengths are
-- JSON (read whole, computed into slots in the server); the row is also the lock a booking
-- takes on its specialist, so two bookings of one specialist never check overlaps at once.
CREATE TABLE operator_schedules (
    operator_id   TEXT PRIMARY KEY REFERENCES operators (id),
    time_zone     TEXT NOT NULL,
    specialties   TEXT NOT NULL DEFAULT '[]',
    languages     TEXT NOT NULL DEFAULT '[]',
    weekly        TEXT NOT NULL DEFAULT '[]',
    exceptions    TEXT NOT NULL DEFAULT '[]',
    visit_minutes TEXT NOT NULL,
    bookable      INTEGER NOT NULL DEFAULT 1,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE appointments (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES clients (id),
    operator_id     TEXT NOT NULL REFERENCES operators (id),
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    kind            TEXT NOT NULL,
    starts_at       INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL,
    reason          TEXT,
    status          TEXT NOT NULL,
    status_reason   TEXT,
    booked_by       TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    checked_in_at   INTEGER,
    updated_at      INTEGER NOT NULL,
    -- When the server told of the visit 5 minutes before it, and of no call 10 minutes after
    -- its start (each once, whichever instance got there first; a move clears them).
    reminded_at     INTEGER,
    late_told_at    INTEGER
);
-- The last guard of "a slot is booked at most once": whatever a booking checked, two visits
-- that hold a slot never start at the same time with the same specialist.
CREATE UNIQUE INDEX appointments_one_per_slot ON appointments (operator_id, starts_at)
    WHERE status IN ('booked', 'waiting', 'in_call');
CREATE INDEX appointments_agenda ON appointments (starts_at, operator_id);
CREATE INDEX appointments_open ON appointments (status, starts_at);
CREATE INDEX appointments_client ON appointments (client_id, starts_at);

-- A visit's consultation is outside the queue's "one open consultation per client": a patient
-- may chat while a visit is booked for next week.
ALTER TABLE consultations ADD COLUMN appointment_id TEXT;
DROP INDEX consultations_one_open;
CREATE UNIQUE INDEX consultations_one_open ON consultations (client_id)
    WHERE status <> 'closed' AND appointment_id IS NULL;

CREATE TABLE refunds (
    id              TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL REFERENCES consultations (id),
    amount          INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    reason          TEXT,
    status          TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX refunds_consultation ON refunds (consultation_id);
CREATE INDEX refunds_created ON refunds (created_at);
