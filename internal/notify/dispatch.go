package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Store is what notifications need persisted.
type Store interface {
	EventsAfter(ctx context.Context, afterID int64, limit int) ([]event.Event, error)
	EventCursor(ctx context.Context, consumer string) (int64, error)
	SetEventCursor(ctx context.Context, consumer string, eventID int64) error
	AddNotification(ctx context.Context, n *Notification) (bool, error)
	Ticket(ctx context.Context, id int64) (*ticket.Ticket, error)
	// AgentsWith returns the ids of the active agents whose role holds the
	// permission.
	AgentsWith(ctx context.Context, permission string) ([]int64, error)
}

// Args is the notification job: one agent, one event, one kind.
type Args struct {
	AgentID  int64  `json:"agent_id"`
	EventID  int64  `json:"event_id"`
	TicketID int64  `json:"ticket_id"`
	What     string `json:"what"`
	Body     string `json:"body"`
}

// Kind names the job in the queue; never rename it.
func (Args) Kind() string { return "notify" }

const consumer = "notify"

// Notifier turns events into notification jobs and works them.
type Notifier struct {
	store Store
	queue *jobs.Queue
	bus   *event.Bus
	clock desk.Clock
	log   *slog.Logger
}

// New registers the notification worker on the queue (before it starts).
func New(s Store, q *jobs.Queue, bus *event.Bus, clock desk.Clock, log *slog.Logger) (*Notifier, error) {
	n := &Notifier{store: s, queue: q, bus: bus, clock: clock, log: log}
	if err := jobs.AddWorker(q, n.work, jobs.MaxAttempts(10)); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	return n, nil
}

// work stores the notification; the unique (agent, event, kind) row makes a
// retried or duplicated job harmless.
func (n *Notifier) work(ctx context.Context, a Args) error {
	note := &Notification{AgentID: a.AgentID, Kind: a.What, TicketID: a.TicketID, EventID: a.EventID,
		Body: a.Body, CreatedAt: n.clock.Now()}
	added, err := n.store.AddNotification(ctx, note)
	if err != nil {
		return err
	}
	if added {
		b, _ := json.Marshal(map[string]any{"agent_id": a.AgentID, "kind": a.What, "body": a.Body})
		n.bus.Publish(event.Event{Kind: event.NotificationAdded, TicketID: a.TicketID, ActorKind: desk.ActorSystem, Data: b,
			CreatedAt: note.CreatedAt, To: []event.Key{event.Agent(a.AgentID)}})
	}
	return nil
}

// Run reads events from the stored cursor until ctx ends, waking when the
// bus says something was committed and at least every few seconds (another
// node may have written).
func (n *Notifier) Run(ctx context.Context) {
	event.Follow(ctx, n.store, n.bus, consumer, gather, 2*time.Second, n.enqueue, n.log)
}

// gather is how long the notifier waits after a commit before it reads.
const gather = 200 * time.Millisecond

// dispatch enqueues the jobs for every event after the cursor.
func (n *Notifier) dispatch(ctx context.Context) error {
	return event.Consume(ctx, n.store, consumer, n.enqueue)
}

// enqueue adds the notification jobs of a batch of events. The jobs are
// unique per (event, agent, kind), so a batch read twice enqueues nothing
// twice.
func (n *Notifier) enqueue(ctx context.Context, evs []event.Event) error {
	for _, e := range evs {
		args, err := n.recipients(ctx, e)
		if err != nil {
			return err
		}
		for _, a := range args {
			key := "notify:" + strconv.FormatInt(a.EventID, 10) + ":" + strconv.FormatInt(a.AgentID, 10) + ":" + a.What
			if _, err := n.queue.Enqueue(ctx, a, jobs.Unique(key)); err != nil {
				return fmt.Errorf("enqueue notification: %w", err)
			}
		}
	}
	return nil
}

// webhookAdmins tells everyone who may manage webhooks that one was
// disabled; the body is its URL.
func (n *Notifier) webhookAdmins(ctx context.Context, e event.Event) ([]Args, error) {
	var d struct {
		URL string `json:"url"`
	}
	_ = json.Unmarshal(e.Data, &d)
	ids, err := n.store.AgentsWith(ctx, auth.WebhooksWrite)
	if err != nil {
		return nil, err
	}
	out := []Args{}
	for _, id := range ids {
		out = append(out, Args{AgentID: id, EventID: e.ID, What: KindWebhookDisabled, Body: d.URL})
	}
	return out, nil
}

