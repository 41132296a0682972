-- +goose Up
-- Sessions begun before an agent's password last changed are no longer valid.
ALTER TABLE agents ADD COLUMN password_changed_at BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE agents DROP COLUMN password_changed_at;
