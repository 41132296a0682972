-- +goose Up
-- An attachment's Content-ID (without angle brackets; '' for none) and
-- whether the sender showed it inline: the HTML of a mail refers to its
-- inline images by "cid:<Content-ID>", rewritten to the attachment's URL
-- when the message is stored.
ALTER TABLE attachments ADD COLUMN content_id TEXT NOT NULL DEFAULT '';
ALTER TABLE attachments ADD COLUMN inline BOOLEAN NOT NULL DEFAULT FALSE;

-- Why a received mail was recognised as sent by a machine (an
-- out-of-office answer, a list, a bounce: "Auto-Submitted: auto-replied"),
-- '' for a person's mail. Automatic answers (automation replies) are never
-- mailed to the sender of such mail, so two robots cannot loop.
ALTER TABLE mail_inbound ADD COLUMN auto_reply TEXT NOT NULL DEFAULT '';
CREATE INDEX mail_inbound_ticket ON mail_inbound(ticket_id, id);

-- A received message of up to 256 KiB is kept here, written and made
-- durable by the commit of its record, instead of as a file of the blob
-- store (raw_sha256 still names its digest); NULL for larger messages,
-- which the blob store keeps.
ALTER TABLE mail_inbound ADD COLUMN raw BYTEA;

-- +goose Down
ALTER TABLE mail_inbound DROP COLUMN raw;
DROP INDEX mail_inbound_ticket;
ALTER TABLE mail_inbound DROP COLUMN auto_reply;
ALTER TABLE attachments DROP COLUMN inline;
ALTER TABLE attachments DROP COLUMN content_id;
