package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/notify"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
	"github.com/sahayak/sahayak/internal/web"
)

// laterClock is the system clock, moved forward at will.
type laterClock struct{ ahead atomic.Int64 }

func (c *laterClock) Now() time.Time {
	return desk.SystemClock{}.Now().Add(time.Duration(c.ahead.Load()))
}

func (c *laterClock) skip(d time.Duration) { c.ahead.Add(int64(d)) }

// otherNode starts a second Sahayak node on the desk's PostgreSQL schema, as
// internal/app wires one: its own database handle, services, bus, token
// cache, relay, broadcast of transient events and web server (and starts the
// broadcast of the desk's own node). It returns the desk as seen through that
// node.
func (d *testDesk) otherNode(t *testing.T, clock desk.Clock) *testDesk {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, store.Config{DatabaseURL: d.DB.URL})
	if err != nil {
		t.Fatalf("second node: %v", err)
	}
	bus := event.NewBus()
	n := *d
	n.t, n.DB, n.Bus = t, db, bus
	n.Tickets, n.People, n.Access = ticket.NewService(db, db, bus, clock), people.NewService(db, clock), access.NewService(db, clock)
	n.Access.CacheTokens(n.People.Version, 5*time.Second)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	relay := event.NewRelay(db, bus, func(ctx context.Context, evs []event.Event) error {
		return ticket.Address(ctx, db, evs)
	}, 20*time.Millisecond, log)
	shared, ours := event.NewBroadcast(bus, db.Wire(), log), event.NewBroadcast(d.Bus, d.DB.Wire(), log)
	var running sync.WaitGroup
	for _, run := range []func(context.Context){relay.Run, shared.Run, ours.Run} {
		running.Add(1)
		go func() {
			defer running.Done()
			run(ctx)
		}()
	}
	srv, err := web.New(web.Deps{Log: log, Tickets: n.Tickets, People: n.People, Access: n.Access,
		Notifications: db, Blobs: blob.New(t.TempDir()), Bus: bus, DB: db, Clock: clock, LoginLimit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.CloseStreams()
		hs.Close()
		cancel()
		running.Wait()
		db.Close()
	})
	n.Server, n.URL = srv, hs.URL
	select {
	case <-relay.Started():
	case <-time.After(10 * time.Second):
		t.Fatal("the relay never started")
	}
	for _, b := range []*event.Broadcast{shared, ours} {
		select {
		case <-b.Started():
		case <-time.After(10 * time.Second):
			t.Fatal("a node never listened for transient events")
		}
	}
	return &n
}

func postgresOnly(t *testing.T) storetest.Backend {
	for _, b := range storetest.Backends() {
		if b.Name == "postgres" {
			return b
		}
	}
	t.Skip("several nodes share one PostgreSQL; set " + storetest.EnvPostgres)
	return storetest.Backend{}
}

func TestLiveUpdatesReachStreamsOnOtherNodes(t *testing.T) {
	t.Parallel()
	backend := postgresOnly(t)

	t.Run("a change through node B reaches a stream on node A, once, to whom may see it", func(t *testing.T) {
		t.Parallel()
		b := newDesk(t, backend, nil)
		a := b.otherNode(t, desk.SystemClock{})
		ravi := a.openStreamAs("ravi")
		b.mustCreateTicket("ada", map[string]any{"team_id": b.Teams[2].ID}) // not for ravi
		viaB := b.mustCreateTicket("ada", nil).id("id")
		ravi.expect("ticket.created", viaB)
		viaA := a.mustCreateTicket("ada", nil).id("id")
		ravi.expect("ticket.created", viaA)
		b.mustCall(200, "PATCH", "/api/v1/tickets/"+id(viaB), "ada", map[string]any{"priority": "urgent"})
		ravi.expect("ticket.field_changed", viaB) // A's own ticket.created came once
	})

	// The credential re-checks of TestLiveStreamsAreReauthorized, made on
	// the other node: node A learns of them when its check (good for at
	// most a second) runs out.
	for _, tc := range credentialLosses {
		t.Run(tc.name+" on node B ends the stream on node A", func(t *testing.T) {
			t.Parallel()
			b := newDesk(t, backend, nil)
			clock := &laterClock{}
			a := b.otherNode(t, clock)
			ravi := a.openStreamAs("ravi")
			tid := b.mustCreateTicket("ada", nil).id("id")
			ravi.expect("ticket.created", tid)
			tc.take(b)
			clock.skip(time.Second)
			b.mustCall(200, "PATCH", "/api/v1/tickets/"+id(tid), "ada", map[string]any{"priority": "urgent"})
			ravi.expectEnd()
		})
	}

	t.Run("an agent removed from a team on node B stops hearing of its tickets on node A", func(t *testing.T) {
		t.Parallel()
		b := newDesk(t, backend, nil)
		clock := &laterClock{}
		a := b.otherNode(t, clock)
		ravi := a.openStreamAs("ravi")
		frontline := b.Teams[1].ID
		tid := b.mustCreateTicket("ada", map[string]any{"team_id": frontline}).id("id")
		ravi.expect("ticket.created", tid)
		b.mustCall(200, "PATCH", "/api/v1/teams/"+id(frontline), "ada", map[string]any{"member_ids": []int64{b.Agents["lena"].ID}})
		clock.skip(time.Second)
		b.mustCall(200, "PATCH", "/api/v1/tickets/"+id(tid), "ada", map[string]any{"priority": "urgent"})
		other := b.mustCreateTicket("ada", nil).id("id")
		ravi.expect("ticket.created", other)
	})
}

