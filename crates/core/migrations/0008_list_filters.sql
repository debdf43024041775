-- The kind and priority filters of consultation lists read an index instead of every row's JSON
-- (an archive of 100,000 filtered by kind took 300 ms). The expressions are the ones the list
-- query filters by, word for word (see `views::lists`).
CREATE INDEX consultations_kind ON consultations (status, json_extract(data, '$.kind'), created_at, id);
CREATE INDEX consultations_priority_filter ON consultations (status, json_extract(data, '$.priority'), created_at, id);
