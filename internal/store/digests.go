package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/digest"
)

var _ digest.Store = (*DB)(nil)

const digestColumns = `id, name, period, team_id, created_by, last_period, created_at, updated_at, version FROM report_digests `

func (db *DB) scanDigests(ctx context.Context, where string, args ...any) ([]*digest.Digest, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+digestColumns+where, args...)
	if err != nil {
		return nil, fmt.Errorf("digests: %w", err)
	}
	out := []*digest.Digest{}
	byID := map[int64]*digest.Digest{}
	for rows.Next() {
		d := &digest.Digest{RecipientIDs: []int64{}}
		var team sql.NullInt64
		var created, updated int64
		if err := rows.Scan(&d.ID, &d.Name, &d.Period, &team, &d.CreatedBy, &d.LastPeriod, &created, &updated,
			&d.Version); err != nil {
			rows.Close()
			return nil, fmt.Errorf("digests: %w", err)
		}
		d.TeamID, d.CreatedAt, d.UpdatedAt = fromNullID(team), fromMicros(created), fromMicros(updated)
		out = append(out, d)
		byID[d.ID] = d
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("digests: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	// Their recipients, in one read by the digests' ids.
	ms := make([]string, len(out))
	ids := make([]any, len(out))
	for i, d := range out {
		ms[i], ids[i] = "$"+strconv.Itoa(i+1), d.ID
	}
	rr, err := db.read.QueryContext(ctx, `SELECT digest_id, agent_id FROM report_digest_recipients
		WHERE digest_id IN (`+strings.Join(ms, ", ")+`) ORDER BY digest_id, agent_id`, ids...)
	if err != nil {
		return nil, fmt.Errorf("digest recipients: %w", err)
	}
	defer rr.Close()
	for rr.Next() {
		var id, agent int64
		if err := rr.Scan(&id, &agent); err != nil {
			return nil, fmt.Errorf("digest recipients: %w", err)
		}
		byID[id].RecipientIDs = append(byID[id].RecipientIDs, agent)
	}
	return out, rr.Err()
}

// Digests lists digests of those teams or made by that agent, or all.
func (db *DB) Digests(ctx context.Context, teamIDs []int64, createdBy *int64) ([]*digest.Digest, error) {
	if teamIDs == nil && createdBy == nil {
		return db.scanDigests(ctx, `ORDER BY id`)
	}
	where, args := teamsOrAgent(teamIDs, "created_by", createdBy)
	return db.scanDigests(ctx, where+` ORDER BY id`, args...)
}

// Digest returns a digest.
func (db *DB) Digest(ctx context.Context, id int64) (*digest.Digest, error) {
	list, err := db.scanDigests(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("error.digest_not_found", id))
}

// SaveDigest inserts or updates a digest and replaces its recipients, in
// one transaction.
func (db *DB) SaveDigest(ctx context.Context, d *digest.Digest, ifVersion int64) error {
	stale := false
	err := db.inTx(ctx, func(tx *txn) error {
		stale = false
		if d.ID == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO report_digests (name, period, team_id, created_by, last_period,
				created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, d.Name, d.Period, nullID(d.TeamID),
				d.CreatedBy, d.LastPeriod, micros(d.CreatedAt), micros(d.UpdatedAt)).Scan(&d.ID); err != nil {
				return fmt.Errorf("insert digest: %w", err)
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE report_digests SET name = $2, period = $3, team_id = $4, last_period = $5,
				updated_at = $6, version = version + 1 WHERE id = $1 AND version = $7`, d.ID, d.Name, d.Period,
				nullID(d.TeamID), d.LastPeriod, micros(d.UpdatedAt), ifVersion)
			if err != nil {
				return fmt.Errorf("update digest: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				stale = true
				return nil
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM report_digest_recipients WHERE digest_id = $1`, d.ID); err != nil {
				return fmt.Errorf("digest recipients: %w", err)
			}
		}
		for _, a := range d.RecipientIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO report_digest_recipients (digest_id, agent_id) VALUES ($1, $2)`,
				d.ID, a); err != nil {
				return fmt.Errorf("digest recipient %d: %w", a, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if stale {
		cur, err := db.Digest(ctx, d.ID)
		if err != nil {
			return err
		}
		return desk.Stale(cur.Version)
	}
	d.Version = ifVersion + 1
	return nil
}

// DeleteDigest deletes a digest at a version (0: any).
func (db *DB) DeleteDigest(ctx context.Context, id, ifVersion int64) error {
	cur, err := db.Digest(ctx, id)
	if err != nil {
		return err
	}
	if err := desk.CheckVersion(ifVersion, cur.Version); err != nil {
		return err
	}
	res, err := db.write.ExecContext(ctx, `DELETE FROM report_digests WHERE id = $1 AND version = $2`, id, cur.Version)
	if err != nil {
		return fmt.Errorf("delete digest: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return desk.Stale(cur.Version + 1)
	}
	return nil
}

// DueDigests returns the digests of a period kind not yet mailed for the
// period starting on label, in id order.
func (db *DB) DueDigests(ctx context.Context, period, label string, afterID int64, limit int) ([]*digest.Digest, error) {
	return db.scanDigests(ctx, `WHERE period = $1 AND last_period < $2 AND id > $3 ORDER BY id LIMIT $4`,
		period, label, afterID, limit)
}

// MarkDigestSent moves a digest's last period from prev to label and
// stores its mails, in one transaction: of two nodes mailing the same
// period, the second finds it moved and stores nothing.
func (db *DB) MarkDigestSent(ctx context.Context, id int64, prev, label string, mails []*email.Outbound) (bool, error) {
	return moveAndQueue(ctx, db, mails, `UPDATE report_digests SET last_period = $3 WHERE id = $1 AND last_period = $2`,
		id, prev, label)
}
