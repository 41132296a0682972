-- +goose Up
-- The mailbox a ticket's mail came in by (and replies go out by); NULL for
-- tickets of other channels.
ALTER TABLE tickets ADD COLUMN mailbox_id BIGINT REFERENCES mailboxes(id) ON DELETE SET NULL;

-- Every message received, recorded before it is parsed: the raw message is
-- in the blob store under raw_sha256, so a parser fix can replay it. The
-- unique (mailbox_id, dedupe_key) makes ingestion idempotent: dedupe_key is
-- the Message-ID, or the content digest of a message without one.
CREATE TABLE mail_inbound (
    id INTEGER PRIMARY KEY,
    mailbox_id BIGINT NOT NULL,
    dedupe_key TEXT NOT NULL,
    raw_sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    source TEXT NOT NULL,
    envelope_from TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'received',
    outcome TEXT NOT NULL DEFAULT '',
    ticket_id BIGINT,
    message_id BIGINT,
    warnings TEXT NOT NULL DEFAULT '[]',
    error TEXT NOT NULL DEFAULT '',
    received_at BIGINT NOT NULL,
    processed_at BIGINT,
    UNIQUE (mailbox_id, dedupe_key)
);
CREATE INDEX mail_inbound_state ON mail_inbound(state, id);
CREATE INDEX mail_inbound_raw ON mail_inbound(raw_sha256);

-- Message-IDs of mail received and sent, by which replies find their
-- ticket (In-Reply-To, References). Outbound mail records its own here.
CREATE TABLE mail_message_ids (
    mailbox_id BIGINT NOT NULL,
    rfc_message_id TEXT NOT NULL,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    message_id BIGINT REFERENCES messages(id) ON DELETE CASCADE,
    direction TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (mailbox_id, rfc_message_id)
);
CREATE INDEX mail_message_ids_rfc ON mail_message_ids(rfc_message_id);
CREATE INDEX mail_message_ids_ticket ON mail_message_ids(ticket_id, created_at);

-- Contacts who follow a conversation (Cc'd on mail): they receive replies.
CREATE TABLE ticket_contact_followers (
    ticket_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, contact_id)
);
CREATE INDEX ticket_contact_followers_contact ON ticket_contact_followers(contact_id);

-- +goose Down
DROP TABLE ticket_contact_followers;
DROP TABLE mail_message_ids;
DROP TABLE mail_inbound;
ALTER TABLE tickets DROP COLUMN mailbox_id;
