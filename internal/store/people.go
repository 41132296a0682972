package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

var _ people.Store = (*DB)(nil)
var _ ticket.Directory = (*DB)(nil)

const agentColumns = `a.id, a.email, a.name, a.role_id, r.name, a.language, a.active, a.password_hash,
	a.password_changed_at, a.credentials_valid_from, a.tokens_valid_from, a.failed_logins, a.locked_until, a.created_at, a.updated_at, a.version
	FROM agents a JOIN roles r ON r.id = a.role_id`

func (db *DB) scanAgents(ctx context.Context, where string, args ...any) ([]*people.Agent, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+agentColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("agents: %w", err)
	}
	defer rows.Close()
	out := []*people.Agent{}
	byID := map[int64]*people.Agent{}
	for rows.Next() {
		var a people.Agent
		var pwChanged, credsFrom, tokensFrom, locked, c, u int64
		if err := rows.Scan(&a.ID, &a.Email, &a.Name, &a.RoleID, &a.Role, &a.Language, &a.Active, &a.PasswordHash,
			&pwChanged, &credsFrom, &tokensFrom, &a.FailedLogins, &locked, &c, &u, &a.Version); err != nil {
			return nil, fmt.Errorf("agents: %w", err)
		}
		a.PasswordChangedAt, a.LockedUntil = fromMicros(pwChanged), fromMicros(locked)
		a.CredentialsValidFrom, a.TokensValidFrom = fromMicros(credsFrom), fromMicros(tokensFrom)
		a.CreatedAt, a.UpdatedAt = fromMicros(c), fromMicros(u)
		a.TeamIDs = []int64{}
		out = append(out, &a)
		byID[a.ID] = &a
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rows.Close()
	// Only the memberships of the agents read (a page reads a page's).
	lo, hi := idRange(out, func(a *people.Agent) int64 { return a.ID })
	q, margs := `SELECT agent_id, team_id FROM team_members WHERE agent_id BETWEEN $1 AND $2 ORDER BY team_id`, []any{lo, hi}
	mrows, err := db.read.QueryContext(ctx, q, margs...)
	if err != nil {
		return nil, fmt.Errorf("agent teams: %w", err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var aid, tid int64
		if err := mrows.Scan(&aid, &tid); err != nil {
			return nil, fmt.Errorf("agent teams: %w", err)
		}
		if a := byID[aid]; a != nil {
			a.TeamIDs = append(a.TeamIDs, tid)
		}
	}
	return out, mrows.Err()
}

func one[T any](list []*T, err error, m desk.Msg) (*T, error) {
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, &desk.Error{Code: desk.ENOTFOUND, Msg: m}
	}
	return list[0], nil
}

// Agent returns an agent with its teams.
func (db *DB) Agent(ctx context.Context, id int64) (*people.Agent, error) {
	list, err := db.scanAgents(ctx, `WHERE a.id = $1`, id)
	return one(list, err, desk.M("error.agent_not_found", id))
}

// AgentByEmail returns the agent with the (normalized) email.
func (db *DB) AgentByEmail(ctx context.Context, email string) (*people.Agent, error) {
	list, err := db.scanAgents(ctx, `WHERE a.email = $1`, strings.ToLower(email))
	return one(list, err, desk.M("error.agent_email_not_found", email))
}