// Transient events — "is replying" and the push of a notification just
// stored — are never in the events table the relay reads; they cross nodes
// over the database's LISTEN/NOTIFY.
func TestTransientEventsReachStreamsOnOtherNodes(t *testing.T) {
	t.Parallel()
	backend := postgresOnly(t)

	t.Run("an agent replying through node B is seen by a stream on node A", func(t *testing.T) {
		t.Parallel()
		b := newDesk(t, backend, nil)
		a := b.otherNode(t, desk.SystemClock{})
		tid := b.mustCreateTicket("ada", nil).id("id")
		ravi := a.openStreamAs("ravi")
		res := b.send("POST", "/tickets/"+id(tid)+"/replying", http.Header{"Authorization": {"Bearer " + b.Tokens["lena"]}}, nil)
		if res.Status != http.StatusNoContent {
			t.Fatalf("replying: %d %s", res.Status, res.Raw)
		}
		ravi.expectKind(web.Replying, tid)
		// Who may not see the ticket hears nothing of it: nothing of the
		// reply before the ticket made after the announcement (the relay
		// may still bring the ticket's own older events).
		meera := a.openStreamAs("meera")
		b.mustCall(200, "PATCH", "/api/v1/tickets/"+id(tid), "ada", map[string]any{"team_id": b.Teams[1].ID})
		res = b.send("POST", "/tickets/"+id(tid)+"/replying", http.Header{"Authorization": {"Bearer " + b.Tokens["sunil"]}}, nil)
		if res.Status != http.StatusNoContent {
			t.Fatalf("replying: %d %s", res.Status, res.Raw)
		}
		ravi.expectKind(web.Replying, tid)
		other := b.mustCreateTicket("ada", nil).id("id")
		for {
			e, ok := meera.next()
			if !ok {
				t.Fatal("meera's stream ended")
			}
			if e.Kind == web.Replying {
				t.Fatalf("meera heard of a reply on ticket %d, which she may not see", e.TicketID)
			}
			if e.Kind == "ticket.created" && e.TicketID == other {
				break
			}
		}
	})

	t.Run("a notification stored by node B's worker reaches the agent's stream on node A", func(t *testing.T) {
		t.Parallel()
		b := newDesk(t, backend, nil)
		a := b.otherNode(t, desk.SystemClock{})
		ctx, cancel := context.WithCancel(context.Background())
		notifier, err := notify.New(b.DB, b.Queue, b.Bus, desk.SystemClock{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Queue.Start(ctx); err != nil {
			t.Fatal(err)
		}
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			notifier.Run(ctx)
		}()
		t.Cleanup(func() { cancel(); <-stopped })
		ravi := a.openStreamAs("ravi")
		tid := b.mustCreateTicket("ada", nil).id("id")
		b.mustCall(200, "PATCH", "/api/v1/tickets/"+id(tid), "ada", map[string]any{"assignee_id": b.Agents["ravi"].ID})
		ravi.expectKind("notification.added", tid)
	})
}
