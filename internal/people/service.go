package people

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

// Store persists people. Single-item reads and deletes return a desk
// ENOTFOUND error for a missing row; unique violations come back ECONFLICT.
// Writes happen inside InPeopleTx, so that a change, its events and its
// audit entries commit together or not at all. Updates write only if the row
// still has the Version they were read at, and bump it; deletes given an
// ifVersion other than 0 delete only that version; either answers ESTALE
// (with the current version) when it moved on.
type Store interface {
	InPeopleTx(ctx context.Context, fn func(Tx) error) error

	Agent(ctx context.Context, id int64) (*Agent, error)
	AgentByEmail(ctx context.Context, email string) (*Agent, error)
	AgentsByEmail(ctx context.Context, emails []string) ([]*Agent, error)
	Agents(ctx context.Context) ([]*Agent, error)
	Contact(ctx context.Context, id int64) (*Contact, error)
	Contacts(ctx context.Context, f ContactFilter) ([]*Contact, error)
	Organization(ctx context.Context, id int64) (*Organization, error)
	Organizations(ctx context.Context) ([]*Organization, error)
	Team(ctx context.Context, id int64) (*Team, error)
	Teams(ctx context.Context) ([]*Team, error)
	Role(ctx context.Context, id int64) (*Role, error)
	RoleByName(ctx context.Context, name string) (*Role, error)
	Roles(ctx context.Context) ([]*Role, error)
	// The ...Page reads return one page in id order (see desk.Page).
	AgentsPage(ctx context.Context, p desk.Page) ([]*Agent, error)
	OrganizationsPage(ctx context.Context, p desk.Page) ([]*Organization, error)
	// OrganizationsByID returns the organizations of ids that exist, in id order.
	OrganizationsByID(ctx context.Context, ids []int64) ([]*Organization, error)
	TeamsPage(ctx context.Context, p desk.Page) ([]*Team, error)
	RolesPage(ctx context.Context, p desk.Page) ([]*Role, error)
}

// Tx is the set of writes a change to people may make in one transaction.
type Tx interface {
	CreateAgent(ctx context.Context, a *Agent) error
	UpdateAgent(ctx context.Context, a *Agent) error
	CreateContact(ctx context.Context, c *Contact) error
	UpdateContact(ctx context.Context, c *Contact) error
	DeleteContact(ctx context.Context, id, ifVersion int64) error
	CreateOrganization(ctx context.Context, o *Organization) error
	UpdateOrganization(ctx context.Context, o *Organization) error
	DeleteOrganization(ctx context.Context, id, ifVersion int64) error
	CreateTeam(ctx context.Context, t *Team) error
	UpdateTeam(ctx context.Context, t *Team) error
	DeleteTeam(ctx context.Context, id, ifVersion int64) error
	CreateRole(ctx context.Context, r *Role) error
	UpdateRole(ctx context.Context, r *Role) error
	DeleteRole(ctx context.Context, id, ifVersion int64) error
	// AppendEvents inserts the events and sets their IDs.
	AppendEvents(ctx context.Context, evs []event.Event) error
	AppendAudit(ctx context.Context, entries ...audit.Entry) error
}

// ContactFilter selects contacts.
type ContactFilter struct {
	OrganizationID *int64
	Query          string // matches name or email prefix
	Limit          int
	AfterID        int64
	UpdatedSince   *time.Time
}

// Service is the one way people change.
type Service struct {
	store   Store
	clock   desk.Clock
	version atomic.Int64
}

// NewService returns a people service.
func NewService(s Store, clock desk.Clock) *Service {
	svc := &Service{clock: clock}
	svc.store = versioned{Store: s, version: &svc.version}
	return svc
}

func require(ctx context.Context, permission string) error {
	a, ok := desk.ActorFrom(ctx)
	if !ok {
		return desk.E(desk.EUNAUTHORIZED, "error.sign_in")
	}
	if !a.Can(permission) {
		return desk.E(desk.EFORBIDDEN, "error.forbidden", permission)
	}
	return nil
}

