package sla

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Metrics a policy sets targets for.
const (
	FirstResponse = "first_response"
	NextResponse  = "next_response"
	Resolution    = "resolution"
)

// Metrics in the order pages show them.
var Metrics = []string{FirstResponse, NextResponse, Resolution}

// Ways of counting time toward a target.
const (
	BusinessTime = "business" // only the working periods of the calendar
	CalendarTime = "calendar" // every minute, day and night
)

// Target is what a policy promises for one priority, in minutes (0: no
// promise for that metric).
type Target struct {
	FirstResponse int `json:"first_response"`
	NextResponse  int `json:"next_response"`
	Resolution    int `json:"resolution"`
}

func (t Target) of(metric string) time.Duration {
	m := map[string]int{FirstResponse: t.FirstResponse, NextResponse: t.NextResponse, Resolution: t.Resolution}[metric]
	return time.Duration(m) * time.Minute
}

// Conditions select the tickets a policy covers: every non-empty list must
// hold the ticket's value (any of its tags, for tags). No conditions cover
// every ticket.
type Conditions struct {
	OrganizationIDs []int64  `json:"organization_ids"`
	Channels        []string `json:"channels"`
	Priorities      []string `json:"priorities"`
	Types           []string `json:"types"`
	Tags            []string `json:"tags"`
	TeamIDs         []int64  `json:"team_ids"`
}

// MarshalJSON writes every list, empty ones as [] (never null).
func (c Conditions) MarshalJSON() ([]byte, error) {
	type plain Conditions
	x := plain(c)
	for _, l := range []*[]string{&x.Channels, &x.Priorities, &x.Types, &x.Tags} {
		if *l == nil {
			*l = []string{}
		}
	}
	for _, l := range []*[]int64{&x.OrganizationIDs, &x.TeamIDs} {
		if *l == nil {
			*l = []int64{}
		}
	}
	return json.Marshal(x)
}

// conditionFields are the ticket fields a condition may name.
var conditionFields = []string{"organization_ids", "channels", "priorities", "types", "tags", "team_ids"}

// ParseConditions reads conditions from JSON, refusing a field that does
// not exist (with the fields that do) rather than ignoring it: a condition
// silently dropped would cover tickets its author meant to leave out.
func ParseConditions(raw json.RawMessage, prefix string) (Conditions, desk.Fields) {
	var c Conditions
	if len(raw) == 0 || string(raw) == "null" {
		return c, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return c, desk.Fields{prefix: desk.M("sla.invalid_conditions")}
	}
	errs := desk.Fields{}
	for k := range m {
		if !slices.Contains(conditionFields, k) {
			errs[prefix+"."+k] = desk.M("sla.unknown_condition", k, strings.Join(conditionFields, ", "))
		}
	}
	if len(errs) > 0 {
		return c, errs
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, desk.Fields{prefix: desk.M("sla.invalid_conditions")}
	}
	return c, nil
}

func (c Conditions) validate(errs desk.Fields, prefix string) {
	check := func(field string, vals, allowed []string) {
		for _, v := range vals {
			if !slices.Contains(allowed, v) {
				errs[prefix+"."+field] = desk.M("invalid.one_of", strings.Join(allowed, ", "))
			}
		}
	}
	check("channels", c.Channels, ticket.Channels)
	check("priorities", c.Priorities, ticket.Priorities)
	check("types", c.Types, ticket.Types)
	if _, msg := ticket.CleanTags(c.Tags); msg.Key != "" {
		errs[prefix+".tags"] = msg
	}
}

