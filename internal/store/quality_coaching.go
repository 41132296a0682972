package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/notify"
	"github.com/sahayak/sahayak/internal/quality"
)

// addNotifications writes notifications of one event (event id 0: none;
// then each needs its own key, so the created time's micros stand in).
func addNotifications(ctx context.Context, tx *txn, eventID int64, ns []*notify.Notification) error {
	for _, x := range ns {
		x.EventID = eventID
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (agent_id, kind, ticket_id, event_id, body, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agent_id, event_id, kind) DO NOTHING`,
			x.AgentID, x.Kind, x.TicketID, x.EventID, x.Body, micros(x.CreatedAt)); err != nil {
			return fmt.Errorf("add notification: %w", err)
		}
	}
	return nil
}

// coachingEvent appends the event a coaching change's notifications hang on.
func (db *DB) coachingEvent(ctx context.Context, tx *txn, sessionID int64, ns []*notify.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	ev := event.New(quality.EventCoachingSession, 0, map[string]any{"session_id": sessionID})
	ev.ActorKind, ev.CreatedAt = desk.ActorSystem, ns[0].CreatedAt
	if a, ok := desk.ActorFrom(ctx); ok {
		ev.ActorKind, ev.ActorID = a.Kind, a.ID
	}
	evs := []event.Event{ev}
	if err := db.appendEvents(ctx, tx, evs); err != nil {
		return err
	}
	body, _ := json.Marshal(quality.CoachingBody{SessionID: sessionID})
	for _, n := range ns {
		var b quality.CoachingBody
		if json.Unmarshal([]byte(n.Body), &b) == nil && b.SessionID == 0 {
			b.SessionID = sessionID
			nb, _ := json.Marshal(b)
			n.Body = string(nb)
		}
		if n.Body == "" {
			n.Body = string(body)
		}
	}
	return addNotifications(ctx, tx, evs[0].ID, ns)
}

// CreateCoachingSession inserts a session with its action items.
func (db *DB) CreateCoachingSession(ctx context.Context, c *quality.CoachingSession, ns []*notify.Notification) error {
	err := db.inTx(ctx, func(tx *txn) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO coaching_sessions (agent_id, coach_id, held_at, notes, review_ids,
			ticket_ids, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8) RETURNING id`,
			c.AgentID, c.CoachID, micros(c.HeldAt), c.Notes, marshal(c.ReviewIDs), marshal(c.TicketIDs),
			micros(c.CreatedAt), micros(c.UpdatedAt)).Scan(&c.ID); err != nil {
			return fmt.Errorf("insert coaching session: %w", db.mapErr(err))
		}
		for i := range c.Actions {
			x := &c.Actions[i]
			x.SessionID = c.ID
			if err := insertAction(ctx, tx, db, x); err != nil {
				return err
			}
		}
		return db.coachingEvent(ctx, tx, c.ID, ns)
	})
	if err == nil {
		c.Version = 1
	}
	return err
}

func insertAction(ctx context.Context, tx *txn, db *DB, x *quality.ActionItem) error {
	if err := tx.QueryRowContext(ctx, `INSERT INTO coaching_actions (session_id, title, owner_id, due_at, done_at, version,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING id`, x.SessionID, x.Title, x.OwnerID,
		micros(x.DueAt), nullMicros(x.DoneAt), micros(x.CreatedAt), micros(x.UpdatedAt)).Scan(&x.ID); err != nil {
		return fmt.Errorf("insert action item: %w", db.mapErr(err))
	}
	x.Version = 1
	return nil
}

func (db *DB) scanCoaching(ctx context.Context, where string, args ...any) ([]*quality.CoachingSession, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, agent_id, coach_id, held_at, notes, review_ids, ticket_ids, version,
		created_at, updated_at FROM coaching_sessions `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("coaching sessions: %w", err)
	}
	defer rows.Close()
	out := []*quality.CoachingSession{}
	byID := map[int64]*quality.CoachingSession{}
	for rows.Next() {
		var c quality.CoachingSession
		var held, cr, up int64
		var reviews, tickets string
		if err := rows.Scan(&c.ID, &c.AgentID, &c.CoachID, &held, &c.Notes, &reviews, &tickets, &c.Version, &cr, &up); err != nil {
			return nil, fmt.Errorf("coaching sessions: %w", err)
		}
		_ = json.Unmarshal([]byte(reviews), &c.ReviewIDs)
		_ = json.Unmarshal([]byte(tickets), &c.TicketIDs)
		c.HeldAt, c.CreatedAt, c.UpdatedAt = fromMicros(held), fromMicros(cr), fromMicros(up)
		c.Actions = []quality.ActionItem{}
		out = append(out, &c)
		byID[c.ID] = &c
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	list := make([]int64, 0, len(out))
	for _, c := range out {
		list = append(list, c.ID)
	}
	err = inChunks(len(list), func(i, j int) error {
		in, args := idMarks(list[i:j])
		items, err := db.scanActions(ctx, `WHERE session_id IN (`+in+`) ORDER BY session_id, due_at, id`, args...)
		for _, x := range items {
			byID[x.SessionID].Actions = append(byID[x.SessionID].Actions, *x)
		}
		return err
	})
	return out, err
}

func (db *DB) scanActions(ctx context.Context, where string, args ...any) ([]*quality.ActionItem, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, session_id, title, owner_id, due_at, done_at, version, created_at,
		updated_at FROM coaching_actions `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("action items: %w", err)
	}
	defer rows.Close()
	out := []*quality.ActionItem{}
	for rows.Next() {
		var x quality.ActionItem
		var due, cr, up int64
		var done sql.NullInt64
		if err := rows.Scan(&x.ID, &x.SessionID, &x.Title, &x.OwnerID, &due, &done, &x.Version, &cr, &up); err != nil {
			return nil, fmt.Errorf("action items: %w", err)
		}
		x.DueAt, x.DoneAt, x.CreatedAt, x.UpdatedAt = fromMicros(due), fromNullMicros(done), fromMicros(cr), fromMicros(up)
		out = append(out, &x)
	}
	return out, rows.Err()
}

