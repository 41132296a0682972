-- +goose Up
-- An account's timeline reads each of its kinds newest first along an index
-- of (organization, time), a page at a time, whatever the account's size.
-- Messages and the events on the timeline (escalations, SLA breaches) carry
-- their ticket's organization for that, kept by the store when a message or
-- such an event is written and when a ticket moves to another organization
-- or is merged.
ALTER TABLE messages ADD COLUMN organization_id BIGINT REFERENCES organizations(id) ON DELETE SET NULL;
ALTER TABLE events ADD COLUMN organization_id BIGINT REFERENCES organizations(id) ON DELETE SET NULL;
UPDATE messages SET organization_id = (SELECT t.organization_id FROM tickets t WHERE t.id = messages.ticket_id);
UPDATE events SET organization_id = (SELECT t.organization_id FROM tickets t WHERE t.id = events.ticket_id)
    WHERE kind IN ('ticket.escalated', 'sla.breached') AND ticket_id IS NOT NULL;
CREATE INDEX messages_org_time ON messages(organization_id, internal, created_at, id);
CREATE INDEX events_org_time ON events(organization_id, kind, created_at, id) WHERE organization_id IS NOT NULL;
CREATE INDEX tickets_org_created ON tickets(organization_id, created_at, id);
DROP INDEX nps_responses_org;
CREATE INDEX nps_responses_org ON nps_responses(organization_id, answered_at, id);

-- +goose Down
DROP INDEX nps_responses_org;
CREATE INDEX nps_responses_org ON nps_responses(organization_id, answered_at);
DROP INDEX tickets_org_created;
DROP INDEX events_org_time;
DROP INDEX messages_org_time;
ALTER TABLE events DROP COLUMN organization_id;
ALTER TABLE messages DROP COLUMN organization_id;
