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

-- +goose Down
DROP TABLE complaint_notes;
