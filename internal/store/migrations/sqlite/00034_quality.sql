-- +goose Up
-- Quality: scorecards kept in numbered revisions (the sections as JSON,
-- validated by package quality), and reviews that keep the revision they
-- were made with.
CREATE TABLE scorecards (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    revision INTEGER NOT NULL DEFAULT 1,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE scorecard_revisions (
    scorecard_id BIGINT NOT NULL REFERENCES scorecards(id) ON DELETE CASCADE,
    revision INTEGER NOT NULL,
    sections TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scorecard_id, revision)
);

-- A review scores one agent on one ticket. queue_item_id is the review
-- queue's item it settles: unique, so an item is never reviewed twice.
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    reviewer_id BIGINT NOT NULL REFERENCES agents(id),
    scorecard_id BIGINT NOT NULL,
    scorecard_revision INTEGER NOT NULL,
    answers TEXT NOT NULL DEFAULT '{}',
    criteria TEXT NOT NULL DEFAULT '{}',
    score DOUBLE PRECISION NOT NULL,
    critical_failed BOOLEAN NOT NULL DEFAULT FALSE,
    summary TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    dispute_reason TEXT NOT NULL DEFAULT '',
    resolution TEXT NOT NULL DEFAULT '',
    resolved_by BIGINT REFERENCES agents(id),
    queue_item_id BIGINT UNIQUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (scorecard_id, scorecard_revision) REFERENCES scorecard_revisions(scorecard_id, revision)
);
CREATE INDEX reviews_ticket ON reviews(ticket_id, id);
CREATE INDEX reviews_agent ON reviews(agent_id, id);
CREATE INDEX reviews_reviewer ON reviews(reviewer_id, id);
CREATE INDEX reviews_created ON reviews(created_at, id);

CREATE TABLE review_comments (
    id INTEGER PRIMARY KEY,
    review_id BIGINT NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
    message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX review_comments_review ON review_comments(review_id, id);

-- Team leads and supervisors hold the new permissions, on databases made
-- before them too, where missing (an admin's later edits of these roles are
-- kept; admin is given every permission at each start).
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'qa:review'), version = version + 1
    WHERE name IN ('team_lead', 'supervisor') AND builtin
    AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'qa:review');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'coaching:write'), version = version + 1
    WHERE name IN ('team_lead', 'supervisor') AND builtin
    AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'coaching:write');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'training:manage'), version = version + 1
    WHERE name IN ('team_lead', 'supervisor') AND builtin
    AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'training:manage');

-- +goose Down
DROP TABLE review_comments;
DROP TABLE reviews;
DROP TABLE scorecard_revisions;
DROP TABLE scorecards;
