package storetest_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// consumer reads events the way a durable consumer does: from its stored
// cursor, in pages, storing the id of the last event it handled.
type consumer struct {
	t    *testing.T
	db   *store.DB
	name string
	seen map[int64]int
}

func newConsumer(t *testing.T, db *store.DB) *consumer {
	return &consumer{t: t, db: db, name: "test", seen: map[int64]int{}}
}

// read takes one page after the stored cursor and reports how many events
// it held.
func (c *consumer) read(ctx context.Context) (int, error) {
	after, err := c.db.EventCursor(ctx, c.name)
	if err != nil {
		return 0, err
	}
	evs, err := c.db.EventsAfter(ctx, after, 7)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	for _, e := range evs {
		c.seen[e.ID]++
	}
	return len(evs), c.db.SetEventCursor(ctx, c.name, evs[len(evs)-1].ID)
}

// catchUp reads until every id in want has been seen, failing when that
// takes longer than a generous bound (a transaction open elsewhere on the
// same PostgreSQL holds readers back, never forever).
func (c *consumer) catchUp(ctx context.Context, want []int64) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := c.read(ctx)
		if err != nil {
			c.t.Fatal(err)
		}
		missing := slices.DeleteFunc(slices.Clone(want), func(id int64) bool { return c.seen[id] > 0 })
		if len(missing) == 0 && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the consumer never saw committed events %v (cursor passed them)", missing)
		}
		if n == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// exactly checks that the consumer saw the committed events once each and
// nothing else.
func (c *consumer) exactly(committed []int64) {
	c.t.Helper()
	want := map[int64]bool{}
	for _, id := range committed {
		want[id] = true
	}
	for id, n := range c.seen {
		if n != 1 {
			c.t.Errorf("event %d read %d times", id, n)
		}
		if !want[id] {
			c.t.Errorf("event %d read but never committed", id)
		}
	}
	if len(c.seen) != len(want) {
		c.t.Errorf("read %d events, %d committed", len(c.seen), len(want))
	}
}

func testEvents(n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{Kind: "test.written", ActorKind: desk.ActorSystem, CreatedAt: start}
	}
	return evs
}

func eventIDs(evs []event.Event) []int64 {
	ids := make([]int64, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return ids
}

var errRollback = errors.New("rolled back on purpose")

// A writer that took a lower event id and commits after a writer with a
// higher one neither holds that writer up nor is skipped by a consumer that
// read in between. (SQLite has one writer: there the second would wait.)
func TestEventWrittenFirstAndCommittedLastIsNotSkipped(t *testing.T) {
	t.Parallel()
	if len(storetest.Backends()) < 2 {
		t.Skip("needs PostgreSQL (" + storetest.EnvPostgres + ")")
	}
	db := storetest.Open(t, storetest.Backends()[1])
	ctx := context.Background()
	c := newConsumer(t, db)

	first, second := testEvents(1), testEvents(1)
	appended, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.InTx(ctx, func(tx ticket.Tx) error {
			if err := tx.AppendEvents(ctx, first); err != nil {
				return err
			}
			close(appended)
			<-release
			return nil
		})
	}()
	<-appended
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := db.InTx(wctx, func(tx ticket.Tx) error { return tx.AppendEvents(wctx, second) }); err != nil {
		close(release)
		t.Fatalf("a second writer could not commit while the first was open (writers serialized): %v", err)
	}
	if first[0].ID >= second[0].ID {
		t.Fatalf("ids %d, %d: the first writer should hold the lower id", first[0].ID, second[0].ID)
	}
	// The consumer reads while the lower id is still uncommitted.
	for range 3 {
		if _, err := c.read(ctx); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	committed := []int64{first[0].ID, second[0].ID}
	c.catchUp(ctx, committed)
	c.exactly(committed)
}

// Many writers at once, some holding their transaction open for a while and
// some rolling back, while a consumer reads from its cursor: it reads every
// committed event exactly once and nothing rolled back.
func TestConsumerReadsEveryCommittedEventOnceUnderConcurrentWriters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		db := storetest.Open(t, b)
		ctx := context.Background()
		c := newConsumer(t, db)

		const writers, txPerWriter = 8, 30
		var mu sync.Mutex
		var committed []int64
		var wg sync.WaitGroup
		stop := make(chan struct{})
		readerDone := make(chan error, 1)
		go func() {
			for {
				select {
				case <-stop:
					readerDone <- nil
					return
				default:
				}
				if _, err := c.read(ctx); err != nil {
					readerDone <- err
					return
				}
			}
		}()
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 6))
				for range txPerWriter {
					evs := testEvents(1 + rng.IntN(3))
					hold := rng.IntN(4) == 0
					rollback := rng.IntN(5) == 0
					err := db.InTx(ctx, func(tx ticket.Tx) error {
						if err := tx.AppendEvents(ctx, evs); err != nil {
							return err
						}
						if hold {
							time.Sleep(time.Duration(1+rng.IntN(20)) * time.Millisecond)
						}
						if rollback {
							return errRollback
						}
						return nil
					})
					switch {
					case rollback && errors.Is(err, errRollback):
					case err != nil:
						t.Error(err)
						return
					default:
						mu.Lock()
						committed = append(committed, eventIDs(evs)...)
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		if err := <-readerDone; err != nil {
			t.Fatal(err)
		}
		c.catchUp(ctx, committed)
		c.exactly(committed)
	})
}

// On PostgreSQL reading order is the order of the writing transactions, so a
// later event may have a lower id; a stored cursor moves along that order,
// not by id.
func TestEventCursorFollowsReadingOrderNotIDs(t *testing.T) {
	t.Parallel()
	if len(storetest.Backends()) < 2 {
		t.Skip("needs PostgreSQL (" + storetest.EnvPostgres + ")")
	}
	db := storetest.Open(t, storetest.Backends()[1])
	ctx := context.Background()
	early, late := testEvents(1), testEvents(1)
	began, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		// This transaction writes first (and so is the older one), but
		// appends its event after the other has committed.
		done <- db.InTx(ctx, func(tx ticket.Tx) error {
			if err := tx.EnsureTags(ctx, []string{"older"}, start); err != nil {
				return err
			}
			close(began)
			<-release
			return tx.AppendEvents(ctx, early)
		})
	}()
	<-began
	if err := db.InTx(ctx, func(tx ticket.Tx) error { return tx.AppendEvents(ctx, late) }); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if early[0].ID <= late[0].ID {
		t.Fatalf("ids %d, %d: the older transaction's event should hold the higher id", early[0].ID, late[0].ID)
	}
	deadline := time.Now().Add(30 * time.Second)
	var evs []event.Event
	for len(evs) < 2 && time.Now().Before(deadline) {
		var err error
		if evs, err = db.EventsAfter(ctx, 0, 10); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := eventIDs(evs), []int64{early[0].ID, late[0].ID}; !slices.Equal(got, want) {
		t.Fatalf("reading order %v, want %v (the older transaction's event first)", got, want)
	}
	for _, step := range []struct{ set, want int64 }{
		{early[0].ID, early[0].ID},
		{late[0].ID, late[0].ID}, // a lower id, but later in reading order
		{early[0].ID, late[0].ID},
	} {
		if err := db.SetEventCursor(ctx, "audit", step.set); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.EventCursor(ctx, "audit"); got != step.want {
			t.Fatalf("after setting %d: cursor %d, want %d", step.set, got, step.want)
		}
	}
	if rest, err := db.EventsAfter(ctx, late[0].ID, 10); err != nil || len(rest) != 0 {
		t.Fatalf("after the last event: %v (%v), want none", eventIDs(rest), err)
	}
}
