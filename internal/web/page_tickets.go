package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// directory names the agents and teams a page shows by id. An agent whose
// role may not list agents or teams sees ids instead of names.
type directory struct {
	Agents []*people.Agent
	Teams  []*people.Team
	agents map[int64]*people.Agent
	teams  map[int64]*people.Team
	load   map[int64]int // open tickets per agent, when a page asked (withLoad)
}

func (s *Server) directory(r *http.Request) *directory {
	d := &directory{agents: map[int64]*people.Agent{}, teams: map[int64]*people.Team{}}
	if list, err := s.People.Agents(r.Context()); err == nil {
		d.Agents = list
		for _, a := range list {
			d.agents[a.ID] = a
		}
	}
	if list, err := s.People.Teams(r.Context()); err == nil {
		d.Teams = list
		for _, t := range list {
			d.teams[t.ID] = t
		}
	}
	return d
}

// AgentName is an agent's name, or "#id" when unknown; "" for nil.
func (d *directory) AgentName(id *int64) string {
	if id == nil {
		return ""
	}
	if a := d.agents[*id]; a != nil {
		return a.Name
	}
	return "#" + strconv.FormatInt(*id, 10)
}

// TeamName is a team's name, or "#id" when unknown; "" for nil.
func (d *directory) TeamName(id *int64) string {
	if id == nil {
		return ""
	}
	if t := d.teams[*id]; t != nil {
		return t.Name
	}
	return "#" + strconv.FormatInt(*id, 10)
}

// formID reads an optional id from a form value: "" is no filter, "none"
// is 0 (nothing assigned).
func formID(v string, errs desk.Fields, field string) (*int64, bool) {
	switch v {
	case "":
		return nil, false
	case "none", "0":
		zero := int64(0)
		return &zero, true
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		errs[field] = desk.M("invalid.id")
		return nil, false
	}
	return &id, true
}

// newTicketForm is what the New ticket page shows and keeps on error.
type newTicketForm struct {
	Email, Name, Subject, Body, Priority, Type, Team, Assignee, Tags string
	Custom                                                           map[string]any
}

type newTicketData struct {
	Form       newTicketForm
	Fields     []ticket.Field
	Errors     desk.Fields
	Dir        *directory
	Priorities []string
	Types      []string
}

func (s *Server) newTicketPage(w http.ResponseWriter, r *http.Request) error {
	return s.showNewTicket(w, r, http.StatusOK, newTicketForm{Priority: "normal", Type: "question",
		Email: r.URL.Query().Get("email")}, nil)
}

func (s *Server) showNewTicket(w http.ResponseWriter, r *http.Request, status int, f newTicketForm, errs desk.Fields) error {
	fields, err := s.Tickets.Fields(r.Context())
	if err != nil {
		return err
	}
	dir := s.directory(r)
	dir.withLoad(r.Context(), s.Tickets)
	return s.render(w, r, status, "ticket_new.html", page{Title: "ticket.new", Nav: "new", Data: newTicketData{
		Form: f, Fields: fields, Errors: errs, Dir: dir, Priorities: ticket.Priorities, Types: ticket.Types}})
}

func (s *Server) createTicketPage(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	fields, err := s.Tickets.Fields(r.Context())
	if err != nil {
		return err
	}
	f := newTicketForm{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Subject: r.PostFormValue("subject"),
		Body: r.PostFormValue("body"), Priority: r.PostFormValue("priority"), Type: r.PostFormValue("type"),
		Team: r.PostFormValue("team_id"), Assignee: r.PostFormValue("assignee_id"), Tags: r.PostFormValue("tags")}
	errs := desk.Fields{}
	custom, shown := customValues(r, fields, nil, errs)
	f.Custom = shown
	in := ticket.NewTicket{Subject: f.Subject, Body: f.Body, Requester: ticket.Person{Email: f.Email, Name: f.Name},
		Priority: f.Priority, Type: f.Type, Channel: "web", Tags: splitTags(f.Tags), CustomFields: custom}
	in.TeamID, _ = formID(f.Team, errs, "team_id")
	in.AssigneeID, _ = formID(f.Assignee, errs, "assignee_id")
	if len(errs) > 0 {
		return s.showNewTicket(w, r, http.StatusBadRequest, f, errs)
	}
	t, err := s.Tickets.Create(r.Context(), in)
	if desk.ErrorCode(err) == desk.EINVALID {
		return s.showNewTicket(w, r, HTTPStatus(err), f, desk.ErrorFields(err))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/tickets/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
	return nil
}

// splitTags reads a comma- or space-separated tag list.
func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// customValues reads the custom field inputs (cf_<key>) of a form. It
// returns the values to send to the service — only those that differ from
// current, with nil clearing a field — and the values to show again.
func customValues(r *http.Request, defs []ticket.Field, current map[string]any, errs desk.Fields) (map[string]any, map[string]any) {
	send, shown := map[string]any{}, map[string]any{}
	for _, f := range defs {
		name := "cf_" + f.Key
		if _, present := r.PostForm[name+"_present"]; !present {
			continue // the form did not show this field
		}
		raw := strings.TrimSpace(r.PostFormValue(name))
		var v any
		switch {
		case f.Kind == ticket.FieldCheckbox:
			v = raw != ""
		case raw == "":
			v = nil
		case f.Kind == ticket.FieldNumber:
			n, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				errs["custom_fields."+f.Key] = desk.M("invalid.number")
				shown[f.Key] = raw
				continue
			}
			v = n
		default:
			v = raw
		}
		shown[f.Key] = v
		old, had := current[f.Key]
		if v == nil && !had {
			continue
		}
		if had && old == v {
			continue
		}
		send[f.Key] = v
	}
	return send, shown
}
