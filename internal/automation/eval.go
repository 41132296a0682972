package automation

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/ticket"
)

// Kinds of attribute, which decide the operators and values allowed.
const (
	kindText   = "text"
	kindEnum   = "enum"
	kindID     = "id"
	kindNumber = "number"
	kindTags   = "tags"
	kindBool   = "bool"
)

var opsByKind = map[string][]string{
	kindText:   {OpIs, OpIsNot, OpContains, OpNotContains, OpEmpty, OpSet},
	kindEnum:   {OpIs, OpIsNot},
	kindID:     {OpIs, OpIsNot, OpEmpty, OpSet},
	kindNumber: {OpIs, OpIsNot, OpGreater, OpLess, OpEmpty, OpSet},
	kindTags:   {OpContains, OpNotContains, OpEmpty, OpSet},
	kindBool:   {OpIs, OpIsNot},
}

// Schema is what rules may name besides the built-in attributes: the
// desk's statuses and custom fields.
type Schema struct {
	Statuses []ticket.Status
	Fields   []ticket.Field
}

// attribute describes one ticket attribute a condition can test.
type attribute struct {
	kind   string
	values []string // an enum's allowed values
}

// Attributes lists every attribute a condition may name, custom fields as
// custom_fields.KEY, in a stable order (pages offer them).
func (s Schema) Attributes() []string {
	out := []string{"subject", "status", "status_category", "priority", "type", "channel", "requester.email",
		"requester.name", "organization_id", "assignee_id", "team_id", "tags", "escalation_level",
		"hours_since_created", "hours_since_updated"}
	for _, f := range s.Fields {
		out = append(out, "custom_fields."+f.Key)
	}
	return out
}

func (s Schema) attribute(name string) (attribute, bool) {
	switch name {
	case "subject", "requester.email", "requester.name":
		return attribute{kind: kindText}, true
	case "status":
		names := []string{}
		for _, st := range s.Statuses {
			names = append(names, st.Name)
		}
		return attribute{kindEnum, names}, true
	case "status_category":
		return attribute{kindEnum, ticket.Categories}, true
	case "priority":
		return attribute{kindEnum, ticket.Priorities}, true
	case "type":
		return attribute{kindEnum, ticket.Types}, true
	case "channel":
		return attribute{kindEnum, ticket.Channels}, true
	case "organization_id", "assignee_id", "team_id":
		return attribute{kind: kindID}, true
	case "tags":
		return attribute{kind: kindTags}, true
	case "escalation_level", "hours_since_created", "hours_since_updated":
		return attribute{kind: kindNumber}, true
	}
	key, ok := strings.CutPrefix(name, "custom_fields.")
	if !ok {
		return attribute{}, false
	}
	for _, f := range s.Fields {
		if f.Key != key {
			continue
		}
		switch f.Kind {
		case ticket.FieldNumber:
			return attribute{kind: kindNumber}, true
		case ticket.FieldCheckbox:
			return attribute{kind: kindBool}, true
		case ticket.FieldDropdown:
			return attribute{kindEnum, f.Options}, true
		}
		return attribute{kind: kindText}, true
	}
	return attribute{}, false
}

// value reads an attribute of a ticket (nil when it has none).
func value(t *ticket.Ticket, field string, now time.Time) any {
	id := func(p *int64) any {
		if p == nil {
			return nil
		}
		return float64(*p)
	}
	switch field {
	case "subject":
		return t.Subject
	case "status":
		return t.Status
	case "status_category":
		return t.StatusCategory
	case "priority":
		return t.Priority
	case "type":
		return t.Type
	case "channel":
		return t.Channel
	case "requester.email":
		return t.Requester.Email
	case "requester.name":
		return t.Requester.Name
	case "organization_id":
		return id(t.OrganizationID)
	case "assignee_id":
		return id(t.AssigneeID)
	case "team_id":
		return id(t.TeamID)
	case "tags":
		return t.Tags
	case "escalation_level":
		return float64(t.EscalationLevel)
	case "hours_since_created":
		return now.Sub(t.CreatedAt).Hours()
	case "hours_since_updated":
		return now.Sub(t.UpdatedAt).Hours()
	}
	if key, ok := strings.CutPrefix(field, "custom_fields."); ok {
		return t.CustomFields[key]
	}
	return nil
}

// Holds reports whether the condition is true of the ticket at now.
func (c Condition) Holds(t *ticket.Ticket, now time.Time) bool {
	return compare(c.Op, value(t, c.Field, now), c.Value)
}

// compare applies an operator to an attribute's value v and the
// condition's value want.
func compare(op string, v, want any) bool {
	switch op {
	case OpEmpty:
		return empty(v)
	case OpSet:
		return !empty(v)
	case OpIs:
		return equal(v, want)
	case OpIsNot:
		return !equal(v, want)
	case OpContains, OpNotContains:
		in := false
		switch x := v.(type) {
		case []string:
			w, _ := want.(string)
			in = slices.Contains(x, strings.ToLower(w))
		case string:
			w, _ := want.(string)
			in = strings.Contains(strings.ToLower(x), strings.ToLower(w))
		}
		return in == (op == OpContains)
	case OpGreater, OpLess:
		a, ok1 := number(v)
		b, ok2 := number(want)
		if !ok1 || !ok2 {
			return false
		}
		if op == OpGreater {
			return a > b
		}
		return a < b
	}
	return false
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	}
	return false
}

func equal(v, want any) bool {
	if a, ok := number(v); ok {
		b, ok := number(want)
		return ok && math.Abs(a-b) < 1e-9
	}
	switch x := v.(type) {
	case string:
		w, ok := want.(string)
		return ok && strings.EqualFold(x, w)
	case bool:
		w, ok := want.(bool)
		return ok && x == w
	case nil:
		return want == nil
	}
	return false
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}

// Matches reports whether a rule's conditions hold for the ticket: all of
// them, or any (a rule without conditions matches every ticket).
func (r *Rule) Matches(t *ticket.Ticket, now time.Time) bool {
	if len(r.Conditions) == 0 {
		return true
	}
	for _, c := range r.Conditions {
		h := c.Holds(t, now)
		if r.Match == MatchAny && h {
			return true
		}
		if r.Match != MatchAny && !h {
			return false
		}
	}
	return r.Match != MatchAny
}

// Triggers names the event triggers a ticket event stands for.
func Triggers(kind string, field string, byContact bool) []string {
	switch kind {
	case "ticket.created":
		return []string{OnCreated}
	case "ticket.field_changed":
		if field == "status" {
			return []string{OnUpdated, OnStatusChanged}
		}
		return []string{OnUpdated}
	case "ticket.assigned", "ticket.escalated", "ticket.deescalated":
		return []string{OnUpdated}
	case "ticket.message_added":
		if byContact {
			return []string{OnMessageReceived}
		}
		return nil
	}
	if strings.HasPrefix(kind, "sla.") {
		return []string{kind}
	}
	return nil
}
