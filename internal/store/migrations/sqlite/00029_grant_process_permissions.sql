-- +goose Up
-- The permissions of business hours, SLA, assignment, automations and macros
-- (00022-00026) reached the built-in roles of new databases only: roles are
-- inserted once, so a database created before them kept its older lists.
-- Grant each to the built-in role that now holds it by default, where it is
-- missing (an admin may have granted it already; running again adds nothing).
-- Admin needs none: it is given every permission at each start.
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'sla:read'), version = version + 1
    WHERE name = 'team_lead' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'sla:read');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'presence:read'), version = version + 1
    WHERE name = 'team_lead' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'presence:read');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'macros:write'), version = version + 1
    WHERE name = 'team_lead' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'macros:write');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'sla:read'), version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'sla:read');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'sla:write'), version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'sla:write');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'presence:read'), version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'presence:read');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'assignment:write'), version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'assignment:write');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'automations:write'), version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'automations:write');
UPDATE roles SET permissions = json_insert(permissions, '$[#]', 'macros:write'), version = version + 1
    WHERE name = 'supervisor' AND builtin AND NOT EXISTS (SELECT 1 FROM json_each(roles.permissions) WHERE value = 'macros:write');

-- +goose Down
-- Nothing: a permission granted here cannot be told from one an admin
-- granted, and taking it away could lock a team out.
SELECT 1;
