-- +goose Up
-- Escalation rules: a trigger, conditions, and the team or tier to escalate to.
CREATE TABLE escalation_rules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    trigger_kind TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The execution log: one row per rule and triggering event (unique, so a
-- rule acts once per event however many nodes read it).
CREATE TABLE escalation_runs (
    id INTEGER PRIMARY KEY,
    rule_id BIGINT NOT NULL REFERENCES escalation_rules(id) ON DELETE CASCADE,
    ticket_id BIGINT NOT NULL,
    event_id BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (rule_id, event_id)
);
CREATE INDEX escalation_runs_rule ON escalation_runs(rule_id, id);

-- +goose Down
DROP TABLE escalation_runs;
DROP TABLE escalation_rules;
