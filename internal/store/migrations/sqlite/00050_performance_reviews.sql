-- +goose Up
-- Performance reviews: one per agent and period, written by a lead,
-- shared, then acknowledged by the agent. facts is what was gathered for
-- the period (KPIs, QA, goals, training, coaching) as JSON, frozen when the
-- review is shared. Every write keeps the text it wrote as a revision.
CREATE TABLE performance_reviews (
    id INTEGER PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    author_id BIGINT NOT NULL REFERENCES agents(id),
    period TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    state TEXT NOT NULL,
    assessment TEXT NOT NULL DEFAULT '',
    self_assessment TEXT NOT NULL DEFAULT '',
    facts TEXT,
    shared_at BIGINT,
    acknowledged_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (agent_id, period, period_start)
);
CREATE INDEX performance_reviews_agent ON performance_reviews(agent_id, period_start);

CREATE TABLE performance_review_revisions (
    review_id BIGINT NOT NULL REFERENCES performance_reviews(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    state TEXT NOT NULL,
    assessment TEXT NOT NULL,
    self_assessment TEXT NOT NULL,
    actor_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (review_id, version)
);

-- A period's QA figures read an agent's reviews by time.
CREATE INDEX reviews_agent_created ON reviews(agent_id, created_at);

-- +goose Down
DROP INDEX reviews_agent_created;
DROP TABLE performance_review_revisions;
DROP TABLE performance_reviews;
