-- +goose Up
-- written is set by the first request's own write transaction (the same
-- commit), so that a claim whose node died after writing is never taken
-- over and run twice, and one that died before writing is.
ALTER TABLE idempotency_keys ADD COLUMN written BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN written;
