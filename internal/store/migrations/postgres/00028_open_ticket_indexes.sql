-- +goose Up
-- Unsolved tickets by assignee, by team and by time, newest first: the
-- views' lists and their bounded counts, and each agent's open load
-- (store.OpenLoad), walk these and stop at their bound. A partial index
-- holds only unsolved tickets, so PostgreSQL's planner sees how few rows
-- the walk needs and never reaches for a bitmap scan over every entry. Each
-- also carries the other routing column, so that a count within an agent's
-- scope (assignee, or team) reads index entries only: at 300,000 tickets the
-- unassigned and my-teams counts went from 10 ms to 0.1 ms each.
CREATE INDEX tickets_open_assignee ON tickets(assignee_id, updated_at, id) INCLUDE (team_id)
    WHERE status_category IN ('new', 'open', 'pending', 'on_hold');
CREATE INDEX tickets_open_team ON tickets(team_id, updated_at, id) INCLUDE (assignee_id)
    WHERE status_category IN ('new', 'open', 'pending', 'on_hold');
-- Escalated tickets by status: a handful of rows, so an escalated view reads
-- (and sorts) only those; led by the status, SQLite's planner takes it over
-- tickets_status_updated with or without statistics (a partial index of
-- unsolved escalated tickets by time was passed over for the status index,
-- reading every unsolved ticket: 1 s at 300,000).
CREATE INDEX tickets_escalated ON tickets(status_category, updated_at, id)
    WHERE escalation_level > 0;
-- tickets_open_assignee replaces it for the open load.
DROP INDEX tickets_assignee_category;

-- +goose Down
CREATE INDEX tickets_assignee_category ON tickets(assignee_id, status_category);
DROP INDEX tickets_escalated;
DROP INDEX tickets_open_team;
DROP INDEX tickets_open_assignee;
