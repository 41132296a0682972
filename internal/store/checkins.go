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

// timelineEventKinds are the kinds of the events on an account's timeline,
// the events that carry their ticket's organization (migration 00064).
const timelineEventKinds = `'` + event.Escalated + `', '` + event.SLABreached + `'`

// timelinePart is a source of an account's timeline: a SELECT giving
// (kind, at, id, ticket_id, text) for the organization $1, and the columns
// its rows are ordered by (at, id), which an index of the organization
// serves in that order, so that a page reads a page of each part however
// large the account.
type timelinePart struct{ sel, at, id string }

var timelineParts = map[string]timelinePart{
	account.ItemTicket: {`SELECT 'ticket' AS kind, created_at AS at, id, id AS ticket_id, subject AS text
		FROM tickets WHERE organization_id = $1`, "created_at", "id"}, // tickets_org_created
	account.ItemMessage: {`SELECT 'message' AS kind, m.created_at AS at, m.id, m.ticket_id, substr(m.body_text, 1, 200) AS text
		FROM messages m WHERE m.organization_id = $1 AND m.internal = FALSE`, "m.created_at", "m.id"}, // messages_org_time
	account.ItemNote: {`SELECT 'note' AS kind, m.created_at AS at, m.id, m.ticket_id, substr(m.body_text, 1, 200) AS text
		FROM messages m WHERE m.organization_id = $1 AND m.internal = TRUE`, "m.created_at", "m.id"}, // messages_org_time
	account.ItemCheckin: {`SELECT 'checkin' AS kind, held_at AS at, id, CAST(NULL AS BIGINT) AS ticket_id, substr(notes, 1, 200) AS text
		FROM checkins WHERE organization_id = $1`, "held_at", "id"}, // checkins_org
	account.ItemFeedback: {`SELECT 'feedback' AS kind, created_at AS at, id, ticket_id, substr(kind || ': ' || body, 1, 200) AS text
		FROM feedback WHERE organization_id = $1`, "created_at", "id"}, // feedback_org
	account.ItemOpportunity: {`SELECT 'opportunity' AS kind, created_at AS at, id, ticket_id, substr(stage || ': ' || title, 1, 200) AS text
		FROM opportunities WHERE organization_id = $1`, "created_at", "id"}, // opportunities_org
	account.ItemEscalation: {`SELECT 'escalation' AS kind, e.created_at AS at, e.id, e.ticket_id, '' AS text
		FROM events e WHERE e.organization_id = $1 AND e.kind = '` + event.Escalated + `'`, "e.created_at", "e.id"}, // events_org_time
	account.ItemBreach: {`SELECT 'sla_breach' AS kind, e.created_at AS at, e.id, e.ticket_id, '' AS text
		FROM events e WHERE e.organization_id = $1 AND e.kind = '` + event.SLABreached + `'`, "e.created_at", "e.id"}, // events_org_time
	// An NPS answer: its score, then its reason.
	account.ItemNPS: {`SELECT 'nps' AS kind, answered_at AS at, id, CAST(NULL AS BIGINT) AS ticket_id,
		substr(CAST(score AS TEXT) || ' ' || reason, 1, 200) AS text
		FROM nps_responses WHERE organization_id = $1 AND answered_at IS NOT NULL`, "answered_at", "id"}, // nps_responses_org
}

// Timeline returns a page of an account's timeline, newest first, ordered
// by (at, kind, id) descending after the cursor. Each kind's part takes the
// page's worth of its own rows after the cursor, newest first along its
// index, and the parts' heads are merged and cut to the page: a page costs
// the same at the first or the thousandth page of the largest account.
func (db *DB) Timeline(ctx context.Context, orgID int64, f account.TimelineFilter) ([]account.TimelineItem, error) {
	q, args := timelineQuery(orgID, f)
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

// timelineQuery is the statement of a timeline page and its arguments.
func timelineQuery(orgID int64, f account.TimelineFilter) (string, []any) {
	args := []any{orgID}
	limit := bind(&args, f.Limit)
	var at, id string
	if f.Before != nil {
		at, id = bind(&args, micros(f.Before.At)), bind(&args, f.Before.ID)
	}
	var parts []string
	for i, k := range f.Kinds {
		p := timelineParts[k]
		q := p.sel
		// A part's kind is fixed, so the cursor (at, kind, id) comes down
		// to a bound on (at, id): a kind after the cursor's in the order
		// (smaller, as the order is descending) takes the cursor's instant
		// too, a kind before it does not, its own kind goes on by id.
		switch {
		case f.Before == nil:
		case k < f.Before.Kind:
			q += ` AND ` + p.at + ` <= ` + at
		case k == f.Before.Kind:
			q += ` AND ` + p.at + ` <= ` + at + ` AND (` + p.at + ` < ` + at + ` OR ` + p.id + ` < ` + id + `)`
		default:
			q += ` AND ` + p.at + ` < ` + at
		}
		q += ` ORDER BY ` + p.at + ` DESC, ` + p.id + ` DESC LIMIT ` + limit
		parts = append(parts, fmt.Sprintf(`SELECT * FROM (%s) p%d`, q, i))
	}
	q := `SELECT kind, at, id, ticket_id, text FROM (` + strings.Join(parts, " UNION ALL ") + `) items
		ORDER BY at DESC, kind DESC, id DESC LIMIT ` + limit
	return q, args
}
