package web

import (
	"encoding/json"
	"fmt"
	"github.com/sahayak/sahayak/internal/automation"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/quality"
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
	// MergeTarget, when set, asks the agent to confirm merging into it.
	MergeTarget *ticket.Ticket
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
	// Open is false for a merged or closed ticket, which refuses every
	// change: the page then offers no action that would fail.
	Open bool
	// MergedInto is the ticket this one was merged into, when the agent
	// may see it.
	MergedInto *ticket.Ticket
	Customer   *customerContext
	Moves      escalationChoices
	Candidates []*ticket.Ticket // merge picker suggestions
	// MacrosOn shows the macro picker (templates/macro_picker.html) with
	// the macros the agent may apply.
	MacrosOn bool
	Macros   []*automation.Macro
	// Satisfaction is the line on the ticket's survey ("" when surveys
	// are not offered).
	Satisfaction string
	// Reviews are the ticket's QA reviews the agent may see (their own,
	// or all of them with qa:review); MayReview offers a new one.
	Reviews   []*quality.Review
	MayReview bool
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
	d.Open = t.MergedIntoID == nil && t.StatusCategory != ticket.CategoryClosed
	if t.MergedIntoID != nil {
		d.MergedInto, _ = s.Tickets.Get(ctx, *t.MergedIntoID)
	}
	d.Customer = s.customerContext(r, t, d.Fields)
	if d.Satisfaction, err = s.satisfactionLine(r, t.ID); err != nil {
		return err
	}
	d.Moves = escalationMoves(t, d.Dir)
	if a, _ := desk.ActorFrom(ctx); d.Open && a.Can(auth.TicketsMerge) {
		d.Candidates = s.mergeCandidates(r, t, d.Customer)
	}
	d.Dir.withLoad(ctx, s.Tickets)
	if s.Automations != nil && t.MergedIntoID == nil {
		if d.Macros, err = s.Automations.Macros(ctx, ""); err != nil {
			return err
		}
		d.MacrosOn = true
	}
	if s.Quality != nil {
		if d.Reviews, err = s.Quality.Reviews(ctx, quality.ReviewFilter{TicketID: &t.ID, Limit: 20}); err != nil {
			return err
		}
		a, _ := desk.ActorFrom(ctx)
		d.MayReview = a.Can(auth.QAReview)
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
	p := page{Title: "ticket.title", Data: d}
	if len(st.Errors) > 0 || len(st.Conflicts) > 0 {
		p.Flash = s.failed(r)
	}
	return s.render(w, r, status, "ticket.html", p)
}

// again shows the ticket page with a refused action's input and the
// service's reasons, or fails the request for errors that are not the
// user's to fix on this page.
func (s *Server) again(w http.ResponseWriter, r *http.Request, id int64, err error, st ticketState) error {
	switch desk.ErrorCode(err) {
	case desk.EINVALID, desk.EUNPROCESSABLE, desk.ECONFLICT, desk.ETOOLARGE:
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

// addMessagePage adds a reply or a note from the composer: a multipart
// form when it carries files (read by the attachment API's own reader), else
// a plain one. A submit button may name a status ("send and set status"),
// which the service applies in the message's transaction.
func (s *Server) addMessagePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in ticket.NewMessage
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		whileProgressing(r)
		r.Body = http.MaxBytesReader(w, r.Body, maxMultipart)
		if in, err = s.readMultipartMessage(r, id); err != nil {
			return s.again(w, r, id, err, ticketState{Reply: in.Body, Internal: in.Internal, Action: "message"})
		}
	} else {
		if err := r.ParseForm(); err != nil {
			return desk.E(desk.EINVALID, "error.form_unreadable")
		}
		internal, _ := strconv.ParseBool(r.PostFormValue("internal"))
		in = ticket.NewMessage{Body: r.PostFormValue("body"), Status: r.PostFormValue("status"),
			Internal: internal || r.PostFormValue("kind") == "note"}
	}
	m, err := s.Tickets.AddMessage(r.Context(), id, in)
	if err != nil {
		return s.again(w, r, id, err, ticketState{Reply: in.Body, Internal: in.Internal, Action: "message"})
	}
	switch {
	case in.Internal:
		s.flash(w, "ok", "ticketpage.flash_note_added")
	case in.Status != "":
		s.flash(w, "ok", "ticketpage.flash_sent_status", s.statusName(r, in.Status))
	default:
		s.flash(w, "ok", "ticketpage.flash_sent")
	}
	return backToTicket(w, r, id, "#m"+strconv.FormatInt(m.ID, 10))
}

// statusName is a status in the viewer's language.
func (s *Server) statusName(r *http.Request, name string) string {
	if key := "status." + name; s.Catalog.Has(key) {
		return s.tr(r, key)
	}
	return name
}

func (s *Server) escalatePage(w http.ResponseWriter, r *http.Request) error {
	return s.escalateForm(w, r, true)
}

func (s *Server) deescalatePage(w http.ResponseWriter, r *http.Request) error {
	return s.escalateForm(w, r, false)
}

// escalateForm moves the ticket up or down the tiers. The form carries the
// team the ticket was in when the page was rendered ("from_team"): if a
// colleague moved it since, nothing is changed and the page says who moved
// it where. An agent whose move takes the ticket out of their sight is sent
// back to their view with a message, not to a ticket they can no longer open.
func (s *Server) escalateForm(w http.ResponseWriter, r *http.Request, up bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	action := "escalate"
	if !up {
		action = "deescalate"
	}
	st := ticketState{Action: action, EscTeam: r.PostFormValue("team_id"), EscReason: r.PostFormValue("reason")}
	team, err := strconv.ParseInt(st.EscTeam, 10, 64)
	if err != nil {
		return s.again(w, r, id, desk.Invalid(desk.Fields{"team_id": desk.M("invalid.choose_team")}), st)
	}
	ctx := r.Context()
	var moved *ticket.Ticket
	err = desk.Optimistic(0, func() error {
		t, err := s.Tickets.Get(ctx, id)
		if err != nil {
			return err
		}
		if from, ok := r.PostForm["from_team"]; ok && !sameID(formTeam(from[0]), t.TeamID) {
			st.Conflicts = s.explain(r, t, []fieldConflict{{Field: "team_id", Old: formTeam(from[0]), New: t.TeamID, Mine: &team}})
			return nil
		}
		moved, err = s.Tickets.Reroute(ctx, id, ticket.Escalation{TeamID: team, Reason: st.EscReason, Up: up, IfVersion: t.Version})
		return err
	})
	if err != nil {
		return s.again(w, r, id, err, st)
	}
	if len(st.Conflicts) > 0 {
		return s.showTicket(w, r, id, http.StatusConflict, st)
	}
	d := s.directory(r)
	key := "ticketpage.flash_escalated"
	if !up {
		key = "ticketpage.flash_deescalated"
	}
	if _, err := s.Tickets.Get(ctx, id); desk.ErrorCode(err) == desk.ENOTFOUND {
		s.flash(w, "ok", "ticketpage.flash_escalated_away", strconv.FormatInt(id, 10), d.TeamName(moved.TeamID))
		http.Redirect(w, r, "/tickets", http.StatusSeeOther)
		return nil
	}
	s.flash(w, "ok", key, d.TeamName(moved.TeamID))
	return backToTicket(w, r, id, "")
}

// formTeam reads a team id as a form holds it ("" for none).
func formTeam(v string) *int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n == 0 {
		return nil
	}
	return &n
}

