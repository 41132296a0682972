package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

var _ account.Store = (*DB)(nil)

const accountColumns = `o.id, o.name, o.owner_id, o.tier, o.arr_minor, o.mrr_minor, o.currency, o.renewal_on, o.industry,
	o.parent_id, o.account_fields, o.checkin_rule, o.checkin_from, o.next_checkin_at, o.version, h.score, h.band, h.state
	FROM organizations o LEFT JOIN account_health h ON h.organization_id = o.id `

func scanAccounts(ctx context.Context, q querier, where string, args ...any) ([]*account.Account, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+accountColumns+where, args...)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	defer rows.Close()
	out := []*account.Account{}
	for rows.Next() {
		var a account.Account
		var owner, parent, arr, mrr, score, from, next sql.NullInt64
		var fields string
		var band, state sql.NullString
		if err := rows.Scan(&a.OrganizationID, &a.Name, &owner, &a.Tier, &arr, &mrr, &a.Currency, &a.RenewalDate,
			&a.Industry, &parent, &fields, &a.CheckinRule, &from, &next, &a.Version, &score, &band, &state); err != nil {
			return nil, fmt.Errorf("accounts: %w", err)
		}
		a.OwnerID, a.ParentID = fromNullID(owner), fromNullID(parent)
		a.CheckinFrom, a.NextCheckinAt = fromNullMicros(from), fromNullMicros(next)
		if arr.Valid {
			m := account.Money(arr.Int64)
			a.ARR = &m
		}
		if mrr.Valid {
			m := account.Money(mrr.Int64)
			a.MRR = &m
		}
		if err := json.Unmarshal([]byte(fields), &a.CustomFields); err != nil {
			return nil, fmt.Errorf("account %d fields: %w", a.OrganizationID, err)
		}
		if score.Valid {
			a.Health = &account.Health{Score: int(score.Int64), Band: band.String, Components: []account.Component{}}
			a.State = &account.State{}
			if err := json.Unmarshal([]byte(state.String), a.State); err != nil {
				return nil, fmt.Errorf("account %d health: %w", a.OrganizationID, err)
			}
		}
		out = append(out, &a)
	}
	return out, rows.Err()
}

// inList binds ids and returns their placeholders, comma-separated.
func inList(args *[]any, ids []int64) string {
	ph := make([]string, len(ids))
	for i, id := range ids {
		ph[i] = bind(args, id)
	}
	return strings.Join(ph, ",")
}

// Account returns the account attributes and stored health of an organization.
func (db *DB) Account(ctx context.Context, orgID int64) (*account.Account, error) {
	list, err := scanAccounts(ctx, db.read, `WHERE o.id = $1`, orgID)
	return one(list, err, desk.M("error.organization_not_found", orgID))
}

// Accounts lists accounts in organization id order by owner, stored band
// and renewal window (an account without health counts as healthy).
func (db *DB) Accounts(ctx context.Context, f account.Filter) ([]*account.Account, error) {
	var cond []string
	var args []any
	if f.OwnerID != nil {
		cond = append(cond, "o.owner_id = "+bind(&args, *f.OwnerID))
	}
	if f.Band != "" {
		cond = append(cond, "COALESCE(h.band, 'healthy') = "+bind(&args, f.Band))
	}
	if f.RenewalFrom != "" {
		cond = append(cond, "o.renewal_on >= "+bind(&args, f.RenewalFrom))
	}
	if f.RenewalTo != "" {
		cond = append(cond, "o.renewal_on <> '' AND o.renewal_on <= "+bind(&args, f.RenewalTo))
	}
	if !f.Since.IsZero() {
		cond = append(cond, "o.updated_at >= "+bind(&args, micros(f.Since)))
	}
	cond = append(cond, "o.id > "+bind(&args, f.AfterID))
	return scanAccounts(ctx, db.read, "WHERE "+strings.Join(cond, " AND ")+" ORDER BY o.id LIMIT "+bind(&args, f.Limit), args...)
}

// AccountsByID returns the accounts of the organizations that exist.
func (db *DB) AccountsByID(ctx context.Context, ids []int64) (map[int64]*account.Account, error) {
	out := map[int64]*account.Account{}
	if len(ids) == 0 {
		return out, nil
	}
	var args []any
	list, err := scanAccounts(ctx, db.read, "WHERE o.id IN ("+inList(&args, ids)+")", args...)
	for _, a := range list {
		out[a.OrganizationID] = a
	}
	return out, err
}

