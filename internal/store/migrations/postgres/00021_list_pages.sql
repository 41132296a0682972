-- +goose Up
-- Keyset pages of the small lists read along an index: a ticket's links
-- seen from the other side, an agent's API tokens in id order.
CREATE INDEX ticket_links_other ON ticket_links(other_id, ticket_id, kind);
CREATE INDEX api_tokens_agent ON api_tokens(agent_id, id);

-- +goose Down
DROP INDEX api_tokens_agent;
DROP INDEX ticket_links_other;
