-- +goose Up
-- Open tickets counted per dimension value, team and creation hour (package
-- report), kept by the report consumer in the same transaction as
-- report_tickets: a ticket counts while it is open, in the slice it is in
-- now, so the backlog and its age bands are a sum over (hours × slices)
-- rows instead of a scan of every open ticket. hour is the start of the UTC
-- hour the tickets were created in (microseconds); val is '' for none (no
-- agent, no organization), as in report_rollups.
CREATE TABLE report_backlog (
    dim TEXT NOT NULL,
    val TEXT NOT NULL,
    team_id BIGINT NOT NULL,
    hour BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (dim, val, team_id, hour)
);

-- Tickets counted before this migration.
INSERT INTO report_backlog (dim, val, team_id, hour, n)
    SELECT 'all', '', team_id, created_at - created_at % 3600000000, COUNT(*) FROM report_tickets WHERE is_open
    GROUP BY team_id, created_at - created_at % 3600000000;
INSERT INTO report_backlog (dim, val, team_id, hour, n)
    SELECT 'agent', CASE WHEN agent_id = 0 THEN '' ELSE CAST(agent_id AS TEXT) END, team_id,
        created_at - created_at % 3600000000, COUNT(*) FROM report_tickets WHERE is_open
    GROUP BY agent_id, team_id, created_at - created_at % 3600000000;
INSERT INTO report_backlog (dim, val, team_id, hour, n)
    SELECT 'channel', channel, team_id, created_at - created_at % 3600000000, COUNT(*) FROM report_tickets WHERE is_open
    GROUP BY channel, team_id, created_at - created_at % 3600000000;
INSERT INTO report_backlog (dim, val, team_id, hour, n)
    SELECT 'priority', priority, team_id, created_at - created_at % 3600000000, COUNT(*) FROM report_tickets WHERE is_open
    GROUP BY priority, team_id, created_at - created_at % 3600000000;
INSERT INTO report_backlog (dim, val, team_id, hour, n)
    SELECT 'type', type, team_id, created_at - created_at % 3600000000, COUNT(*) FROM report_tickets WHERE is_open
    GROUP BY type, team_id, created_at - created_at % 3600000000;
INSERT INTO report_backlog (dim, val, team_id, hour, n)
    SELECT 'organization', CASE WHEN org_id = 0 THEN '' ELSE CAST(org_id AS TEXT) END, team_id,
        created_at - created_at % 3600000000, COUNT(*) FROM report_tickets WHERE is_open
    GROUP BY org_id, team_id, created_at - created_at % 3600000000;

-- +goose Down
DROP TABLE report_backlog;