// AgentsByEmail returns the agents with any of the emails.
func (db *DB) AgentsByEmail(ctx context.Context, emails []string) ([]*people.Agent, error) {
	var out []*people.Agent
	for _, e := range emails {
		a, err := db.AgentByEmail(ctx, e)
		if desk.ErrorCode(err) == desk.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Agents returns every agent by name.
func (db *DB) Agents(ctx context.Context) ([]*people.Agent, error) {
	return db.scanAgents(ctx, `ORDER BY a.name, a.id`)
}

// InPeopleTx runs fn in one write transaction: a change to people commits
// together with its events and audit entries, or not at all.
func (db *DB) InPeopleTx(ctx context.Context, fn func(people.Tx) error) error {
	return db.inTx(ctx, func(tx *txn) error { return fn(&peopleTx{db: db, tx: tx}) })
}

type peopleTx struct {
	db *DB
	tx *txn
}

func (x *peopleTx) AppendEvents(ctx context.Context, evs []event.Event) error {
	return x.db.appendEvents(ctx, x.tx, evs)
}

func (x *peopleTx) AppendAudit(ctx context.Context, entries ...audit.Entry) error {
	return appendAudit(ctx, x.tx, entries)
}

// CreateAgent inserts an agent.
func (x *peopleTx) CreateAgent(ctx context.Context, a *people.Agent) error {
	err := x.tx.QueryRowContext(ctx, `INSERT INTO agents (email, name, role_id, password_hash, password_changed_at,
		language, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		a.Email, a.Name, a.RoleID, a.PasswordHash, micros(a.PasswordChangedAt), a.Language, a.Active, micros(a.CreatedAt),
		micros(a.UpdatedAt)).Scan(&a.ID)
	a.Version = 1
	if a.TeamIDs == nil {
		a.TeamIDs = []int64{}
	}
	return err
}

// UpdateAgent writes an agent's changeable columns if it is still at
// a.Version, and bumps it.
func (x *peopleTx) UpdateAgent(ctx context.Context, a *people.Agent) error {
	res, err := x.tx.ExecContext(ctx, `UPDATE agents SET email = $2, name = $3, role_id = $4, password_hash = $5, language = $6,
		active = $7, failed_logins = $8, locked_until = $9, updated_at = $10, password_changed_at = $11,
		credentials_valid_from = $12, tokens_valid_from = $13, version = version + 1 WHERE id = $1 AND version = $14`,
		a.ID, a.Email, a.Name, a.RoleID, a.PasswordHash, a.Language, a.Active, a.FailedLogins, micros(a.LockedUntil),
		micros(a.UpdatedAt), micros(a.PasswordChangedAt), micros(a.CredentialsValidFrom), micros(a.TokensValidFrom), a.Version)
	return bumped(&a.Version, versioned(ctx, x.tx, res, err, "agents", a.ID, desk.M("error.agent_not_found", a.ID)))
}

const contactColumns = `id, name, phone, language, organization_id, account_role, preferred_language, preferred_channel,
	created_at, updated_at, version FROM contacts`

func (db *DB) scanContacts(ctx context.Context, q querier, where string, args ...any) ([]*people.Contact, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+contactColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	defer rows.Close()
	out := []*people.Contact{}
	for rows.Next() {
		var c people.Contact
		var org sql.NullInt64
		var cr, up int64
		if err := rows.Scan(&c.ID, &c.Name, &c.Phone, &c.Language, &org, &c.AccountRole, &c.PreferredLanguage,
			&c.PreferredChannel, &cr, &up, &c.Version); err != nil {
			return nil, fmt.Errorf("contacts: %w", err)
		}
		c.OrganizationID, c.CreatedAt, c.UpdatedAt = fromNullID(org), fromMicros(cr), fromMicros(up)
		c.Emails = []string{}
		out = append(out, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for _, c := range out {
		erows, err := q.QueryContext(ctx, `SELECT email FROM contact_emails WHERE contact_id = $1 ORDER BY position, email`, c.ID)
		if err != nil {
			return nil, fmt.Errorf("contact %d emails: %w", c.ID, err)
		}
		for erows.Next() {
			var e string
			if err := erows.Scan(&e); err != nil {
				erows.Close()
				return nil, err
			}
			c.Emails = append(c.Emails, e)
		}
		erows.Close()
	}
	return out, nil
}

func contactByEmail(ctx context.Context, tx *txn, email string) (*people.Contact, error) {
	var c people.Contact
	var org sql.NullInt64
	var cr, up int64
	err := tx.QueryRowContext(ctx, `SELECT c.id, c.name, c.phone, c.language, c.organization_id, c.account_role,
		c.preferred_language, c.preferred_channel, c.created_at, c.updated_at, c.version
		FROM contact_emails e JOIN contacts c ON c.id = e.contact_id WHERE e.email = $1`, email).
		Scan(&c.ID, &c.Name, &c.Phone, &c.Language, &org, &c.AccountRole, &c.PreferredLanguage, &c.PreferredChannel,
			&cr, &up, &c.Version)
	if err != nil {
		return nil, notFound(err, desk.M("error.contact_email_not_found", email))
	}
	c.OrganizationID, c.CreatedAt, c.UpdatedAt = fromNullID(org), fromMicros(cr), fromMicros(up)
	c.Emails = []string{email}
	return &c, nil
}

func insertContact(ctx context.Context, tx *txn, c *people.Contact) error {
	primary := ""
	if len(c.Emails) > 0 {
		primary = c.Emails[0]
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO contacts (name, email, phone, language, organization_id, account_role,
		preferred_language, preferred_channel, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`, c.Name, primary, c.Phone, c.Language,
		nullID(c.OrganizationID), c.AccountRole, c.PreferredLanguage, c.PreferredChannel,
		micros(c.CreatedAt), micros(c.UpdatedAt)).Scan(&c.ID); err != nil {
		return fmt.Errorf("insert contact: %w", err)
	}
	c.Version = 1
	return insertContactEmails(ctx, tx, c)
}

func insertContactEmails(ctx context.Context, tx *txn, c *people.Contact) error {
	for i, e := range c.Emails {
		if _, err := tx.ExecContext(ctx, `INSERT INTO contact_emails (email, contact_id, position) VALUES ($1, $2, $3)`,
			e, c.ID, i); err != nil {
			return fmt.Errorf("contact email %s: %w", e, err)
		}
	}
	return nil
}

// Contact returns a contact with its emails.
func (db *DB) Contact(ctx context.Context, id int64) (*people.Contact, error) {
	list, err := db.scanContacts(ctx, db.read, `WHERE id = $1`, id)
	return one(list, err, desk.M("error.contact_not_found", id))
}

// Contacts lists contacts by id.
func (db *DB) Contacts(ctx context.Context, f people.ContactFilter) ([]*people.Contact, error) {
	where := []string{"id > $1"}
	args := []any{f.AfterID}
	if f.OrganizationID != nil {
		args = append(args, *f.OrganizationID)
		where = append(where, fmt.Sprintf("organization_id = $%d", len(args)))
	}
	if f.UpdatedSince != nil {
		args = append(args, micros(*f.UpdatedSince))
		where = append(where, fmt.Sprintf("updated_at >= $%d", len(args)))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		args = append(args, likePrefix(strings.ToLower(q)))
		n := len(args)
		where = append(where, fmt.Sprintf(`(LOWER(name) LIKE $%d ESCAPE '\' OR id IN (SELECT contact_id FROM contact_emails WHERE email LIKE $%d ESCAPE '\'))`, n, n))
	}
	args = append(args, f.Limit)
	return db.scanContacts(ctx, db.read, `WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY id LIMIT $%d`, len(args)), args...)
}

// likePrefix is a LIKE pattern matching text that begins with s: the
// pattern characters in s (and the escape character) stand for themselves.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// CreateContact inserts a contact and its emails; a taken email is ECONFLICT.
// With no organization, the first email's domain picks one.
func (x *peopleTx) CreateContact(ctx context.Context, c *people.Contact) error {
	if c.OrganizationID == nil && len(c.Emails) > 0 {
		var org sql.NullInt64
		err := x.tx.QueryRowContext(ctx, `SELECT organization_id FROM organization_domains WHERE domain = $1`,
			people.EmailDomain(c.Emails[0])).Scan(&org)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		c.OrganizationID = fromNullID(org)
	}
	return insertContact(ctx, x.tx, c)
}

// UpdateContact writes a contact still at c.Version, bumps it, and replaces
// its emails.
func (x *peopleTx) UpdateContact(ctx context.Context, c *people.Contact) error {
	res, err := x.tx.ExecContext(ctx, `UPDATE contacts SET name = $2, email = $3, phone = $4, language = $5,
		organization_id = $6, updated_at = $7, account_role = $9, preferred_language = $10, preferred_channel = $11,
		version = version + 1 WHERE id = $1 AND version = $8`,
		c.ID, c.Name, c.Email(), c.Phone, c.Language, nullID(c.OrganizationID), micros(c.UpdatedAt), c.Version,
		c.AccountRole, c.PreferredLanguage, c.PreferredChannel)
	if err := bumped(&c.Version, versioned(ctx, x.tx, res, err, "contacts", c.ID, desk.M("error.contact_not_found", c.ID))); err != nil {
		return err
	}
	if _, err := x.tx.ExecContext(ctx, `DELETE FROM contact_emails WHERE contact_id = $1`, c.ID); err != nil {
		return err
	}
	return insertContactEmails(ctx, x.tx, c)
}

// DeleteContact removes a contact at ifVersion (0: any); one who requested
// tickets is ECONFLICT.
func (x *peopleTx) DeleteContact(ctx context.Context, id, ifVersion int64) error {
	return x.deleteVersioned(ctx, "contacts", id, ifVersion, desk.M("error.contact_not_found", id))
}

// deleteVersioned deletes the row id of table (a literal of this package),
// if it is at ifVersion (0: any).
func (x *peopleTx) deleteVersioned(ctx context.Context, table string, id, ifVersion int64, missing desk.Msg) error {
	q, args := withVersion(`DELETE FROM `+table+` WHERE id = $1`, id, ifVersion)
	res, err := x.tx.ExecContext(ctx, q, args...)
	return versioned(ctx, x.tx, res, err, table, id, missing)
}

func (db *DB) scanOrganizations(ctx context.Context, where string, args ...any) ([]*people.Organization, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, notes, created_at, updated_at, version, portal_shares_tickets FROM organizations `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("organizations: %w", err)
	}
	defer rows.Close()
	out := []*people.Organization{}
	byID := map[int64]*people.Organization{}
	for rows.Next() {
		var o people.Organization
		var c, u int64
		if err := rows.Scan(&o.ID, &o.Name, &o.Notes, &c, &u, &o.Version, &o.PortalSharesTickets); err != nil {
			return nil, fmt.Errorf("organizations: %w", err)
		}
		o.CreatedAt, o.UpdatedAt, o.Domains = fromMicros(c), fromMicros(u), []string{}
		out = append(out, &o)
		byID[o.ID] = &o
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rows.Close()
	lo, hi := idRange(out, func(o *people.Organization) int64 { return o.ID })
	drows, err := db.read.QueryContext(ctx, `SELECT organization_id, domain FROM organization_domains
		WHERE organization_id BETWEEN $1 AND $2 ORDER BY domain`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("organization domains: %w", err)
	}
	defer drows.Close()
	for drows.Next() {
		var id int64
		var d string
		if err := drows.Scan(&id, &d); err != nil {
			return nil, err
		}
		if o := byID[id]; o != nil {
			o.Domains = append(o.Domains, d)
		}
	}
	return out, drows.Err()
}

// Organization returns an organization with its domains.
func (db *DB) Organization(ctx context.Context, id int64) (*people.Organization, error) {
	list, err := db.scanOrganizations(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("error.organization_not_found", id))
}

// OrganizationsByID returns the organizations of ids that exist, in id order.
func (db *DB) OrganizationsByID(ctx context.Context, ids []int64) ([]*people.Organization, error) {
	var args []any
	return db.scanOrganizations(ctx, `WHERE id IN (`+inList(&args, ids)+`) ORDER BY id`, args...)
}

// Organizations lists organizations by name.
func (db *DB) Organizations(ctx context.Context) ([]*people.Organization, error) {
	return db.scanOrganizations(ctx, `ORDER BY name, id`)
}

func writeDomains(ctx context.Context, tx *txn, o *people.Organization) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM organization_domains WHERE organization_id = $1`, o.ID); err != nil {
		return err
	}
	for _, d := range o.Domains {
		if _, err := tx.ExecContext(ctx, `INSERT INTO organization_domains (domain, organization_id) VALUES ($1, $2)`, d, o.ID); err != nil {
			return fmt.Errorf("domain %s: %w", d, err)
		}
	}
	return nil
}

