-- +goose Up
-- Nothing on SQLite: its single writer takes event ids in commit order, so
-- durable consumers read events by id (PostgreSQL records each event's
-- transaction here instead).
SELECT 1;

-- +goose Down
SELECT 1;
