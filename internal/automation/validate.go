package automation

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Limits of a rule.
const (
	MaxConditions = 50
	MaxActions    = 20
	MaxHours      = 24 * 365
)

var slaKindRE = regexp.MustCompile(`^sla\.[a-z_]{1,40}$`)

// Validate checks a rule against the desk's schema: its trigger, every
// condition (the attribute exists, the operator suits it, the value is one
// it can take), every action, every template, and that the rule cannot
// trigger itself. Problems come back per field ("conditions.2.field").
func (r *Rule) Validate(schema Schema) error {
	errs := desk.Fields{}
	if name, msg := people.CleanName(r.Name, 200); msg.Key != "" {
		errs["name"] = msg
	} else {
		r.Name = name
	}
	switch {
	case r.Trigger.Event != "" && r.Trigger.Since != "":
		errs["trigger"] = desk.M("automation.trigger_one")
	case r.Trigger.Event != "":
		if !slices.Contains(EventTriggers, r.Trigger.Event) && !slaKindRE.MatchString(r.Trigger.Event) {
			errs["trigger.event"] = desk.M("invalid.one_of", strings.Join(EventTriggers, ", "))
		}
		r.Trigger.Hours = 0
	case r.Trigger.Since != "":
		if !slices.Contains(Anchors, r.Trigger.Since) {
			errs["trigger.since"] = desk.M("invalid.one_of", strings.Join(Anchors, ", "))
		}
		if r.Trigger.Hours <= 0 || r.Trigger.Hours > MaxHours || math.IsNaN(r.Trigger.Hours) {
			errs["trigger.hours"] = desk.M("automation.hours", MaxHours)
		}
	default:
		errs["trigger"] = desk.M("automation.trigger_one")
	}
	if r.Match == "" {
		r.Match = MatchAll
	}
	if r.Match != MatchAll && r.Match != MatchAny {
		errs["match"] = desk.M("invalid.one_of", "all, any")
	}
	if len(r.Conditions) > MaxConditions {
		errs["conditions"] = desk.M("invalid.at_most", MaxConditions)
	}
	for i := range r.Conditions {
		checkCondition(errs, fmt.Sprintf("conditions.%d", i), &r.Conditions[i], schema)
	}
	checkActions(errs, r.Actions, schema, false)
	if len(errs) == 0 && r.loops() {
		errs["actions"] = desk.M("automation.would_loop")
	}
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	return nil
}

func checkCondition(errs desk.Fields, at string, c *Condition, schema Schema) {
	a, ok := schema.attribute(c.Field)
	if !ok {
		errs[at+".field"] = desk.M("automation.unknown_field", c.Field)
		return
	}
	if !slices.Contains(opsByKind[a.kind], c.Op) {
		errs[at+".op"] = desk.M("invalid.one_of", strings.Join(opsByKind[a.kind], ", "))
		return
	}
	if c.Op == OpEmpty || c.Op == OpSet {
		c.Value = nil
		return
	}
	if msg := checkValue(a, &c.Value); msg.Key != "" {
		errs[at+".value"] = msg
	}
}

// checkValue checks (and normalises) a value for an attribute.
func checkValue(a attribute, v *any) desk.Msg {
	switch a.kind {
	case kindText, kindEnum, kindTags:
		s, ok := (*v).(string)
		if !ok {
			return desk.M("automation.value_text")
		}
		if a.kind == kindTags {
			tags, msg := ticket.CleanTags([]string{s})
			if msg.Key != "" || len(tags) != 1 {
				return desk.M("invalid.tags")
			}
			*v = tags[0]
		}
		if a.kind == kindEnum && !slices.Contains(a.values, s) {
			return desk.M("invalid.one_of", strings.Join(a.values, ", "))
		}
	case kindID, kindNumber:
		n, ok := number(*v)
		if !ok || math.IsNaN(n) || math.IsInf(n, 0) || (a.kind == kindID && (n != math.Trunc(n) || n < 1)) {
			return desk.M("automation.value_number")
		}
	case kindBool:
		if _, ok := (*v).(bool); !ok {
			return desk.M("automation.value_bool")
		}
	}
	return desk.Msg{}
}

// settable lists what a set action may change besides custom fields.
var settable = []string{"status", "priority", "type", "subject"}

