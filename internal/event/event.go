// Package event owns the change log of Sahayak: the Event type written in the
// same transaction as every change, and the Bus that delivers committed events
// to subscribers (live updates, notifications; SLA, automation and reports
// later). Durable consumers do not rely on the bus: they read the events table
// from a stored cursor, so a crash loses nothing.
package event

import (
	"encoding/json"
	"sync"
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
	NotificationAdded = "notification.added"
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
)

// Public lists the kinds an integrator may subscribe to, in the order the
// admin pages show them.
var Public = []string{
	TicketCreated, FieldChanged, MessageAdded, Assigned, Escalated, Deescalated, Merged, MergedInto, Linked,
	Mentioned, FollowerAdded,
	ContactCreated, ContactUpdated, ContactDeleted, OrganizationCreated, OrganizationUpdated, OrganizationDeleted,
	AgentCreated, AgentUpdated, AgentDeactivated, TeamCreated, TeamUpdated, TeamDeleted, WebhookDisabled,
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

// Bus delivers committed events to in-process subscribers. Delivery is best
// effort: a subscriber that falls behind loses events rather than slowing the
// writer, and must reload what it shows (live views do exactly that).
type Bus struct {
	mu   sync.RWMutex
	next int
	subs map[int]chan Event
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[int]chan Event{}} }

// Publish hands the events to every subscriber without blocking.
func (b *Bus) Publish(evs ...Event) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, ch := range b.subs {
		for _, e := range evs {
			select {
			case ch <- e:
			default:
			}
		}
	}
}

// Subscribe returns a channel of events and a function that ends the
// subscription and closes the channel.
func (b *Bus) Subscribe(buffer int) (<-chan Event, func()) {
	ch := make(chan Event, buffer)
	b.mu.Lock()
	id := b.next
	b.next++
	b.subs[id] = ch
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, id)
			b.mu.Unlock()
			close(ch)
		})
	}
}
