package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

var (
	_ account.CheckinStore = (*DB)(nil)
	_ account.BookStore    = (*DB)(nil)
)

// SaveCheckin inserts a check-in, moves the account's next check-in and
// appends the event (completed with the check-in's id).
func (db *DB) SaveCheckin(ctx context.Context, c *account.Checkin, next *time.Time, ev event.Event) error {
	att, _ := json.Marshal(c.Attendees)
	fu, _ := json.Marshal(c.FollowUps)
	return db.inTx(ctx, func(tx *txn) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO checkins (organization_id, agent_id, held_at, notes, attendees, outcome,
			follow_ups, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			c.OrganizationID, nullID(c.AgentID), micros(c.HeldAt), c.Notes, string(att), c.Outcome, string(fu),
			micros(c.CreatedAt)).Scan(&c.ID); err != nil {
			return fmt.Errorf("insert check-in: %w", err)
		}
		c.Version = 1
		if next != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE organizations SET next_checkin_at = $2 WHERE id = $1`,
				c.OrganizationID, micros(*next)); err != nil {
				return fmt.Errorf("next check-in: %w", err)
			}
		}
		ev.Data = event.WithFields(ev.Data, event.Field{Name: "checkin_id", Value: c.ID})
		return db.appendEvents(ctx, tx, []event.Event{ev})
	})
}

const checkinColumns = `id, organization_id, agent_id, held_at, notes, attendees, outcome, follow_ups, created_at, version FROM checkins `

func (db *DB) scanCheckins(ctx context.Context, where string, args ...any) ([]*account.Checkin, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+checkinColumns+where, args...)
	if err != nil {
		return nil, fmt.Errorf("check-ins: %w", err)
	}
	defer rows.Close()
	out := []*account.Checkin{}
	for rows.Next() {
		var c account.Checkin
		var agent sql.NullInt64
		var held, created int64
		var att, fu string
		if err := rows.Scan(&c.ID, &c.OrganizationID, &agent, &held, &c.Notes, &att, &c.Outcome, &fu, &created, &c.Version); err != nil {
			return nil, fmt.Errorf("check-ins: %w", err)
		}
		c.AgentID, c.HeldAt, c.CreatedAt = fromNullID(agent), fromMicros(held), fromMicros(created)
		if json.Unmarshal([]byte(att), &c.Attendees) != nil || json.Unmarshal([]byte(fu), &c.FollowUps) != nil {
			return nil, fmt.Errorf("check-in %d: bad JSON", c.ID)
		}
		out = append(out, &c)
	}
	return out, rows.Err()
}

// Checkin returns a check-in.
func (db *DB) Checkin(ctx context.Context, id int64) (*account.Checkin, error) {
	list, err := db.scanCheckins(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("account.error.checkin_not_found", id))
}

// Checkins lists an account's check-ins by id, newest first, before an id.
func (db *DB) Checkins(ctx context.Context, orgID, beforeID int64, limit int) ([]*account.Checkin, error) {
	if beforeID <= 0 {
		beforeID = 1 << 62
	}
	return db.scanCheckins(ctx, `WHERE organization_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, orgID, beforeID, limit)
}

// DueCheckins lists accounts whose next check-in is due by until, soonest
// first (the index organizations_next_checkin).
func (db *DB) DueCheckins(ctx context.Context, ownerID *int64, until time.Time, limit int) ([]account.Due, error) {
	args := []any{micros(until), limit}
	where := ""
	if ownerID != nil {
		where = " AND owner_id = " + bind(&args, *ownerID)
	}
	return db.queryDue(ctx, db.read, `WHERE next_checkin_at IS NOT NULL AND next_checkin_at <= $1`+where+
		` ORDER BY next_checkin_at, id LIMIT $2`, args...)
}

