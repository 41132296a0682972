package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "name": a.Name, "role": a.Role,
		"permissions": a.Permissions, "team_ids": nonNil(a.TeamIDs), "language": a.Language})
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// respond writes v with status (and its ETag, for a resource), or returns
// err.
func respond(w http.ResponseWriter, status int, v any, err error) error {
	if err != nil {
		return err
	}
	setETag(w, v)
	writeJSON(w, status, v)
	return nil
}

// answerFirst answers the first item of a list (read with err) that
// matches, or notFound: single reads of short lists the services keep whole.
func answerFirst[T any](w http.ResponseWriter, list []T, err error, match func(T) bool, notFound error) error {
	if err != nil {
		return err
	}
	for _, item := range list {
		if match(item) {
			return respond(w, http.StatusOK, item, nil)
		}
	}
	return notFound
}

// locate names a created resource in the Location header of the 201.
func locate(w http.ResponseWriter, collection string, id int64) {
	w.Header().Set("Location", collection+strconv.FormatInt(id, 10))
}

func noContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// withID parses the {id} path value and calls fn with it.
func withID[T any](r *http.Request, fn func(id int64) (T, error)) (T, error) {
	id, err := pathID(r, "id")
	if err != nil {
		var zero T
		return zero, err
	}
	return fn(id)
}

// --- contacts

type contactIn struct {
	Name              *string    `json:"name"`
	Emails            *[]string  `json:"emails"`
	Email             *string    `json:"email"`
	Phone             *string    `json:"phone"`
	Language          *string    `json:"language"`
	OrganizationID    optionalID `json:"organization_id"`
	AccountRole       *string    `json:"account_role"`
	PreferredLanguage *string    `json:"preferred_language"`
	PreferredChannel  *string    `json:"preferred_channel"`
}

func (in contactIn) input() people.ContactInput {
	if in.Email != nil && in.Emails == nil {
		in.Emails = &[]string{*in.Email}
	}
	return people.ContactInput{Name: in.Name, Emails: in.Emails, Phone: in.Phone, Language: in.Language,
		OrganizationID: in.OrganizationID.ptr(), AccountRole: in.AccountRole, PreferredLanguage: in.PreferredLanguage,
		PreferredChannel: in.PreferredChannel}
}

// listContacts pages contacts by id in SQL (the one people list that grows
// with the customer base).
func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, true, "q", "organization_id")
	f := people.ContactFilter{Query: l.q.Get("q"), OrganizationID: l.id("organization_id"), Limit: l.limit + 1,
		UpdatedSince: l.since, AfterID: l.cursorID()}
	if err := l.err(); err != nil {
		return err
	}
	list, err := s.People.Contacts(r.Context(), f)
	if err != nil {
		return err
	}
	items, next := sqlPage(l, list, func(c *people.Contact) int64 { return c.ID })
	writePage(w, "contacts", items, next, nil)
	return nil
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) error {
	c, err := withID(r, func(id int64) (*people.Contact, error) { return s.People.Contact(r.Context(), id) })
	return respond(w, http.StatusOK, c, err)
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request) error {
	var in contactIn
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.People.CreateContact(r.Context(), in.input())
	if err == nil {
		locate(w, "/api/v1/contacts/", c.ID)
	}
	return respond(w, http.StatusCreated, c, err)
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request) error {
	var in contactIn
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := withPrecondition(r, func(id, v int64) (*people.Contact, error) {
		in := in.input()
		in.IfVersion = v
		return s.People.UpdateContact(r.Context(), id, in)
	})
	return respond(w, http.StatusOK, c, err)
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.People.DeleteContact(r.Context(), id, v) })
	return noContent(w, err)
}

// --- organizations

type organizationIn struct {
	Name    *string   `json:"name"`
	Domains *[]string `json:"domains"`
	Notes   *string   `json:"notes"`
	// PortalSharesTickets lets the contacts see each other's tickets on
	// the customer portal.
	PortalSharesTickets *bool `json:"portal_shares_tickets"`
}

func (in organizationIn) input() people.OrganizationInput {
	return people.OrganizationInput{Name: in.Name, Domains: in.Domains, Notes: in.Notes,
		PortalSharesTickets: in.PortalSharesTickets}
}

func (s *Server) deleteOrganization(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.People.DeleteOrganization(r.Context(), id, v) })
	return noContent(w, err)
}

