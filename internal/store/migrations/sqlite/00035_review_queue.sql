-- +goose Up
-- The review queue: a conversation (ticket and agent) is queued once, ever
-- (the unique key makes building a week again add nothing twice); an item
-- is held by one reviewer, taken by a conditional UPDATE, and settled by one
-- review (reviews.queue_item_id is unique).
CREATE TABLE review_queue (
    id INTEGER PRIMARY KEY,
    week_start BIGINT NOT NULL,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    reason TEXT NOT NULL,
    reviewer_id BIGINT REFERENCES agents(id),
    due_at BIGINT,
    review_id BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (ticket_id, agent_id)
);
CREATE INDEX review_queue_week ON review_queue(week_start, id);
CREATE INDEX review_queue_reviewer ON review_queue(reviewer_id, id);

-- The sampling rules: one row.
CREATE TABLE review_sampling (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    rules TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A week's conversations are the tickets solved in it.
CREATE INDEX tickets_solved ON tickets(solved_at);

-- +goose Down
DROP INDEX tickets_solved;
DROP TABLE review_sampling;
DROP TABLE review_queue;
