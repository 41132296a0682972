-- +goose Up
-- Training: courses whose ordered modules (Markdown, links, quiz questions)
-- are JSON validated by package training; assignments of a course to an
-- agent with their progress; standing team assignments that reach members
-- who join later; quiz attempts.
CREATE TABLE courses (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    criteria TEXT NOT NULL DEFAULT '[]',
    pass_mark INTEGER NOT NULL,
    valid_days INTEGER NOT NULL DEFAULT 0,
    modules TEXT NOT NULL DEFAULT '[]',
    module_count INTEGER NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE course_team_assignments (
    id INTEGER PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    due_at BIGINT NOT NULL,
    span_seconds BIGINT NOT NULL,
    assigned_by BIGINT NOT NULL REFERENCES agents(id),
    created_at BIGINT NOT NULL,
    UNIQUE (course_id, team_id)
);

-- One live (not expired) assignment per course and agent: a certification
-- that expires is closed as expired and assigned afresh.
CREATE TABLE course_assignments (
    id INTEGER PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    team_id BIGINT REFERENCES teams(id) ON DELETE SET NULL,
    assigned_by BIGINT REFERENCES agents(id),
    due_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    progress TEXT NOT NULL DEFAULT '{}',
    score DOUBLE PRECISION,
    attempts INTEGER NOT NULL DEFAULT 0,
    completed_at BIGINT,
    expires_at BIGINT,
    reminded_due BOOLEAN NOT NULL DEFAULT FALSE,
    reminded_overdue BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX course_assignments_live ON course_assignments(course_id, agent_id) WHERE state <> 'expired';
CREATE INDEX course_assignments_agent ON course_assignments(agent_id, id);
CREATE INDEX course_assignments_due ON course_assignments(due_at) WHERE state IN ('assigned', 'in_progress');
CREATE INDEX course_assignments_expires ON course_assignments(expires_at) WHERE state = 'completed';

CREATE TABLE course_quiz_attempts (
    id INTEGER PRIMARY KEY,
    assignment_id BIGINT NOT NULL REFERENCES course_assignments(id) ON DELETE CASCADE,
    module_key TEXT NOT NULL,
    answers TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    passed BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX course_quiz_attempts_assignment ON course_quiz_attempts(assignment_id, id);

-- +goose Down
DROP TABLE course_quiz_attempts;
DROP TABLE course_assignments;
DROP TABLE course_team_assignments;
DROP TABLE courses;