// --- agents

type agentIn struct {
	Email    *string `json:"email"`
	Name     *string `json:"name"`
	Role     *string `json:"role"`
	Language *string `json:"language"`
	Active   *bool   `json:"active"`
	Password *string `json:"password"`
	// RevokeTokens (default true) ends the agent's API tokens along with
	// their sessions when the password changes.
	RevokeTokens *bool `json:"revoke_tokens"`
}

func (in agentIn) input() people.AgentInput {
	return people.AgentInput{Email: in.Email, Name: in.Name, Role: in.Role, Language: in.Language, Active: in.Active, Password: in.Password,
		KeepTokens: in.RevokeTokens != nil && !*in.RevokeTokens}
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) error {
	return listPage(w, r, "agents", true, afterID, func(p desk.Page) ([]*people.Agent, error) {
		return s.People.AgentsPage(r.Context(), p)
	}, func(a *people.Agent) string { return idKey(a.ID) }, nil)
}

func (s *Server) getAgent(w http.ResponseWriter, r *http.Request) error {
	a, err := withID(r, func(id int64) (*people.Agent, error) { return s.People.Agent(r.Context(), id) })
	return respond(w, http.StatusOK, a, err)
}

func (s *Server) createAgent(w http.ResponseWriter, r *http.Request) error {
	var in agentIn
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := s.People.CreateAgent(r.Context(), in.input(), s.Access.Hasher(r.Context()))
	if err == nil {
		locate(w, "/api/v1/agents/", a.ID)
	}
	return respond(w, http.StatusCreated, a, err)
}

func (s *Server) updateAgent(w http.ResponseWriter, r *http.Request) error {
	var in agentIn
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := withPrecondition(r, func(id, v int64) (*people.Agent, error) {
		in := in.input()
		in.IfVersion = v
		return s.People.UpdateAgent(r.Context(), id, in, s.Access.Hasher(r.Context()))
	})
	return respond(w, http.StatusOK, a, err)
}

// deactivateAgent is DELETE on an agent: agents are never erased, since
// their replies and history must keep their author.
func (s *Server) deactivateAgent(w http.ResponseWriter, r *http.Request) error {
	off := false
	_, err := withPrecondition(r, func(id, v int64) (*people.Agent, error) {
		return s.People.UpdateAgent(r.Context(), id, people.AgentInput{Active: &off, IfVersion: v}, s.Access.Hasher(r.Context()))
	})
	return noContent(w, err)
}

// --- teams

type teamIn struct {
	Name      *string    `json:"name"`
	Tier      *int       `json:"tier"`
	LeadID    optionalID `json:"lead_id"`
	MemberIDs *[]int64   `json:"member_ids"`
}

func (in teamIn) input() people.TeamInput {
	return people.TeamInput{Name: in.Name, Tier: in.Tier, LeadID: in.LeadID.ptr(), MemberIDs: in.MemberIDs}
}

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request) error {
	return listPage(w, r, "teams", true, afterID, func(p desk.Page) ([]*people.Team, error) {
		return s.People.TeamsPage(r.Context(), p)
	}, func(t *people.Team) string { return idKey(t.ID) }, nil)
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request) error {
	t, err := withID(r, func(id int64) (*people.Team, error) { return s.People.Team(r.Context(), id) })
	return respond(w, http.StatusOK, t, err)
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request) error {
	var in teamIn
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.People.CreateTeam(r.Context(), in.input())
	if err == nil {
		locate(w, "/api/v1/teams/", t.ID)
	}
	return respond(w, http.StatusCreated, t, err)
}

func (s *Server) updateTeam(w http.ResponseWriter, r *http.Request) error {
	var in teamIn
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := withPrecondition(r, func(id, v int64) (*people.Team, error) {
		in := in.input()
		in.IfVersion = v
		return s.People.UpdateTeam(r.Context(), id, in)
	})
	return respond(w, http.StatusOK, t, err)
}

func (s *Server) deleteTeam(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.People.DeleteTeam(r.Context(), id, v) })
	return noContent(w, err)
}

// --- roles

type roleIn struct {
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	Permissions *[]string `json:"permissions"`
}