func (db *DB) queryDue(ctx context.Context, q querier, where string, args ...any) ([]account.Due, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, owner_id, next_checkin_at FROM organizations `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("due check-ins: %w", err)
	}
	defer rows.Close()
	out := []account.Due{}
	for rows.Next() {
		var d account.Due
		var owner sql.NullInt64
		var due int64
		if err := rows.Scan(&d.OrganizationID, &d.Name, &owner, &due); err != nil {
			return nil, fmt.Errorf("due check-ins: %w", err)
		}
		d.OwnerID, d.DueAt = fromNullID(owner), fromMicros(due)
		out = append(out, d)
	}
	return out, rows.Err()
}

// RemindCheckins claims the due check-ins not yet reminded (the UPDATE that
// sets checkin_reminded_at decides, so two nodes never remind twice) and
// appends an event for each.
func (db *DB) RemindCheckins(ctx context.Context, now time.Time, limit int, ev func(account.Due) event.Event) (int, error) {
	due, err := db.queryDue(ctx, db.read, `WHERE next_checkin_at IS NOT NULL AND next_checkin_at <= $1
		AND (checkin_reminded_at IS NULL OR checkin_reminded_at < next_checkin_at) ORDER BY next_checkin_at, id LIMIT $2`,
		micros(now), limit)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range due {
		err := db.inTx(ctx, func(tx *txn) error {
			res, err := tx.ExecContext(ctx, `UPDATE organizations SET checkin_reminded_at = next_checkin_at
				WHERE id = $1 AND next_checkin_at = $2 AND (checkin_reminded_at IS NULL OR checkin_reminded_at < next_checkin_at)`,
				d.OrganizationID, micros(d.DueAt))
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			n++
			return db.appendEvents(ctx, tx, []event.Event{ev(d)})
		})
		if err != nil {
			return n, fmt.Errorf("remind check-in %d: %w", d.OrganizationID, err)
		}
	}
	return n, nil
}

// ScoresSince returns each account's first daily score on or after day.
func (db *DB) ScoresSince(ctx context.Context, ids []int64, day string) (map[int64]int, error) {
	out := map[int64]int{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{day}
	rows, err := db.read.QueryContext(ctx, `SELECT organization_id, score FROM account_health_days
		WHERE day >= $1 AND organization_id IN (`+inList(&args, ids)+`) ORDER BY organization_id, day`, args...)
	if err != nil {
		return nil, fmt.Errorf("scores since: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var score int
		if err := rows.Scan(&id, &score); err != nil {
			return nil, fmt.Errorf("scores since: %w", err)
		}
		if _, ok := out[id]; !ok {
			out[id] = score
		}
	}
	return out, rows.Err()
}

// timelineParts are the sources of an account's timeline, one SELECT each
// giving (kind, at, id, ticket_id, text) for the organization $1; each
// reads along an index of the organization or its tickets, and names
// its columns (a part may stand alone).
var timelineParts = map[string]string{
	account.ItemTicket: `SELECT 'ticket' AS kind, created_at AS at, id, id AS ticket_id, subject AS text
		FROM tickets WHERE organization_id = $1`,
	account.ItemMessage: `SELECT 'message' AS kind, m.created_at AS at, m.id, m.ticket_id, substr(m.body_text, 1, 200) AS text
		FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.organization_id = $1 AND NOT m.internal`,
	account.ItemNote: `SELECT 'note' AS kind, m.created_at AS at, m.id, m.ticket_id, substr(m.body_text, 1, 200) AS text
		FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.organization_id = $1 AND m.internal`,
	account.ItemCheckin: `SELECT 'checkin' AS kind, held_at AS at, id, CAST(NULL AS BIGINT) AS ticket_id, substr(notes, 1, 200) AS text
		FROM checkins WHERE organization_id = $1`,
	account.ItemFeedback: `SELECT 'feedback' AS kind, created_at AS at, id, ticket_id, substr(kind || ': ' || body, 1, 200) AS text
		FROM feedback WHERE organization_id = $1`,
	account.ItemOpportunity: `SELECT 'opportunity' AS kind, created_at AS at, id, ticket_id, substr(stage || ': ' || title, 1, 200) AS text
		FROM opportunities WHERE organization_id = $1`,
	account.ItemEscalation: `SELECT 'escalation' AS kind, e.created_at AS at, e.id, e.ticket_id, '' AS text
		FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE t.organization_id = $1 AND e.kind = 'ticket.escalated'`,
	account.ItemBreach: `SELECT 'sla_breach' AS kind, e.created_at AS at, e.id, e.ticket_id, '' AS text
		FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE t.organization_id = $1 AND e.kind = 'sla.breached'`,
	// An NPS answer: its score, then its reason.
	account.ItemNPS: `SELECT 'nps' AS kind, answered_at AS at, id, CAST(NULL AS BIGINT) AS ticket_id,
		substr(CAST(score AS TEXT) || ' ' || reason, 1, 200) AS text
		FROM nps_responses WHERE organization_id = $1 AND answered_at IS NOT NULL`,
}

// Timeline returns a page of an account's timeline, newest first, ordered
// by (at, kind, id) descending after the cursor.
func (db *DB) Timeline(ctx context.Context, orgID int64, f account.TimelineFilter) ([]account.TimelineItem, error) {
	args := []any{orgID}
	var parts []string
	for _, k := range f.Kinds {
		parts = append(parts, timelineParts[k])
	}
	q := `SELECT kind, at, id, ticket_id, text FROM (` + strings.Join(parts, " UNION ALL ") + `) items`
	if f.Before != nil {
		a, k, i := bind(&args, micros(f.Before.At)), bind(&args, f.Before.Kind), bind(&args, f.Before.ID)
		q += ` WHERE at < ` + a + ` OR (at = ` + a + ` AND (kind < ` + k + ` OR (kind = ` + k + ` AND id < ` + i + `)))`
	}
	q += ` ORDER BY at DESC, kind DESC, id DESC LIMIT ` + bind(&args, f.Limit)
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	defer rows.Close()
	out := []account.TimelineItem{}
	for rows.Next() {
		var it account.TimelineItem
		var at int64
		var tid sql.NullInt64
		if err := rows.Scan(&it.Kind, &at, &it.ID, &tid, &it.Text); err != nil {
			return nil, fmt.Errorf("timeline: %w", err)
		}
		it.At, it.TicketID = fromMicros(at), fromNullID(tid)
		out = append(out, it)
	}
	return out, rows.Err()
}
