-- Answers to Idempotency-Key requests are kept for a configured time (idempotency_keep_hours)
-- and then pruned oldest first.
CREATE INDEX idempotency_created ON idempotency (created_at);
