-- +goose Up
-- Every resource counts its changes: the API's ETag and If-Match, and the
-- web forms, compare it so that a stale write is refused instead of undoing
-- someone else's. A write bumps it in the same statement that checks it.
ALTER TABLE tickets ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE contacts ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE organizations ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE agents ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE teams ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE roles ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE fields ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE api_tokens ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- The blob collector asks which stored files rows still reference.
CREATE INDEX attachments_sha256 ON attachments(sha256);

-- +goose Down
DROP INDEX attachments_sha256;
ALTER TABLE api_tokens DROP COLUMN version;
ALTER TABLE fields DROP COLUMN version;
ALTER TABLE roles DROP COLUMN version;
ALTER TABLE teams DROP COLUMN version;
ALTER TABLE agents DROP COLUMN version;
ALTER TABLE organizations DROP COLUMN version;
ALTER TABLE contacts DROP COLUMN version;
ALTER TABLE tickets DROP COLUMN version;
