-- Consultation lists page in the database in each sort's order (see `views::ListQuery`): one
-- index per sort key, each ending in the id that breaks ties, so that a page after a cursor
-- reads the next rows off an index instead of sorting the whole archive. The expressions are
-- the ones the list query orders by, word for word.
DROP INDEX consultations_status;
CREATE INDEX consultations_status ON consultations (status, created_at, id);
CREATE INDEX consultations_priority ON consultations (
    status,
    ((3 - CASE json_extract(data, '$.priority') WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END) * 100000000000000 + created_at),
    id
);
CREATE INDEX consultations_last_message ON consultations (status, COALESCE(last_message_at, created_at), id);
