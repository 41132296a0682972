-- +goose Up
-- Accounts are organizations grown up (package account): an owner (an
-- account executive), tier, ARR/MRR in minor units with their currency, the
-- renewal date as YYYY-MM-DD ('' when unknown), industry, a parent account
-- and custom fields (JSON text).
ALTER TABLE organizations ADD COLUMN owner_id BIGINT REFERENCES agents(id) ON DELETE SET NULL;
ALTER TABLE organizations ADD COLUMN tier TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN arr_minor BIGINT;
ALTER TABLE organizations ADD COLUMN mrr_minor BIGINT;
ALTER TABLE organizations ADD COLUMN currency TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN renewal_on TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN industry TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN parent_id BIGINT REFERENCES organizations(id) ON DELETE SET NULL;
ALTER TABLE organizations ADD COLUMN account_fields TEXT NOT NULL DEFAULT '{}';
CREATE INDEX organizations_owner ON organizations(owner_id, id);
CREATE INDEX organizations_renewal ON organizations(renewal_on, id);
CREATE INDEX organizations_parent ON organizations(parent_id);

-- The health of an account: the score and band last worked out, and the
-- state the account consumer keeps from events (decaying counts, last
-- contact) as JSON, so that an event costs one row's update.
CREATE TABLE account_health (
    organization_id BIGINT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    score INTEGER NOT NULL,
    band TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT '{}',
    updated_at BIGINT NOT NULL
);
CREATE INDEX account_health_band ON account_health(band, organization_id);

-- One score per account and day (the last of the day), for the chart.
CREATE TABLE account_health_days (
    organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    score INTEGER NOT NULL,
    PRIMARY KEY (organization_id, day)
);

-- Settings of the accounts work (the health weights), JSON by name.
CREATE TABLE account_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Open and urgent tickets of one account are counted on this index, so the
-- count does not grow with the desk's tickets.
CREATE INDEX tickets_org_category ON tickets(organization_id, status_category, priority);

-- Supervisors manage every account (owners, weights); existing databases
-- get the permission too (new ones get it from the built-in roles).
UPDATE roles SET permissions = CASE WHEN permissions = '[]' THEN '["accounts:manage"]'
    ELSE substr(permissions, 1, length(permissions) - 1) || ',"accounts:manage"]' END
WHERE name = 'supervisor' AND permissions NOT LIKE '%"accounts:manage"%';

-- +goose Down
DROP INDEX tickets_org_category;
DROP TABLE account_settings;
DROP TABLE account_health_days;
DROP TABLE account_health;
DROP INDEX organizations_parent;
DROP INDEX organizations_renewal;
DROP INDEX organizations_owner;
ALTER TABLE organizations DROP COLUMN account_fields;
ALTER TABLE organizations DROP COLUMN parent_id;
ALTER TABLE organizations DROP COLUMN industry;
ALTER TABLE organizations DROP COLUMN renewal_on;
ALTER TABLE organizations DROP COLUMN currency;
ALTER TABLE organizations DROP COLUMN mrr_minor;
ALTER TABLE organizations DROP COLUMN arr_minor;
ALTER TABLE organizations DROP COLUMN tier;
ALTER TABLE organizations DROP COLUMN owner_id;