// SaveAccount writes the account attributes of an organization still at
// a.Version, bumps the version and appends ev.
func (db *DB) SaveAccount(ctx context.Context, a *account.Account, ev event.Event) error {
	fields, err := json.Marshal(a.CustomFields)
	if err != nil {
		return fmt.Errorf("account fields: %w", err)
	}
	minor := func(m *account.Money) sql.NullInt64 {
		if m == nil {
			return sql.NullInt64{}
		}
		return sql.NullInt64{Int64: int64(*m), Valid: true}
	}
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE organizations SET owner_id = $2, tier = $3, arr_minor = $4, mrr_minor = $5,
			currency = $6, renewal_on = $7, industry = $8, parent_id = $9, account_fields = $10, updated_at = $11,
			checkin_rule = $13, checkin_from = $14, next_checkin_at = $15, version = version + 1 WHERE id = $1 AND version = $12`,
			a.OrganizationID, nullID(a.OwnerID), a.Tier, minor(a.ARR), minor(a.MRR), a.Currency, a.RenewalDate, a.Industry,
			nullID(a.ParentID), string(fields), micros(ev.CreatedAt), a.Version, a.CheckinRule, nullMicros(a.CheckinFrom),
			nullMicros(a.NextCheckinAt))
		err = versioned(ctx, tx, res, err, "organizations", a.OrganizationID, desk.M("error.organization_not_found", a.OrganizationID))
		if err := bumped(&a.Version, err); err != nil {
			return err
		}
		return db.appendEvents(ctx, tx, []event.Event{ev})
	})
}

// HealthWeights returns the weights of the health score (the defaults
// until someone sets them).
func (db *DB) HealthWeights(ctx context.Context) (account.Weights, error) {
	var v string
	err := db.read.QueryRowContext(ctx, `SELECT value FROM account_settings WHERE name = 'health_weights'`).Scan(&v)
	if err == sql.ErrNoRows {
		return account.DefaultWeights(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("health weights: %w", err)
	}
	w := account.Weights{}
	if err := json.Unmarshal([]byte(v), &w); err != nil {
		return nil, fmt.Errorf("health weights: %w", err)
	}
	return w, nil
}

// SaveHealthWeights stores the weights of the health score.
func (db *DB) SaveHealthWeights(ctx context.Context, w account.Weights) error {
	b, _ := json.Marshal(w)
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO account_settings (name, value) VALUES ('health_weights', $1)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, string(b))
		return err
	})
}

// HealthHistory returns an account's daily scores from a day on.
func (db *DB) HealthHistory(ctx context.Context, orgID int64, since string) ([]account.Point, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT day, score FROM account_health_days
		WHERE organization_id = $1 AND day >= $2 ORDER BY day`, orgID, since)
	if err != nil {
		return nil, fmt.Errorf("health history: %w", err)
	}
	defer rows.Close()
	out := []account.Point{}
	for rows.Next() {
		var p account.Point
		if err := rows.Scan(&p.Day, &p.Score); err != nil {
			return nil, fmt.Errorf("health history: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// TicketOrganizations returns the organization of each ticket that has one
// (primary-key reads).
func (db *DB) TicketOrganizations(ctx context.Context, ids []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	var args []any
	rows, err := db.read.QueryContext(ctx, `SELECT id, organization_id FROM tickets
		WHERE organization_id IS NOT NULL AND id IN (`+inList(&args, ids)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("ticket organizations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t, o int64
		if err := rows.Scan(&t, &o); err != nil {
			return nil, fmt.Errorf("ticket organizations: %w", err)
		}
		out[t] = o
	}
	return out, rows.Err()
}

// ApplyEvents changes the health of each touched account in one
// transaction with the consumer's cursor (consumer "" moves none). The
// cursor's row is locked first: of two nodes reading the same batch, the
// second finds the cursor moved and writes nothing.
func (db *DB) ApplyEvents(ctx context.Context, consumer string, from, last int64, now time.Time, touched []account.Touch,
	fn func(ctx context.Context, a *account.Account, s *account.State, evs []event.Event) (account.Verdict, error)) error {
	return db.inTx(ctx, func(tx *txn) error {
		if consumer != "" {
			var at int64
			if _, err := tx.ExecContext(ctx, `INSERT INTO event_cursors (consumer, event_id) VALUES ($1, 0)
				ON CONFLICT (consumer) DO NOTHING`, consumer); err != nil {
				return fmt.Errorf("account cursor: %w", err)
			}
			if err := tx.QueryRowContext(ctx, `SELECT event_id FROM event_cursors WHERE consumer = $1`+db.dialect.forUpdate(),
				consumer).Scan(&at); err != nil {
				return fmt.Errorf("account cursor: %w", err)
			}
			if at != from {
				return nil // another node handled this batch
			}
		}
		var changed []int64
		for _, t := range touched {
			changed = append(changed, t.Tickets...)
		}
		moved, err := moveOpenTickets(ctx, tx, changed)
		if err != nil {
			return err
		}
		// Accounts are written in id order, whoever writes them (this
		// consumer, the periodic refresh): two transactions that lock rows
		// in one order wait for each other instead of deadlocking.
		all := withMoved(slices.Clone(touched), moved)
		slices.SortFunc(all, func(a, b account.Touch) int { return cmp.Compare(a.OrganizationID, b.OrganizationID) })
		for _, t := range all {
			if err := db.applyAccount(ctx, tx, t, moved[t.OrganizationID], now, fn); err != nil {
				return err
			}
		}
		if consumer == "" {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE event_cursors SET event_id = $2 WHERE consumer = $1`, consumer, last)
		return err
	})
}

func (db *DB) applyAccount(ctx context.Context, tx *txn, t account.Touch, moved *openDelta, now time.Time,
	fn func(ctx context.Context, a *account.Account, s *account.State, evs []event.Event) (account.Verdict, error)) error {
	list, err := scanAccounts(ctx, tx, `WHERE o.id = $1`, t.OrganizationID)
	if err != nil || len(list) == 0 {
		return err // an organization deleted since: nothing to keep
	}
	a := list[0]
	st := a.State
	if st == nil {
		st = &account.State{}
	}
	switch {
	case t.Events == nil: // a refresh reads no tickets
	case !st.Counted:
		if err := countOpenTickets(ctx, tx, t.OrganizationID, st); err != nil {
			return err
		}
	case moved != nil:
		st.Open, st.Urgent = max(st.Open+moved.open, 0), max(st.Urgent+moved.urgent, 0)
	}
	v, err := fn(ctx, a, st, t.Events)
	if err != nil {
		return err
	}
	h, evs := v.Health, v.Events
	if v.Mail != nil {
		if err := insertSystemMail(ctx, tx, v.Mail); err != nil {
			return fmt.Errorf("account %d mail: %w", t.OrganizationID, err)
		}
	}
	b, _ := json.Marshal(st)
	if t.Events == nil {
		// A refresh keeps the state the consumer owns and writes the score.
		_, err = tx.ExecContext(ctx, `UPDATE account_health SET score = $2, band = $3 WHERE organization_id = $1`,
			t.OrganizationID, h.Score, h.Band)
	} else {
		_, err = tx.ExecContext(ctx, `INSERT INTO account_health (organization_id, score, band, state, updated_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organization_id) DO UPDATE
			SET score = excluded.score, band = excluded.band, state = excluded.state, updated_at = excluded.updated_at`,
			t.OrganizationID, h.Score, h.Band, string(b), micros(now))
	}
	if err != nil {
		return fmt.Errorf("account %d health: %w", t.OrganizationID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO account_health_days (organization_id, day, score) VALUES ($1, $2, $3)
		ON CONFLICT (organization_id, day) DO UPDATE SET score = excluded.score`,
		t.OrganizationID, now.Format(time.DateOnly), h.Score); err != nil {
		return fmt.Errorf("account %d history: %w", t.OrganizationID, err)
	}
	return db.appendEvents(ctx, tx, evs)
}

// OwnedAccounts returns the ids of the organizations an agent owns (the
// index organizations_owner).
func (db *DB) OwnedAccounts(ctx context.Context, agentID int64) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM organizations WHERE owner_id = $1 ORDER BY id`, agentID)
	if err != nil {
		return nil, fmt.Errorf("owned accounts: %w", err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("owned accounts: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
