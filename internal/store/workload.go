package store

import (
	"context"
	"fmt"
)

// OpenLoad returns, for every active agent, how many open tickets (new,
// open, pending, on hold) are assigned to them, counting at most atMost per
// agent: each count walks the partial index tickets_open_assignee (unsolved
// tickets only) in its own order and stops at its bound, so an agent with a
// huge backlog costs no more than atMost index entries. The ORDER BY is what
// makes PostgreSQL walk the index and stop; without it, at a million
// tickets it chose a bitmap scan that read every entry of every agent
// (0.9 s a ticket page).
const openLoadQuery = `SELECT a.id, (SELECT count(*) FROM (SELECT 1 FROM tickets t
	WHERE t.assignee_id = a.id AND t.status_category IN ('new', 'open', 'pending', 'on_hold')
	ORDER BY t.updated_at DESC LIMIT $1) x)
	FROM agents a WHERE a.active`

func (db *DB) OpenLoad(ctx context.Context, atMost int) (map[int64]int, error) {
	rows, err := db.read.QueryContext(ctx, openLoadQuery, atMost)
	if err != nil {
		return nil, fmt.Errorf("open load: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("open load: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}
