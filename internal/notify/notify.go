// Package notify tells agents what needs them: it reads committed events
// from a durable cursor, turns the ones that concern an agent (assigned to
// them, escalated to their team, an @mention) into notification jobs on the
// job queue, and the job stores the notification exactly once and pushes it
// live.
package notify

import "time"

// Notification is a message for one agent.
type Notification struct {
	ID        int64      `json:"id"`
	AgentID   int64      `json:"agent_id"`
	Kind      string     `json:"kind"`
	TicketID  int64      `json:"ticket_id"`
	EventID   int64      `json:"event_id"`
	Body      string     `json:"body"`
	ReadAt    *time.Time `json:"read_at"`
	CreatedAt time.Time  `json:"created_at"`
	// ActorKind and ActorID are who did what the notification tells of
	// (read from its event), for the sentence the app shows.
	ActorKind string `json:"-"`
	ActorID   int64  `json:"-"`
}

// Kinds of notification.
const (
	KindAssigned  = "assigned"
	KindEscalated = "escalated"
	// KindEscalatedAway tells an agent that their escalation took the
	// ticket out of what they may see.
	KindEscalatedAway   = "escalated_away"
	KindMentioned       = "mentioned"
	KindCustomerReplied = "customer_replied"
	KindWebhookDisabled = "webhook_disabled" // no ticket: a webhook failed too long and was turned off
	// KindAccountAtRisk tells an account's owner that its health crossed
	// into the risk band; no ticket, the body is JSON {organization_id,
	// name, score}.
	KindAccountAtRisk = "account_at_risk"
	// KindCheckinDue reminds an account's owner of a check-in that fell
	// due; the body is JSON {organization_id, name}.
	KindCheckinDue = "checkin_due"
	// KindGoalOffTrack tells a team's lead (or the agent whose goal it is)
	// that a goal went off track; the body is JSON {goal_id, metric}.
	KindGoalOffTrack = "goal_off_track"
)
