-- What a doctor must know before answering, as the patient or staff wrote it: allergies and
-- long-term medication.
ALTER TABLE clients ADD COLUMN allergies TEXT;
ALTER TABLE clients ADD COLUMN medications TEXT;
