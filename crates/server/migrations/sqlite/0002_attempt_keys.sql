-- Idempotency keys of call attempts: a retried attempt is recorded once.
ALTER TABLE callback_attempts ADD COLUMN op_key TEXT;
CREATE UNIQUE INDEX callback_attempts_key ON callback_attempts (callback_id, op_key);
