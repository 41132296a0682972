package store

import (
	"context"
	"fmt"
)

// OpenLoad returns, for every active agent, how many open tickets (new,
// open, pending, on hold) are assigned to them, counting at most atMost per
// agent: the count reads the index tickets_assignee_category and stops at
// its bound, so an agent with a huge backlog costs no more than atMost rows.
func (db *DB) OpenLoad(ctx context.Context, atMost int) (map[int64]int, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT a.id, (SELECT count(*) FROM (SELECT 1 FROM tickets t
		WHERE t.assignee_id = a.id AND t.status_category IN ('new', 'open', 'pending', 'on_hold') LIMIT $1) x)
		FROM agents a WHERE a.active`, atMost)
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
