package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sahayak/sahayak/internal/account"
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
	return db.plan(ctx, []string{"enable_seqscan"}, q, args...)
}

// OrderedPlan is Plan with PostgreSQL's bitmap scans and sorts priced out
// too: whether indexes can serve the query in its order (a test's few rows
// are otherwise cheaper to sort).
func (db *DB) OrderedPlan(ctx context.Context, q string, args ...any) (string, error) {
	return db.plan(ctx, []string{"enable_seqscan", "enable_bitmapscan", "enable_sort"}, q, args...)
}

func (db *DB) plan(ctx context.Context, off []string, q string, args ...any) (string, error) {
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	explain := "EXPLAIN QUERY PLAN "
	if db.dialect.name() == "postgres" {
		for _, setting := range off {
			if _, err := tx.ExecContext(ctx, "SET LOCAL "+setting+" = off"); err != nil {
				return "", err
			}
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

// ExecForTest runs a statement outside the services: a test's way to delete
// a ticket or a team with tickets, which the app never does.
func (db *DB) ExecForTest(ctx context.Context, q string, args ...any) error {
	_, err := db.write.ExecContext(ctx, q, args...)
	return err
}

// TicketCountsDrift is the (category, team, assignee, escalated) groups
// where the kept counts (ticket_counts) differ from a fresh count of the
// tickets, as "group: kept n, counted m".
func (db *DB) TicketCountsDrift(ctx context.Context) ([]string, error) {
	read := func(q string) (map[string]int64, error) {
		rows, err := db.read.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var cat string
			var team, assignee, esc, n int64
			if err := rows.Scan(&cat, &team, &assignee, &esc, &n); err != nil {
				return nil, err
			}
			if n != 0 {
				out[fmt.Sprintf("%s/team %d/assignee %d/escalated %d", cat, team, assignee, esc)] = n
			}
		}
		return out, rows.Err()
	}
	kept, err := read(`SELECT category, team_id, assignee_id, escalated, SUM(n) FROM ticket_counts
		GROUP BY category, team_id, assignee_id, escalated`)
	if err != nil {
		return nil, err
	}
	counted, err := read(`SELECT status_category, COALESCE(team_id, 0), COALESCE(assignee_id, 0),
		CASE WHEN escalation_level > 0 THEN 1 ELSE 0 END, count(*) FROM tickets GROUP BY 1, 2, 3, 4`)
	if err != nil {
		return nil, err
	}
	var drift []string
	for k, n := range kept {
		if counted[k] != n {
			drift = append(drift, fmt.Sprintf("%s: kept %d, counted %d", k, n, counted[k]))
		}
	}
	for k, n := range counted {
		if _, ok := kept[k]; !ok {
			drift = append(drift, fmt.Sprintf("%s: kept 0, counted %d", k, n))
		}
	}
	return drift, nil
}

// QueryRowForTest reads one row outside the services.
func (db *DB) QueryRowForTest(ctx context.Context, q string, args ...any) *sql.Row {
	return db.read.QueryRowContext(ctx, q, args...)
}

// TimelineQuery is the statement of a timeline page.
func TimelineQuery(orgID int64, f account.TimelineFilter) (string, []any) {
	return timelineQuery(orgID, f)
}
