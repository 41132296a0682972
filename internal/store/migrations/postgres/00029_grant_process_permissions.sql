-- +goose Up
-- The permissions of business hours, SLA, assignment, automations and macros
-- (00022-00026) reached the built-in roles of new databases only: roles are
-- inserted once, so a database created before them kept its older lists.
-- Grant each to the built-in role that now holds it by default, where it is
-- missing (an admin may have granted it already; running again adds nothing).
-- Admin needs none: it is given every permission at each start.
UPDATE roles SET permissions = (permissions::jsonb || '["sla:read"]'::jsonb)::text, version = version + 1
    WHERE name = 'team_lead' AND builtin AND NOT permissions::jsonb @> '["sla:read"]'::jsonb;
UPDATE roles SET permissions = (permissions::jsonb || '["presence:read"]'::jsonb)::text, version = version + 1
    WHERE name = 'team_lead' AND builtin AND NOT permissions::jsonb @> '["presence:read"]'::jsonb;
UPDATE roles SET permissions = (permissions::jsonb || '["macros:write"]'::jsonb)::text, version = version + 1
    WHERE name = 'team_lead' AND builtin AND NOT permissions::jsonb @> '["macros:write"]'::jsonb;
UPDATE roles SET permissions = (permissions::jsonb || '["sla:read"]'::jsonb)::text, version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT permissions::jsonb @> '["sla:read"]'::jsonb;
UPDATE roles SET permissions = (permissions::jsonb || '["sla:write"]'::jsonb)::text, version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT permissions::jsonb @> '["sla:write"]'::jsonb;
UPDATE roles SET permissions = (permissions::jsonb || '["presence:read"]'::jsonb)::text, version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT permissions::jsonb @> '["presence:read"]'::jsonb;
UPDATE roles SET permissions = (permissions::jsonb || '["assignment:write"]'::jsonb)::text, version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT permissions::jsonb @> '["assignment:write"]'::jsonb;
UPDATE roles SET permissions = (permissions::jsonb || '["automations:write"]'::jsonb)::text, version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT permissions::jsonb @> '["automations:write"]'::jsonb;
UPDATE roles SET permissions = (permissions::jsonb || '["macros:write"]'::jsonb)::text, version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT permissions::jsonb @> '["macros:write"]'::jsonb;

-- +goose Down
-- Nothing: a permission granted here cannot be told from one an admin
-- granted, and taking it away could lock a team out.
SELECT 1;
