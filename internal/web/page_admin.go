package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/i18n"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// adminData is what every admin page receives: the list, the values of a
// refused form (by form name, so each row's form keeps its own input) and
// the service's reasons.
type adminData struct {
	Agents      []*people.Agent
	Teams       []*people.Team
	Roles       []*people.Role
	Fields      []ticket.Field
	Permissions []string
	Languages   []string
	Kinds       []string
	Form        map[string]string // values of the refused form
	Failed      string            // "new" or the id of the refused row
	Errors      desk.Fields
}

// Value is the refused form's value for a field when it is the form being
// shown again, else def.
func (d adminData) Value(form, field, def string) string {
	if d.Failed == form {
		return d.Form[field]
	}
	return def
}

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, status int, name, nav string, d adminData) error {
	ctx := r.Context()
	a, _ := desk.ActorFrom(ctx)
	var err error
	d.Permissions, d.Languages, d.Kinds = auth.All, i18n.Languages, ticket.FieldKinds
	if a.Can(auth.AgentsRead) {
		if d.Agents, err = s.People.Agents(ctx); err != nil {
			return err
		}
	}
	if a.Can(auth.TeamsRead) {
		if d.Teams, err = s.People.Teams(ctx); err != nil {
			return err
		}
	}
	if a.Can(auth.RolesRead) {
		if d.Roles, err = s.People.Roles(ctx); err != nil {
			return err
		}
	}
	if name == "admin_fields.html" {
		if d.Fields, err = s.Tickets.Fields(ctx); err != nil {
			return err
		}
	}
	return s.render(w, r, status, name, page{Title: "admin." + nav, Nav: "admin-" + nav, Data: d})
}

// adminDone redirects after a change, or shows the page again with the
// refused form when the service found the input wrong.
func (s *Server) adminDone(w http.ResponseWriter, r *http.Request, err error, name, nav, failed string) error {
	switch desk.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/admin/"+nav, http.StatusSeeOther)
		return nil
	case desk.EINVALID, desk.ECONFLICT, desk.EUNPROCESSABLE:
		form := map[string]string{}
		for k := range r.PostForm {
			form[k] = strings.Join(r.PostForm[k], ",")
		}
		errs := desk.ErrorFields(err)
		if len(errs) == 0 {
			errs = desk.Fields{"": desk.ErrorMsg(err)}
		}
		if desk.ErrorMsg(err).Key == "form.conflict" {
			failed = "" // a stale form: show the current values
		}
		return s.adminPage(w, r, HTTPStatus(err), name, nav, adminData{Form: form, Failed: failed, Errors: errs})
	}
	return err
}

func optional(r *http.Request, name string) *string {
	if _, ok := r.PostForm[name]; !ok {
		return nil
	}
	v := strings.TrimSpace(r.PostFormValue(name))
	return &v
}

func (s *Server) agentsPage(w http.ResponseWriter, r *http.Request) error {
	return s.adminPage(w, r, http.StatusOK, "admin_agents.html", "agents", adminData{})
}

func agentInput(r *http.Request) people.AgentInput {
	in := people.AgentInput{Email: optional(r, "email"), Name: optional(r, "name"), Role: optional(r, "role"),
		Language: optional(r, "language")}
	if pw := r.PostFormValue("password"); pw != "" {
		in.Password = &pw
		_, present := r.PostForm["revoke_tokens_present"]
		in.KeepTokens = present && r.PostFormValue("revoke_tokens") == ""
	}
	if _, ok := r.PostForm["active_present"]; ok {
		active := r.PostFormValue("active") != ""
		in.Active = &active
	}
	if _, ok := r.PostForm["team_ids_present"]; ok {
		ids := []int64{}
		for _, v := range r.PostForm["team_ids"] {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				ids = append(ids, n)
			}
		}
		in.TeamIDs = &ids
	}
	return in
}

func (s *Server) createAgentPage(w http.ResponseWriter, r *http.Request) error {
	_, err := s.People.CreateAgent(r.Context(), agentInput(r), s.Access.Hasher(r.Context()))
	return s.adminDone(w, r, err, "admin_agents.html", "agents", "new")
}

func (s *Server) updateAgentPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	fields := []string{"name", "email", "role", "language", "active"}
	if _, ok := r.PostForm["team_ids_present"]; ok {
		fields = append(fields, "team_ids")
	}
	err = mergedEdit(r, fields, func() (any, int64, error) {
		a, err := s.People.Agent(r.Context(), id)
		if err != nil {
			return nil, 0, err
		}
		return a, a.Version, nil
	}, func(version int64) error {
		in := agentInput(r)
		in.IfVersion = version
		_, err := s.People.UpdateAgent(r.Context(), id, in, s.Access.Hasher(r.Context()))
		return err
	})
	if err == nil {
		s.Access.ForgetRoles()
	}
	return s.adminDone(w, r, err, "admin_agents.html", "agents", strconv.FormatInt(id, 10))
}

func (s *Server) teamsPage(w http.ResponseWriter, r *http.Request) error {
	return s.adminPage(w, r, http.StatusOK, "admin_teams.html", "teams", adminData{})
}

