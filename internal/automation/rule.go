// Package automation owns the rules that change tickets without a person:
// automations (an event or the hours since a moment trigger them; all/any
// conditions over the ticket; ordered actions) and macros (actions and a
// reply an agent applies by hand). Rules are checked when saved — unknown
// fields, templates reaching outside their data, rules that would trigger
// themselves are refused — and at run time they act through ticket.Service
// from a durable event cursor and a due-time timer table, each firing
// written to the rule's execution log. It knows nothing of HTTP or SQL.
package automation

import (
	"time"
)

// Event triggers. The ticket ones are derived from ticket events; SLA
// kinds ("sla.warning", "sla.breach", …) are matched by their event kind
// as the SLA engine records it.
const (
	OnCreated         = "ticket.created"
	OnUpdated         = "ticket.updated"
	OnMessageReceived = "ticket.message_received"
	OnStatusChanged   = "ticket.status_changed"
	OnSLAWarning      = "sla.warning"
	OnSLABreach       = "sla.breach"
)

// EventTriggers lists the event triggers in the order pages show them.
var EventTriggers = []string{OnCreated, OnUpdated, OnMessageReceived, OnStatusChanged, OnSLAWarning, OnSLABreach}

// Time triggers: hours since one of these moments of a ticket.
const (
	SinceCreated       = "created"
	SinceUpdated       = "updated"
	SinceSolved        = "solved"
	SinceCustomerReply = "customer_reply"
)

// Anchors lists the time triggers' moments.
var Anchors = []string{SinceCreated, SinceUpdated, SinceSolved, SinceCustomerReply}

// Trigger says when a rule is considered: on an event, or a number of hours
// after a moment of the ticket.
type Trigger struct {
	Event string  `json:"event"`
	Since string  `json:"since"`
	Hours float64 `json:"hours"`
}

// Condition compares one attribute of the ticket with a value.
type Condition struct {
	Field string `json:"field"`
	Op    string `json:"op"`
	Value any    `json:"value,omitempty"`
}

// Condition operators.
const (
	OpIs          = "is"
	OpIsNot       = "is_not"
	OpContains    = "contains"
	OpNotContains = "not_contains"
	OpGreater     = "greater_than"
	OpLess        = "less_than"
	OpEmpty       = "is_empty"
	OpSet         = "is_set"
)

// Action is one step of a rule or macro; which fields count depends on Type.
type Action struct {
	Type string `json:"type"`
	// set: the field (status, priority, type, subject, custom_fields.KEY)
	// and its new value.
	Field string `json:"field,omitempty"`
	Value any    `json:"value,omitempty"`
	// add_tags, remove_tags.
	Tags []string `json:"tags,omitempty"`
	// assign (either or both), escalate (TeamID).
	AgentID *int64 `json:"agent_id,omitempty"`
	TeamID  *int64 `json:"team_id,omitempty"`
	// note, reply, notify: a template; escalate: the reason.
	Text string `json:"text,omitempty"`
	// notify: "assignee", "team_lead" or an agent (AgentID).
	To string `json:"to,omitempty"`
	// webhook: the webhook sent the event that fired the rule.
	WebhookID int64 `json:"webhook_id,omitempty"`
}

// Action types.
const (
	ActSet        = "set"
	ActAssign     = "assign"
	ActAddTags    = "add_tags"
	ActRemoveTags = "remove_tags"
	ActNote       = "note"
	ActReply      = "reply"
	ActEscalate   = "escalate"
	ActNotify     = "notify"
	ActWebhook    = "webhook"
)

// ActionTypes lists the action types; macros take the first six.
var ActionTypes = []string{ActSet, ActAssign, ActAddTags, ActRemoveTags, ActNote, ActReply, ActEscalate, ActNotify, ActWebhook}

// Match modes.
const (
	MatchAll = "all"
	MatchAny = "any"
)

// Rule is an automation.
type Rule struct {
	ID         int64       `json:"id"`
	Name       string      `json:"name"`
	Active     bool        `json:"active"`
	Position   int         `json:"position"`
	Trigger    Trigger     `json:"trigger"`
	Match      string      `json:"match"`
	Conditions []Condition `json:"conditions"`
	Actions    []Action    `json:"actions"`
	Version    int64       `json:"version"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// Run is one line of a rule's execution log.
type Run struct {
	ID       int64  `json:"id"`
	RuleID   int64  `json:"automation_id"`
	TicketID int64  `json:"ticket_id"`
	FireKey  string `json:"fire_key"` // what fired it: e<event id>, or t<due time> for a timer
	// Outcome: applied, failed (Detail says why), stopped (loop guard).
	Outcome   string    `json:"outcome"`
	Detail    string    `json:"detail"`
	CreatedAt time.Time `json:"created_at"`
}

// Outcomes of a run.
const (
	Applied = "applied"
	Failed  = "failed"
	Stopped = "stopped"
)

// Timer is a time trigger's due moment for one ticket.
type Timer struct {
	RuleID   int64
	TicketID int64
	DueAt    time.Time
}

// CurrentVersion is the version the API answers as the ETag.
func (r *Rule) CurrentVersion() int64 { return r.Version }
