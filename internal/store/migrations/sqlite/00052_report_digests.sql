-- +goose Up
-- Digests (package digest): a report mailed daily, weekly or monthly to
-- chosen agents. last_period is the start (YYYY-MM-DD) of the last period
-- mailed; the job moves it in the transaction that queues the mails, so a
-- period goes out once however many nodes run the job.
CREATE TABLE report_digests (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    period TEXT NOT NULL,
    team_id BIGINT REFERENCES teams(id) ON DELETE CASCADE,
    created_by BIGINT NOT NULL,
    last_period TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX report_digests_due ON report_digests(period, last_period);
CREATE INDEX report_digests_team ON report_digests(team_id);
CREATE TABLE report_digest_recipients (
    digest_id BIGINT NOT NULL REFERENCES report_digests(id) ON DELETE CASCADE,
    agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    PRIMARY KEY (digest_id, agent_id)
);
CREATE INDEX report_digest_recipients_agent ON report_digest_recipients(agent_id);

-- +goose Down
DROP TABLE report_digest_recipients;
DROP TABLE report_digests;
