package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/ticket"
)

// ticketForm holds the sidebar's values: the ticket's own, or what the
// agent typed when the service refused it.
type ticketForm struct {
	Status, Priority, Type, Team, Assignee, Tags string
	Custom                                       map[string]any
}

// ticketState is what a failed action brings back to the ticket page.
type ticketState struct {
	Form     *ticketForm
	Reply    string
	Internal bool
	Errors   desk.Fields
	Action   string // which form failed: properties, message, escalate, merge
	// Original is the refused properties form's original (see ticketBase).
	Original string
	// Conflicts are the fields a colleague changed since the properties
	// form was rendered that this agent changed too.
	Conflicts []conflictLine
	EscTeam   string
	EscReason string
	MergeInto string
}

type historyLine struct {
	When time.Time
	Text string
}

type ticketData struct {
	Ticket     *ticket.Ticket
	Messages   []*ticket.Message
	History    []historyLine
	Statuses   []ticket.Status
	Fields     []ticket.Field
	Dir        *directory
	Priorities []string
	Types      []string
	Form       ticketForm
	Original   string // the properties form's original (see ticketBase)
	State      ticketState
	Following  bool
}

func (s *Server) ticketPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.showTicket(w, r, id, http.StatusOK, ticketState{})
}

func (s *Server) showTicket(w http.ResponseWriter, r *http.Request, id int64, status int, st ticketState) error {
	ctx := r.Context()
	t, err := s.Tickets.Get(ctx, id)
	if err != nil {
		return err
	}
	d := ticketData{Ticket: t, Dir: s.directory(r), Priorities: ticket.Priorities, Types: ticket.Types, State: st}
	if d.Messages, err = s.Tickets.Messages(ctx, id); err != nil {
		return err
	}
	evs, err := s.Tickets.Events(ctx, id)
	if err != nil {
		return err
	}
	d.History = s.history(r, t, evs, d.Dir)
	if d.Statuses, err = s.Tickets.Statuses(ctx); err != nil {
		return err
	}
	if d.Fields, err = s.Tickets.Fields(ctx); err != nil {
		return err
	}
	if followers, err := s.Tickets.Followers(ctx, id); err == nil {
		a, _ := desk.ActorFrom(ctx)
		d.Following = slices.Contains(followers, a.ID)
	}
	d.Original = baseOf(t).encode()
	if st.Form != nil {
		d.Form = *st.Form
		if st.Original != "" {
			d.Original = st.Original
		}
	} else {
		d.Form = ticketForm{Status: t.Status, Priority: t.Priority, Type: t.Type, Tags: strings.Join(t.Tags, ", "),
			Custom: t.CustomFields}
		if t.TeamID != nil {
			d.Form.Team = strconv.FormatInt(*t.TeamID, 10)
		}
		if t.AssigneeID != nil {
			d.Form.Assignee = strconv.FormatInt(*t.AssigneeID, 10)
		}
	}
	return s.render(w, r, status, "ticket.html", page{Title: "ticket.title", Data: d})
}

// again shows the ticket page with a refused action's input and the
// service's reasons, or fails the request for errors that are not the
// user's to fix on this page.
func (s *Server) again(w http.ResponseWriter, r *http.Request, id int64, err error, st ticketState) error {
	switch desk.ErrorCode(err) {
	case desk.EINVALID, desk.EUNPROCESSABLE, desk.ECONFLICT:
		st.Errors = desk.ErrorFields(err)
		if len(st.Errors) == 0 {
			st.Errors = desk.Fields{"": desk.ErrorMsg(err)}
		}
		return s.showTicket(w, r, id, HTTPStatus(err), st)
	}
	return err
}

func backToTicket(w http.ResponseWriter, r *http.Request, id int64, anchor string) error {
	http.Redirect(w, r, "/tickets/"+strconv.FormatInt(id, 10)+anchor, http.StatusSeeOther)
	return nil
}

func sameID(a, b *int64) bool {
	if a == nil || *a == 0 {
		return b == nil
	}
	return b != nil && *a == *b
}

// zeroFor turns "no value" into the 0 that clears a ticket's team or assignee.
func zeroFor(p *int64) *int64 {
	if p == nil {
		zero := int64(0)
		return &zero
	}
	return p
}

func (s *Server) addMessagePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	in := ticket.NewMessage{Body: r.PostFormValue("body"), Internal: r.PostFormValue("kind") == "note"}
	m, err := s.Tickets.AddMessage(r.Context(), id, in)
	if err != nil {
		return s.again(w, r, id, err, ticketState{Reply: in.Body, Internal: in.Internal, Action: "message"})
	}
	return backToTicket(w, r, id, "#m"+strconv.FormatInt(m.ID, 10))
}

func (s *Server) escalatePage(w http.ResponseWriter, r *http.Request) error {
	return s.escalateForm(w, r, true)
}

func (s *Server) deescalatePage(w http.ResponseWriter, r *http.Request) error {
	return s.escalateForm(w, r, false)
}

func (s *Server) escalateForm(w http.ResponseWriter, r *http.Request, up bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	st := ticketState{Action: "escalate", EscTeam: r.PostFormValue("team_id"), EscReason: r.PostFormValue("reason")}
	team, err := strconv.ParseInt(st.EscTeam, 10, 64)
	if err != nil {
		return s.again(w, r, id, desk.Invalid(desk.Fields{"team_id": desk.M("invalid.choose_team")}), st)
	}
	if up {
		_, err = s.Tickets.Escalate(r.Context(), id, team, st.EscReason)
	} else {
		_, err = s.Tickets.Deescalate(r.Context(), id, team, st.EscReason)
	}
	if err != nil {
		return s.again(w, r, id, err, st)
	}
	return backToTicket(w, r, id, "")
}

