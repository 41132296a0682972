package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/store"
)

// eventCheck is a durable consumer run beside a load: it reads the events
// table the way notify does (EventsAfter from its last event), from the
// last event before the load, so that afterwards the events of the load can
// be counted: each acknowledged create must have been read exactly once.
type eventCheck struct {
	db      *store.DB
	after   int64
	seen    map[int64]int
	created int64 // ticket.created events read
	dups    int64
	stop    chan struct{}
	done    chan error
}

func startEventCheck(ctx context.Context, cfg store.Config) (*eventCheck, error) {
	db, err := store.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c := &eventCheck{db: db, seen: map[int64]int{}, stop: make(chan struct{}), done: make(chan error, 1)}
	if c.after, err = db.LastEventID(ctx); err != nil {
		db.Close()
		return nil, err
	}
	go func() { c.done <- c.run(ctx) }()
	return c, nil
}

// read takes one page and reports how many events it held.
func (c *eventCheck) read(ctx context.Context) (int, error) {
	evs, err := c.db.EventsAfter(ctx, c.after, 500)
	if err != nil {
		return 0, err
	}
	for _, e := range evs {
		c.seen[e.ID]++
		if c.seen[e.ID] > 1 {
			c.dups++
		}
		if e.Kind == event.TicketCreated {
			c.created++
		}
		c.after = e.ID
	}
	return len(evs), nil
}

func (c *eventCheck) run(ctx context.Context) error {
	for {
		select {
		case <-c.stop:
			return nil
		default:
		}
		n, err := c.read(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// finish stops the background reads and reads on until the consumer has
// caught up with the last committed event (bounded: a transaction left open
// on the server holds readers back).
func (c *eventCheck) finish(ctx context.Context) (string, error) {
	defer c.db.Close()
	close(c.stop)
	if err := <-c.done; err != nil {
		return "", err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		n, err := c.read(ctx)
		if err != nil {
			return "", err
		}
		last, err := c.db.LastEventID(ctx)
		if err != nil {
			return "", err
		}
		if n == 0 && last == c.after {
			break
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("events: the consumer did not catch up (at %d, last event %d)", c.after, last)
		}
	}
	return fmt.Sprintf("events: %d read, %d of them ticket.created, %d read twice", len(c.seen), c.created, c.dups), nil
}
