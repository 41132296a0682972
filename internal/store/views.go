package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/view"
)

var _ view.Store = (*DB)(nil)

const savedViewColumns = `id, name, scope, owner_id, team_id, query, version, created_at, updated_at FROM saved_views`

func (db *DB) scanSavedViews(ctx context.Context, where string, args ...any) ([]*view.View, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+savedViewColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("saved views: %w", err)
	}
	defer rows.Close()
	out := []*view.View{}
	for rows.Next() {
		var v view.View
		var owner, team sql.NullInt64
		var q string
		var c, u int64
		if err := rows.Scan(&v.ID, &v.Name, &v.Scope, &owner, &team, &q, &v.Version, &c, &u); err != nil {
			return nil, fmt.Errorf("saved views: %w", err)
		}
		if err := json.Unmarshal([]byte(q), &v.Query); err != nil {
			return nil, fmt.Errorf("saved view %d query: %w", v.ID, err)
		}
		v.OwnerID, v.TeamID, v.CreatedAt, v.UpdatedAt = fromNullID(owner), fromNullID(team), fromMicros(c), fromMicros(u)
		out = append(out, &v)
	}
	return out, rows.Err()
}

// SavedViews lists an agent's personal views and their teams' views, by
// name then id.
func (db *DB) SavedViews(ctx context.Context, ownerID int64, teamIDs []int64) ([]*view.View, error) {
	return db.scanSavedViews(ctx, `WHERE owner_id = $1 OR team_id IN (`+idList(teamIDs)+`) ORDER BY name, id`, ownerID)
}

// SavedView returns one saved view.
func (db *DB) SavedView(ctx context.Context, id int64) (*view.View, error) {
	list, err := db.scanSavedViews(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("view.not_found", id))
}

// CreateSavedView inserts a view.
func (db *DB) CreateSavedView(ctx context.Context, v *view.View) error {
	err := db.write.QueryRowContext(ctx, `INSERT INTO saved_views (name, scope, owner_id, team_id, query, version,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING id`,
		v.Name, v.Scope, nullID(v.OwnerID), nullID(v.TeamID), marshal(v.Query), micros(v.CreatedAt),
		micros(v.UpdatedAt)).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("insert saved view: %w", db.mapErr(err))
	}
	v.Version = 1
	return nil
}

// UpdateSavedView writes a view still at v.Version.
func (db *DB) UpdateSavedView(ctx context.Context, v *view.View) error {
	res, err := db.exec(ctx, `UPDATE saved_views SET name = $2, scope = $3, owner_id = $4, team_id = $5, query = $6,
		updated_at = $7, version = version + 1 WHERE id = $1 AND version = $8`,
		v.ID, v.Name, v.Scope, nullID(v.OwnerID), nullID(v.TeamID), marshal(v.Query), micros(v.UpdatedAt), v.Version)
	if err := versioned(ctx, db.read, res, err, "saved_views", v.ID, desk.M("view.not_found", v.ID)); err != nil {
		return err
	}
	v.Version++
	return nil
}

// DeleteSavedView removes a view (at ifVersion, when not 0), and any
// agent's choice to land on it.
func (db *DB) DeleteSavedView(ctx context.Context, id, ifVersion int64) error {
	q, args := withVersion(`DELETE FROM saved_views WHERE id = $1`, id, ifVersion)
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err := versioned(ctx, tx, res, db.mapErr(err), "saved_views", id, desk.M("view.not_found", id)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM agent_landing_views WHERE view = $1`, fmt.Sprintf("saved:%d", id))
		return err
	})
}

// LandingView is the key of the view an agent chose to land on, "" if none.
func (db *DB) LandingView(ctx context.Context, agentID int64) (string, error) {
	var key string
	err := db.read.QueryRowContext(ctx, `SELECT view FROM agent_landing_views WHERE agent_id = $1`, agentID).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("landing view: %w", err)
	}
	return key, nil
}

// SetLandingView records the view an agent lands on; "" forgets it.
func (db *DB) SetLandingView(ctx context.Context, agentID int64, key string) error {
	if key == "" {
		_, err := db.exec(ctx, `DELETE FROM agent_landing_views WHERE agent_id = $1`, agentID)
		return err
	}
	_, err := db.exec(ctx, `INSERT INTO agent_landing_views (agent_id, view) VALUES ($1, $2)
		ON CONFLICT (agent_id) DO UPDATE SET view = excluded.view`, agentID, key)
	return err
}
