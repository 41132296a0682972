package web

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/jsonenc"
	"github.com/sahayak/sahayak/internal/ticket"
)

type requesterIn struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

type ticketIn struct {
	Subject      string         `json:"subject"`
	Body         string         `json:"body"`
	BodyHTML     string         `json:"body_html"`
	Requester    *requesterIn   `json:"requester"`
	Status       string         `json:"status"`
	Priority     string         `json:"priority"`
	Type         string         `json:"type"`
	Channel      string         `json:"channel"`
	Tags         []string       `json:"tags"`
	CustomFields map[string]any `json:"custom_fields"`
	TeamID       optionalID     `json:"team_id"`
	AssigneeID   optionalID     `json:"assignee_id"`
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request) error {
	var in ticketIn
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Requester == nil {
		return desk.Invalid(desk.Fields{"requester.email": desk.M("invalid.required")})
	}
	t, err := s.Tickets.Create(r.Context(), ticket.NewTicket{
		Subject: in.Subject, Body: in.Body, BodyHTML: in.BodyHTML,
		Requester: ticket.Person{Email: in.Requester.Email, Name: in.Requester.Name},
		Status:    in.Status, Priority: in.Priority, Type: in.Type, Channel: in.Channel, Tags: in.Tags,
		CustomFields: normalizeNumbers(in.CustomFields), TeamID: in.TeamID.ptr(), AssigneeID: in.AssigneeID.ptr(),
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/tickets/"+strconv.FormatInt(t.ID, 10))
	return respond(w, http.StatusCreated, t, nil)
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := s.Tickets.Get(r.Context(), id)
	return respond(w, http.StatusOK, t, err)
}

// ticketFilter reads the ticket list's query string (see lists.go).
func (s *Server) ticketFilter(r *http.Request) (ticket.Filter, error) {
	l := readList(r, true, "status", "status_category", "priority", "assignee_id", "team_id", "organization_id",
		"requester", "tag", "escalated", "open", "sort", "sla", "due_before")
	f := ticket.Filter{Limit: l.limit, UpdatedSince: l.since, Cursor: l.q.Get("cursor"), AssigneeID: l.id("assignee_id"),
		TeamID: l.id("team_id"), OrganizationID: l.id("organization_id"), Escalated: l.bool("escalated"),
		Categories: l.values("status_category", ticket.Categories), Priorities: l.values("priority", ticket.Priorities),
		Tags: l.values("tag", nil), Statuses: l.values("status", nil)}
	if len(f.Statuses) > 0 {
		known := slices.Clone(ticket.Categories)
		list, err := s.Tickets.Statuses(r.Context())
		if err != nil {
			return f, err
		}
		for _, st := range list {
			if !slices.Contains(known, st.Name) {
				known = append(known, st.Name)
			}
		}
		l.values("status", known)
	}
	if v := l.q.Get("requester"); v != "" {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			f.RequesterID = &id
		} else {
			f.RequesterEmail = &v
		}
	}
	if open := l.bool("open"); open != nil {
		f.Open = *open
	}
	if f.Sort = l.q.Get("sort"); f.Sort != "" && !slices.Contains([]string{"updated", "created", "oldest", "due"}, f.Sort) {
		l.errs["sort"] = desk.M("invalid.sort")
	}
	if v := l.q.Get("sla"); v != "" {
		if !slices.Contains([]string{"breached", "running", "paused"}, v) {
			l.errs["sla"] = desk.M("invalid.one_of", "breached, running, paused")
		}
		f.SLA = &v
	}
	if v := l.q.Get("due_before"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			l.errs["due_before"] = desk.M("invalid.rfc3339")
		}
		f.DueBefore = &t
	}
	return f, l.err()
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) error {
	f, err := s.ticketFilter(r)
	if err != nil {
		return err
	}
	page, err := s.Tickets.List(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ticketPage{page})
	return nil
}

// ticketPage is a page of the ticket list as the API answers it:
// {"tickets": [...], "next_cursor": "…" or null}.
type ticketPage struct{ *ticket.Page }

func (p ticketPage) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"tickets":`...)
	if p.Tickets == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, t := range p.Tickets {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = t.AppendJSON(b); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"next_cursor":`...)
	if p.NextCursor == "" {
		return append(b, "null}"...), nil
	}
	return append(jsonenc.String(b, p.NextCursor), '}'), nil
}

// optionalID distinguishes an absent id (nil) from an explicit null (0,
// which the services read as "clear").
type optionalID struct {
	set bool
	id  int64
}

func (o *optionalID) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		return nil
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || id <= 0 {
		// A type error, so that the decoder names the field.
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeOf(uint64(0))}
	}
	o.id = id
	return nil
}

func (o optionalID) ptr() *int64 {
	if !o.set {
		return nil
	}
	return &o.id
}

type ticketPatchIn struct {
	Subject      *string        `json:"subject"`
	Status       *string        `json:"status"`
	Priority     *string        `json:"priority"`
	Type         *string        `json:"type"`
	AssigneeID   optionalID     `json:"assignee_id"`
	TeamID       optionalID     `json:"team_id"`
	Tags         *[]string      `json:"tags"`
	CustomFields map[string]any `json:"custom_fields"`
}

func (s *Server) updateTicket(w http.ResponseWriter, r *http.Request) error {
	var in ticketPatchIn
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := withPrecondition(r, func(id, v int64) (*ticket.Ticket, error) {
		return s.Tickets.Update(r.Context(), id, ticket.Patch{
			Subject: in.Subject, Status: in.Status, Priority: in.Priority, Type: in.Type,
			AssigneeID: in.AssigneeID.ptr(), TeamID: in.TeamID.ptr(), Tags: in.Tags,
			CustomFields: normalizeNumbers(in.CustomFields), IfVersion: v,
		})
	})
	return respond(w, http.StatusOK, t, err)
}