// Matches reports whether the conditions cover the ticket.
func (c Conditions) Matches(t *ticket.Ticket) bool {
	in := func(ids []int64, p *int64) bool {
		return len(ids) == 0 || (p != nil && slices.Contains(ids, *p))
	}
	one := func(vals []string, v string) bool { return len(vals) == 0 || slices.Contains(vals, v) }
	if !in(c.OrganizationIDs, t.OrganizationID) || !in(c.TeamIDs, t.TeamID) || !one(c.Channels, t.Channel) ||
		!one(c.Priorities, t.Priority) || !one(c.Types, t.Type) {
		return false
	}
	if len(c.Tags) == 0 {
		return true
	}
	for _, tag := range t.Tags {
		if slices.Contains(c.Tags, tag) {
			return true
		}
	}
	return false
}

// Policy is a promise of response and resolution times for the tickets its
// conditions cover. The first active policy by position that covers a
// ticket applies to it.
type Policy struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Position   int        `json:"position"`
	Active     bool       `json:"active"`
	Conditions Conditions `json:"conditions"`
	// Targets per priority ("low" … "urgent"); a priority without one has
	// no promise.
	Targets map[string]Target `json:"targets"`
	// Time is BusinessTime or CalendarTime.
	Time string `json:"time"`
	// CalendarID names the business hours; without one a ticket's team's
	// calendar counts, and without that every hour does.
	CalendarID *int64 `json:"calendar_id"`
	// PauseOn are the status categories in which the clock stops.
	PauseOn []string `json:"pause_on"`
	// WarnPercent is how much of a target may pass before the warning
	// (0: no warning).
	WarnPercent int       `json:"warn_percent"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CurrentVersion is the version the API sends as the ETag (If-Match compares with it).
func (p *Policy) CurrentVersion() int64 { return p.Version }

// DefaultPauseOn is where the clock stops unless a policy says otherwise.
var DefaultPauseOn = []string{ticket.CategoryPending, ticket.CategoryOnHold}

// MaxTarget bounds a target: a year of minutes.
const MaxTarget = 366 * 24 * 60

// Validate checks a policy; calendars names the calendars that exist.
func (p *Policy) Validate(calendarExists func(id int64) bool) error {
	errs := desk.Fields{}
	if name, msg := people.CleanName(p.Name, 200); msg.Key != "" {
		errs["name"] = msg
	} else {
		p.Name = name
	}
	p.Conditions.validate(errs, "conditions")
	if p.Time == "" {
		p.Time = BusinessTime
	}
	checkOne := func(field, v string, allowed []string) {
		if !slices.Contains(allowed, v) {
			errs[field] = desk.M("invalid.one_of", strings.Join(allowed, ", "))
		}
	}
	checkOne("time", p.Time, []string{BusinessTime, CalendarTime})
	if p.Targets == nil {
		p.Targets = map[string]Target{}
	}
	for prio, t := range p.Targets {
		if !slices.Contains(ticket.Priorities, prio) {
			errs["targets."+prio] = desk.M("sla.unknown_priority", strings.Join(ticket.Priorities, ", "))
			continue
		}
		for _, v := range []int{t.FirstResponse, t.NextResponse, t.Resolution} {
			if v < 0 || v > MaxTarget {
				errs["targets."+prio] = desk.M("sla.invalid_target", MaxTarget)
			}
		}
	}
	if p.PauseOn == nil {
		p.PauseOn = slices.Clone(DefaultPauseOn)
	}
	for _, c := range p.PauseOn {
		checkOne("pause_on", c, []string{ticket.CategoryNew, ticket.CategoryOpen, ticket.CategoryPending, ticket.CategoryOnHold})
	}
	if p.WarnPercent < 0 || p.WarnPercent > 99 {
		errs["warn_percent"] = desk.M("sla.invalid_warn_percent")
	}
	if p.CalendarID != nil && !calendarExists(*p.CalendarID) {
		errs["calendar_id"] = desk.M("sla.no_calendar", *p.CalendarID)
	}
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	return nil
}

// Select returns the first active policy (by position, then id) that covers
// the ticket, or nil.
func Select(policies []*Policy, t *ticket.Ticket) *Policy {
	for _, p := range policies {
		if p.Active && p.Conditions.Matches(t) {
			return p
		}
	}
	return nil
}