func (in roleIn) apply(r *people.Role) {
	if in.Name != nil {
		r.Name = *in.Name
	}
	if in.Description != nil {
		r.Description = *in.Description
	}
	if in.Permissions != nil {
		r.Permissions = *in.Permissions
	}
}

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request) error {
	return listPage(w, r, "roles", true, afterID, func(p desk.Page) ([]*people.Role, error) {
		return s.People.RolesPage(r.Context(), p)
	}, func(ro *people.Role) string { return idKey(ro.ID) }, map[string]any{"permissions": auth.All})
}

func (s *Server) getRole(w http.ResponseWriter, r *http.Request) error {
	role, err := withID(r, func(id int64) (*people.Role, error) { return s.People.Role(r.Context(), id) })
	return respond(w, http.StatusOK, role, err)
}

func (s *Server) createRole(w http.ResponseWriter, r *http.Request) error {
	var in roleIn
	if err := decode(r, &in); err != nil {
		return err
	}
	var role people.Role
	in.apply(&role)
	out, err := s.People.CreateRole(r.Context(), role)
	if err == nil {
		locate(w, "/api/v1/roles/", out.ID)
	}
	return respond(w, http.StatusCreated, out, err)
}

func (s *Server) updateRole(w http.ResponseWriter, r *http.Request) error {
	var in roleIn
	if err := decode(r, &in); err != nil {
		return err
	}
	role, err := withPrecondition(r, func(id, v int64) (*people.Role, error) { return s.People.UpdateRole(r.Context(), id, v, in.apply) })
	if err == nil {
		s.Access.ForgetRoles()
	}
	return respond(w, http.StatusOK, role, err)
}

func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.People.DeleteRole(r.Context(), id, v) })
	return noContent(w, err)
}

// --- custom fields, statuses, tags

type fieldIn struct {
	Key      *string   `json:"key"`
	Label    *string   `json:"label"`
	Kind     *string   `json:"kind"`
	Options  *[]string `json:"options"`
	Required *bool     `json:"required"`
	Position *int      `json:"position"`
	Portal   *bool     `json:"portal"`
}

func (in fieldIn) apply(f *ticket.Field) {
	if in.Key != nil {
		f.Key = *in.Key
	}
	if in.Label != nil {
		f.Label = *in.Label
	}
	if in.Kind != nil {
		f.Kind = *in.Kind
	}
	if in.Options != nil {
		f.Options = *in.Options
	}
	if in.Required != nil {
		f.Required = *in.Required
	}
	if in.Position != nil {
		f.Position = *in.Position
	}
	if in.Portal != nil {
		f.Portal = *in.Portal
	}
}

func (s *Server) listFields(w http.ResponseWriter, r *http.Request) error {
	return listPage(w, r, "fields", true, afterID, func(p desk.Page) ([]ticket.Field, error) {
		return s.Tickets.FieldsPage(r.Context(), p)
	}, func(f ticket.Field) string { return idKey(f.ID) }, nil)
}

func (s *Server) getField(w http.ResponseWriter, r *http.Request) error {
	f, err := withID(r, func(id int64) (*ticket.Field, error) { return s.Tickets.Field(r.Context(), id) })
	return respond(w, http.StatusOK, f, err)
}

func (s *Server) createField(w http.ResponseWriter, r *http.Request) error {
	var in fieldIn
	if err := decode(r, &in); err != nil {
		return err
	}
	var f ticket.Field
	in.apply(&f)
	out, err := s.Tickets.CreateField(r.Context(), f)
	if err == nil {
		locate(w, "/api/v1/fields/", out.ID)
	}
	return respond(w, http.StatusCreated, out, err)
}

func (s *Server) updateField(w http.ResponseWriter, r *http.Request) error {
	var in fieldIn
	if err := decode(r, &in); err != nil {
		return err
	}
	f, err := withPrecondition(r, func(id, v int64) (*ticket.Field, error) { return s.Tickets.UpdateField(r.Context(), id, v, in.apply) })
	return respond(w, http.StatusOK, f, err)
}

func (s *Server) deleteField(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.Tickets.DeleteField(r.Context(), id, v) })
	return noContent(w, err)
}

func (s *Server) getStatus(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Tickets.Statuses(r.Context())
	name := r.PathValue("name")
	return answerFirst(w, list, err, func(st ticket.Status) bool { return st.Name == name },
		desk.E(desk.ENOTFOUND, "error.status_not_found", name))
}

