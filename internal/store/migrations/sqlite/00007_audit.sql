-- +goose Up
-- The audit log of admin and security actions. Rows are only ever inserted;
-- no route updates or deletes them.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    action TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id BIGINT NOT NULL DEFAULT 0,
    actor_name TEXT NOT NULL DEFAULT '',
    target_kind TEXT NOT NULL DEFAULT '',
    target_id BIGINT NOT NULL DEFAULT 0,
    address TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_created ON audit_log(created_at, id);
CREATE INDEX audit_log_actor ON audit_log(actor_id, id);
CREATE INDEX audit_log_action ON audit_log(action, id);

-- +goose Down
DROP TABLE audit_log;
