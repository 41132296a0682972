-- +goose Up
-- What the report consumer remembers of each agent to measure occupancy
-- (docs/METRICS.md, "Agent occupancy"): whether they are online, since when
-- their time was last counted, how many workable tickets they hold and
-- their teams, as JSON. Emptied and refilled by a rebuild like
-- report_tickets.
CREATE TABLE report_agents (
    agent_id BIGINT PRIMARY KEY,
    is_online BOOLEAN NOT NULL,
    state TEXT NOT NULL
);

-- +goose Down
DROP TABLE report_agents;
