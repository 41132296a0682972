package kb

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
)

// ViewCounter counts article views in memory and adds them to the store
// in one transaction per flush. A page view is a read: writing a row for
// each would put every reader in the queue for SQLite's one writer (and a
// row lock on PostgreSQL for a popular article). Batched, a busy minute of
// a thousand views costs a handful of upserts. A crash loses the views of
// the last interval at most — an acceptable loss for a counter.
type ViewCounter struct {
	store  Store
	clock  desk.Clock
	mu     sync.Mutex
	counts map[int64]int64
}

func newViewCounter(s Store, clock desk.Clock) *ViewCounter {
	return &ViewCounter{store: s, clock: clock, counts: map[int64]int64{}}
}

// Add counts one view of an article.
func (v *ViewCounter) Add(articleID int64) {
	v.mu.Lock()
	v.counts[articleID]++
	v.mu.Unlock()
}

// Flush writes the views counted so far; on failure they are kept for the
// next flush.
func (v *ViewCounter) Flush(ctx context.Context) error {
	v.mu.Lock()
	counts := v.counts
	v.counts = map[int64]int64{}
	v.mu.Unlock()
	if len(counts) == 0 {
		return nil
	}
	if err := v.store.AddKBViews(ctx, v.clock.Now(), counts); err != nil {
		v.mu.Lock()
		for id, n := range counts {
			v.counts[id] += n
		}
		v.mu.Unlock()
		return err
	}
	return nil
}

// Run flushes every interval until ctx ends, then once more.
func (v *ViewCounter) Run(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := v.Flush(final); err != nil {
				log.Warn("kb: view counts", slog.Any("err", err))
			}
			cancel()
			return
		case <-t.C:
			if err := v.Flush(ctx); err != nil && ctx.Err() == nil {
				log.Warn("kb: view counts", slog.Any("err", err))
			}
		}
	}
}
