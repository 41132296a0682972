-- +goose Up
-- The customer portal (package portal). A sign-in link is mailed to a
-- contact's address; its token is kept only as its SHA-256 digest, works
-- once (used_at) and until expires_at. A signed-in customer holds a portal
-- session, apart from the agents' sessions.
CREATE TABLE portal_links (
    id INTEGER PRIMARY KEY,
    token_digest TEXT NOT NULL UNIQUE,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    outbound_id BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX portal_links_contact ON portal_links(contact_id);
CREATE INDEX portal_links_expires ON portal_links(expires_at);
CREATE TABLE portal_sessions (
    digest TEXT PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX portal_sessions_contact ON portal_sessions(contact_id);
CREATE INDEX portal_sessions_expires ON portal_sessions(expires_at);
-- Custom fields an admin shows on the portal's new-ticket form.
ALTER TABLE fields ADD COLUMN portal BOOLEAN NOT NULL DEFAULT FALSE;
-- An organization whose contacts see each other's tickets on the portal.
ALTER TABLE organizations ADD COLUMN portal_shares_tickets BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE organizations DROP COLUMN portal_shares_tickets;
ALTER TABLE fields DROP COLUMN portal;
DROP TABLE portal_sessions;
DROP TABLE portal_links;
