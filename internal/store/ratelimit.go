package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/sahayak/sahayak/internal/ratelimit"
)

var _ ratelimit.Store = (*DB)(nil)

// AddRequestCounts adds each caller's count to its row of the window and
// returns the totals (a count of 0 only reads), in one transaction (callers in a fixed order, so that
// two nodes' transactions never wait on each other's rows in a cycle).
func (db *DB) AddRequestCounts(ctx context.Context, window time.Time, counts map[string]int64) (map[string]int64, error) {
	callers := make([]string, 0, len(counts))
	for k := range counts {
		callers = append(callers, k)
	}
	sort.Strings(callers)
	totals := make(map[string]int64, len(counts))
	err := db.inTx(ctx, func(tx *txn) error {
		for _, k := range callers {
			var total int64
			if counts[k] == 0 {
				err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(requests), 0) FROM api_request_counts
					WHERE caller = $1 AND window_start = $2`, k, micros(window)).Scan(&total)
				if err != nil {
					return fmt.Errorf("requests of %s: %w", k, err)
				}
				totals[k] = total
				continue
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO api_request_counts (caller, window_start, requests) VALUES ($1, $2, $3)
				ON CONFLICT (caller, window_start) DO UPDATE SET requests = api_request_counts.requests + excluded.requests
				RETURNING requests`, k, micros(window), counts[k]).Scan(&total); err != nil {
				return fmt.Errorf("count requests of %s: %w", k, err)
			}
			totals[k] = total
		}
		return nil
	})
	return totals, err
}

// PurgeRequestCounts deletes the counts of windows that began before t.
func (db *DB) PurgeRequestCounts(ctx context.Context, before time.Time) error {
	if _, err := db.exec(ctx, `DELETE FROM api_request_counts WHERE window_start < $1`, micros(before)); err != nil {
		return fmt.Errorf("purge request counts: %w", err)
	}
	return nil
}
