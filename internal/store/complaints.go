package store

import (
	"context"
	"fmt"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/report"
)

// ComplaintNotes returns the latest record of each key of a week.
func (db *DB) ComplaintNotes(ctx context.Context, dim string, week time.Time) (map[string]*report.ComplaintNote, error) {
	list, err := db.scanComplaintNotes(ctx, `SELECT n.dim, n.val, n.week, n.version, n.note, n.author_id, n.created_at
		FROM complaint_notes n WHERE n.dim = $1 AND n.week = $2 AND n.version =
		(SELECT MAX(m.version) FROM complaint_notes m WHERE m.dim = n.dim AND m.week = n.week AND m.val = n.val)`,
		dim, micros(week))
	if err != nil {
		return nil, err
	}
	out := make(map[string]*report.ComplaintNote, len(list))
	for _, n := range list {
		out[n.Key] = n
	}
	return out, nil
}

// ComplaintNoteVersions lists a record's versions, newest first.
func (db *DB) ComplaintNoteVersions(ctx context.Context, dim, key string, week time.Time) ([]*report.ComplaintNote, error) {
	return db.scanComplaintNotes(ctx, `SELECT dim, val, week, version, note, author_id, created_at FROM complaint_notes
		WHERE dim = $1 AND week = $2 AND val = $3 ORDER BY version DESC`, dim, micros(week), key)
}

func (db *DB) scanComplaintNotes(ctx context.Context, query string, args ...any) ([]*report.ComplaintNote, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("complaint notes: %w", err)
	}
	defer rows.Close()
	out := []*report.ComplaintNote{}
	for rows.Next() {
		var n report.ComplaintNote
		var week, at int64
		if err := rows.Scan(&n.Dim, &n.Key, &week, &n.Version, &n.Note, &n.AuthorID, &at); err != nil {
			return nil, fmt.Errorf("complaint notes: %w", err)
		}
		n.Week, n.UpdatedAt = fromMicros(week), fromMicros(at)
		out = append(out, &n)
	}
	return out, rows.Err()
}

// SaveComplaintNote adds the next version of a record. Two writers that
// read the same latest version race for the same primary key: the loser
// inserts nothing and is told its write is stale.
func (db *DB) SaveComplaintNote(ctx context.Context, n *report.ComplaintNote, ifVersion int64) error {
	return db.inTx(ctx, func(tx *txn) error {
		var current int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM complaint_notes
			WHERE dim = $1 AND week = $2 AND val = $3`, n.Dim, micros(n.Week), n.Key).Scan(&current); err != nil {
			return fmt.Errorf("complaint note version: %w", err)
		}
		if ifVersion == report.NoNoteYet {
			if current != 0 {
				return desk.Stale(current)
			}
		} else if err := desk.CheckVersion(ifVersion, current); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO complaint_notes (dim, val, week, version, note, author_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			n.Dim, n.Key, micros(n.Week), current+1, n.Note, n.AuthorID, micros(n.UpdatedAt))
		if err != nil {
			return fmt.Errorf("insert complaint note: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return desk.Stale(current + 1)
		}
		n.Version = current + 1
		return nil
	})
}
