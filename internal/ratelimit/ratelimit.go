// Package ratelimit holds each API caller to a number of requests per
// minute across every node sharing the database, without a database write
// per request: each node counts locally and about once a second adds its
// counts to one shared row per (caller, window) and reads back the total.
//
// A node admits a request when the last total it read plus what it has
// admitted since stays under the limit. Between two syncs the other nodes'
// new requests are unseen, so a caller can overshoot the limit by at most
// what the other nodes admit for it in one sync interval; on one node there
// is no overshoot.
package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Window is the span a limit counts over; windows start on the minute.
const Window = time.Minute

// Store keeps the shared counts.
type Store interface {
	// AddRequestCounts adds each caller's count to its row for the window
	// and returns each caller's total in that window, over all nodes. A
	// count of 0 only reads the total.
	AddRequestCounts(ctx context.Context, window time.Time, counts map[string]int64) (map[string]int64, error)
}

// Decision is the outcome of one request, with what the RateLimit headers
// report.
type Decision struct {
	Allowed   bool
	Limit     int64
	Remaining int64
	Reset     time.Duration // until the window ends
}

// Limiter counts requests per caller. The zero value is not usable; use New.
type Limiter struct {
	limit int64
	store Store // nil: this node alone
	log   *slog.Logger

	mu      sync.Mutex
	window  time.Time
	callers map[string]*count
}

type count struct {
	synced  int64 // the shared total at the last sync (this node's synced requests included)
	pending int64 // admitted here since
}

// New returns a limiter of limit requests per caller per Window. Run Sync
// to share counts through store.
func New(limit int64, store Store, log *slog.Logger) *Limiter {
	if log == nil {
		log = slog.Default()
	}
	return &Limiter{limit: limit, store: store, log: log, callers: map[string]*count{}}
}

// Allow decides on one request of caller at now and counts it if admitted.
func (l *Limiter) Allow(caller string, now time.Time) Decision {
	start := now.Truncate(Window)
	d := Decision{Limit: l.limit, Reset: start.Add(Window).Sub(now)}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !start.Equal(l.window) {
		// A new window: every count starts again (what was not yet
		// shared of the old one no longer matters).
		l.window, l.callers = start, map[string]*count{}
	}
	c := l.callers[caller]
	if c == nil {
		c = &count{}
		l.callers[caller] = c
	}
	used := c.synced + c.pending
	if used >= l.limit {
		return d
	}
	c.pending++
	d.Allowed, d.Remaining = true, l.limit-used-1
	return d
}

// Sync shares this node's counts: it adds what was admitted since the last
// sync and learns the total of every caller seen here in this window (the
// idle ones too, whom other nodes may be serving).
func (l *Limiter) Sync(ctx context.Context) error {
	if l.store == nil {
		return nil
	}
	l.mu.Lock()
	window := l.window
	counts := make(map[string]int64)
	for k, c := range l.callers {
		counts[k] = c.pending
	}
	l.mu.Unlock()
	if len(counts) == 0 {
		return nil
	}
	totals, err := l.store.AddRequestCounts(ctx, window, counts)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !window.Equal(l.window) {
		return nil // the window turned meanwhile; its counts started again
	}
	for k, sent := range counts {
		c := l.callers[k]
		c.pending -= sent // what came in during the round trip stays pending
		c.synced = totals[k]
	}
	return nil
}

// Run syncs every interval until ctx ends.
func (l *Limiter) Run(ctx context.Context, interval time.Duration) {
	if l.store == nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.Sync(ctx); err != nil && ctx.Err() == nil {
				l.log.Warn("rate limit sync", "err", err)
			}
		}
	}
}
