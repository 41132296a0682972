-- +goose Up
-- Automation rules: a trigger (an event kind or hours since an anchor),
-- conditions and ordered actions, kept as JSON and validated by package
-- automation before they are written.
CREATE TABLE automations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    position INTEGER NOT NULL DEFAULT 0,
    trigger_event TEXT NOT NULL DEFAULT '',
    trigger_since TEXT NOT NULL DEFAULT '',
    trigger_hours DOUBLE PRECISION NOT NULL DEFAULT 0,
    match_mode TEXT NOT NULL DEFAULT 'all',
    conditions TEXT NOT NULL DEFAULT '[]',
    actions TEXT NOT NULL DEFAULT '[]',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The execution log: one row per firing of a rule on a ticket. fire_key
-- (the event, or the due time of a timer) makes a repeated read harmless.
CREATE TABLE automation_runs (
    id INTEGER PRIMARY KEY,
    automation_id BIGINT NOT NULL REFERENCES automations(id) ON DELETE CASCADE,
    ticket_id BIGINT NOT NULL,
    fire_key TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (automation_id, fire_key)
);
CREATE INDEX automation_runs_rule ON automation_runs(automation_id, id);
CREATE INDEX automation_runs_ticket ON automation_runs(ticket_id, created_at);

-- Time triggers: one timer per (rule, ticket), read in due order.
CREATE TABLE automation_timers (
    automation_id BIGINT NOT NULL REFERENCES automations(id) ON DELETE CASCADE,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    due_at BIGINT NOT NULL,
    PRIMARY KEY (automation_id, ticket_id)
);
CREATE INDEX automation_timers_due ON automation_timers(due_at);

-- Macros: actions and a reply template an agent applies by hand.
CREATE TABLE macros (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    owner_id BIGINT REFERENCES agents(id) ON DELETE CASCADE,
    team_id BIGINT REFERENCES teams(id) ON DELETE CASCADE,
    reply TEXT NOT NULL DEFAULT '',
    internal BOOLEAN NOT NULL DEFAULT FALSE,
    actions TEXT NOT NULL DEFAULT '[]',
    usage_count BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE macros;
DROP TABLE automation_timers;
DROP TABLE automation_runs;
DROP TABLE automations;
