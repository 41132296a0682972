package web

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/ticket"
)

// The ticket properties form is merged, not replayed: it carries the
// properties it was rendered with ("original"), so that a submit applies only
// the fields this agent changed. A field both this agent and someone else
// changed (to different values) since the page was rendered is a conflict:
// nothing is written and the page shows who changed what. Tags merge as
// sets (this agent's additions and removals on top of the current tags).

// ticketBase is the part of a ticket the properties form edits.
type ticketBase struct {
	Version      int64          `json:"version"`
	Status       string         `json:"status"`
	Priority     string         `json:"priority"`
	Type         string         `json:"type"`
	TeamID       *int64         `json:"team_id"`
	AssigneeID   *int64         `json:"assignee_id"`
	Tags         []string       `json:"tags"`
	CustomFields map[string]any `json:"custom_fields"`
}

func baseOf(t *ticket.Ticket) ticketBase {
	return ticketBase{Version: t.Version, Status: t.Status, Priority: t.Priority, Type: t.Type, TeamID: t.TeamID,
		AssigneeID: t.AssigneeID, Tags: t.Tags, CustomFields: t.CustomFields}
}

// encode is the value of the form's hidden "original" field.
func (b ticketBase) encode() string {
	j, _ := json.Marshal(b) // plain values only
	return string(j)
}

// decodeBase reads a form's "original"; a form without one (not rendered
// by this version of the page) is compared with the current ticket.
func decodeBase(s string, current *ticket.Ticket) (ticketBase, error) {
	if s == "" {
		return baseOf(current), nil
	}
	var b ticketBase
	if err := json.Unmarshal([]byte(s), &b); err != nil {
		return b, desk.E(desk.EINVALID, "error.form_unreadable")
	}
	if b.CustomFields == nil {
		b.CustomFields = map[string]any{}
	}
	return b, nil
}

// ticketEdit is what the agent changed on the form, compared with the
// original: nil fields were left as they were.
type ticketEdit struct {
	Status, Priority, Type *string
	TeamID, AssigneeID     **int64 // set: the agent chose this (nil: none)
	AddTags, RemoveTags    []string
	CustomFields           map[string]any
}

// editOf compares a submitted form with its original.
func editOf(r *http.Request, defs []ticket.Field, base ticketBase, f *ticketForm, errs desk.Fields) ticketEdit {
	var e ticketEdit
	if f.Status != "" && f.Status != base.Status {
		e.Status = &f.Status
	}
	if f.Priority != "" && f.Priority != base.Priority {
		e.Priority = &f.Priority
	}
	if f.Type != "" && f.Type != base.Type {
		e.Type = &f.Type
	}
	if team, _ := formID(f.Team, errs, "team_id"); !sameID(team, base.TeamID) {
		v := nonZeroID(team)
		e.TeamID = &v
	}
	if assignee, _ := formID(f.Assignee, errs, "assignee_id"); !sameID(assignee, base.AssigneeID) {
		v := nonZeroID(assignee)
		e.AssigneeID = &v
	}
	tags, msg := ticket.CleanTags(splitTags(f.Tags))
	if msg.Key != "" {
		errs["tags"] = msg
	}
	for _, t := range tags {
		if !slices.Contains(base.Tags, t) {
			e.AddTags = append(e.AddTags, t)
		}
	}
	for _, t := range base.Tags {
		if !slices.Contains(tags, t) {
			e.RemoveTags = append(e.RemoveTags, t)
		}
	}
	e.CustomFields, f.Custom = customValues(r, defs, base.CustomFields, errs)
	return e
}

func nonZeroID(p *int64) *int64 {
	if p == nil || *p == 0 {
		return nil
	}
	return p
}

// fieldConflict is a field this agent and someone else both changed.
type fieldConflict struct {
	Field    string // status, priority, type, team_id, assignee_id, custom_fields.<key>
	Old, New any    // as rendered, and as it is now
	Mine     any    // what this agent chose
}

// plan turns an edit into a patch of the current ticket, or the conflicts
// that forbid it. Fields the current ticket already has as the agent wants
// them are left out.
func plan(e ticketEdit, base ticketBase, t *ticket.Ticket) (ticket.Patch, []fieldConflict) {
	var p ticket.Patch
	var conflicts []fieldConflict
	str := func(field string, mine *string, old, now string, dst **string) {
		switch {
		case mine == nil || *mine == now:
		case old != now:
			conflicts = append(conflicts, fieldConflict{Field: field, Old: old, New: now, Mine: *mine})
		default:
			*dst = mine
		}
	}
	str("status", e.Status, base.Status, t.Status, &p.Status)
	str("priority", e.Priority, base.Priority, t.Priority, &p.Priority)
	str("type", e.Type, base.Type, t.Type, &p.Type)
	id := func(field string, mine **int64, old, now *int64, dst **int64) {
		switch {
		case mine == nil || sameID(*mine, now):
		case !sameID(old, now):
			conflicts = append(conflicts, fieldConflict{Field: field, Old: old, New: now, Mine: *mine})
		default:
			*dst = zeroFor(*mine)
		}
	}
	id("team_id", e.TeamID, base.TeamID, t.TeamID, &p.TeamID)
	id("assignee_id", e.AssigneeID, base.AssigneeID, t.AssigneeID, &p.AssigneeID)
	for _, k := range slices.Sorted(maps.Keys(e.CustomFields)) {
		mine, old, now := e.CustomFields[k], base.CustomFields[k], t.CustomFields[k]
		switch {
		case mine == now:
		case old != now:
			conflicts = append(conflicts, fieldConflict{Field: "custom_fields." + k, Old: old, New: now, Mine: mine})
		default:
			if p.CustomFields == nil {
				p.CustomFields = map[string]any{}
			}
			p.CustomFields[k] = mine
		}
	}
	if len(e.AddTags)+len(e.RemoveTags) > 0 {
		tags := slices.DeleteFunc(slices.Clone(t.Tags), func(x string) bool { return slices.Contains(e.RemoveTags, x) })
		for _, x := range e.AddTags {
			if !slices.Contains(tags, x) {
				tags = append(tags, x)
			}
		}
		slices.Sort(tags)
		if !slices.Equal(tags, t.Tags) {
			p.Tags = &tags
		}
	}
	return p, conflicts
}

