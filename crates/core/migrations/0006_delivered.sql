-- Delivery receipts (the server's `delivered_seq`): a client's device has the messages up to it.
ALTER TABLE reads ADD COLUMN delivered_seq INTEGER NOT NULL DEFAULT 0;
UPDATE reads SET delivered_seq = seq;