type messageIn struct {
	Body     string `json:"body"`
	BodyHTML string `json:"body_html"`
	Internal bool   `json:"internal"`
	Status   string `json:"status"`
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var nm ticket.NewMessage
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		whileProgressing(r) // files may take longer than a form, if they keep coming
		r.Body = http.MaxBytesReader(w, r.Body, maxMultipart)
		if nm, err = s.readMultipartMessage(r, id); err != nil {
			return err
		}
	} else {
		var in messageIn
		if err := decode(r, &in); err != nil {
			return err
		}
		nm = ticket.NewMessage{Body: in.Body, BodyHTML: in.BodyHTML, Internal: in.Internal, Status: in.Status}
	}
	m, err := s.Tickets.AddMessage(r.Context(), id, nm)
	if err != nil {
		return err
	}
	locate(w, "/api/v1/tickets/"+strconv.FormatInt(id, 10)+"/messages/", m.ID)
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	mid, err := pathID(r, "message_id")
	if err != nil {
		return err
	}
	ms, err := s.Tickets.Messages(r.Context(), id)
	return answerFirst(w, ms, err, func(m *ticket.Message) bool { return m.ID == mid }, desk.E(desk.ENOTFOUND, "error.message_not_found", mid))
}

// listMessages pages a ticket's thread oldest first. The service reads a
// thread whole (the ticket page shows it all), so it pages in memory.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return listPage(w, r, "messages", true, afterID, func(p desk.Page) ([]*ticket.Message, error) {
		return s.Tickets.MessagesPage(r.Context(), id, p)
	}, func(m *ticket.Message) string { return idKey(m.ID) }, nil)
}

// listEvents pages a ticket's history oldest first.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return listPage(w, r, "events", true, afterID, func(p desk.Page) ([]event.Event, error) {
		return s.Tickets.EventsPage(r.Context(), id, p)
	}, func(e event.Event) string { return idKey(e.ID) }, nil)
}

type escalateIn struct {
	TeamID int64  `json:"team_id"`
	Reason string `json:"reason"`
}

func (s *Server) escalateTicket(w http.ResponseWriter, r *http.Request) error {
	return s.escalation(w, r, s.Tickets.Escalate)
}

func (s *Server) deescalateTicket(w http.ResponseWriter, r *http.Request) error {
	return s.escalation(w, r, s.Tickets.Deescalate)
}

func (s *Server) escalation(w http.ResponseWriter, r *http.Request, do func(ctx context.Context, id, team int64, reason string) (*ticket.Ticket, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in escalateIn
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.TeamID <= 0 {
		return desk.Invalid(desk.Fields{"team_id": desk.M("invalid.required")})
	}
	t, err := do(r.Context(), id, in.TeamID, in.Reason)
	return respond(w, http.StatusOK, t, err)
}

type mergeIn struct {
	IntoID int64 `json:"into_id"`
}

func (s *Server) mergeTicket(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in mergeIn
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.IntoID <= 0 {
		return desk.Invalid(desk.Fields{"into_id": desk.M("invalid.required")})
	}
	t, err := s.Tickets.Merge(r.Context(), id, in.IntoID)
	return respond(w, http.StatusOK, t, err)
}

type linkIn struct {
	OtherID int64  `json:"other_id"`
	Kind    string `json:"kind"`
}

func (s *Server) linkTicket(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in linkIn
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Kind == "" {
		in.Kind = ticket.LinkRelated
	}
	if err := s.Tickets.Link(r.Context(), id, in.OtherID, in.Kind); err != nil {
		return err
	}
	links, err := s.Tickets.Links(r.Context(), id)
	if err != nil {
		return err
	}
	// A link is not a resource of its own; it appears among the ticket's links.
	w.Header().Set("Location", "/api/v1/tickets/"+strconv.FormatInt(id, 10)+"/links")
	writeJSON(w, http.StatusCreated, map[string]any{"links": links})
	return nil
}

func (s *Server) listLinks(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var after *ticket.Link
	return listPage(w, r, "links", false, func(l *apiQuery, _ *desk.Page) {
		after = linkAfter(l)
	}, func(p desk.Page) ([]ticket.Link, error) {
		return s.Tickets.LinksPage(r.Context(), id, after, p.Limit)
	}, func(l ticket.Link) string {
		return idKey(l.TicketID) + idKey(l.OtherID) + l.Kind
	}, nil)
}

// linkAfter reads a links cursor: the idKeys of the link's two tickets
// (19 digits each), then its kind.
func linkAfter(l *apiQuery) *ticket.Link {
	const n = 19
	c := l.cursor
	t, err1 := strconv.ParseInt(c[:min(n, len(c))], 10, 64)
	var o int64
	err2 := err1
	if len(c) > 2*n {
		o, err2 = strconv.ParseInt(c[n:2*n], 10, 64)
	}
	if err1 != nil || err2 != nil || t <= 1e18 || o <= 1e18 {
		l.errs["cursor"] = desk.M("invalid.cursor")
		return nil
	}
	return &ticket.Link{TicketID: t - 1e18, OtherID: o - 1e18, Kind: c[2*n:]}
}

func (s *Server) followTicket(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Tickets.Follow(r.Context(), id); err != nil {
		return err
	}
	f, err := s.Tickets.Followers(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"follower_ids": f})
	return nil
}
