-- Every queued operation carries an idempotency key, sent as Idempotency-Key.
ALTER TABLE outbox ADD COLUMN op_key TEXT;