// Agent returns an agent by id.
func (s *Service) Agent(ctx context.Context, id int64) (*Agent, error) {
	if err := require(ctx, auth.AgentsRead); err != nil {
		return nil, err
	}
	return s.store.Agent(ctx, id)
}

// Agents lists every agent.
func (s *Service) Agents(ctx context.Context) ([]*Agent, error) {
	if err := require(ctx, auth.AgentsRead); err != nil {
		return nil, err
	}
	return s.store.Agents(ctx)
}

// AgentInput creates or changes an agent. Nil fields stay unchanged.
type AgentInput struct {
	Email    *string
	Name     *string
	Role     *string
	Language *string
	Active   *bool
	Password *string // already checked for strength by the caller's UI
	// KeepTokens keeps the agent's API tokens working across a password
	// change; by default a new password revokes them, as it ends sessions.
	KeepTokens bool
	// IfVersion, when not 0, applies the change only to that version.
	IfVersion int64
	// TeamIDs, when set, are the teams the agent is to be a member of
	// (needs teams:write); the teams change in the agent's transaction.
	TeamIDs *[]int64
}

// CreateAgent adds an agent. The password, if any, must be hashed by hash.
func (s *Service) CreateAgent(ctx context.Context, in AgentInput, hash func(string) (string, error)) (*Agent, error) {
	if err := require(ctx, auth.AgentsWrite); err != nil {
		return nil, err
	}
	a := &Agent{Language: "en", Active: true}
	if err := s.applyAgent(ctx, a, in, hash, true); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = s.clock.Now(), s.clock.Now()
	err := s.change(ctx, func(tx Tx, j *journal) error {
		if err := tx.CreateAgent(ctx, a); err != nil {
			return err
		}
		if err := s.placeInTeams(ctx, tx, j, a, in.TeamIDs); err != nil {
			return err
		}
		j.event(event.AgentCreated, a)
		j.audit(audit.AgentCreated, "agent", a.ID, map[string]any{"email": a.Email, "role": a.Role})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create agent: %w", err)
	}
	return a, nil
}

// UpdateAgent changes an agent.
func (s *Service) UpdateAgent(ctx context.Context, id int64, in AgentInput, hash func(string) (string, error)) (*Agent, error) {
	if err := require(ctx, auth.AgentsWrite); err != nil {
		return nil, err
	}
	var a *Agent
	err := desk.Optimistic(in.IfVersion, func() (err error) {
		if a, err = s.store.Agent(ctx, id); err != nil {
			return err
		}
		if err := desk.CheckVersion(in.IfVersion, a.Version); err != nil {
			return err
		}
		// Changing an agent who holds more (a password, say) would lend it all.
		if err := s.grantableRole(ctx, a.RoleID); err != nil {
			return err
		}
		before := *a
		if err := s.applyAgent(ctx, a, in, hash, false); err != nil {
			return err
		}
		a.UpdatedAt = s.clock.Now()
		return s.change(ctx, func(tx Tx, j *journal) error {
			if err := tx.UpdateAgent(ctx, a); err != nil {
				return err
			}
			if err := s.placeInTeams(ctx, tx, j, a, in.TeamIDs); err != nil {
				return err
			}
			agentChanged(j, &before, a)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("update agent %d: %w", id, err)
	}
	return a, nil
}

// placeInTeams makes the agent a member of exactly the teams (nil: leaves
// memberships alone), writing each team that changes with its event. A team's
// lead stays its member.
func (s *Service) placeInTeams(ctx context.Context, tx Tx, j *journal, a *Agent, ids *[]int64) error {
	if ids == nil {
		return nil
	}
	if err := require(ctx, auth.TeamsWrite); err != nil {
		return err
	}
	teams, err := s.store.Teams(ctx)
	if err != nil {
		return err
	}
	for _, id := range *ids {
		if !slices.ContainsFunc(teams, func(t *Team) bool { return t.ID == id }) {
			return desk.Invalid(desk.Fields{"team_ids": desk.M("invalid.no_team")})
		}
	}
	a.TeamIDs = []int64{}
	for _, t := range teams {
		want, has := slices.Contains(*ids, t.ID), slices.Contains(t.MemberIDs, a.ID)
		switch {
		case want && !has:
			t.MemberIDs = append(t.MemberIDs, a.ID)
			slices.Sort(t.MemberIDs)
		case !want && has && t.LeadID != nil && *t.LeadID == a.ID:
			return desk.Invalid(desk.Fields{"team_ids": desk.M("ticketpage.invalid_lead_leaves_team", t.Name)})
		case !want && has:
			t.MemberIDs = slices.DeleteFunc(t.MemberIDs, func(m int64) bool { return m == a.ID })
		}
		if want {
			a.TeamIDs = append(a.TeamIDs, t.ID)
		}
		if want == has {
			continue
		}
		t.UpdatedAt = s.clock.Now()
		if err := tx.UpdateTeam(ctx, t); err != nil {
			return err
		}
		j.event(event.TeamUpdated, t)
	}
	return nil
}

// agentChanged records an agent's change: one event, and an audit entry
// for each kind of change an auditor asks about.
func agentChanged(j *journal, old, a *Agent) {
	if old.Active && !a.Active {
		j.event(event.AgentDeactivated, a)
		j.audit(audit.AgentDeactivate, "agent", a.ID, nil)
	} else {
		j.event(event.AgentUpdated, a)
	}
	if !old.Active && a.Active {
		j.audit(audit.AgentReactivate, "agent", a.ID, nil)
	}
	if old.RoleID != a.RoleID {
		j.audit(audit.AgentRole, "agent", a.ID, map[string]any{"old": old.Role, "new": a.Role})
	}
	if old.PasswordHash != a.PasswordHash {
		j.audit(audit.PasswordChanged, "agent", a.ID, nil)
	}
	changed := []string{}
	for _, f := range []struct {
		name     string
		old, new string
	}{{"email", old.Email, a.Email}, {"name", old.Name, a.Name}, {"language", old.Language, a.Language}} {
		if f.old != f.new {
			changed = append(changed, f.name)
		}
	}
	if len(changed) > 0 {
		j.audit(audit.AgentUpdated, "agent", a.ID, map[string]any{"fields": changed})
	}
}

// SetOwnLanguage lets any signed-in agent choose their language.
func (s *Service) SetOwnLanguage(ctx context.Context, lang string) error {
	me, ok := desk.ActorFrom(ctx)
	if !ok || me.Kind != desk.ActorAgent {
		return desk.E(desk.EUNAUTHORIZED, "error.sign_in")
	}
	if !validLanguage(lang) {
		return desk.Invalid(desk.Fields{"language": desk.M("invalid.language")})
	}
	return desk.Optimistic(0, func() error {
		a, err := s.store.Agent(ctx, me.ID)
		if err != nil {
			return err
		}
		a.Language, a.UpdatedAt = lang, s.clock.Now()
		return s.change(ctx, func(tx Tx, j *journal) error {
			j.event(event.AgentUpdated, a)
			return tx.UpdateAgent(ctx, a)
		})
	})
}

func (s *Service) applyAgent(ctx context.Context, a *Agent, in AgentInput, hash func(string) (string, error), creating bool) error {
	errs := desk.Fields{}
	if in.Email != nil || creating {
		e, err := NormalizeEmail(deref(in.Email))
		if err != nil {
			errs["email"] = desk.M("invalid.email")
		}
		a.Email = e
	}
	if in.Name != nil || creating {
		n, msg := CleanName(deref(in.Name), 200)
		if msg.Key != "" {
			errs["name"] = msg
		}
		a.Name = n
	}
	if in.Role != nil || creating {
		r, err := s.store.RoleByName(ctx, deref(in.Role))
		switch {
		case desk.ErrorCode(err) == desk.ENOTFOUND:
			errs["role"] = desk.M("invalid.no_role")
		case err != nil:
			return err
		default:
			if err := grantable(ctx, r.Permissions); err != nil {
				return err
			}
			a.RoleID, a.Role = r.ID, r.Name
		}
	}
	if in.Language != nil {
		if !validLanguage(*in.Language) {
			errs["language"] = desk.M("invalid.language")
		}
		a.Language = *in.Language
	}
	if in.Active != nil {
		if me, _ := desk.ActorFrom(ctx); me.ID == a.ID && !*in.Active {
			errs["active"] = desk.M("invalid.self_deactivate")
		}
		if a.Active && !*in.Active && !creating {
			// For good: reactivating the agent revives none of them.
			a.CredentialsValidFrom = s.clock.Now()
		}
		a.Active = *in.Active
	}
	if in.Password != nil {
		if len([]rune(*in.Password)) < MinPassword {
			errs["password"] = desk.M("invalid.password_short", MinPassword)
		} else {
			h, err := hash(*in.Password)
			if err != nil {
				return err
			}
			a.PasswordHash, a.PasswordChangedAt = h, s.clock.Now()
			if !in.KeepTokens && !creating {
				a.TokensValidFrom = a.PasswordChangedAt
			}
		}
	}
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	return nil
}

// grantable refuses permissions the acting user does not hold: whoever may
// manage agents or roles could otherwise make themselves admin.
func grantable(ctx context.Context, permissions []string) error {
	me, _ := desk.ActorFrom(ctx)
	for _, p := range permissions {
		if !me.Can(p) {
			return desk.E(desk.EFORBIDDEN, "error.cannot_grant", p)
		}
	}
	return nil
}

// notAbove refuses to let anyone change or delete a role that holds a
// permission they lack: taking permissions from those above is as much
// beyond one's reach as granting them.
func notAbove(ctx context.Context, r *Role) error {
	me, _ := desk.ActorFrom(ctx)
	for _, p := range r.Permissions {
		if !me.Can(p) {
			return desk.E(desk.EFORBIDDEN, "error.role_above", p)
		}
	}
	return nil
}

func (s *Service) grantableRole(ctx context.Context, roleID int64) error {
	r, err := s.store.Role(ctx, roleID)
	if err != nil {
		return err
	}
	return grantable(ctx, r.Permissions)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Roles lists the roles.
func (s *Service) Roles(ctx context.Context) ([]*Role, error) {
	if err := require(ctx, auth.RolesRead); err != nil {
		return nil, err
	}
	return s.store.Roles(ctx)
}

// RolesPage returns a page of roles in id order.
func (s *Service) RolesPage(ctx context.Context, p desk.Page) ([]*Role, error) {
	if err := require(ctx, auth.RolesRead); err != nil {
		return nil, err
	}
	return s.store.RolesPage(ctx, p)
}

// AgentsPage returns a page of agents in id order.
func (s *Service) AgentsPage(ctx context.Context, p desk.Page) ([]*Agent, error) {
	if err := require(ctx, auth.AgentsRead); err != nil {
		return nil, err
	}
	return s.store.AgentsPage(ctx, p)
}

// Role returns one role.
func (s *Service) Role(ctx context.Context, id int64) (*Role, error) {
	if err := require(ctx, auth.RolesRead); err != nil {
		return nil, err
	}
	return s.store.Role(ctx, id)
}

func (s *Service) checkRole(r *Role) error {
	errs := desk.Fields{}
	if !roleNameOK(r.Name) {
		errs["name"] = desk.M("invalid.snake_name")
	}
	for _, p := range r.Permissions {
		if !auth.Known(p) {
			errs["permissions"] = desk.M("invalid.not_permission", p)
		}
	}
	slices.Sort(r.Permissions)
	r.Permissions = slices.Compact(r.Permissions)
	if r.Permissions == nil {
		r.Permissions = []string{}
	}
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	return nil
}

func roleNameOK(n string) bool {
	if n == "" || len(n) > 40 {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// CreateRole adds a custom role.
func (s *Service) CreateRole(ctx context.Context, r Role) (*Role, error) {
	if err := require(ctx, auth.RolesWrite); err != nil {
		return nil, err
	}
	r.Builtin = false
	if err := s.checkRole(&r); err != nil {
		return nil, err
	}
	if err := grantable(ctx, r.Permissions); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = s.clock.Now(), s.clock.Now()
	err := s.change(ctx, func(tx Tx, j *journal) error {
		if err := tx.CreateRole(ctx, &r); err != nil {
			return err
		}
		j.audit(audit.RoleCreated, "role", r.ID, map[string]any{"name": r.Name, "permissions": r.Permissions})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create role: %w", err)
	}
	return &r, nil
}

// UpdateRole changes a custom role; built-in roles keep their name.
// ifVersion, when not 0, is the version the change applies to.
func (s *Service) UpdateRole(ctx context.Context, id, ifVersion int64, fn func(*Role)) (*Role, error) {
	if err := require(ctx, auth.RolesWrite); err != nil {
		return nil, err
	}
	var r *Role
	err := desk.Optimistic(ifVersion, func() (err error) {
		if r, err = s.store.Role(ctx, id); err != nil {
			return err
		}
		if err := desk.CheckVersion(ifVersion, r.Version); err != nil {
			return err
		}
		if err := notAbove(ctx, r); err != nil {
			return err
		}
		name, builtin, oldPerms := r.Name, r.Builtin, slices.Clone(r.Permissions)
		fn(r)
		r.Builtin = builtin
		if builtin && r.Name != name {
			return desk.Invalid(desk.Fields{"name": desk.M("invalid.builtin_role_name")})
		}
		if builtin && name == "admin" {
			return desk.E(desk.EUNPROCESSABLE, "error.admin_role_all")
		}
		if err := s.checkRole(r); err != nil {
			return err
		}
		if err := grantable(ctx, r.Permissions); err != nil {
			return err
		}
		r.UpdatedAt = s.clock.Now()
		return s.change(ctx, func(tx Tx, j *journal) error {
			j.audit(audit.RoleUpdated, "role", r.ID, map[string]any{"name": r.Name, "old_name": name,
				"granted": missing(r.Permissions, oldPerms), "revoked": missing(oldPerms, r.Permissions)})
			return tx.UpdateRole(ctx, r)
		})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// missing returns the permissions of a that b lacks.
func missing(a, b []string) []string {
	out := []string{}
	for _, p := range a {
		if !slices.Contains(b, p) {
			out = append(out, p)
		}
	}
	return out
}

// DeleteRole removes a custom role no agent holds; ifVersion, when not 0,
// is the version it must have.
func (s *Service) DeleteRole(ctx context.Context, id, ifVersion int64) error {
	if err := require(ctx, auth.RolesWrite); err != nil {
		return err
	}
	r, err := s.store.Role(ctx, id)
	if err != nil {
		return err
	}
	if err := notAbove(ctx, r); err != nil {
		return err
	}
	if r.Builtin {
		return desk.E(desk.EUNPROCESSABLE, "error.builtin_role_delete")
	}
	return s.change(ctx, func(tx Tx, j *journal) error {
		j.audit(audit.RoleDeleted, "role", id, map[string]any{"name": r.Name})
		return tx.DeleteRole(ctx, id, ifVersion)
	})
}

func cleanDomains(in []string) ([]string, desk.Msg) {
	out := []string{}
	for _, d := range in {
		nd, err := NormalizeDomain(d)
		if err != nil {
			return nil, desk.M("invalid.not_domain", strings.TrimSpace(d))
		}
		if !slices.Contains(out, nd) {
			out = append(out, nd)
		}
	}
	return out, desk.Msg{}
}
