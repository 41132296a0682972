-- +goose Up
-- Availability of each agent, in the database so that every node sees the
-- same: what the agent chose, whether inactivity overrode it, and when the
-- agent was last seen.
CREATE TABLE agent_presence (
    agent_id BIGINT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'offline',
    by_inactivity BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen_at BIGINT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX agent_presence_seen ON agent_presence(status, last_seen_at);

-- What an agent can take: skills and languages for skills-based routing, and
-- a capacity (open tickets; 0 = the team's). Assignment locks these rows.
CREATE TABLE agent_routing (
    agent_id BIGINT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    skills TEXT NOT NULL DEFAULT '[]',
    languages TEXT NOT NULL DEFAULT '[]',
    capacity INTEGER NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);

-- How a team hands out its tickets.
CREATE TABLE team_assignment (
    team_id BIGINT PRIMARY KEY REFERENCES teams(id) ON DELETE CASCADE,
    mode TEXT NOT NULL DEFAULT 'off',
    capacity INTEGER NOT NULL DEFAULT 10,
    hand_back BOOLEAN NOT NULL DEFAULT FALSE,
    last_agent_id BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);

-- Counting an agent's open tickets (every assignment decision does) uses
-- tickets_assignee_category from migration 00011.

-- +goose Down
DROP TABLE team_assignment;
DROP TABLE agent_routing;
DROP TABLE agent_presence;
