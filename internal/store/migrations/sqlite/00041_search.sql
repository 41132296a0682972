-- +goose Up
-- The search index (package search). search_entries says what each entry
-- is; search_text holds its words for FTS5, under the same rowid. The words
-- are made by package search (lowercased, one space apart) and the tokenizer
-- splits them where package search did: at anything but letters, digits,
-- private use and marks. Marks keep Devanagari words whole (the default
-- categories would cut "समर्थन" at its vowel signs and find it for "समर").
-- Contentless: the text is read from its own table for snippets.
CREATE TABLE search_entries (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    ticket_id BIGINT,
    organization_id BIGINT,
    internal BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, object_id)
);
CREATE INDEX search_entries_ticket ON search_entries(ticket_id);
CREATE VIRTUAL TABLE search_text USING fts5(
    words, content='', contentless_delete=1,
    tokenize="unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
);

-- +goose Down
DROP TABLE search_text;
DROP TABLE search_entries;
