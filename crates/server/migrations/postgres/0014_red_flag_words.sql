-- The client's own words a red flag fired on, as they wrote them ("давит в груди"); the
-- rule that fired stays in red_flag.
ALTER TABLE consultations ADD COLUMN red_flag_words TEXT;
