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
CREATE FUNCTION ticket_counts_add(c TEXT, team BIGINT, assignee BIGINT, esc INTEGER, d INTEGER) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO ticket_counts (category, team_id, assignee_id, escalated, shard, n)
    VALUES (c, COALESCE(team, 0), COALESCE(assignee, 0), esc, pg_backend_pid() % 16, d)
    ON CONFLICT (category, team_id, assignee_id, escalated, shard) DO UPDATE SET n = ticket_counts.n + excluded.n;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- An update takes its two rows in key order, so two writers that share a
-- shard and move tickets in opposite directions queue instead of deadlocking.
CREATE FUNCTION ticket_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_esc INTEGER;
    new_esc INTEGER;
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM ticket_counts_add(NEW.status_category, NEW.team_id, NEW.assignee_id,
            CASE WHEN NEW.escalation_level > 0 THEN 1 ELSE 0 END, 1);
        RETURN NULL;
    END IF;
    old_esc := CASE WHEN OLD.escalation_level > 0 THEN 1 ELSE 0 END;
    IF TG_OP = 'DELETE' THEN
        PERFORM ticket_counts_add(OLD.status_category, OLD.team_id, OLD.assignee_id, old_esc, -1);
        RETURN NULL;
    END IF;
    new_esc := CASE WHEN NEW.escalation_level > 0 THEN 1 ELSE 0 END;
    IF ROW(OLD.status_category, COALESCE(OLD.team_id, 0), COALESCE(OLD.assignee_id, 0), old_esc)
        = ROW(NEW.status_category, COALESCE(NEW.team_id, 0), COALESCE(NEW.assignee_id, 0), new_esc) THEN
        RETURN NULL;
    END IF;
    IF ROW(OLD.status_category, COALESCE(OLD.team_id, 0), COALESCE(OLD.assignee_id, 0), old_esc)
        < ROW(NEW.status_category, COALESCE(NEW.team_id, 0), COALESCE(NEW.assignee_id, 0), new_esc) THEN
        PERFORM ticket_counts_add(OLD.status_category, OLD.team_id, OLD.assignee_id, old_esc, -1);
        PERFORM ticket_counts_add(NEW.status_category, NEW.team_id, NEW.assignee_id, new_esc, 1);
    ELSE
        PERFORM ticket_counts_add(NEW.status_category, NEW.team_id, NEW.assignee_id, new_esc, 1);
        PERFORM ticket_counts_add(OLD.status_category, OLD.team_id, OLD.assignee_id, old_esc, -1);
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
DROP FUNCTION ticket_counts_add(TEXT, BIGINT, BIGINT, INTEGER, INTEGER);
DROP TABLE ticket_counts;