// accountOwner tells an account's owner what an account event says: it
// crossed into the risk band, or a check-in fell due.
func accountOwner(e event.Event, kind string) []Args {
	var d struct {
		OrganizationID int64  `json:"organization_id"`
		Name           string `json:"name"`
		OwnerID        int64  `json:"owner_id"`
		Score          int    `json:"score"`
	}
	if json.Unmarshal(e.Data, &d) != nil || d.OwnerID == 0 {
		return nil
	}
	body, _ := json.Marshal(map[string]any{"organization_id": d.OrganizationID, "name": d.Name, "score": d.Score})
	return []Args{{AgentID: d.OwnerID, EventID: e.ID, What: kind, Body: string(body)}}
}

// GoalOffTrackEvent is report.GoalOffTrack (package report, which reads
// quality's figures, cannot be imported here: quality notifies).
const GoalOffTrackEvent = "report.goal_off_track"

// goalOwner tells a goal's lead or agent that it went off track.
func goalOwner(e event.Event) []Args {
	var d struct {
		GoalID      int64  `json:"goal_id"`
		Metric      string `json:"metric"`
		RecipientID *int64 `json:"recipient_id"`
	}
	if json.Unmarshal(e.Data, &d) != nil || d.RecipientID == nil {
		return nil
	}
	body, _ := json.Marshal(map[string]any{"goal_id": d.GoalID, "metric": d.Metric})
	return []Args{{AgentID: *d.RecipientID, EventID: e.ID, What: KindGoalOffTrack, Body: string(body)}}
}

// recipients decides who hears of an event. Nobody is told of their own act.
func (n *Notifier) recipients(ctx context.Context, e event.Event) ([]Args, error) {
	var d struct {
		New      *int64 `json:"new"`
		LeadID   *int64 `json:"lead_id"`
		AgentID  int64  `json:"agent_id"`
		Reason   string `json:"reason"`
		Internal bool   `json:"internal"`
		// LostAccess: the escalating agent no longer sees the ticket.
		LostAccess bool `json:"actor_lost_access"`
	}
	switch e.Kind {
	case event.Assigned, event.Escalated, event.Deescalated, event.Mentioned, event.MessageAdded:
	case event.WebhookDisabled:
		return n.webhookAdmins(ctx, e)
	case account.AtRisk:
		return accountOwner(e, KindAccountAtRisk), nil
	case account.CheckinDue:
		return accountOwner(e, KindCheckinDue), nil
	case GoalOffTrackEvent:
		return goalOwner(e), nil
	default:
		// Other kinds tell nobody, and their data has other shapes (a
		// status change's "new" is text, not an agent id).
		return nil, nil
	}
	if len(e.Data) > 0 {
		if err := json.Unmarshal(e.Data, &d); err != nil {
			// Old or foreign event data must not stop the consumer.
			n.log.Warn("notify: skip event with unreadable data", slog.Int64("event", e.ID))
			return nil, nil
		}
	}
	one := func(agent *int64, kind, body string) []Args {
		if agent == nil || (e.ActorKind == desk.ActorAgent && *agent == e.ActorID) {
			return nil
		}
		return []Args{{AgentID: *agent, EventID: e.ID, TicketID: e.TicketID, What: kind, Body: body}}
	}
	switch e.Kind {
	case event.Assigned:
		return one(d.New, KindAssigned, ""), nil
	case event.Escalated, event.Deescalated:
		var out []Args
		if e.Kind == event.Escalated {
			out = one(d.LeadID, KindEscalated, d.Reason)
		}
		if d.LostAccess && e.ActorKind == desk.ActorAgent {
			// The one exception to "not told of their own act": the ticket
			// left their sight, and the notification says so instead of
			// leading to a ticket that is not found.
			out = append(out, Args{AgentID: e.ActorID, EventID: e.ID, TicketID: e.TicketID, What: KindEscalatedAway, Body: d.Reason})
		}
		return out, nil
	case event.Mentioned:
		return one(&d.AgentID, KindMentioned, ""), nil
	case event.MessageAdded:
		if e.ActorKind != desk.ActorContact {
			return nil, nil
		}
		t, err := n.store.Ticket(ctx, e.TicketID)
		if desk.ErrorCode(err) == desk.ENOTFOUND {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return one(t.AssigneeID, KindCustomerReplied, ""), nil
	}
	return nil, nil
}
