// Package auth owns who someone is and what they may do: the permission
// catalog and the built-in roles, argon2id passwords, API tokens (stored as a
// SHA-256 digest so a check costs microseconds), sessions and login lockout.
package auth

// Permissions, as object:action. Every route names one (or Public/SignedIn).
const (
	TicketsRead    = "tickets:read"     // read tickets in the agent's scope (own, own teams, unrouted)
	TicketsReadAll = "tickets:read_all" // read every ticket regardless of team
	// TicketsReadAccounts narrows tickets:read for account executives: the
	// tickets of the accounts one owns, one's own and one's teams' (with
	// the unrouted ones only when one is in a team).
	TicketsReadAccounts = "tickets:read_accounts"
	TicketsCreate       = "tickets:create"
	TicketsUpdate       = "tickets:update" // status, priority, type, tags, fields, assignee, team
	TicketsReply        = "tickets:reply"  // public replies
	TicketsNote         = "tickets:note"   // internal notes
	TicketsEscalate     = "tickets:escalate"
	TicketsMerge        = "tickets:merge"

	ContactsRead       = "contacts:read"
	ContactsWrite      = "contacts:write"
	OrganizationsRead  = "organizations:read"
	OrganizationsWrite = "organizations:write"
	AgentsRead         = "agents:read"
	AgentsWrite        = "agents:write"
	TeamsRead          = "teams:read"
	TeamsWrite         = "teams:write"
	RolesRead          = "roles:read"
	RolesWrite         = "roles:write"
	FieldsRead         = "fields:read"
	FieldsWrite        = "fields:write"
	TagsRead           = "tags:read"
	TagsWrite          = "tags:write"
	StatusesWrite      = "statuses:write"
	TokensWrite        = "tokens:write"      // create and revoke one's own API tokens
	WebhooksWrite      = "webhooks:write"    // see, create, change and replay outbound webhooks (they hold secrets)
	AuditRead          = "audit:read"        // read the audit log
	MailboxesRead      = "mailboxes:read"    // see mailboxes (never their passwords)
	MailboxesWrite     = "mailboxes:write"   // create, change and delete mailboxes, send mail into one by API
	SLARead            = "sla:read"          // see business hours, SLA policies and escalation rules
	SLAWrite           = "sla:write"         // change business hours, SLA policies and escalation rules
	PresenceRead       = "presence:read"     // see the team's availability and load, live
	AssignmentWrite    = "assignment:write"  // set how teams hand out tickets, and agents' skills and capacity
	AutomationsWrite   = "automations:write" // create, change, dry-run automation rules and read their log
	MacrosWrite        = "macros:write"      // create and change team and shared macros (personal ones need none)
	ReportsRead        = "reports:read"      // see one's own figures (KPIs of one's work)
	ReportsTeam        = "reports:team"      // the supervisor home; the figures of one's teams (all with reports:read_all)
	ReportsReadAll     = "reports:read_all"  // see every figure
	ReportsExport      = "reports:export"    // export reports and ticket lists (CSV, XLSX)
	AccountsManage     = "accounts:manage"   // edit any account and set its owner, tune the health weights and opportunity rules
	AccountsReadAll    = "accounts:read_all" // read every owner's book, opportunities and feedback
	QAReview           = "qa:review"         // keep scorecards, review conversations, run the review queue and calibration
	CoachingWrite      = "coaching:write"    // hold coaching sessions with agents and set their action items
	TrainingManage     = "training:manage"   // write courses and assign them to agents and teams
	NPSManage          = "nps:manage"        // run NPS campaigns and read their results
	// KBWrite: keep the knowledge base — categories, sections, articles
	// (drafts, publishing, restoring old versions, translations, images).
	// Reading needs none: public articles are public, internal ones need any
	// signed-in agent.
	KBWrite = "kb:write"
)

// Pseudo-permissions for routes that need no role permission.
const (
	Public   = "public"    // anyone, signed in or not
	SignedIn = "signed_in" // any signed-in agent
)

// All lists every permission, in the order the admin UI shows them.
var All = []string{
	TicketsRead, TicketsReadAll, TicketsReadAccounts, TicketsCreate, TicketsUpdate, TicketsReply, TicketsNote, TicketsEscalate, TicketsMerge,
	ContactsRead, ContactsWrite, OrganizationsRead, OrganizationsWrite,
	AgentsRead, AgentsWrite, TeamsRead, TeamsWrite, RolesRead, RolesWrite,
	FieldsRead, FieldsWrite, TagsRead, TagsWrite, StatusesWrite, TokensWrite, WebhooksWrite, AuditRead,
	MailboxesRead, MailboxesWrite,
	SLARead, SLAWrite,
	PresenceRead, AssignmentWrite, AutomationsWrite, MacrosWrite,
	ReportsRead, ReportsTeam, ReportsReadAll, ReportsExport,
	AccountsManage, AccountsReadAll,
	QAReview, CoachingWrite, TrainingManage,
	NPSManage,
	KBWrite,
}

// Built-in role names.
const (
	RoleAgent            = "agent"
	RoleTeamLead         = "team_lead"
	RoleSupervisor       = "supervisor"
	RoleAccountExecutive = "account_executive"
	RoleAdmin            = "admin"
)

var agentPermissions = []string{
	TicketsRead, TicketsCreate, TicketsUpdate, TicketsReply, TicketsNote, TicketsEscalate,
	ContactsRead, ContactsWrite, OrganizationsRead, AgentsRead, TeamsRead, FieldsRead, TagsRead, TokensWrite,
	ReportsRead,
}

// BuiltinRoles are created by the first migration run and cannot be deleted.
var BuiltinRoles = []struct {
	Name, Description string
	Permissions       []string
}{
	{RoleAgent, "Works the tickets of their teams", agentPermissions},
	{RoleTeamLead, "Leads a team: takes escalations, merges, manages tags",
		append(append([]string{}, agentPermissions...), TicketsReadAll, TicketsMerge, TagsWrite, SLARead, PresenceRead, MacrosWrite,
			ReportsTeam, ReportsExport, QAReview, CoachingWrite, TrainingManage, KBWrite)},
	{RoleSupervisor, "Runs the support operation",
		append(append([]string{}, agentPermissions...), TicketsReadAll, TicketsMerge, TagsWrite, OrganizationsWrite, TeamsWrite, RolesRead, SLARead, SLAWrite,
			PresenceRead, AssignmentWrite, AutomationsWrite, MacrosWrite, ReportsTeam, ReportsReadAll, ReportsExport, AccountsManage,
			AccountsReadAll, QAReview, CoachingWrite, TrainingManage, NPSManage, KBWrite)},
	{RoleAccountExecutive, "Owns customer accounts",
		[]string{TicketsRead, TicketsReadAccounts, TicketsCreate, TicketsReply, TicketsNote, ContactsRead, ContactsWrite,
			OrganizationsRead, OrganizationsWrite, AgentsRead, TeamsRead, FieldsRead, TagsRead, TokensWrite, NPSManage}},
	{RoleAdmin, "Configures everything", All},
}

// Known reports whether p is a permission of the catalog.
func Known(p string) bool {
	for _, x := range All {
		if x == p {
			return true
		}
	}
	return false
}
