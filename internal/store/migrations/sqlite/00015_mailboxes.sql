-- +goose Up
-- Mailboxes: the addresses the desk receives and sends mail as. The IMAP and
-- SMTP passwords are kept as they are (logging in needs them); no API answer
-- or log line carries them.
CREATE TABLE mailboxes (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    team_id BIGINT REFERENCES teams(id) ON DELETE SET NULL,
    signature TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    imap_host TEXT NOT NULL DEFAULT '',
    imap_port INTEGER NOT NULL DEFAULT 0,
    imap_security TEXT NOT NULL DEFAULT 'tls',
    imap_username TEXT NOT NULL DEFAULT '',
    imap_password TEXT NOT NULL DEFAULT '',
    imap_folder TEXT NOT NULL DEFAULT 'INBOX',
    smtp_host TEXT NOT NULL DEFAULT '',
    smtp_port INTEGER NOT NULL DEFAULT 0,
    smtp_security TEXT NOT NULL DEFAULT 'starttls',
    smtp_username TEXT NOT NULL DEFAULT '',
    smtp_password TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX mailboxes_updated ON mailboxes(updated_at, id);

-- +goose Down
DROP TABLE mailboxes;
