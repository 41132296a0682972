-- +goose Up
-- Times are BIGINT microseconds since the Unix epoch, UTC, on both databases.
CREATE TABLE roles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    permissions TEXT NOT NULL DEFAULT '[]',
    builtin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE organization_domains (
    domain TEXT PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE
);
CREATE INDEX organization_domains_org ON organization_domains(organization_id);

CREATE TABLE agents (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role_id BIGINT NOT NULL REFERENCES roles(id),
    password_hash TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'en',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE contacts (
    -- email is the primary address, kept beside contact_emails so that
    -- ticket lists show it without a second lookup.
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'en',
    organization_id BIGINT REFERENCES organizations(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contacts_org ON contacts(organization_id);
CREATE TABLE contact_emails (
    email TEXT PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX contact_emails_contact ON contact_emails(contact_id);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    tier INTEGER NOT NULL DEFAULT 1,
    lead_id BIGINT REFERENCES agents(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, agent_id)
);
CREATE INDEX team_members_agent ON team_members(agent_id);

CREATE TABLE statuses (
    name TEXT PRIMARY KEY,
    category TEXT NOT NULL,
    builtin BOOLEAN NOT NULL DEFAULT FALSE,
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE fields (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '[]',
    required BOOLEAN NOT NULL DEFAULT FALSE,
    position INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE tags (
    name TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    status TEXT NOT NULL REFERENCES statuses(name),
    status_category TEXT NOT NULL,
    priority TEXT NOT NULL,
    type TEXT NOT NULL,
    channel TEXT NOT NULL,
    requester_id BIGINT NOT NULL REFERENCES contacts(id),
    organization_id BIGINT REFERENCES organizations(id) ON DELETE SET NULL,
    assignee_id BIGINT REFERENCES agents(id) ON DELETE SET NULL,
    team_id BIGINT REFERENCES teams(id) ON DELETE SET NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    custom_fields TEXT NOT NULL DEFAULT '{}',
    escalation_level INTEGER NOT NULL DEFAULT 0,
    merged_into_id BIGINT REFERENCES tickets(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    first_responded_at BIGINT,
    solved_at BIGINT
);
-- Keyset pagination on every list and view orders by (updated_at, id).
CREATE INDEX tickets_updated ON tickets(updated_at, id);
CREATE INDEX tickets_status_updated ON tickets(status_category, updated_at, id);
CREATE INDEX tickets_assignee_updated ON tickets(assignee_id, updated_at, id);
CREATE INDEX tickets_team_updated ON tickets(team_id, updated_at, id);
CREATE INDEX tickets_org_updated ON tickets(organization_id, updated_at, id);
CREATE INDEX tickets_requester_updated ON tickets(requester_id, updated_at, id);

CREATE TABLE ticket_tags (
    ticket_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_tag ON ticket_tags(tag, ticket_id);

CREATE TABLE ticket_followers (
    ticket_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, agent_id)
);

CREATE TABLE ticket_links (
    ticket_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    other_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, other_id, kind)
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    author_kind TEXT NOT NULL,
    author_id BIGINT NOT NULL DEFAULT 0,
    internal BOOLEAN NOT NULL DEFAULT FALSE,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_ticket ON messages(ticket_id, id);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE INDEX attachments_message ON attachments(message_id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT,
    kind TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id BIGINT NOT NULL DEFAULT 0,
    data TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE INDEX events_ticket ON events(ticket_id, id);

CREATE TABLE event_cursors (
    consumer TEXT PRIMARY KEY,
    event_id BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE sessions (
    digest TEXT PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    ticket_id BIGINT,
    event_id BIGINT NOT NULL DEFAULT 0,
    body TEXT NOT NULL DEFAULT '',
    read_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (agent_id, event_id, kind)
);
CREATE INDEX notifications_agent ON notifications(agent_id, id);

-- +goose Down
DROP TABLE notifications;
DROP TABLE sessions;
DROP TABLE api_tokens;
DROP TABLE event_cursors;
DROP TABLE events;
DROP TABLE attachments;
DROP TABLE messages;
DROP TABLE ticket_links;
DROP TABLE ticket_followers;
DROP TABLE ticket_tags;
DROP TABLE tickets;
DROP TABLE tags;
DROP TABLE fields;
DROP TABLE statuses;
DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE contact_emails;
DROP TABLE contacts;
DROP TABLE agents;
DROP TABLE organization_domains;
DROP TABLE organizations;
DROP TABLE roles;
