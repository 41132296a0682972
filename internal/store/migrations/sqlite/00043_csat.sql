-- +goose Up
-- Satisfaction surveys (package csat): one per ticket, sent when it is
-- first solved. The link's token is kept only as its SHA-256 digest, like a
-- session's. An answer (1-5 and a comment) may be changed until
-- changeable_until; the link stops working at expires_at.
CREATE TABLE csat_surveys (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL UNIQUE REFERENCES tickets(id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    agent_id BIGINT,
    team_id BIGINT,
    token_digest TEXT NOT NULL UNIQUE,
    language TEXT NOT NULL DEFAULT 'en',
    outbound_id BIGINT,
    rating INTEGER,
    comment TEXT NOT NULL DEFAULT '',
    answered_at BIGINT,
    changeable_until BIGINT,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX csat_surveys_answered ON csat_surveys(answered_at);

-- Mail the desk sends of its own (a survey, later sign-in links and
-- digests) has no message: message_id and ticket_id become optional, and a
-- key makes queueing such a mail idempotent. SQLite cannot drop NOT NULL in
-- place, so the table is rebuilt with its rows.
CREATE TABLE mail_outbound_new (
    id INTEGER PRIMARY KEY,
    message_id BIGINT UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
    ticket_id BIGINT,
    mailbox_id BIGINT NOT NULL,
    rfc_message_id TEXT NOT NULL UNIQUE,
    sender TEXT NOT NULL DEFAULT '',
    recipients TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'queued',
    reason TEXT NOT NULL DEFAULT '',
    relay TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    raw BLOB,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sent_at BIGINT,
    purpose TEXT NOT NULL DEFAULT 'reply',
    mail_key TEXT UNIQUE
);
INSERT INTO mail_outbound_new (id, message_id, ticket_id, mailbox_id, rfc_message_id, sender, recipients, subject,
    status, reason, relay, attempts, raw, created_at, updated_at, sent_at)
    SELECT id, message_id, ticket_id, mailbox_id, rfc_message_id, sender, recipients, subject, status, reason, relay,
    attempts, raw, created_at, updated_at, sent_at FROM mail_outbound;
DROP TABLE mail_outbound;
ALTER TABLE mail_outbound_new RENAME TO mail_outbound;
CREATE INDEX mail_outbound_ticket ON mail_outbound(ticket_id);

-- +goose Down
DROP TABLE csat_surveys;
DELETE FROM mail_outbound WHERE message_id IS NULL;