// updateTicketPage applies the properties form: only what this agent
// changed since the page was rendered, in one write that expects the
// version it was planned against (a concurrent write makes it plan again).
func (s *Server) updateTicketPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	ctx := r.Context()
	defs, err := s.Tickets.Fields(ctx)
	if err != nil {
		return err
	}
	f := ticketForm{Status: r.PostFormValue("status"), Priority: r.PostFormValue("priority"), Type: r.PostFormValue("type"),
		Team: r.PostFormValue("team_id"), Assignee: r.PostFormValue("assignee_id"), Tags: r.PostFormValue("tags")}
	st := ticketState{Form: &f, Action: "properties", Original: r.PostFormValue("original")}
	var conflicts []fieldConflict
	var t, saved *ticket.Ticket
	err = desk.Optimistic(0, func() (err error) {
		if t, err = s.Tickets.Get(ctx, id); err != nil {
			return err
		}
		base, err := decodeBase(st.Original, t)
		if err != nil {
			return err
		}
		errs := desk.Fields{}
		edit := editOf(r, defs, base, &f, errs)
		for k, v := range base.CustomFields {
			if _, ok := f.Custom[k]; !ok {
				f.Custom[k] = v
			}
		}
		if len(errs) > 0 {
			return desk.Invalid(errs)
		}
		var p ticket.Patch
		if p, conflicts = plan(edit, base, t); len(conflicts) > 0 {
			return nil
		}
		if p.Status == nil && p.Priority == nil && p.Type == nil && p.TeamID == nil && p.AssigneeID == nil &&
			p.Tags == nil && p.CustomFields == nil {
			return nil // nothing this agent changed is left to apply
		}
		p.IfVersion = t.Version
		saved, err = s.Tickets.Update(ctx, id, p)
		return err
	})
	if err != nil {
		return s.again(w, r, id, err, st)
	}
	if len(conflicts) > 0 {
		return s.showTicket(w, r, id, http.StatusConflict, ticketState{Action: "properties", Conflicts: s.explain(r, t, conflicts)})
	}
	if saved == nil {
		s.flash(w, "ok", "ticketpage.flash_unchanged")
	} else {
		s.flash(w, "ok", "ticketpage.flash_saved")
	}
	return backToTicket(w, r, id, "")
}

// conflictLine is a conflict as the page shows it.
type conflictLine struct{ Who, Field, Old, New, Mine string }

// explain names each conflicting field, who changed it last (from the
// ticket's history) and its values, in the viewer's language.
func (s *Server) explain(r *http.Request, t *ticket.Ticket, conflicts []fieldConflict) []conflictLine {
	d := s.directory(r)
	evs, _ := s.Tickets.Events(r.Context(), t.ID)
	out := make([]conflictLine, 0, len(conflicts))
	for _, c := range conflicts {
		line := conflictLine{Who: s.tr(r, "history.someone"), Field: s.fieldName(r, c.Field),
			Old: s.showValue(r, c.Field, jsonValue(c.Old), d), New: s.showValue(r, c.Field, jsonValue(c.New), d),
			Mine: s.showValue(r, c.Field, jsonValue(c.Mine), d)}
		for i := len(evs) - 1; i >= 0; i-- {
			if changes(evs[i], c.Field) {
				line.Who = s.actorName(r, t, evs[i], d)
				break
			}
		}
		out = append(out, line)
	}
	return out
}

// changes reports whether an event changed a form field.
func changes(e event.Event, field string) bool {
	var data map[string]any
	_ = json.Unmarshal(e.Data, &data)
	switch e.Kind {
	case event.Assigned:
		return field == "assignee_id"
	case event.FieldChanged:
		f, _ := data["field"].(string)
		if key, ok := strings.CutPrefix(field, "custom_fields."); ok && f == "custom_fields" {
			old, _ := data["old"].(map[string]any)
			now, _ := data["new"].(map[string]any)
			return old[key] != now[key]
		}
		return f == field
	}
	return false
}

// jsonValue turns a Go value into what the history's events hold (JSON
// numbers are float64), so that one function shows both.
func jsonValue(v any) any {
	switch x := v.(type) {
	case *int64:
		if x == nil {
			return nil
		}
		return float64(*x)
	case *string:
		if x == nil {
			return nil
		}
		return *x
	}
	return v
}

// fieldName is a form field's name in the viewer's language.
func (s *Server) fieldName(r *http.Request, field string) string {
	if key := "field." + field; s.Catalog.Has(key) {
		return s.tr(r, key)
	}
	if key, ok := strings.CutPrefix(field, "custom_fields."); ok {
		return key
	}
	return field
}
