-- Delivery receipts: how far a participant's device has received a consultation's messages.
-- What was read was delivered, so existing rows start at their read position.
ALTER TABLE reads ADD COLUMN delivered_seq BIGINT NOT NULL DEFAULT 0;
UPDATE reads SET delivered_seq = seq;
