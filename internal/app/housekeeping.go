package app

import (
	"context"
	"time"

	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/store"
)

// purgeAPIState is the periodic job that deletes what the API keeps for a
// while only: expired idempotency keys and old rate-limit counts. It runs
// on one node (see jobs.Every).
type purgeAPIState struct{}

func (purgeAPIState) Kind() string { return "api.purge" }

// purgeEvery is how often the job runs; an expired key is refused as
// expired before then, so this only bounds the table's size.
const purgeEvery = 10 * time.Minute

func addHousekeeping(q *jobs.Queue, db *store.DB, clock interface{ Now() time.Time }) error {
	if err := jobs.AddWorker(q, func(ctx context.Context, _ purgeAPIState) error {
		now := clock.Now()
		if _, err := db.PurgeIdempotencyKeys(ctx, now); err != nil {
			return err
		}
		return db.PurgeRequestCounts(ctx, now.Add(-time.Hour))
	}, jobs.MaxAttempts(3)); err != nil {
		return err
	}
	return jobs.Every(q, purgeEvery, purgeAPIState{})
}
