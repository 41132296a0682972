-- +goose Up
-- The first answer to a POST with an Idempotency-Key, kept 24 h per caller
-- (owner: a token or an agent) and key. status 0 marks a request still
-- running; fingerprint is the SHA-256 of its method, path and body.
CREATE TABLE idempotency_keys (
    owner       TEXT   NOT NULL,
    key         TEXT   NOT NULL,
    fingerprint TEXT   NOT NULL,
    status      INTEGER NOT NULL DEFAULT 0,
    headers     TEXT   NOT NULL DEFAULT '{}',
    body        BYTEA,
    claimed_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (owner, key)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

-- API requests per caller and rate-limit window, summed over every node:
-- each node adds what it counted about once a second.
CREATE TABLE api_request_counts (
    caller       TEXT   NOT NULL,
    window_start BIGINT NOT NULL,
    requests     BIGINT NOT NULL,
    PRIMARY KEY (caller, window_start)
);
CREATE INDEX api_request_counts_window ON api_request_counts (window_start);

-- +goose Down
DROP TABLE api_request_counts;
DROP TABLE idempotency_keys;
