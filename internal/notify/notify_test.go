package notify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/notify"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// waitFor bounds every wait; passing runs take a fraction of it.
const waitFor = 10 * time.Second

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// node is one sahayak process: its own job queue handle and notifier over
// the shared database.
type node struct {
	db       *store.DB
	queue    *jobs.Queue
	notifier *notify.Notifier
}

// desk is a database with services and a way to start nodes on it.
type deskEnv struct {
	t       *testing.T
	db      *store.DB
	bus     *event.Bus
	tickets *ticket.Service
	people  *people.Service
	access  *access.Service
	sys     context.Context
}

func newDesk(t *testing.T, b storetest.Backend) *deskEnv {
	db := storetest.Open(t, b)
	bus := event.NewBus()
	clock := desk.SystemClock{}
	return &deskEnv{t: t, db: db, bus: bus,
		tickets: ticket.NewService(db, db, bus, clock),
		people:  people.NewService(db, clock),
		access:  access.NewService(db, clock),
		sys:     desk.WithActor(context.Background(), desk.System),
	}
}

// node builds a queue the way the app does (its own SQLite handle, or the
// database URL with its search_path on PostgreSQL) and, when work is set,
// starts working jobs — one at a time, so that jobs finish in the order
// they were enqueued.
func (d *deskEnv) node(work bool) *node { return d.nodeLogging(work, quiet) }

