-- +goose Up
-- Contacts in an account: their role there (decision_maker, champion,
-- technical, billing; '' for none), preferred language ('' follows the
-- contact's language) and channel (email, phone, chat; '' for any).
ALTER TABLE contacts ADD COLUMN account_role TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN preferred_language TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN preferred_channel TEXT NOT NULL DEFAULT '';
CREATE INDEX contacts_org_role ON contacts(organization_id, account_role);

-- Customer feedback (package account): praise, complaint or feature
-- request, with a category, the account, and where it was heard (a ticket
-- and maybe one of its messages, or a check-in).
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    ticket_id BIGINT REFERENCES tickets(id) ON DELETE SET NULL,
    message_id BIGINT REFERENCES messages(id) ON DELETE SET NULL,
    checkin_id BIGINT REFERENCES checkins(id) ON DELETE SET NULL,
    agent_id BIGINT REFERENCES agents(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX feedback_org ON feedback(organization_id, created_at, id);
CREATE INDEX feedback_created ON feedback(created_at, id);
CREATE INDEX feedback_kind ON feedback(kind, created_at, id);

-- Opportunities (package account): flagged by an agent from a ticket or a
-- check-in, or suggested by a rule over ticket text and tags; the
-- evidence is the ticket, maybe its message, and the matched phrase.
-- evidence_key makes a suggestion once per rule and ticket (NULL for
-- flagged ones).
CREATE TABLE opportunities (
    id INTEGER PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '',
    stage TEXT NOT NULL DEFAULT 'identified',
    value_minor BIGINT,
    currency TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'flagged',
    ticket_id BIGINT REFERENCES tickets(id) ON DELETE SET NULL,
    message_id BIGINT REFERENCES messages(id) ON DELETE SET NULL,
    checkin_id BIGINT REFERENCES checkins(id) ON DELETE SET NULL,
    rule_id BIGINT,
    evidence TEXT NOT NULL DEFAULT '',
    evidence_key TEXT UNIQUE,
    sales_email TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    agent_id BIGINT REFERENCES agents(id) ON DELETE SET NULL,
    outbound_id BIGINT,
    handed_off_at BIGINT,
    closed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX opportunities_org ON opportunities(organization_id, created_at, id);
CREATE INDEX opportunities_stage ON opportunities(stage, id);

-- The rules that suggest opportunities: phrases (any language, matched
-- case-insensitively) over customers' messages and subjects, and tags.
CREATE TABLE opportunity_rules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    keywords TEXT NOT NULL DEFAULT '[]',
    tags TEXT NOT NULL DEFAULT '[]',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
INSERT INTO opportunity_rules (name, kind, keywords, tags, created_at, updated_at) VALUES
 ('Seat limits', 'seats', '["more seats","additional seats","seat limit","more licenses","more users","add users","और सीटें","अधिक सीटें","सीट की सीमा","और उपयोगकर्ता","अधिक लाइसेंस"]', '["seats","licenses"]', 0, 0),
 ('Plan limits', 'plan_limit', '["plan limit","upgrade our plan","higher plan","limit reached","reached the limit","exceeded the limit","प्लान की सीमा","अपग्रेड","सीमा पार","बड़ा प्लान"]', '["upgrade","plan-limit"]', 0, 0),
 ('New teams', 'new_team', '["new team","another team","new department","another department","roll it out to","नई टीम","दूसरी टीम","नया विभाग"]', '["expansion"]', 0, 0),
 ('Feature requests', 'feature_request', '["feature request","would be great if","can you add","please add","wish you had","नई सुविधा","सुविधा का अनुरोध","क्या आप जोड़ सकते हैं"]', '["feature-request"]', 0, 0);

-- Account executives see the tickets of the accounts they own (and their
-- teams'), not every ticket; supervisors read every book. New databases
-- get this from the built-in roles; older ones are changed here.
UPDATE roles SET permissions = REPLACE(REPLACE(permissions, ',"tickets:read_all"', ''), '"tickets:read_all",', '')
WHERE name = 'account_executive' AND builtin;
UPDATE roles SET permissions = CASE WHEN permissions = '[]' THEN '["tickets:read_accounts"]'
    ELSE substr(permissions, 1, length(permissions) - 1) || ',"tickets:read_accounts"]' END
WHERE name = 'account_executive' AND builtin AND permissions NOT LIKE '%"tickets:read_accounts"%';
UPDATE roles SET permissions = CASE WHEN permissions = '[]' THEN '["accounts:read_all"]'
    ELSE substr(permissions, 1, length(permissions) - 1) || ',"accounts:read_all"]' END
WHERE name = 'supervisor' AND builtin AND permissions NOT LIKE '%"accounts:read_all"%';

-- +goose Down
DROP TABLE opportunity_rules;
DROP TABLE opportunities;
DROP TABLE feedback;
DROP INDEX contacts_org_role;
ALTER TABLE contacts DROP COLUMN preferred_channel;
ALTER TABLE contacts DROP COLUMN preferred_language;
ALTER TABLE contacts DROP COLUMN account_role;