func checkActions(errs desk.Fields, actions []Action, schema Schema, macro bool) {
	if len(actions) > MaxActions {
		errs["actions"] = desk.M("invalid.at_most", MaxActions)
	}
	allowed := ActionTypes
	if macro {
		allowed = ActionTypes[:6]
	}
	for i := range actions {
		at := fmt.Sprintf("actions.%d", i)
		a := &actions[i]
		if !slices.Contains(allowed, a.Type) {
			errs[at+".type"] = desk.M("invalid.one_of", strings.Join(allowed, ", "))
			continue
		}
		switch a.Type {
		case ActSet:
			attr, ok := schema.attribute(a.Field)
			if !ok || (!slices.Contains(settable, a.Field) && !strings.HasPrefix(a.Field, "custom_fields.")) {
				errs[at+".field"] = desk.M("automation.unknown_field", a.Field)
				continue
			}
			if a.Field == "status" {
				if s, _ := a.Value.(string); s == ticket.CategoryNew {
					errs[at+".value"] = desk.M("invalid.back_to_new")
					continue
				}
			}
			if msg := checkValue(attr, &a.Value); msg.Key != "" {
				errs[at+".value"] = msg
			}
		case ActAssign:
			if a.AgentID == nil && a.TeamID == nil {
				errs[at+".agent_id"] = desk.M("invalid.required")
			}
		case ActAddTags, ActRemoveTags:
			tags, msg := ticket.CleanTags(a.Tags)
			if msg.Key == "" && len(tags) == 0 {
				msg = desk.M("invalid.required")
			}
			if msg.Key != "" {
				errs[at+".tags"] = msg
			}
			a.Tags = tags
		case ActNote, ActReply, ActNotify:
			if strings.TrimSpace(a.Text) == "" {
				errs[at+".text"] = desk.M("invalid.required")
			} else if _, msg := ParseTemplate(a.Text, schema); msg.Key != "" {
				errs[at+".text"] = msg
			}
			if a.Type == ActNotify && a.To != "assignee" && a.To != "team_lead" && (a.To != "agent" || a.AgentID == nil) {
				errs[at+".to"] = desk.M("invalid.one_of", "assignee, team_lead, agent")
			}
		case ActEscalate:
			if a.TeamID == nil {
				errs[at+".team_id"] = desk.M("invalid.required")
			}
		case ActWebhook:
			if a.WebhookID <= 0 {
				errs[at+".webhook_id"] = desk.M("invalid.required")
			}
		}
	}
}

// produces lists the triggers an action's change fires.
func (a Action) produces() []string {
	switch a.Type {
	case ActSet:
		if a.Field == "status" {
			return []string{OnUpdated, OnStatusChanged}
		}
		return []string{OnUpdated}
	case ActAssign, ActAddTags, ActRemoveTags, ActEscalate:
		return []string{OnUpdated}
	}
	return nil
}

// loops reports whether the rule's own actions could fire it again and
// again: they produce its trigger (or, for hours since the last update,
// update the ticket) and nothing they do makes its conditions false. A
// rule that sets what it tests ("priority is not urgent → set priority
// urgent") runs once per ticket and is fine.
func (r *Rule) loops() bool {
	fired := false
	for _, a := range r.Actions {
		for _, p := range a.produces() {
			if p == r.Trigger.Event || (r.Trigger.Since == SinceUpdated && p == OnUpdated) {
				fired = true
			}
		}
	}
	if !fired {
		return false
	}
	falsified := 0
	for _, c := range r.Conditions {
		if r.falsifies(c) {
			falsified++
		}
	}
	if r.Match == MatchAny {
		return len(r.Conditions) == 0 || falsified < len(r.Conditions)
	}
	return falsified == 0
}

// falsifies reports whether some action of the rule leaves c false on any
// ticket.
func (r *Rule) falsifies(c Condition) bool {
	for _, a := range r.Actions {
		switch {
		case a.Type == ActSet && a.Field == c.Field:
			if !compare(c.Op, a.Value, c.Value) {
				return true
			}
		case a.Type == ActAddTags && c.Field == "tags":
			w, _ := c.Value.(string)
			if c.Op == OpEmpty || (c.Op == OpNotContains && slices.Contains(a.Tags, w)) {
				return true
			}
		case a.Type == ActRemoveTags && c.Field == "tags":
			w, _ := c.Value.(string)
			if c.Op == OpContains && slices.Contains(a.Tags, w) {
				return true
			}
		case (a.Type == ActAssign || a.Type == ActEscalate) && (c.Field == "assignee_id" || c.Field == "team_id"):
			p := a.AgentID
			if c.Field == "team_id" {
				p = a.TeamID
			}
			if p != nil && !compare(c.Op, float64(*p), c.Value) {
				return true
			}
		}
	}
	return false
}
