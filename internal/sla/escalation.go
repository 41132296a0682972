package sla

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// What starts an escalation rule.
const (
	TriggerSLAWarning = "sla_warning"  // a target's warning share passed
	TriggerSLABreach  = "sla_breach"   // a target passed
	TriggerUrgent     = "urgent"       // a ticket is created urgent or becomes urgent
	TriggerReopened   = "reopened"     // a solved ticket reopens for the Nth time or more
	TriggerKeyword    = "keyword"      // a customer's message holds one of the keywords
	TriggerNegativeCS = "satisfaction" // a negative satisfaction answer (SurveyAnswered events)
)

// Triggers lists every trigger, in the order pages show them.
var Triggers = []string{TriggerSLAWarning, TriggerSLABreach, TriggerUrgent, TriggerReopened, TriggerKeyword, TriggerNegativeCS}

// SurveyAnswered is the event of a customer's satisfaction answer (package
// csat): a rating of 1 or 2 of 5 is negative.
const SurveyAnswered = event.SatisfactionRated

// Rule escalates tickets when its trigger happens to a ticket its
// conditions cover: to a team, or to the first team (by id) of a tier,
// through the ticket service's escalation, the same as an agent's.
type Rule struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Position int    `json:"position"`
	Active   bool   `json:"active"`
	Trigger  string `json:"trigger"`
	// Metrics limits the SLA triggers to these targets (empty: any).
	Metrics []string `json:"metrics"`
	// OrganizationIDs limits the rule to tickets of these organizations
	// (empty: any).
	OrganizationIDs []int64  `json:"organization_ids"`
	ReopenCount     int      `json:"reopen_count"`
	Keywords        []string `json:"keywords"`
	// Exactly one of TeamID and Tier says where the ticket goes.
	TeamID    *int64    `json:"team_id"`
	Tier      *int      `json:"tier"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CurrentVersion is the version the API sends as the ETag (If-Match compares with it).
func (r *Rule) CurrentVersion() int64 { return r.Version }

// Run is one line of a rule's execution log.
type Run struct {
	ID        int64     `json:"id"`
	RuleID    int64     `json:"rule_id"`
	TicketID  int64     `json:"ticket_id"`
	EventID   int64     `json:"event_id"`
	Outcome   string    `json:"outcome"` // escalated or failed
	Error     string    `json:"error"`
	CreatedAt time.Time `json:"created_at"`
}

// Outcomes of a run.
const (
	RunEscalated = "escalated"
	RunFailed    = "failed"
)

// Validate checks a rule; teamExists and tierHasTeam answer about teams.
func (r *Rule) Validate(teamExists func(int64) bool, tierHasTeam func(int) bool) error {
	errs := desk.Fields{}
	if name, msg := people.CleanName(r.Name, 200); msg.Key != "" {
		errs["name"] = msg
	} else {
		r.Name = name
	}
	if !slices.Contains(Triggers, r.Trigger) {
		errs["trigger"] = desk.M("invalid.one_of", strings.Join(Triggers, ", "))
	}
	for _, m := range r.Metrics {
		if !slices.Contains(Metrics, m) {
			errs["metrics"] = desk.M("invalid.one_of", strings.Join(Metrics, ", "))
		}
	}
	if len(r.Metrics) > 0 && r.Trigger != TriggerSLAWarning && r.Trigger != TriggerSLABreach {
		errs["metrics"] = desk.M("escrule.only_for_sla")
	}
	switch {
	case r.Trigger == TriggerReopened && r.ReopenCount < 1:
		errs["reopen_count"] = desk.M("escrule.reopen_count")
	case r.Trigger != TriggerReopened && r.ReopenCount != 0:
		errs["reopen_count"] = desk.M("escrule.only_for", TriggerReopened)
	}
	clean := r.Keywords[:0]
	for _, k := range r.Keywords {
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "" || !utf8.ValidString(k) || utf8.RuneCountInString(k) > 100 {
			errs["keywords"] = desk.M("escrule.invalid_keyword")
			continue
		}
		clean = append(clean, k)
	}
	r.Keywords = clean
	switch {
	case r.Trigger == TriggerKeyword && len(r.Keywords) == 0:
		errs["keywords"] = desk.M("invalid.required")
	case r.Trigger != TriggerKeyword && len(r.Keywords) > 0:
		errs["keywords"] = desk.M("escrule.only_for", TriggerKeyword)
	case len(r.Keywords) > 100:
		errs["keywords"] = desk.M("invalid.at_most", 100)
	}
	switch {
	case (r.TeamID == nil) == (r.Tier == nil):
		errs["team_id"] = desk.M("escrule.team_or_tier")
	case r.TeamID != nil && !teamExists(*r.TeamID):
		errs["team_id"] = desk.M("invalid.no_team")
	case r.Tier != nil && !tierHasTeam(*r.Tier):
		errs["tier"] = desk.M("escrule.no_team_in_tier", *r.Tier)
	}
	if r.Metrics == nil {
		r.Metrics = []string{}
	}
	if r.OrganizationIDs == nil {
		r.OrganizationIDs = []int64{}
	}
	if r.Keywords == nil {
		r.Keywords = []string{}
	}
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	return nil
}

// Facts are what a rule may need beyond the event and the ticket; the
// service fetches only what the rule's trigger asks for.
type Facts struct {
	MessageText string // the message of a MessageAdded event
	Reopened    bool   // the event moved the ticket out of solved or closed
	Reopens     int    // how often the ticket was reopened, this time included
}

// Fires reports whether the event sets the rule off for the ticket.
func (r *Rule) Fires(ev event.Event, t *ticket.Ticket, f Facts) bool {
	if !r.Active {
		return false
	}
	if len(r.OrganizationIDs) > 0 && (t.OrganizationID == nil || !slices.Contains(r.OrganizationIDs, *t.OrganizationID)) {
		return false
	}
	switch r.Trigger {
	case TriggerSLAWarning, TriggerSLABreach:
		kind := map[string]string{TriggerSLAWarning: event.SLAWarning, TriggerSLABreach: event.SLABreached}[r.Trigger]
		if ev.Kind != kind {
			return false
		}
		var d struct {
			Metric string `json:"metric"`
		}
		_ = json.Unmarshal(ev.Data, &d)
		return len(r.Metrics) == 0 || slices.Contains(r.Metrics, d.Metric)
	case TriggerUrgent:
		switch ev.Kind {
		case event.TicketCreated:
			var d struct {
				Priority string `json:"priority"`
			}
			_ = json.Unmarshal(ev.Data, &d)
			return d.Priority == "urgent"
		case event.FieldChanged:
			var c event.Change
			_ = json.Unmarshal(ev.Data, &c)
			return c.Field == "priority" && c.New == "urgent"
		}
	case TriggerReopened:
		return f.Reopened && f.Reopens >= r.ReopenCount
	case TriggerKeyword:
		if !IsCustomerMessage(ev) {
			return false
		}
		text := strings.ToLower(f.MessageText)
		for _, k := range r.Keywords {
			if strings.Contains(text, k) {
				return true
			}
		}
	case TriggerNegativeCS:
		if ev.Kind != SurveyAnswered {
			return false
		}
		var d struct {
			Rating   int  `json:"rating"`
			Previous *int `json:"previous"`
		}
		_ = json.Unmarshal(ev.Data, &d)
		// An answer that turns negative fires; one changed from a negative
		// rating to another does not escalate the ticket again.
		negative := func(r int) bool { return r >= 1 && r <= 2 }
		return negative(d.Rating) && (d.Previous == nil || !negative(*d.Previous))
	}
	return false
}

// IsReopen reports whether the event moves a ticket out of the solved or
// closed categories; category maps a status name to its category.
func IsReopen(ev event.Event, category func(string) string) bool {
	if ev.Kind != event.FieldChanged {
		return false
	}
	var c event.Change
	_ = json.Unmarshal(ev.Data, &c)
	oldName, _ := c.Old.(string)
	newName, _ := c.New.(string)
	done := func(cat string) bool { return cat == ticket.CategorySolved || cat == ticket.CategoryClosed }
	return c.Field == "status" && done(category(oldName)) && !done(category(newName))
}

// IsCustomerMessage reports whether the event is a customer's public message.
func IsCustomerMessage(ev event.Event) bool {
	if ev.Kind != event.MessageAdded {
		return false
	}
	var d struct {
		Internal   bool   `json:"internal"`
		AuthorKind string `json:"author_kind"`
	}
	_ = json.Unmarshal(ev.Data, &d)
	return !d.Internal && d.AuthorKind == desk.ActorContact
}