// mergePage merges in two steps: the first submit shows both tickets and
// asks to confirm; the confirmation (confirm=1) merges.
func (s *Server) mergePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	st := ticketState{Action: "merge", MergeInto: strings.TrimSpace(r.PostFormValue("into"))}
	into, ok := leadingNumber(st.MergeInto)
	if !ok {
		return s.again(w, r, id, desk.Invalid(desk.Fields{"into": desk.M("invalid.ticket_number")}), st)
	}
	if r.PostFormValue("confirm") != "1" {
		target, err := s.Tickets.Get(r.Context(), into)
		switch {
		case desk.ErrorCode(err) == desk.ENOTFOUND:
			return s.again(w, r, id, desk.Invalid(desk.Fields{"into": desk.ErrorMsg(err)}), st)
		case err != nil:
			return err
		case into == id:
			return s.again(w, r, id, desk.Invalid(desk.Fields{"into": desk.M("invalid.merge_self")}), st)
		}
		st.MergeTarget = target
		return s.showTicket(w, r, id, http.StatusOK, st)
	}
	if _, err := s.Tickets.Merge(r.Context(), id, into); err != nil {
		if desk.ErrorCode(err) == desk.ENOTFOUND {
			err = desk.Invalid(desk.Fields{"into": desk.ErrorMsg(err)})
		}
		return s.again(w, r, id, err, st)
	}
	s.flash(w, "ok", "ticketpage.flash_merged", strconv.FormatInt(id, 10), strconv.FormatInt(into, 10))
	return backToTicket(w, r, into, "")
}

// leadingNumber reads a ticket number from "#12", "12" or "#12 Subject" (a
// picker suggestion).
func leadingNumber(v string) (int64, bool) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "#")
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	n, err := strconv.ParseInt(v[:end], 10, 64)
	return n, err == nil && n > 0
}

func (s *Server) followPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Tickets.Follow(r.Context(), id); err != nil {
		return s.again(w, r, id, err, ticketState{})
	}
	s.flash(w, "ok", "ticketpage.flash_following")
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
		if e.ActorKind == desk.ActorAgent {
			return s.tr(r, "ticketpage.history_created_for", who, t.Requester.Name)
		}
		// A ticket that came in by mail, chat or the portal was opened by
		// its requester, whoever carried it in.
		return s.tr(r, "history.created", t.Requester.Name)
	case event.MessageAdded:
		if kind, _ := data["author_kind"].(string); kind != "" && kind != e.ActorKind {
			who = s.actorName(r, t, event.Event{ActorKind: kind, ActorID: derefID(id("author_id"))}, d)
		}
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
