-- +goose Up
-- The number of tickets per (status category, team, assignee, escalated),
-- kept by triggers in the transaction of every write to tickets (creates,
-- status changes, assignment, team moves, escalation, merges, deletes, and
-- the SET NULL of a deleted agent or team), so the views' sidebar counts read
-- a few of these rows instead of the tickets themselves. 0 stands for no team
-- and no assignee. shard spreads PostgreSQL's concurrent writers over rows
-- (store.CountTickets sums them); SQLite has one writer and uses shard 0.
CREATE TABLE ticket_counts (
    category TEXT NOT NULL,
    team_id BIGINT NOT NULL,
    assignee_id BIGINT NOT NULL,
    escalated INTEGER NOT NULL,
    shard INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (category, team_id, assignee_id, escalated, shard)
);
CREATE INDEX ticket_counts_assignee ON ticket_counts(assignee_id, category, team_id, escalated, n);

INSERT INTO ticket_counts (category, team_id, assignee_id, escalated, shard, n)
SELECT status_category, COALESCE(team_id, 0), COALESCE(assignee_id, 0),
       CASE WHEN escalation_level > 0 THEN 1 ELSE 0 END, 0, count(*)
FROM tickets GROUP BY 1, 2, 3, 4;

-- +goose StatementBegin
CREATE TRIGGER ticket_counts_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_counts (category, team_id, assignee_id, escalated, shard, n)
    VALUES (NEW.status_category, COALESCE(NEW.team_id, 0), COALESCE(NEW.assignee_id, 0),
            CASE WHEN NEW.escalation_level > 0 THEN 1 ELSE 0 END, 0, 1)
    ON CONFLICT (category, team_id, assignee_id, escalated, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER ticket_counts_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO ticket_counts (category, team_id, assignee_id, escalated, shard, n)
    VALUES (OLD.status_category, COALESCE(OLD.team_id, 0), COALESCE(OLD.assignee_id, 0),
            CASE WHEN OLD.escalation_level > 0 THEN 1 ELSE 0 END, 0, -1)
    ON CONFLICT (category, team_id, assignee_id, escalated, shard) DO UPDATE SET n = n - 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER ticket_counts_update AFTER UPDATE OF status_category, team_id, assignee_id, escalation_level ON tickets
WHEN OLD.status_category IS NOT NEW.status_category OR OLD.team_id IS NOT NEW.team_id
    OR OLD.assignee_id IS NOT NEW.assignee_id OR (OLD.escalation_level > 0) <> (NEW.escalation_level > 0)
BEGIN
    INSERT INTO ticket_counts (category, team_id, assignee_id, escalated, shard, n)
    VALUES (OLD.status_category, COALESCE(OLD.team_id, 0), COALESCE(OLD.assignee_id, 0),
            CASE WHEN OLD.escalation_level > 0 THEN 1 ELSE 0 END, 0, -1)
    ON CONFLICT (category, team_id, assignee_id, escalated, shard) DO UPDATE SET n = n - 1;
    INSERT INTO ticket_counts (category, team_id, assignee_id, escalated, shard, n)
    VALUES (NEW.status_category, COALESCE(NEW.team_id, 0), COALESCE(NEW.assignee_id, 0),
            CASE WHEN NEW.escalation_level > 0 THEN 1 ELSE 0 END, 0, 1)
    ON CONFLICT (category, team_id, assignee_id, escalated, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- "Recently solved": solved tickets by the time they were solved, carrying
-- the routing columns, so the view's bounded count (a time window, which no
-- kept count answers) reads index entries only.
CREATE INDEX tickets_solved_routing ON tickets(solved_at, team_id, assignee_id, updated_at, status_category)
    WHERE status_category = 'solved';

-- +goose Down
DROP INDEX tickets_solved_routing;
DROP TRIGGER ticket_counts_update;
DROP TRIGGER ticket_counts_delete;
DROP TRIGGER ticket_counts_insert;
DROP TABLE ticket_counts;