// nodeLogging is node with the notifier logging to log.
func (d *deskEnv) nodeLogging(work bool, log *slog.Logger) *node {
	t := d.t
	q := storetest.Queue(t, d.db, jobs.Config{Logger: quiet, PollInterval: 20 * time.Millisecond, MaxWorkers: 1})
	n, err := notify.New(d.db, q, d.bus, desk.SystemClock{}, log)
	if err != nil {
		t.Fatal(err)
	}
	if work {
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return &node{db: d.db, queue: q, notifier: n}
}

// dispatch runs the notifier until its cursor reaches the last committed
// event. On PostgreSQL an event becomes readable only once every transaction
// older than its own has ended (anywhere on the server, other tests' too),
// so one pass may stop short of it.
func (n *node) dispatch(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(waitFor)
	for {
		if err := n.notifier.Dispatch(ctx); err != nil {
			t.Fatalf("dispatch: %v", err)
		}
		at, err := n.db.EventCursor(ctx, "notify")
		if err != nil {
			t.Fatal(err)
		}
		last, err := n.db.LastEventID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if at == last {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("notify cursor stuck at %d, last event %d", at, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (d *deskEnv) agent(email, role string) *people.Agent {
	d.t.Helper()
	a, err := d.people.CreateAgent(d.sys, people.AgentInput{Email: &email, Name: &email, Role: &role}, auth.HashPassword)
	if err != nil {
		d.t.Fatal(err)
	}
	return a
}

func (d *deskEnv) as(a *people.Agent) context.Context {
	d.t.Helper()
	fresh, err := d.db.Agent(context.Background(), a.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	actor, err := d.access.ActorFor(context.Background(), fresh)
	if err != nil {
		d.t.Fatal(err)
	}
	return desk.WithActor(context.Background(), actor)
}

func (d *deskEnv) open() *ticket.Ticket {
	d.t.Helper()
	tk, err := d.tickets.Create(d.sys, ticket.NewTicket{Subject: "Refund", Body: "Please", Requester: ticket.Person{Email: "asha@customer.test"}})
	if err != nil {
		d.t.Fatal(err)
	}
	return tk
}

// notes returns an agent's notifications as "kind:ticket" strings, oldest first.
func (d *deskEnv) notes(agentID int64) []string {
	d.t.Helper()
	list, err := d.db.Notifications(context.Background(), agentID, 100)
	if err != nil {
		d.t.Fatal(err)
	}
	out := []string{}
	for _, n := range slices.Backward(list) {
		out = append(out, fmt.Sprintf("%s:%d", n.Kind, n.TicketID))
	}
	return out
}

// waitNote waits until the agent has a notification of the kind.
func (d *deskEnv) waitNote(agentID int64, want string) {
	d.t.Helper()
	deadline := time.Now().Add(waitFor)
	for !slices.Contains(d.notes(agentID), want) {
		if time.Now().After(deadline) {
			d.t.Fatalf("agent %d never got %s; has %v", agentID, want, d.notes(agentID))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNotifications(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		d := newDesk(t, b)
		actor, bob := d.agent("actor@desk.test", "team_lead"), d.agent("bob@desk.test", "agent")
		lead, mina, sentinel := d.agent("lead@desk.test", "team_lead"), d.agent("mina@desk.test", "agent"), d.agent("sentinel@desk.test", "agent")
		tier2, err := d.people.CreateTeam(d.sys, people.TeamInput{Name: ptr("Tier 2"), Tier: ptr(2), LeadID: &lead.ID})
		if err != nil {
			t.Fatal(err)
		}
		worker := d.node(true)
		// A second node dispatches the same events, as a second server would.
		other := d.node(false)
		as := d.as(actor)
		tk := d.open()

		// Assigning to Bob tells Bob, not the actor; taking it oneself tells nobody.
		if _, err := d.tickets.Update(as, tk.ID, ticket.Patch{AssigneeID: &bob.ID}); err != nil {
			t.Fatal(err)
		}
		own := d.open()
		if _, err := d.tickets.Update(as, own.ID, ticket.Patch{AssigneeID: &actor.ID}); err != nil {
			t.Fatal(err)
		}
		// Escalating tells the target team's lead, with the reason.
		if _, err := d.tickets.Escalate(as, tk.ID, tier2.ID, "needs billing access"); err != nil {
			t.Fatal(err)
		}
		// An @mention tells the mentioned agent.
		if _, err := d.tickets.AddMessage(as, tk.ID, ticket.NewMessage{Body: "@mina@desk.test can you look?", Internal: true}); err != nil {
			t.Fatal(err)
		}
		// A customer's reply tells the assignee.
		if _, err := d.tickets.Update(as, tk.ID, ticket.Patch{AssigneeID: &lead.ID}); err != nil {
			t.Fatal(err)
		}
		customer := desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorContact, ID: tk.Requester.ID,
			Permissions: []string{auth.TicketsReply}})
		if _, err := d.tickets.AddMessage(customer, tk.ID, ticket.NewMessage{Body: "Any news?"}); err != nil {
			t.Fatal(err)
		}

		// Both nodes dispatch, concurrently and then once more each.
		errs := make(chan error, 2)
		for _, n := range []*node{worker, other} {
			go func() { errs <- n.notifier.Dispatch(context.Background()) }()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		worker.dispatch(t)
		other.dispatch(t)

		// The sentinel's job is enqueued last; the one worker runs jobs in
		// order, so once it is there every earlier job has run.
		if _, err := d.tickets.Update(as, own.ID, ticket.Patch{AssigneeID: &sentinel.ID}); err != nil {
			t.Fatal(err)
		}
		other.dispatch(t)
		d.waitNote(sentinel.ID, fmt.Sprintf("assigned:%d", own.ID))

		want := map[*people.Agent][]string{
			bob:   {fmt.Sprintf("assigned:%d", tk.ID)},
			lead:  {fmt.Sprintf("escalated:%d", tk.ID), fmt.Sprintf("assigned:%d", tk.ID), fmt.Sprintf("customer_replied:%d", tk.ID)},
			mina:  {fmt.Sprintf("mentioned:%d", tk.ID)},
			actor: {},
		}
		for a, w := range want {
			if got := d.notes(a.ID); strings.Join(got, " ") != strings.Join(w, " ") {
				t.Errorf("%s got %v, want %v", a.Email, got, w)
			}
		}
		list, _ := d.db.Notifications(context.Background(), lead.ID, 10)
		if list[len(list)-1].Body != "needs billing access" {
			t.Errorf("escalation notification body = %q, want the reason", list[len(list)-1].Body)
		}

		// The cursor survives a restart: a new node resumes after the last
		// dispatched event and picks up only what came since.
		last, _ := d.db.LastEventID(context.Background())
		if c, _ := d.db.EventCursor(context.Background(), "notify"); c != last {
			t.Fatalf("cursor = %d, want the last event %d", c, last)
		}
		restarted := d.node(false)
		if _, err := d.tickets.Update(as, own.ID, ticket.Patch{AssigneeID: &bob.ID}); err != nil {
			t.Fatal(err)
		}
		restarted.dispatch(t)
		last2, _ := d.db.LastEventID(context.Background())
		if c, _ := d.db.EventCursor(context.Background(), "notify"); c != last2 || last2 <= last {
			t.Fatalf("cursor after restart = %d, want %d (> %d)", c, last2, last)
		}
		deadline := time.Now().Add(waitFor)
		for len(d.notes(bob.ID)) < 2 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if got := d.notes(bob.ID); len(got) != 2 {
			t.Fatalf("bob after reassignment: %v, want two assigned notifications", got)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// On PostgreSQL two transactions may take event ids in one order and commit
// in the other. A dispatcher reading between the two commits must not skip
// the event that commits last with the lower id.
func TestEventCommittedLateWithALowerIDIsNotSkipped(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		if b.Name == "sqlite" {
			t.Skip("SQLite has one writer: ids are taken and committed in one order")
		}
		t.Parallel()
		d := newDesk(t, b)
		bob, mina := d.agent("bob@desk.test", "agent"), d.agent("mina@desk.test", "agent")
		first, second := d.open(), d.open()
		n := d.node(true)
		n.dispatch(t)

		// A slow transaction appends an assignment event and waits.
		appended, release, slowDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			slowDone <- d.db.InTx(context.Background(), func(tx ticket.Tx) error {
				evs := []event.Event{event.New(event.Assigned, first.ID, map[string]any{"old": nil, "new": bob.ID})}
				evs[0].ActorKind, evs[0].CreatedAt = desk.ActorSystem, time.Now()
				if err := tx.AppendEvents(context.Background(), evs); err != nil {
					return err
				}
				close(appended)
				<-release
				return nil
			})
		}()
		<-appended
		// Meanwhile a quick change commits an event with a higher id...
		quickDone := make(chan error, 1)
		go func() {
			_, err := d.tickets.Update(d.sys, second.ID, ticket.Patch{AssigneeID: &mina.ID})
			quickDone <- err
		}()
		select {
		case err := <-quickDone:
			if err != nil {
				t.Fatal(err)
			}
			quickDone <- nil
		case <-time.After(300 * time.Millisecond):
			// ...or waits for the slow one (a scheme that serializes
			// writers would; this one should not).
		}
		// ...and the dispatcher reads in between, once.
		if err := n.notifier.Dispatch(context.Background()); err != nil {
			t.Fatal(err)
		}
		close(release)
		if err := <-slowDone; err != nil {
			t.Fatal(err)
		}
		if err := <-quickDone; err != nil {
			t.Fatal(err)
		}
		n.dispatch(t)
		d.waitNote(mina.ID, fmt.Sprintf("assigned:%d", second.ID))
		d.waitNote(bob.ID, fmt.Sprintf("assigned:%d", first.ID))
	})
}

// Events that tell nobody (a status change carries text, not an agent id, in
// "new") pass without a warning: a warning per status change would bury the
// ones that matter.
func TestEventsThatNotifyNobodyPassQuietly(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0])
	var logged strings.Builder
	n := d.nodeLogging(false, slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn})))
	tk := d.open()
	open, high, incident := "open", "high", "incident"
	if _, err := d.tickets.Update(d.sys, tk.ID, ticket.Patch{Status: &open, Priority: &high, Type: &incident,
		Tags: &[]string{"vip"}}); err != nil {
		t.Fatal(err)
	}
	n.dispatch(t)
	if logged.Len() > 0 {
		t.Errorf("dispatching ordinary changes logged:\n%s", logged.String())
	}
}

// An agent whose escalation takes the ticket out of their teams is told
// so: the one notification of one's own act.
func TestEscalatingOutOfSightTellsTheAgent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		d := newDesk(t, b)
		mover, lead := d.agent("mover@desk.test", "agent"), d.agent("lead2@desk.test", "team_lead")
		tier1, err := d.people.CreateTeam(d.sys, people.TeamInput{Name: ptr("Tier 1"), Tier: ptr(1), MemberIDs: &[]int64{mover.ID}})
		if err != nil {
			t.Fatal(err)
		}
		tier2, err := d.people.CreateTeam(d.sys, people.TeamInput{Name: ptr("Tier 2"), Tier: ptr(2), LeadID: &lead.ID})
		if err != nil {
			t.Fatal(err)
		}
		worker := d.node(true)
		tk := d.open()
		if _, err := d.tickets.Update(d.sys, tk.ID, ticket.Patch{TeamID: &tier1.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.tickets.Escalate(d.as(mover), tk.ID, tier2.ID, "beyond me"); err != nil {
			t.Fatal(err)
		}
		worker.dispatch(t)
		d.waitNote(mover.ID, fmt.Sprintf("escalated_away:%d", tk.ID))
		d.waitNote(lead.ID, fmt.Sprintf("escalated:%d", tk.ID))
	})
}
