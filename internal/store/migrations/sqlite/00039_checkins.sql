-- +goose Up
-- Check-ins: a cadence per account as an RRULE (with the time it counts
-- from), the next one due (NULL without a cadence) and the due time whose
-- reminder was sent; and the check-ins held, with notes, attendees, outcome
-- and follow-up tasks (JSON text).
ALTER TABLE organizations ADD COLUMN checkin_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN checkin_from BIGINT;
ALTER TABLE organizations ADD COLUMN next_checkin_at BIGINT;
ALTER TABLE organizations ADD COLUMN checkin_reminded_at BIGINT;
CREATE INDEX organizations_next_checkin ON organizations(next_checkin_at);

CREATE TABLE checkins (
    id INTEGER PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    agent_id BIGINT REFERENCES agents(id) ON DELETE SET NULL,
    held_at BIGINT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    attendees TEXT NOT NULL DEFAULT '[]',
    outcome TEXT NOT NULL DEFAULT '',
    follow_ups TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX checkins_org ON checkins(organization_id, held_at, id);

-- +goose Down
DROP TABLE checkins;
DROP INDEX organizations_next_checkin;
ALTER TABLE organizations DROP COLUMN checkin_reminded_at;
ALTER TABLE organizations DROP COLUMN next_checkin_at;
ALTER TABLE organizations DROP COLUMN checkin_from;
ALTER TABLE organizations DROP COLUMN checkin_rule;
