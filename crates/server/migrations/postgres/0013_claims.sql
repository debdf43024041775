-- A phone number no longer names one client (found by the outside security review): reception's record of a caller and a
-- self-registered account may share it until the patient proves the phone with the record's
-- claim code; logins are matched by phone and password.
ALTER TABLE clients DROP CONSTRAINT clients_phone_key;
CREATE INDEX clients_phone ON clients (phone);
-- SHA-256 of the code reception hands the patient to claim a record made without a password;
-- NULL once claimed (or for a self-registered account).
ALTER TABLE clients ADD COLUMN claim_hash TEXT;