// CreateOrganization inserts an organization; a domain owned elsewhere is ECONFLICT.
func (x *peopleTx) CreateOrganization(ctx context.Context, o *people.Organization) error {
	if err := x.tx.QueryRowContext(ctx, `INSERT INTO organizations (name, notes, created_at, updated_at, portal_shares_tickets)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, o.Name, o.Notes, micros(o.CreatedAt), micros(o.UpdatedAt), o.PortalSharesTickets).Scan(&o.ID); err != nil {
		return err
	}
	o.Version = 1
	return writeDomains(ctx, x.tx, o)
}

// UpdateOrganization writes an organization still at o.Version, bumps it,
// and writes its domains.
func (x *peopleTx) UpdateOrganization(ctx context.Context, o *people.Organization) error {
	res, err := x.tx.ExecContext(ctx, `UPDATE organizations SET name = $2, notes = $3, updated_at = $4,
		version = version + 1, portal_shares_tickets = $6 WHERE id = $1 AND version = $5`, o.ID, o.Name, o.Notes,
		micros(o.UpdatedAt), o.Version, o.PortalSharesTickets)
	err = versioned(ctx, x.tx, res, err, "organizations", o.ID, desk.M("error.organization_not_found", o.ID))
	if err := bumped(&o.Version, err); err != nil {
		return err
	}
	return writeDomains(ctx, x.tx, o)
}

// DeleteOrganization removes an organization no ticket points to.
func (x *peopleTx) DeleteOrganization(ctx context.Context, id, ifVersion int64) error {
	return x.deleteUnreferenced(ctx, "organizations", "organization_id", id, ifVersion,
		desk.M("error.organization_not_found", id), desk.E(desk.ECONFLICT, "error.organization_has_tickets", id))
}

// deleteUnreferenced deletes a row of table (a literal of this package)
// unless a ticket's column refers to it. The foreign key would otherwise
// clear the tickets' reference without an event (and an unrouted ticket is
// visible to every agent); tickets change only with one.
func (x *peopleTx) deleteUnreferenced(ctx context.Context, table, ticketColumn string, id, ifVersion int64, missing desk.Msg, inUse error) error {
	q, args := withVersion(`DELETE FROM `+table+` WHERE id = $1
		AND NOT EXISTS (SELECT 1 FROM tickets WHERE `+ticketColumn+` = $1)`, id, ifVersion)
	res, err := x.tx.ExecContext(ctx, q, args...)
	err = versioned(ctx, x.tx, res, err, table, id, missing)
	// The row is there and was not deleted: unless its version moved on, a
	// ticket refers to it.
	if v, stale := desk.StaleVersion(err); stale && (ifVersion == 0 || v == ifVersion) {
		return inUse
	}
	return err
}

func (db *DB) scanTeams(ctx context.Context, where string, args ...any) ([]*people.Team, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, tier, lead_id, created_at, updated_at, version FROM teams `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	defer rows.Close()
	out := []*people.Team{}
	byID := map[int64]*people.Team{}
	for rows.Next() {
		var t people.Team
		var lead sql.NullInt64
		var c, u int64
		if err := rows.Scan(&t.ID, &t.Name, &t.Tier, &lead, &c, &u, &t.Version); err != nil {
			return nil, fmt.Errorf("teams: %w", err)
		}
		t.LeadID, t.CreatedAt, t.UpdatedAt, t.MemberIDs = fromNullID(lead), fromMicros(c), fromMicros(u), []int64{}
		out = append(out, &t)
		byID[t.ID] = &t
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rows.Close()
	lo, hi := idRange(out, func(t *people.Team) int64 { return t.ID })
	mrows, err := db.read.QueryContext(ctx, `SELECT team_id, agent_id FROM team_members
		WHERE team_id BETWEEN $1 AND $2 ORDER BY agent_id`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("team members: %w", err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var tid, aid int64
		if err := mrows.Scan(&tid, &aid); err != nil {
			return nil, err
		}
		if t := byID[tid]; t != nil {
			t.MemberIDs = append(t.MemberIDs, aid)
		}
	}
	return out, mrows.Err()
}

// Team returns a team with its members.
func (db *DB) Team(ctx context.Context, id int64) (*people.Team, error) {
	list, err := db.scanTeams(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("error.team_not_found", id))
}

// Teams lists teams by tier and name.
func (db *DB) Teams(ctx context.Context) ([]*people.Team, error) {
	return db.scanTeams(ctx, `ORDER BY tier, name`)
}

func writeMembers(ctx context.Context, tx *txn, t *people.Team) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = $1`, t.ID); err != nil {
		return err
	}
	for _, id := range t.MemberIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO team_members (team_id, agent_id) VALUES ($1, $2)`, t.ID, id); err != nil {
			return fmt.Errorf("team member %d: %w", id, err)
		}
	}
	return nil
}

