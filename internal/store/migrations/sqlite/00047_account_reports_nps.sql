-- +goose Up
-- Account reports (package accountreport): a schedule per account (off,
-- monthly, quarterly), the contact who also gets it, and the last period
-- mailed (the periodic job moves it in the transaction that queues the
-- mail, so a period goes out once whichever node runs the job).
CREATE TABLE account_report_schedules (
    organization_id BIGINT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    schedule TEXT NOT NULL DEFAULT 'off',
    contact_id BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
    last_period TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);
CREATE INDEX account_report_schedules_due ON account_report_schedules(schedule, last_period);
-- An account's report reads its tickets of a period along this index.
CREATE INDEX report_tickets_org ON report_tickets(org_id, created_at);

-- NPS campaigns (package nps): the accounts chosen, or a segment (tier,
-- industry, owner) resolved when the campaign is sent.
CREATE TABLE nps_campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    question TEXT NOT NULL,
    organization_ids TEXT NOT NULL DEFAULT '[]',
    segment_tier TEXT NOT NULL DEFAULT '',
    segment_industry TEXT NOT NULL DEFAULT '',
    segment_owner_id BIGINT,
    status TEXT NOT NULL DEFAULT 'draft',
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1
);

-- One row per contact of a campaign (UNIQUE: one survey each, however
-- often the sending job runs). The token is kept only as its digest, set
-- when the mail is queued.
CREATE TABLE nps_responses (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES nps_campaigns(id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    token_digest TEXT UNIQUE,
    language TEXT NOT NULL DEFAULT 'en',
    outbound_id BIGINT,
    score INTEGER,
    reason TEXT NOT NULL DEFAULT '',
    sent_at BIGINT,
    answered_at BIGINT,
    changeable_until BIGINT,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (campaign_id, contact_id)
);
CREATE INDEX nps_responses_unsent ON nps_responses(sent_at, id);
CREATE INDEX nps_responses_org ON nps_responses(organization_id, answered_at);

-- Supervisors and account executives run NPS campaigns, on databases made
-- before the permission too (admin is given every permission at start).
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'nps:manage'), version = version + 1
    WHERE name IN ('supervisor', 'account_executive') AND builtin
    AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'nps:manage');

-- +goose Down
DROP TABLE nps_responses;
DROP TABLE nps_campaigns;
DROP INDEX report_tickets_org;
DROP TABLE account_report_schedules;
