-- +goose Up
-- Sessions and API tokens issued before credentials_valid_from are void
-- (set when the agent is deactivated, so that reactivating revives none);
-- API tokens issued before tokens_valid_from are void (set when a password
-- change also revokes the agent's tokens).
ALTER TABLE agents ADD COLUMN credentials_valid_from BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN tokens_valid_from BIGINT NOT NULL DEFAULT 0;
-- An API token may expire (NULL: never).
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN expires_at;
ALTER TABLE agents DROP COLUMN tokens_valid_from;
ALTER TABLE agents DROP COLUMN credentials_valid_from;
