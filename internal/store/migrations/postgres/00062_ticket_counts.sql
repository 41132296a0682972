-- +goose Up
-- The number of tickets per (status category, team, assignee, escalated),
-- kept by a trigger in the transaction of every write to tickets (creates,
-- status changes, assignment, team moves, escalation, merges, deletes, and
-- the SET NULL of a deleted agent or team), so the views' sidebar counts read
-- a few of these rows instead of the tickets themselves. 0 stands for no team
-- and no assignee. shard is the writing backend's pid modulo 16: concurrent
-- writers (one per connection) add to rows of their own instead of queueing
-- on one row lock until commit; store.CountTickets sums the shards.
CREATE TABLE ticket_counts (
    category TEXT NOT NULL,
    team_id BIGINT NOT NULL,
    assignee_id BIGINT NOT NULL,
    escalated INTEGER NOT NULL,
    shard INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (category, team_id, assignee_id, escalated, shard)
);
CREATE INDEX ticket_counts_assignee ON ticket_counts(assignee_id, category) INCLUDE (team_id, escalated, n);

INSERT INTO ticket_counts (category, team_id, assignee_id, escalated, shard, n)
SELECT status_category, COALESCE(team_id, 0), COALESCE(assignee_id, 0),
       CASE WHEN escalation_level > 0 THEN 1 ELSE 0 END, 0, count(*)
FROM tickets GROUP BY 1, 2, 3, 4;

-- +goose StatementBegin
CREATE FUNCTION ticket_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s INTEGER := pg_backend_pid() % 16;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status_category = NEW.status_category
        AND OLD.team_id IS NOT DISTINCT FROM NEW.team_id
        AND OLD.assignee_id IS NOT DISTINCT FROM NEW.assignee_id
        AND (OLD.escalation_level > 0) = (NEW.escalation_level > 0) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO ticket_counts (category, team_id, assignee_id, escalated, shard, n)
        VALUES (OLD.status_category, COALESCE(OLD.team_id, 0), COALESCE(OLD.assignee_id, 0),
                CASE WHEN OLD.escalation_level > 0 THEN 1 ELSE 0 END, s, -1)
        ON CONFLICT (category, team_id, assignee_id, escalated, shard) DO UPDATE SET n = ticket_counts.n - 1;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO ticket_counts (category, team_id, assignee_id, escalated, shard, n)
        VALUES (NEW.status_category, COALESCE(NEW.team_id, 0), COALESCE(NEW.assignee_id, 0),
                CASE WHEN NEW.escalation_level > 0 THEN 1 ELSE 0 END, s, 1)
        ON CONFLICT (category, team_id, assignee_id, escalated, shard) DO UPDATE SET n = ticket_counts.n + 1;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER ticket_counts_change AFTER INSERT OR DELETE OR UPDATE OF status_category, team_id, assignee_id, escalation_level
    ON tickets FOR EACH ROW EXECUTE FUNCTION ticket_counts_apply();

-- "Recently solved": solved tickets by the time they were solved, carrying
-- the routing columns, so the view's bounded count (a time window, which no
-- kept count answers) reads index entries only.
CREATE INDEX tickets_solved_routing ON tickets(solved_at) INCLUDE (team_id, assignee_id, updated_at)
    WHERE status_category = 'solved';

-- +goose Down
DROP INDEX tickets_solved_routing;
DROP TRIGGER ticket_counts_change ON tickets;
DROP FUNCTION ticket_counts_apply();
DROP TABLE ticket_counts;