// CreateTeam inserts a team and its members.
func (x *peopleTx) CreateTeam(ctx context.Context, t *people.Team) error {
	if err := x.tx.QueryRowContext(ctx, `INSERT INTO teams (name, tier, lead_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
		RETURNING id`, t.Name, t.Tier, nullID(t.LeadID), micros(t.CreatedAt), micros(t.UpdatedAt)).Scan(&t.ID); err != nil {
		return err
	}
	t.Version = 1
	return writeMembers(ctx, x.tx, t)
}

// UpdateTeam writes a team still at t.Version, bumps it, and writes its
// members.
func (x *peopleTx) UpdateTeam(ctx context.Context, t *people.Team) error {
	res, err := x.tx.ExecContext(ctx, `UPDATE teams SET name = $2, tier = $3, lead_id = $4, updated_at = $5,
		version = version + 1 WHERE id = $1 AND version = $6`, t.ID, t.Name, t.Tier, nullID(t.LeadID), micros(t.UpdatedAt), t.Version)
	if err := bumped(&t.Version, versioned(ctx, x.tx, res, err, "teams", t.ID, desk.M("error.team_not_found", t.ID))); err != nil {
		return err
	}
	return writeMembers(ctx, x.tx, t)
}

// DeleteTeam removes a team no ticket is routed to.
func (x *peopleTx) DeleteTeam(ctx context.Context, id, ifVersion int64) error {
	return x.deleteUnreferenced(ctx, "teams", "team_id", id, ifVersion,
		desk.M("error.team_not_found", id), desk.E(desk.ECONFLICT, "error.team_has_tickets", id))
}

