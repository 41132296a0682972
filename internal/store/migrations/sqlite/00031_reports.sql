-- +goose Up
-- Hourly buckets of report figures (package report, docs/METRICS.md): one
-- dimension at a time, always with the team, durations also by histogram
-- bin. Kept by the durable consumer "report" in the transaction that moves
-- its cursor.
CREATE TABLE report_rollups (
    dim TEXT NOT NULL,
    metric TEXT NOT NULL,
    hour BIGINT NOT NULL,
    val TEXT NOT NULL,
    team_id BIGINT NOT NULL,
    bin INTEGER NOT NULL,
    n BIGINT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (dim, metric, hour, val, team_id, bin)
);

-- What the consumer remembers of each ticket to attribute its next events.
CREATE TABLE report_tickets (
    ticket_id BIGINT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    is_open BOOLEAN NOT NULL DEFAULT TRUE,
    team_id BIGINT NOT NULL,
    agent_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    priority TEXT NOT NULL,
    type TEXT NOT NULL,
    org_id BIGINT NOT NULL,
    first_solved_at BIGINT,
    state TEXT NOT NULL
);
CREATE INDEX report_tickets_open ON report_tickets(is_open, team_id, created_at);
-- Drill-down from a created or resolution figure to its tickets.
CREATE INDEX report_tickets_created ON report_tickets(created_at);
CREATE INDEX report_tickets_solved ON report_tickets(first_solved_at);

-- The report permissions, granted to the built-in roles of databases made
-- before them too (as 00029 does), where missing.
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'reports:read'), version = version + 1
    WHERE name = 'agent' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'reports:read');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'reports:read'), version = version + 1
    WHERE name = 'team_lead' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'reports:read');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'reports:team'), version = version + 1
    WHERE name = 'team_lead' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'reports:team');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'reports:export'), version = version + 1
    WHERE name = 'team_lead' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'reports:export');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'reports:read'), version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'reports:read');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'reports:team'), version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'reports:team');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'reports:read_all'), version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'reports:read_all');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'reports:export'), version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'reports:export');

-- +goose Down
DROP TABLE report_tickets;
DROP TABLE report_rollups;
