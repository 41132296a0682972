package event

import (
	"context"
	"log/slog"
	"time"
)

// RelayStore is what a relay reads: the committed events after an id, in
// order, with the guarantee durable consumers rely on (no event is passed
// over because its transaction committed late).
type RelayStore interface {
	LastEventID(ctx context.Context) (int64, error)
	EventsAfter(ctx context.Context, afterID int64, limit int) ([]Event, error)
}

// Relay brings events committed by other nodes sharing the database onto
// this node's bus, so that a live stream here hears a change made there. It
// tails the events table from where it stood when it started; the node's own
// events, already published by their writer, are skipped (the bus delivers
// each stored event once, see Bus.DeliverOnce).
type Relay struct {
	store RelayStore
	bus   *Bus
	// address sets the audience (Event.To) of events read back, which the
	// table does not hold.
	address func(ctx context.Context, evs []Event) error
	poll    time.Duration
	log     *slog.Logger
	started chan struct{}
}

// relayBatch is how many events a relay reads at a time.
const relayBatch = 500

// relayMemory is how long the bus remembers a published event id once the
// relay has passed it: longer than any pause between a commit and its
// writer's publish.
const relayMemory = 10 * time.Second

// NewRelay returns a relay onto bus that reads store every poll; it turns
// on the bus's deliver-once mode.
func NewRelay(store RelayStore, bus *Bus, address func(context.Context, []Event) error, poll time.Duration, log *slog.Logger) *Relay {
	bus.DeliverOnce()
	return &Relay{store: store, bus: bus, address: address, poll: poll, log: log, started: make(chan struct{})}
}

// Started is closed once the relay knows where it starts: every event
// committed afterwards reaches the bus.
func (r *Relay) Started() <-chan struct{} { return r.started }

// Run relays until ctx ends.
func (r *Relay) Run(ctx context.Context) {
	after, err := r.store.LastEventID(ctx)
	for err != nil {
		r.log.Error("relay: last event", slog.Any("err", err))
		if !sleep(ctx, r.poll) {
			return
		}
		after, err = r.store.LastEventID(ctx)
	}
	close(r.started)
	for {
		next, err := r.relay(ctx, after)
		if err != nil && ctx.Err() == nil {
			r.log.Error("relay: read events", slog.Any("err", err))
		}
		if next == after && !sleep(ctx, r.poll) {
			return
		}
		after = next
	}
}

// relay publishes the events after an id that this node has not, and
// returns the id it got to.
func (r *Relay) relay(ctx context.Context, after int64) (int64, error) {
	evs, err := r.store.EventsAfter(ctx, after, relayBatch)
	if err != nil || len(evs) == 0 {
		return after, err
	}
	last := evs[len(evs)-1].ID
	if evs = r.bus.unpublished(evs); len(evs) > 0 {
		if err := r.address(ctx, evs); err != nil {
			return after, err
		}
		r.bus.Publish(evs...)
	}
	r.bus.Forget(last, time.Now().Add(-relayMemory))
	return last, nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
