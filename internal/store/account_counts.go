package store

import (
	"context"
	"fmt"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/event"
)

// openDelta is how much a batch moves an organization's open and urgent
// ticket counts.
type openDelta struct{ open, urgent int }

// moveOpenTickets compares each ticket's standing now (its organization,
// open or not, urgent or not: one row by primary key) with what
// account_open_tickets last counted for it, keeps the new standing, and
// returns the difference by organization. Its cost follows the tickets
// changed, never an account's open tickets.
func moveOpenTickets(ctx context.Context, tx *txn, ids []int64) (map[int64]*openDelta, error) {
	out := map[int64]*openDelta{}
	if len(ids) == 0 {
		return out, nil
	}
	type standing struct {
		org    int64
		urgent bool
	}
	read := func(q string) (map[int64]standing, error) {
		var args []any
		rows, err := tx.QueryContext(ctx, q+` IN (`+inList(&args, ids)+`)`, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		m := map[int64]standing{}
		for rows.Next() {
			var id int64
			var s standing
			if err := rows.Scan(&id, &s.org, &s.urgent); err != nil {
				return nil, err
			}
			m[id] = s
		}
		return m, rows.Err()
	}
	now, err := read(`SELECT id, organization_id, priority = 'urgent' FROM tickets
		WHERE organization_id IS NOT NULL AND status_category IN ` + openCategories + ` AND id`)
	if err != nil {
		return nil, fmt.Errorf("open tickets now: %w", err)
	}
	was, err := read(`SELECT ticket_id, organization_id, urgent FROM account_open_tickets WHERE ticket_id`)
	if err != nil {
		return nil, fmt.Errorf("open tickets counted: %w", err)
	}
	move := func(s standing, sign int) {
		d := out[s.org]
		if d == nil {
			d = &openDelta{}
			out[s.org] = d
		}
		d.open += sign
		if s.urgent {
			d.urgent += sign
		}
	}
	for _, id := range ids {
		w, counted := was[id]
		n, open := now[id]
		if counted == open && w == n {
			continue
		}
		if counted {
			move(w, -1)
			if _, err := tx.ExecContext(ctx, `DELETE FROM account_open_tickets WHERE ticket_id = $1`, id); err != nil {
				return nil, fmt.Errorf("open ticket %d: %w", id, err)
			}
		}
		if open {
			move(n, 1)
			if _, err := tx.ExecContext(ctx, `INSERT INTO account_open_tickets (ticket_id, organization_id, urgent)
				VALUES ($1, $2, $3)`, id, n.org, n.urgent); err != nil {
				return nil, fmt.Errorf("open ticket %d: %w", id, err)
			}
		}
	}
	return out, nil
}

// countOpenTickets counts an account's open and urgent tickets in full and
// keeps them in account_open_tickets: once per account, the first time the
// consumer counts it (a state from before the per-ticket counts included).
func countOpenTickets(ctx context.Context, tx *txn, orgID int64, st *account.State) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM account_open_tickets WHERE organization_id = $1`, orgID); err != nil {
		return fmt.Errorf("account %d open tickets: %w", orgID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO account_open_tickets (ticket_id, organization_id, urgent)
		SELECT id, organization_id, priority = 'urgent' FROM tickets
		WHERE organization_id = $1 AND status_category IN `+openCategories+`
		ON CONFLICT (ticket_id) DO UPDATE SET organization_id = excluded.organization_id, urgent = excluded.urgent`,
		orgID); err != nil {
		return fmt.Errorf("account %d open tickets: %w", orgID, err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN urgent THEN 1 ELSE 0 END), 0)
		FROM account_open_tickets WHERE organization_id = $1`, orgID).Scan(&st.Open, &st.Urgent); err != nil {
		return fmt.Errorf("account %d open tickets: %w", orgID, err)
	}
	st.Counted = true
	return nil
}

// withMoved adds to touched the organizations a ticket of the batch left
// (their counts move though no event of theirs is in it).
func withMoved(touched []account.Touch, moved map[int64]*openDelta) []account.Touch {
	for org := range moved {
		found := false
		for _, t := range touched {
			if t.OrganizationID == org {
				found = true
				break
			}
		}
		if !found {
			touched = append(touched, account.Touch{OrganizationID: org, Events: []event.Event{}})
		}
	}
	return touched
}
