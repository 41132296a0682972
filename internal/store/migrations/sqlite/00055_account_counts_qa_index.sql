-- +goose Up
-- The tickets the account-health consumer counts as open (and urgent) for an
-- organization, as it last saw them: a change of one ticket moves its
-- account's counts by the difference (O(1) per event) instead of a recount
-- of the account's open tickets. A row exists only for a ticket counted.
CREATE TABLE account_open_tickets (
    ticket_id BIGINT PRIMARY KEY,
    organization_id BIGINT NOT NULL,
    urgent BOOLEAN NOT NULL
);
CREATE INDEX account_open_tickets_org ON account_open_tickets(organization_id);

-- The QA dashboard sums the buckets of a criterion (the overall score is
-- criterion "") over a span of weeks in SQL, from these indexes alone: the
-- overall score's buckets by criterion first, every criterion's by week.
CREATE INDEX qa_rollups_criterion ON qa_rollups(criterion, week, agent_id, team_id, n, total);
CREATE INDEX qa_rollups_week ON qa_rollups(week, criterion, agent_id, team_id, n, total);

-- +goose Down
DROP INDEX qa_rollups_week;
DROP INDEX qa_rollups_criterion;
DROP TABLE account_open_tickets;
