-- +goose Up
-- Each event records the transaction that wrote it (pg_current_xact_id, as a
-- number). Durable consumers read events in (xact, id) order and only those
-- whose transaction is older than every transaction still running, so that
-- writers need not queue on one lock for a consumer never to skip an event
-- (see EventsAfter). Events written before this migration were committed in id
-- order under that lock and keep xact 0.
ALTER TABLE events ADD COLUMN xact BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ALTER COLUMN xact SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX events_position ON events(xact, id);

-- +goose Down
DROP INDEX events_position;
ALTER TABLE events DROP COLUMN xact;
