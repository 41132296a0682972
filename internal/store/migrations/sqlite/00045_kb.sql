-- +goose Up
-- The knowledge base (package kb): categories hold sections, sections hold
-- articles; articles in Markdown, with drafts, published versions, English
-- and Hindi translations, visibility, votes and view counts.
CREATE TABLE kb_categories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_hi TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE kb_sections (
    id INTEGER PRIMARY KEY,
    category_id BIGINT NOT NULL REFERENCES kb_categories(id),
    name TEXT NOT NULL,
    name_hi TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX kb_sections_category ON kb_sections(category_id, position);
-- An article is its working draft (title, body) and, once published, the
-- copy readers see (published_*), rendered and sanitized at publish time so
-- that a read renders nothing. group_id ties an article to its
-- translations: the id of the first of them; one article per language.
CREATE TABLE kb_articles (
    id INTEGER PRIMARY KEY,
    section_id BIGINT NOT NULL REFERENCES kb_sections(id),
    group_id BIGINT,
    language TEXT NOT NULL,
    visibility TEXT NOT NULL DEFAULT 'public',
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    published_version INTEGER NOT NULL DEFAULT 0,
    published_title TEXT NOT NULL DEFAULT '',
    published_html TEXT NOT NULL DEFAULT '',
    published_text TEXT NOT NULL DEFAULT '',
    published_at BIGINT,
    author_id BIGINT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (group_id, language)
);
CREATE INDEX kb_articles_section ON kb_articles(section_id, published_version);
-- Each publish keeps the version it made, whole: history, old versions,
-- restore.
CREATE TABLE kb_article_versions (
    article_id BIGINT NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    html TEXT NOT NULL,
    published_by BIGINT,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, number)
);
-- "Was this helpful": one vote per reader (a digest of the client address,
-- the article and the day; never the address itself) per article and day;
-- voting again that day changes the vote.
CREATE TABLE kb_votes (
    id INTEGER PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    voter TEXT NOT NULL,
    helpful BOOLEAN NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (article_id, voter)
);
-- Views are counted in memory and added here in batches (kb.ViewCounter):
-- one row per article and day, so a read costs no write transaction.
CREATE TABLE kb_views (
    article_id BIGINT NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    views BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, day)
);
-- Suggestions a customer opened while writing a new ticket; submitted_at is
-- set when that form was sent anyway. An opening left unsubmitted for an
-- hour is a deflection.
CREATE TABLE kb_suggestion_opens (
    id INTEGER PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    article_id BIGINT NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    query TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    submitted_at BIGINT
);
CREATE INDEX kb_suggestion_opens_created ON kb_suggestion_opens(created_at);
-- Images of articles: uploaded to the blob store, referenced by digest (the
-- collector keeps what a row names).
CREATE TABLE kb_images (
    sha256 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    filename TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- kb:write reaches the built-in roles of new databases only (roles are
-- inserted once): grant it to team leads and supervisors of older ones,
-- where missing, as 00029 did. Admin is given every permission at each
-- start. The Down leaves grants alone (they cannot be told from an admin's).
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'kb:write'), version = version + 1
    WHERE name = 'team_lead' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'kb:write');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'kb:write'), version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'kb:write');

-- +goose Down
DROP TABLE kb_images;
DROP TABLE kb_suggestion_opens;
DROP TABLE kb_views;
DROP TABLE kb_votes;
DROP TABLE kb_article_versions;
DROP TABLE kb_articles;
DROP TABLE kb_sections;
DROP TABLE kb_categories;
