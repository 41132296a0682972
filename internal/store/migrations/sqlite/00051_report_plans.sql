-- +goose Up
-- The complaint record (package report, docs/METRICS.md "Complaint trends"):
-- the action taken on a tag, type or topic in a week, every change kept as a
-- new version (the highest is the record).
CREATE TABLE complaint_notes (
    dim TEXT NOT NULL,
    val TEXT NOT NULL,
    week BIGINT NOT NULL,
    version BIGINT NOT NULL,
    note TEXT NOT NULL,
    author_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (dim, week, val, version)
);

-- Goals: a target for one KPI of a team or an agent over a period, and the
-- state the periodic check last recorded (an alert goes out when it becomes
-- off track, once per crossing).
CREATE TABLE report_goals (
    id INTEGER PRIMARY KEY,
    team_id BIGINT REFERENCES teams(id) ON DELETE CASCADE,
    agent_id BIGINT REFERENCES agents(id) ON DELETE CASCADE,
    metric TEXT NOT NULL,
    op TEXT NOT NULL,
    target DOUBLE PRECISION NOT NULL,
    period TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'no_data',
    state_from BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX report_goals_team ON report_goals(team_id);
CREATE INDEX report_goals_agent ON report_goals(agent_id);

-- +goose Down
DROP TABLE report_goals;
DROP TABLE complaint_notes;
