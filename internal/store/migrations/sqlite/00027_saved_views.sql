-- +goose Up
-- Saved views: a named ticket filter, personal (its owner's) or shared with
-- a team. The filter is JSON text (package view's Query), read in Go.
CREATE TABLE saved_views (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    owner_id BIGINT REFERENCES agents(id) ON DELETE CASCADE,
    team_id BIGINT REFERENCES teams(id) ON DELETE CASCADE,
    query TEXT NOT NULL DEFAULT '{}',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX saved_views_owner ON saved_views(owner_id);
CREATE INDEX saved_views_team ON saved_views(team_id);

-- The view an agent lands on: a built-in view's name or "saved:<id>".
CREATE TABLE agent_landing_views (
    agent_id BIGINT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    view TEXT NOT NULL
);

-- +goose Down
DROP TABLE agent_landing_views;
DROP TABLE saved_views;