func (s *Server) listStatuses(w http.ResponseWriter, r *http.Request) error {
	// Workflow order (position, name); statuses carry no time, so no
	// updated_since.
	return listPage(w, r, "statuses", false, afterStatus, func(p desk.Page) ([]ticket.Status, error) {
		return s.Tickets.StatusesPage(r.Context(), p)
	}, func(st ticket.Status) string {
		return strconv.FormatInt(1e9+int64(st.Position), 10) + "/" + st.Name
	}, nil)
}

// afterStatus reads a statuses cursor, "<1e9+position>/<name>".
func afterStatus(l *apiQuery, p *desk.Page) {
	pos, name, ok := strings.Cut(l.cursor, "/")
	n, err := strconv.ParseInt(pos, 10, 64)
	if !ok || err != nil || n < 1e9 || name == "" {
		l.errs["cursor"] = desk.M("invalid.cursor")
		return
	}
	p.AfterID, p.AfterName = n-1e9, name
}

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name     string `json:"name"`
		Category string `json:"category"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	st, err := s.Tickets.CreateStatus(r.Context(), ticket.Status{Name: in.Name, Category: in.Category})
	if err == nil {
		w.Header().Set("Location", "/api/v1/statuses/"+url.PathEscape(st.Name))
	}
	return respond(w, http.StatusCreated, st, err)
}

func (s *Server) listTags(w http.ResponseWriter, r *http.Request) error {
	return listPage(w, r, "tags", false, afterName, func(p desk.Page) ([]string, error) {
		return s.Tickets.TagsPage(r.Context(), p)
	}, func(t string) string { return t }, nil)
}

func (s *Server) createTag(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	name, err := s.Tickets.CreateTag(r.Context(), in.Name)
	if err == nil {
		w.Header().Set("Location", "/api/v1/tags/"+url.PathEscape(name))
	}
	return respond(w, http.StatusCreated, map[string]string{"name": name}, err)
}

func (s *Server) getTag(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Tickets.Tags(r.Context())
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if !slices.Contains(list, name) {
		return desk.E(desk.ENOTFOUND, "error.tag_not_found", name)
	}
	writeJSON(w, http.StatusOK, map[string]string{"name": name})
	return nil
}

func (s *Server) deleteTag(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, s.Tickets.DeleteTag(r.Context(), r.PathValue("name")))
}

// --- API tokens of the signed-in agent

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	return listPage(w, r, "tokens", true, afterID, func(p desk.Page) ([]*access.Token, error) {
		return s.Access.TokensPage(r.Context(), a.ID, p)
	}, func(t *access.Token) string { return idKey(t.ID) }, nil)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name          string     `json:"name"`
		ExpiresAt     *time.Time `json:"expires_at"`
		ExpiresInDays *int       `json:"expires_in_days"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	expires, err := tokenExpiry(s.Clock.Now(), in.ExpiresAt, in.ExpiresInDays)
	if err != nil {
		return err
	}
	a, _ := desk.ActorFrom(r.Context())
	secret, t, err := s.Access.CreateTokenUntil(r.Context(), a.ID, in.Name, expires)
	if err != nil {
		return err
	}
	locate(w, "/api/v1/tokens/", t.ID)
	setETag(w, t)
	writeJSON(w, http.StatusCreated, map[string]any{"token": secret, "id": t.ID, "name": t.Name, "expires_at": t.ExpiresAt, "version": t.Version})
	return nil
}

func (s *Server) getToken(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	list, err := s.Access.Tokens(r.Context(), a.ID)
	return answerFirst(w, list, err, func(t *access.Token) bool { return t.ID == id }, desk.E(desk.ENOTFOUND, "error.token_not_found", id))
}

// tokenExpiry reads a new token's expiry, given as a time or as a number of
// days from now (not both); nil is never.
func tokenExpiry(now time.Time, at *time.Time, days *int) (*time.Time, error) {
	switch {
	case at != nil && days != nil:
		return nil, desk.Invalid(desk.Fields{"expires_in_days": desk.M("invalid.token_expiry_one")})
	case days != nil:
		if *days < 1 || *days > int(access.MaxTokenLife/(24*time.Hour)) {
			return nil, desk.Invalid(desk.Fields{"expires_in_days": desk.M("invalid.range", int(access.MaxTokenLife/(24*time.Hour)))})
		}
		t := now.AddDate(0, 0, *days)
		return &t, nil
	}
	return at, nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.Access.RevokeToken(r.Context(), a.ID, id, v) })
	return noContent(w, err)
}
