-- +goose Up
-- SLA policies, in the order they are tried.
CREATE TABLE sla_policies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    conditions TEXT NOT NULL DEFAULT '{}',
    targets TEXT NOT NULL DEFAULT '{}',
    time_basis TEXT NOT NULL DEFAULT 'business',
    calendar_id BIGINT REFERENCES calendars(id),
    pause_on TEXT NOT NULL DEFAULT '["pending","on_hold"]',
    warn_percent INTEGER NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Each ticket's SLA clock: counted (microseconds of SLA time) at mark, and
-- the due times it gives. due_at is the nearest running one: the ticket
-- list sorts and filters by it.
CREATE TABLE ticket_sla (
    ticket_id BIGINT PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    policy_id BIGINT,
    counted BIGINT NOT NULL DEFAULT 0,
    mark BIGINT NOT NULL,
    paused BOOLEAN NOT NULL DEFAULT FALSE,
    next_start BIGINT,
    first_responded BOOLEAN NOT NULL DEFAULT FALSE,
    resolved BOOLEAN NOT NULL DEFAULT FALSE,
    warned TEXT NOT NULL DEFAULT '[]',
    breached TEXT NOT NULL DEFAULT '[]',
    first_response_due_at BIGINT,
    next_response_due_at BIGINT,
    resolution_due_at BIGINT,
    due_at BIGINT,
    ticket_version BIGINT NOT NULL DEFAULT 0,
    last_event_id BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX ticket_sla_due ON ticket_sla(due_at, ticket_id);
CREATE INDEX ticket_sla_policy ON ticket_sla(policy_id);

-- One row per warning or breach still to fire, read in due order: the cost
-- of firing a timer does not depend on how many tickets are open.
CREATE TABLE sla_timers (
    ticket_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    metric TEXT NOT NULL,
    kind TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, metric, kind)
);
CREATE INDEX sla_timers_due ON sla_timers(due_at);

-- +goose Down
DROP TABLE sla_timers;
DROP TABLE ticket_sla;
DROP TABLE sla_policies;
