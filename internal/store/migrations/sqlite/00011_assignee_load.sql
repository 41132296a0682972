-- +goose Up
-- An assignee picker shows each agent's open tickets; this index lets that
-- count read index entries only, and stop at its bound (see store.OpenLoad).
CREATE INDEX tickets_assignee_category ON tickets(assignee_id, status_category);

-- +goose Down
DROP INDEX tickets_assignee_category;
