-- +goose Up
-- Quality, the rest of issue 11: calibration sessions, the QA rollup the
-- dashboard and performance reviews read, coaching sessions with action
-- items, and the teams' task boards.

-- A calibration: several reviewers score one conversation (ticket, agent)
-- against one scorecard revision, blind until the session is revealed; the
-- facilitator records the agreed answers (and may make them a review).
CREATE TABLE calibrations (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    scorecard_id BIGINT NOT NULL,
    scorecard_revision INTEGER NOT NULL,
    facilitator_id BIGINT NOT NULL REFERENCES agents(id),
    state TEXT NOT NULL,
    agreed_answers TEXT NOT NULL DEFAULT '{}',
    agreed_score DOUBLE PRECISION,
    notes TEXT NOT NULL DEFAULT '',
    review_id BIGINT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (scorecard_id, scorecard_revision) REFERENCES scorecard_revisions(scorecard_id, revision)
);
CREATE INDEX calibrations_created ON calibrations(created_at, id);

-- One row per invited reviewer; answers stay NULL until they submit, once.
CREATE TABLE calibration_scores (
    calibration_id BIGINT NOT NULL REFERENCES calibrations(id) ON DELETE CASCADE,
    reviewer_id BIGINT NOT NULL REFERENCES agents(id),
    answers TEXT,
    criteria TEXT,
    score DOUBLE PRECISION,
    submitted_at BIGINT,
    PRIMARY KEY (calibration_id, reviewer_id)
);
CREATE INDEX calibration_scores_reviewer ON calibration_scores(reviewer_id, calibration_id);

-- Weekly QA buckets, kept in the transaction that writes or re-scores a
-- review: criterion '' is the overall score; team is the ticket's team.
CREATE TABLE qa_rollups (
    week BIGINT NOT NULL,
    agent_id BIGINT NOT NULL,
    team_id BIGINT NOT NULL,
    criterion TEXT NOT NULL,
    n BIGINT NOT NULL,
    total DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (week, agent_id, team_id, criterion)
);
CREATE INDEX qa_rollups_agent ON qa_rollups(agent_id, week);

-- Reviews made before the rollup existed.
INSERT INTO qa_rollups (week, agent_id, team_id, criterion, n, total)
    SELECT w, agent_id, team, '', COUNT(*), SUM(score) FROM (
        SELECT (r.created_at / 1000000) - (((r.created_at / 1000000) - 345600) % 604800) AS w, r.agent_id,
            COALESCE(t.team_id, 0) AS team, r.score FROM reviews r JOIN tickets t ON t.id = r.ticket_id) x
    GROUP BY w, agent_id, team;
INSERT INTO qa_rollups (week, agent_id, team_id, criterion, n, total)
    SELECT w, agent_id, team, k, COUNT(*), SUM(v) * 100 FROM (
        SELECT (r.created_at / 1000000) - (((r.created_at / 1000000) - 345600) % 604800) AS w, r.agent_id,
            COALESCE(t.team_id, 0) AS team, j.key AS k, j.value AS v
        FROM reviews r JOIN tickets t ON t.id = r.ticket_id, json_each(r.criteria) j) x
    GROUP BY w, agent_id, team, k;

-- Coaching: a 1:1 of a coach with an agent, its links and action items.
CREATE TABLE coaching_sessions (
    id INTEGER PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    coach_id BIGINT NOT NULL REFERENCES agents(id),
    held_at BIGINT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    review_ids TEXT NOT NULL DEFAULT '[]',
    ticket_ids TEXT NOT NULL DEFAULT '[]',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX coaching_sessions_agent ON coaching_sessions(agent_id, held_at);

-- reminded is the last reminder sent: '', 'soon' or 'overdue'.
CREATE TABLE coaching_actions (
    id INTEGER PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES coaching_sessions(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES agents(id),
    due_at BIGINT NOT NULL,
    done_at BIGINT,
    reminded TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX coaching_actions_session ON coaching_actions(session_id, id);
CREATE INDEX coaching_actions_due ON coaching_actions(done_at, due_at);

-- A team's task board.
CREATE TABLE team_tasks (
    id INTEGER PRIMARY KEY,
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    owner_id BIGINT REFERENCES agents(id),
    due_at BIGINT,
    ticket_ids TEXT NOT NULL DEFAULT '[]',
    created_by BIGINT NOT NULL REFERENCES agents(id),
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX team_tasks_team ON team_tasks(team_id, status, id);

-- +goose Down
DROP TABLE team_tasks;
DROP TABLE coaching_actions;
DROP TABLE coaching_sessions;
DROP TABLE qa_rollups;
DROP TABLE calibration_scores;
DROP TABLE calibrations;
