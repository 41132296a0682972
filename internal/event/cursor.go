package event

import (
	"context"
	"log/slog"
	"time"
)

// Cursor is what a durable consumer reads the events table through.
type Cursor interface {
	EventsAfter(ctx context.Context, afterID int64, limit int) ([]Event, error)
	EventCursor(ctx context.Context, consumer string) (int64, error)
	SetEventCursor(ctx context.Context, consumer string, eventID int64) error
}

// Consume hands every event after the consumer's cursor to handle, a batch
// at a time in id order, and moves the cursor after each batch that handle
// accepted. Work that handle enqueues must be idempotent (unique jobs): a
// crash between handle and the cursor's move repeats the batch.
func Consume(ctx context.Context, c Cursor, consumer string, handle func(context.Context, []Event) error) error {
	after, err := c.EventCursor(ctx, consumer)
	if err != nil {
		return err
	}
	for {
		evs, err := c.EventsAfter(ctx, after, consumeBatch)
		if err != nil || len(evs) == 0 {
			return err
		}
		if err := handle(ctx, evs); err != nil {
			return err
		}
		after = evs[len(evs)-1].ID
		if err := c.SetEventCursor(ctx, consumer, after); err != nil {
			return err
		}
		if len(evs) < consumeBatch {
			// Caught up: what commits from now on wakes the consumer
			// (Follow), so another read now would find nothing and cost
			// a query per wake-up of every consumer.
			return nil
		}
	}
}

// consumeBatch is how many events Consume reads at a time.
const consumeBatch = 500

// Follow runs Consume until ctx ends: at once, then whenever the bus says
// something was committed (after gathering what else commits in the next
// moment, so that a busy desk costs one read and one cursor write per batch
// of events, not per event), and at least every poll (another node may have
// written, and events not published on the bus wake nobody).
func Follow(ctx context.Context, c Cursor, bus *Bus, consumer string, gather, poll time.Duration,
	handle func(context.Context, []Event) error, log *slog.Logger) {
	Loop(ctx, bus, consumer, gather, poll, func(ctx context.Context) error {
		return Consume(ctx, c, consumer, handle)
	}, log)
}

// Loop runs catchUp as Follow runs Consume: for consumers that move their
// cursor themselves (in the transaction of their work, see package report).
func Loop(ctx context.Context, bus *Bus, consumer string, gather, poll time.Duration,
	catchUp func(context.Context) error, log *slog.Logger) {
	wake, cancel := bus.Subscribe(1)
	defer cancel()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		if err := catchUp(ctx); err != nil && ctx.Err() == nil {
			log.Error("events: consume", slog.String("consumer", consumer), slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
			select {
			case <-ctx.Done():
				return
			case <-time.After(gather):
			}
		case <-tick.C:
		}
	}
}
