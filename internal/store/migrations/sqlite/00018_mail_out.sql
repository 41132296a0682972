-- +goose Up
-- DKIM signing per mailbox (mailboxes.id, 00015). The key is kept as is:
-- signing needs it; no API answer or log line carries it.
CREATE TABLE mailbox_dkim (
    mailbox_id BIGINT PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    selector TEXT NOT NULL,
    private_key TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The IMAP poller's state per mailbox: what the last poll found (a wrong
-- password shows here, never in a log) and the lease that lets one node at
-- a time poll the mailbox.
CREATE TABLE mailbox_imap_state (
    mailbox_id BIGINT PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending',
    detail TEXT NOT NULL DEFAULT '',
    checked_at BIGINT,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0
);

-- One row per public reply sent as mail: its delivery state and, once built,
-- the message exactly as handed to the relay (or kept in the outbox).
CREATE TABLE mail_outbound (
    id INTEGER PRIMARY KEY,
    message_id BIGINT NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
    ticket_id BIGINT NOT NULL,
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
    sent_at BIGINT
);
CREATE INDEX mail_outbound_ticket ON mail_outbound(ticket_id);

-- Mail counted per address and window, shared by every node, to stop loops.
CREATE TABLE mail_sender_counts (
    address TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (address, window_start)
);

-- +goose Down
DROP TABLE mail_sender_counts;
DROP TABLE mail_outbound;
DROP TABLE mailbox_imap_state;
DROP TABLE mailbox_dkim;
