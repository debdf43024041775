-- Webhooks: endpoints admins register, and the outbox of deliveries to them. A delivery is
-- written in the transaction of the change it tells of (or by the sweep that finds it due), so a
-- crash loses none; it is sent, retried with backoff, and kept with how it went.
CREATE TABLE webhook_endpoints (
    id            TEXT PRIMARY KEY,
    url           TEXT NOT NULL,
    -- A JSON array of event types.
    events        TEXT NOT NULL,
    secret        TEXT NOT NULL,
    description   TEXT,
    enabled       BIGINT NOT NULL DEFAULT 1,
    paused_reason TEXT,
    -- Attempts that failed since the last success; the endpoint is paused past a limit.
    failures      BIGINT NOT NULL DEFAULT 0,
    last_success_at BIGINT,
    last_error    TEXT,
    created_at    BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    -- Send order: deliveries of one endpoint with the same order key go out one after another.
    seq BIGSERIAL PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type      TEXT NOT NULL,
    -- The consultation (or callback request, or message) it is about.
    order_key       TEXT NOT NULL,
    -- Set for what sweeps find (an undelivered message, a request due soon): told once.
    dedup_key       TEXT,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    -- An instance sending it holds it until then (a crashed instance's hold runs out).
    locked_until    BIGINT,
    last_status     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, order_key, seq);
CREATE UNIQUE INDEX webhook_deliveries_dedup ON webhook_deliveries (endpoint_id, dedup_key);

-- How far the undelivered-message sweep has looked through the events, and the lock row of the
-- sweeps (one instance at a time).
INSERT INTO settings (name, value) VALUES ('webhook_sweep', '0');