// CoachingSession returns a session with its action items.
func (db *DB) CoachingSession(ctx context.Context, id int64) (*quality.CoachingSession, error) {
	list, err := db.scanCoaching(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("quality.error.coaching_not_found", id))
}

// CoachingSessions lists sessions newest first (by id, keyset).
func (db *DB) CoachingSessions(ctx context.Context, f quality.CoachingFilter) ([]*quality.CoachingSession, error) {
	where, args := "WHERE id < $1", []any{f.BeforeID}
	if f.BeforeID <= 0 {
		args[0] = int64(1) << 62
	}
	add := func(cond string, v any) {
		args = append(args, v)
		where += " AND " + cond + " $" + strconv.Itoa(len(args))
	}
	if f.AgentID != nil {
		add("agent_id =", *f.AgentID)
	}
	if f.CoachID != nil {
		add("coach_id =", *f.CoachID)
	}
	if f.From != nil {
		add("held_at >=", micros(*f.From))
	}
	if f.To != nil {
		add("held_at <", micros(*f.To))
	}
	args = append(args, f.Limit)
	return db.scanCoaching(ctx, where+` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
}

// UpdateCoachingSession writes a session's date, notes and links at c.Version.
func (db *DB) UpdateCoachingSession(ctx context.Context, c *quality.CoachingSession) error {
	return bumped(&c.Version, db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE coaching_sessions SET held_at = $2, notes = $3, review_ids = $4, ticket_ids = $5,
			updated_at = $6, version = version + 1 WHERE id = $1 AND version = $7`, c.ID, micros(c.HeldAt), c.Notes,
			marshal(c.ReviewIDs), marshal(c.TicketIDs), micros(c.UpdatedAt), c.Version)
		return versioned(ctx, tx, res, err, "coaching_sessions", c.ID, desk.M("quality.error.coaching_not_found", c.ID))
	}))
}

// AddActionItem inserts an action item with its notifications.
func (db *DB) AddActionItem(ctx context.Context, x *quality.ActionItem, ns []*notify.Notification) error {
	return db.inTx(ctx, func(tx *txn) error {
		if err := insertAction(ctx, tx, db, x); err != nil {
			return err
		}
		return db.coachingEvent(ctx, tx, x.SessionID, ns)
	})
}

// ActionItem returns one action item.
func (db *DB) ActionItem(ctx context.Context, id int64) (*quality.ActionItem, error) {
	list, err := db.scanActions(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("quality.error.action_not_found", id))
}

// SetActionDone writes an action item's done time at x.Version; an item
// done again is reminded afresh only if it is undone.
func (db *DB) SetActionDone(ctx context.Context, x *quality.ActionItem) error {
	return bumped(&x.Version, db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE coaching_actions SET done_at = $2, updated_at = $3, version = version + 1
			WHERE id = $1 AND version = $4`, x.ID, nullMicros(x.DoneAt), micros(x.UpdatedAt), x.Version)
		return versioned(ctx, tx, res, err, "coaching_actions", x.ID, desk.M("quality.error.action_not_found", x.ID))
	}))
}

// RemindActions claims open action items due before soon whose stage
// ('soon' before due, 'overdue' after) was not yet reminded: the
// conditional UPDATE decides, so two nodes never remind twice.
func (db *DB) RemindActions(ctx context.Context, now, soon time.Time, limit int,
	notice func(x *quality.ActionItem, stage string) quality.Notice) (int, error) {
	items, err := db.scanActions(ctx, `WHERE done_at IS NULL AND due_at <= $1 AND
		(reminded = '' OR (reminded = 'soon' AND due_at <= $2)) ORDER BY due_at, id LIMIT $3`, micros(soon), micros(now), limit)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, x := range items {
		stage := "soon"
		if !x.DueAt.After(now) {
			stage = "overdue"
		}
		err := db.inTx(ctx, func(tx *txn) error {
			res, err := tx.ExecContext(ctx, `UPDATE coaching_actions SET reminded = $2 WHERE id = $1 AND done_at IS NULL
				AND reminded <> $2 AND reminded <> 'overdue'`, x.ID, stage)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			n++
			return db.writeNotice(ctx, tx, notice(x, stage))
		})
		if err != nil {
			return n, fmt.Errorf("remind action item %d: %w", x.ID, err)
		}
	}
	return n, nil
}

// CoachingTeams returns the teams an agent is a member of, with their leads.
func (db *DB) CoachingTeams(ctx context.Context, agentID int64) ([]quality.TeamRef, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT t.id, COALESCE(t.lead_id, 0) FROM teams t
		JOIN team_members m ON m.team_id = t.id WHERE m.agent_id = $1 ORDER BY t.id`, agentID)
	if err != nil {
		return nil, fmt.Errorf("agent teams: %w", err)
	}
	defer rows.Close()
	var out []quality.TeamRef
	for rows.Next() {
		var t quality.TeamRef
		if err := rows.Scan(&t.ID, &t.LeadID); err != nil {
			return nil, fmt.Errorf("agent teams: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