func teamInput(r *http.Request) (people.TeamInput, error) {
	in := people.TeamInput{Name: optional(r, "name")}
	errs := desk.Fields{}
	if v := r.PostFormValue("tier"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs["tier"] = desk.M("invalid.tier")
		}
		in.Tier = &n
	}
	if _, ok := r.PostForm["lead_id"]; ok {
		lead := int64(0)
		if v := r.PostFormValue("lead_id"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs["lead_id"] = desk.M("invalid.no_agent")
			}
			lead = n
		}
		in.LeadID = &lead
	}
	if _, ok := r.PostForm["members_present"]; ok {
		members := []int64{}
		for _, v := range r.PostForm["member_ids"] {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs["member_ids"] = desk.M("invalid.agent_ids")
				continue
			}
			members = append(members, n)
		}
		in.MemberIDs = &members
	}
	if len(errs) > 0 {
		return in, desk.Invalid(errs)
	}
	return in, nil
}

func (s *Server) createTeamPage(w http.ResponseWriter, r *http.Request) error {
	in, err := teamInput(r)
	if err == nil {
		_, err = s.People.CreateTeam(r.Context(), in)
	}
	return s.adminDone(w, r, err, "admin_teams.html", "teams", "new")
}

func (s *Server) updateTeamPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = mergedEdit(r, []string{"name", "tier", "lead_id", "member_ids"}, func() (any, int64, error) {
		t, err := s.People.Team(r.Context(), id)
		if err != nil {
			return nil, 0, err
		}
		return t, t.Version, nil
	}, func(version int64) error {
		in, err := teamInput(r)
		if err != nil {
			return err
		}
		in.IfVersion = version
		_, err = s.People.UpdateTeam(r.Context(), id, in)
		return err
	})
	return s.adminDone(w, r, err, "admin_teams.html", "teams", strconv.FormatInt(id, 10))
}

func (s *Server) rolesPage(w http.ResponseWriter, r *http.Request) error {
	return s.adminPage(w, r, http.StatusOK, "admin_roles.html", "roles", adminData{})
}

func applyRoleForm(r *http.Request) func(*people.Role) {
	return func(role *people.Role) {
		role.Name = strings.TrimSpace(r.PostFormValue("name"))
		role.Description = strings.TrimSpace(r.PostFormValue("description"))
		role.Permissions = append([]string{}, r.PostForm["permissions"]...)
	}
}

func (s *Server) createRolePage(w http.ResponseWriter, r *http.Request) error {
	var role people.Role
	applyRoleForm(r)(&role)
	_, err := s.People.CreateRole(r.Context(), role)
	return s.adminDone(w, r, err, "admin_roles.html", "roles", "new")
}

func (s *Server) updateRolePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = mergedEdit(r, []string{"name", "description", "permissions"}, func() (any, int64, error) {
		role, err := s.People.Role(r.Context(), id)
		if err != nil {
			return nil, 0, err
		}
		return role, role.Version, nil
	}, func(version int64) error {
		_, err := s.People.UpdateRole(r.Context(), id, version, applyRoleForm(r))
		return err
	})
	if err == nil {
		s.Access.ForgetRoles()
	}
	return s.adminDone(w, r, err, "admin_roles.html", "roles", strconv.FormatInt(id, 10))
}

func (s *Server) fieldsPage(w http.ResponseWriter, r *http.Request) error {
	return s.adminPage(w, r, http.StatusOK, "admin_fields.html", "fields", adminData{})
}

func applyFieldForm(r *http.Request, creating bool) func(*ticket.Field) {
	return func(f *ticket.Field) {
		if creating {
			f.Key = strings.TrimSpace(r.PostFormValue("key"))
			f.Kind = r.PostFormValue("kind")
		}
		f.Label = strings.TrimSpace(r.PostFormValue("label"))
		f.Options = splitOptions(r.PostFormValue("options"))
		f.Required = r.PostFormValue("required") != ""
		f.Portal = r.PostFormValue("portal") != ""
		if n, err := strconv.Atoi(r.PostFormValue("position")); err == nil {
			f.Position = n
		}
	}
}

// splitOptions reads one dropdown option per line (or comma-separated).
func splitOptions(s string) []string {
	out := []string{}
	for _, o := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' }) {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

func (s *Server) createFieldPage(w http.ResponseWriter, r *http.Request) error {
	var f ticket.Field
	applyFieldForm(r, true)(&f)
	_, err := s.Tickets.CreateField(r.Context(), f)
	return s.adminDone(w, r, err, "admin_fields.html", "fields", "new")
}

func (s *Server) updateFieldPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = mergedEdit(r, []string{"label", "options", "position", "required", "portal"}, func() (any, int64, error) {
		f, err := s.Tickets.Field(r.Context(), id)
		if err != nil {
			return nil, 0, err
		}
		return *f, f.Version, nil
	}, func(version int64) error {
		_, err := s.Tickets.UpdateField(r.Context(), id, version, applyFieldForm(r, false))
		return err
	})
	return s.adminDone(w, r, err, "admin_fields.html", "fields", strconv.FormatInt(id, 10))
}
