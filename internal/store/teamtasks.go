package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/teamtask"
)

var _ teamtask.Store = (*DB)(nil)

const taskColumns = `id, team_id, title, description, status, owner_id, due_at, ticket_ids, created_by, version,
	created_at, updated_at FROM team_tasks`

func (db *DB) scanTasks(ctx context.Context, where string, args ...any) ([]*teamtask.Task, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+taskColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("team tasks: %w", err)
	}
	defer rows.Close()
	out := []*teamtask.Task{}
	for rows.Next() {
		var t teamtask.Task
		var owner, due sql.NullInt64
		var tickets string
		var cr, up int64
		if err := rows.Scan(&t.ID, &t.TeamID, &t.Title, &t.Description, &t.Status, &owner, &due, &tickets, &t.CreatedBy,
			&t.Version, &cr, &up); err != nil {
			return nil, fmt.Errorf("team tasks: %w", err)
		}
		_ = json.Unmarshal([]byte(tickets), &t.TicketIDs)
		if t.TicketIDs == nil {
			t.TicketIDs = []int64{}
		}
		t.OwnerID, t.DueAt, t.CreatedAt, t.UpdatedAt = fromNullID(owner), fromNullMicros(due), fromMicros(cr), fromMicros(up)
		out = append(out, &t)
	}
	return out, rows.Err()
}

// CreateTask inserts a card.
func (db *DB) CreateTask(ctx context.Context, t *teamtask.Task) error {
	return db.inTx(ctx, func(tx *txn) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO team_tasks (team_id, title, description, status, owner_id, due_at,
			ticket_ids, created_by, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10)
			RETURNING id`, t.TeamID, t.Title, t.Description, t.Status, nullID(t.OwnerID), nullMicros(t.DueAt),
			marshal(t.TicketIDs), t.CreatedBy, micros(t.CreatedAt), micros(t.UpdatedAt)).Scan(&t.ID); err != nil {
			return fmt.Errorf("insert team task: %w", db.mapErr(err))
		}
		t.Version = 1
		return nil
	})
}

// Task returns one card.
func (db *DB) Task(ctx context.Context, id int64) (*teamtask.Task, error) {
	list, err := db.scanTasks(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("tasks.error.not_found", id))
}

// TeamTasks lists a team's cards by column, due date (none last), id.
func (db *DB) TeamTasks(ctx context.Context, teamID int64) ([]*teamtask.Task, error) {
	return db.scanTasks(ctx, `WHERE team_id = $1 ORDER BY CASE status WHEN 'todo' THEN 0 WHEN 'doing' THEN 1 ELSE 2 END,
		CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, id LIMIT 500`, teamID)
}

// UpdateTask writes a card at t.Version.
func (db *DB) UpdateTask(ctx context.Context, t *teamtask.Task) error {
	return bumped(&t.Version, db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE team_tasks SET title = $2, description = $3, status = $4, owner_id = $5,
			due_at = $6, ticket_ids = $7, updated_at = $8, version = version + 1 WHERE id = $1 AND version = $9`, t.ID, t.Title,
			t.Description, t.Status, nullID(t.OwnerID), nullMicros(t.DueAt), marshal(t.TicketIDs), micros(t.UpdatedAt), t.Version)
		return versioned(ctx, tx, res, err, "team_tasks", t.ID, desk.M("tasks.error.not_found", t.ID))
	}))
}
