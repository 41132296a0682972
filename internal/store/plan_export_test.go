package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/sahayak/sahayak/internal/ticket"
)

// OpenLoadQuery and CountQuery are the statements whose plans the tests read.
const OpenLoadQuery = openLoadQuery

func (db *DB) CountQuery(f ticket.Filter, atMost int) (string, []any, error) {
	return db.countQuery(f, atMost)
}

// Plan is how the database would run q: SQLite's EXPLAIN QUERY PLAN, or
// PostgreSQL's EXPLAIN with sequential scans priced out (a test's table is
// too small for the planner to prefer an index otherwise; what is checked
// is that the index can serve the query without a bitmap scan).
func (db *DB) Plan(ctx context.Context, q string, args ...any) (string, error) {
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	explain := "EXPLAIN QUERY PLAN "
	if db.dialect.name() == "postgres" {
		if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			return "", err
		}
		explain = "EXPLAIN "
	}
	rows, err := tx.QueryContext(ctx, explain+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		out = append(out, fmt.Sprint(vals[len(vals)-1]))
	}
	return strings.Join(out, "\n"), rows.Err()
}