func (db *DB) scanRoles(ctx context.Context, where string, args ...any) ([]*people.Role, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, description, permissions, builtin, created_at, updated_at, version FROM roles `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("roles: %w", err)
	}
	defer rows.Close()
	out := []*people.Role{}
	for rows.Next() {
		var r people.Role
		var perms string
		var c, u int64
		if err := rows.Scan(&r.ID, &r.Name, &r.Description, &perms, &r.Builtin, &c, &u, &r.Version); err != nil {
			return nil, fmt.Errorf("roles: %w", err)
		}
		if err := json.Unmarshal([]byte(perms), &r.Permissions); err != nil {
			return nil, fmt.Errorf("role %s permissions: %w", r.Name, err)
		}
		r.CreatedAt, r.UpdatedAt = fromMicros(c), fromMicros(u)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// Role returns a role.
func (db *DB) Role(ctx context.Context, id int64) (*people.Role, error) {
	list, err := db.scanRoles(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("error.role_not_found", id))
}

// RoleByName returns a role by name.
func (db *DB) RoleByName(ctx context.Context, name string) (*people.Role, error) {
	list, err := db.scanRoles(ctx, `WHERE name = $1`, name)
	return one(list, err, desk.M("error.role_name_not_found", name))
}

// Roles lists roles, built-in first.
func (db *DB) Roles(ctx context.Context) ([]*people.Role, error) {
	return db.scanRoles(ctx, `ORDER BY builtin DESC, id`)
}

// CreateRole inserts a role.
func (x *peopleTx) CreateRole(ctx context.Context, r *people.Role) error {
	r.Version = 1
	return x.tx.QueryRowContext(ctx, `INSERT INTO roles (name, description, permissions, builtin, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, r.Name, r.Description, marshal(r.Permissions), r.Builtin,
		micros(r.CreatedAt), micros(r.UpdatedAt)).Scan(&r.ID)
}

// UpdateRole writes a role still at r.Version and bumps it.
func (x *peopleTx) UpdateRole(ctx context.Context, r *people.Role) error {
	res, err := x.tx.ExecContext(ctx, `UPDATE roles SET name = $2, description = $3, permissions = $4, updated_at = $5,
		version = version + 1 WHERE id = $1 AND version = $6`, r.ID, r.Name, r.Description, marshal(r.Permissions),
		micros(r.UpdatedAt), r.Version)
	return bumped(&r.Version, versioned(ctx, x.tx, res, err, "roles", r.ID, desk.M("error.role_not_found", r.ID)))
}

// DeleteRole removes a role at ifVersion (0: any) that no agent holds (else
// ECONFLICT).
func (x *peopleTx) DeleteRole(ctx context.Context, id, ifVersion int64) error {
	return x.deleteVersioned(ctx, "roles", id, ifVersion, desk.M("error.role_not_found", id))
}

// idRange is the least and greatest id of a non-empty list, which bounds
// the related rows to read with it.
func idRange[T any](list []T, id func(T) int64) (lo, hi int64) {
	lo, hi = id(list[0]), id(list[0])
	for _, x := range list {
		lo, hi = min(lo, id(x)), max(hi, id(x))
	}
	return lo, hi
}
