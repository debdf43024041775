-- The message index keeps no copy of the text (snippets are cut from the message itself, and
-- the copy doubled what a sync wrote). Messages are indexed again by the indexer after the
-- next start: `fts_upto` in meta is the seq up to which every message is indexed.
DROP TABLE message_fts;
CREATE VIRTUAL TABLE message_fts USING fts5 (text, content = '', detail = none, tokenize = 'unicode61 remove_diacritics 2');
DELETE FROM meta WHERE key = 'fts_upto';

-- Every word (lower-cased, other scripts than CJK) that went into a full-text index: a prefix
-- query becomes the OR of the words it stands for (see `search`).
CREATE TABLE search_words (word TEXT PRIMARY KEY) WITHOUT ROWID;
