// Package event owns the change log of Sahayak: the Event type written in the
// same transaction as every change, and the Bus that delivers committed events
// to subscribers (live updates, notifications; SLA, automation and reports
// later). Durable consumers do not rely on the bus: they read the events table
// from a stored cursor, so a crash loses nothing.
package event

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Kinds of ticket events.
const (
	TicketCreated     = "ticket.created"
	FieldChanged      = "ticket.field_changed"
	MessageAdded      = "ticket.message_added"
	Assigned          = "ticket.assigned"
	Escalated         = "ticket.escalated"
	Deescalated       = "ticket.deescalated"
	Merged            = "ticket.merged"      // on the source ticket: it was merged into another
	MergedInto        = "ticket.merged_into" // on the target ticket: another was merged into it
	Linked            = "ticket.linked"
	Mentioned         = "ticket.mentioned"
	FollowerAdded     = "ticket.follower_added"
	MailWarning       = "ticket.mail_warning" // inbound mail read with trouble: data names the warnings
	NotificationAdded = "notification.added"
	// SLA events (package sla): a target's warning share has passed, or the
	// target itself. Data: policy_id, metric, due_at.
	SLAWarning  = "sla.warning"
	SLABreached = "sla.breached"
	// SatisfactionRated: the requester answered the ticket's satisfaction
	// survey, or changed the answer (package csat). Data: survey_id, rating
	// (1-5), previous (null at first), comment, agent_id, team_id.
	SatisfactionRated = "ticket.satisfaction_rated"
)

// Kinds of events about people and configuration. They carry no ticket
// (ticket_id NULL); their data is the thing as it is after the change, or
// {"id": n} when it is gone. They are not published on the Bus: live
// streams are ticket-scoped, and a contact's details must not reach agents
// who may not read contacts. Durable consumers (webhooks) read them from the
// events table.
const (
	ContactCreated      = "contact.created"
	ContactUpdated      = "contact.updated"
	ContactDeleted      = "contact.deleted"
	OrganizationCreated = "organization.created"
	OrganizationUpdated = "organization.updated"
	OrganizationDeleted = "organization.deleted"
	AgentCreated        = "agent.created"
	AgentUpdated        = "agent.updated"
	AgentDeactivated    = "agent.deactivated"
	TeamCreated         = "team.created"
	TeamUpdated         = "team.updated"
	TeamDeleted         = "team.deleted"
	WebhookDisabled     = "webhook.disabled"
	// PresenceChanged: an agent's availability moved (by the agent or by
	// inactivity); package assign hands back tickets and fills free slots.
	PresenceChanged = "agent.presence_changed"
	// OpportunityHandedOff: an account's opportunity was handed to sales
	// (package account). Data: opportunity_id, organization_id, title,
	// kind, value, currency, ticket_id, source, sales_email, agent_id.
	OpportunityHandedOff = "opportunity.handed_off"
)

// Public lists the kinds an integrator may subscribe to, in the order the
// admin pages show them.
var Public = []string{
	TicketCreated, FieldChanged, MessageAdded, Assigned, Escalated, Deescalated, Merged, MergedInto, Linked,
	Mentioned, FollowerAdded, SLAWarning, SLABreached, SatisfactionRated,
	ContactCreated, ContactUpdated, ContactDeleted, OrganizationCreated, OrganizationUpdated, OrganizationDeleted,
	AgentCreated, AgentUpdated, AgentDeactivated, TeamCreated, TeamUpdated, TeamDeleted, WebhookDisabled,
	OpportunityHandedOff,
}

// Event is one recorded change. Data holds the kind-specific details as JSON.
type Event struct {
	ID        int64           `json:"id"`
	TicketID  int64           `json:"ticket_id,omitempty"`
	Kind      string          `json:"kind"`
	ActorKind string          `json:"actor_kind"`
	ActorID   int64           `json:"actor_id,omitempty"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
	// To names who may hear of the event on the bus (see Key); nil is
	// everyone. It is worked out when the event is published, never stored.
	To []Key `json:"-"`
}

// New builds an event whose data is v marshalled to JSON.
func New(kind string, ticketID int64, data any) Event {
	b, err := json.Marshal(data)
	if err != nil {
		// Data are always plain maps and structs built by the domain; a
		// failure here is a programming error worth surfacing loudly.
		panic("event: marshal " + kind + ": " + err.Error())
	}
	return Event{Kind: kind, TicketID: ticketID, Data: b}
}

// Change is the data of a FieldChanged event.
type Change struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// Field is a numeric field added to an event's data after the fact, when its
// value is known only once the rows are written (an id).
type Field struct {
	Name  string
	Value int64
}

// WithFields returns data, a JSON object, with the fields appended at its
// end. It works on the text so that a database statement that writes the
// event can append the same fields the same way (see OpenObject) and the
// stored and the published data are the same bytes.
func WithFields(data json.RawMessage, fields ...Field) json.RawMessage {
	b := []byte(OpenObject(data))
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, f.Name)
		b = append(b, ':')
		b = strconv.AppendInt(b, f.Value, 10)
	}
	return append(b, '}')
}

// OpenObject returns data, a JSON object, without its closing brace and,
// when it has fields, with a comma after them: the text that further fields
// and a closing brace complete.
func OpenObject(data json.RawMessage) string {
	s := strings.TrimRight(string(data), " \t\r\n")
	if s == "" || s == "{}" {
		return "{"
	}
	return strings.TrimSuffix(s, "}") + ","
}