func (s *Server) mergePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	st := ticketState{Action: "merge", MergeInto: strings.TrimPrefix(strings.TrimSpace(r.PostFormValue("into")), "#")}
	into, err := strconv.ParseInt(st.MergeInto, 10, 64)
	if err != nil {
		return s.again(w, r, id, desk.Invalid(desk.Fields{"into": desk.M("invalid.ticket_number")}), st)
	}
	if _, err := s.Tickets.Merge(r.Context(), id, into); err != nil {
		if desk.ErrorCode(err) == desk.ENOTFOUND {
			err = desk.Invalid(desk.Fields{"into": desk.ErrorMsg(err)})
		}
		return s.again(w, r, id, err, st)
	}
	return backToTicket(w, r, into, "")
}

func (s *Server) followPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Tickets.Follow(r.Context(), id); err != nil {
		return s.again(w, r, id, err, ticketState{})
	}
	return backToTicket(w, r, id, "")
}

// history turns a ticket's events into sentences in the viewer's language.
func (s *Server) history(r *http.Request, t *ticket.Ticket, evs []event.Event, d *directory) []historyLine {
	out := make([]historyLine, 0, len(evs))
	for _, e := range evs {
		if text := s.sentence(r, t, e, d); text != "" {
			out = append(out, historyLine{When: e.CreatedAt, Text: text})
		}
	}
	return out
}

func (s *Server) sentence(r *http.Request, t *ticket.Ticket, e event.Event, d *directory) string {
	who := s.actorName(r, t, e, d)
	var data map[string]any
	_ = json.Unmarshal(e.Data, &data)
	id := func(key string) *int64 {
		if f, ok := data[key].(float64); ok {
			n := int64(f)
			return &n
		}
		return nil
	}
	switch e.Kind {
	case event.TicketCreated:
		return s.tr(r, "history.created", who)
	case event.MessageAdded:
		if internal, _ := data["internal"].(bool); internal {
			return s.tr(r, "history.note", who)
		}
		return s.tr(r, "history.reply", who)
	case event.Assigned:
		if n := id("new"); n != nil {
			return s.tr(r, "history.assigned", who, d.AgentName(n))
		}
		return s.tr(r, "history.unassigned", who)
	case event.Escalated, event.Deescalated:
		key := "history.escalated"
		if e.Kind == event.Deescalated {
			key = "history.deescalated"
		}
		reason, _ := data["reason"].(string)
		return s.tr(r, key, who, d.TeamName(id("to_team_id")), reason)
	case event.Merged:
		return s.tr(r, "history.merged", who, derefID(id("into_id")))
	case event.MergedInto:
		return s.tr(r, "history.merged_into", who, derefID(id("source_id")))
	case event.Linked:
		return s.tr(r, "history.linked", who, derefID(id("other_id")))
	case event.Mentioned:
		return s.tr(r, "history.mentioned", who, d.AgentName(id("agent_id")))
	case event.FollowerAdded:
		return s.tr(r, "history.followed", d.AgentName(id("agent_id")))
	case event.FieldChanged:
		return s.changeSentence(r, who, data, d)
	case event.MailWarning:
		var names []string
		if ws, ok := data["warnings"].([]any); ok {
			for _, w := range ws {
				if code, ok := w.(string); ok {
					names = append(names, s.tr(r, email.WarningKey(code)))
				}
			}
		}
		return s.tr(r, "mail.history_warning", who, strings.Join(names, "; "))
	}
	return s.tr(r, "history.other", who, e.Kind)
}

// showValue shows a field's value as an event holds it (JSON types) in the
// viewer's language: names for teams and agents, translated statuses,
// priorities and types.
func (s *Server) showValue(r *http.Request, field string, v any, d *directory) string {
	switch x := v.(type) {
	case nil:
		return s.tr(r, "history.nothing")
	case float64:
		n := int64(x)
		switch field {
		case "team_id":
			return d.TeamName(&n)
		case "assignee_id":
			return d.AgentName(&n)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		if field == "status" || field == "priority" || field == "type" {
			if key := field + "." + x; s.Catalog.Has(key) {
				return s.tr(r, key)
			}
		}
		return x
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

func (s *Server) changeSentence(r *http.Request, who string, data map[string]any, d *directory) string {
	field, _ := data["field"].(string)
	show := func(v any) string { return s.showValue(r, field, v, d) }
	switch field {
	case "first_responded_at":
		return s.tr(r, "history.first_response", who)
	case "team_id":
		return s.tr(r, "history.team", who, show(data["new"]))
	case "custom_fields":
		return s.tr(r, "history.custom_fields", who)
	}
	return s.tr(r, "history.changed", who, s.fieldName(r, field), show(data["old"]), show(data["new"]))
}

func (s *Server) actorName(r *http.Request, t *ticket.Ticket, e event.Event, d *directory) string {
	switch e.ActorKind {
	case desk.ActorAgent:
		return d.AgentName(&e.ActorID)
	case desk.ActorContact:
		if e.ActorID == t.Requester.ID {
			return t.Requester.Name
		}
		return s.tr(r, "history.customer")
	}
	return s.tr(r, "app.name")
}
