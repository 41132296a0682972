package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/training"
)

func insertPerfRevision(ctx context.Context, tx *txn, r *training.PerfReview, version, actorID int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO performance_review_revisions (review_id, version, state, assessment,
		self_assessment, actor_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.ID, version, r.State, r.Assessment,
		r.SelfAssessment, actorID, micros(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert performance review revision: %w", err)
	}
	return nil
}

// CreatePerfReview inserts a review and its first revision; a second one
// of the agent's period is ECONFLICT.
func (db *DB) CreatePerfReview(ctx context.Context, r *training.PerfReview) error {
	err := db.inTx(ctx, func(tx *txn) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO performance_reviews (agent_id, author_id, period, period_start,
			period_end, state, assessment, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)
			RETURNING id`, r.AgentID, r.AuthorID, r.Period, micros(r.PeriodStart), micros(r.PeriodEnd), r.State, r.Assessment,
			micros(r.CreatedAt), micros(r.UpdatedAt)).Scan(&r.ID); err != nil {
			return fmt.Errorf("insert performance review: %w", db.mapErr(err))
		}
		return insertPerfRevision(ctx, tx, r, 1, r.AuthorID)
	})
	if err == nil {
		r.Version = 1
	}
	return err
}

// ChangePerfReview writes a review at r.Version, its revision and notice.
func (db *DB) ChangePerfReview(ctx context.Context, r *training.PerfReview, actorID int64, n training.Notice) error {
	err := db.inTx(ctx, func(tx *txn) error {
		var facts sql.NullString
		if r.Facts != nil {
			facts = sql.NullString{String: marshal(r.Facts), Valid: true}
		}
		res, err := tx.ExecContext(ctx, `UPDATE performance_reviews SET state = $2, assessment = $3, self_assessment = $4,
			facts = $5, shared_at = $6, acknowledged_at = $7, updated_at = $8, version = version + 1
			WHERE id = $1 AND version = $9`, r.ID, r.State, r.Assessment, r.SelfAssessment, facts, nullMicros(r.SharedAt),
			nullMicros(r.AcknowledgedAt), micros(r.UpdatedAt), r.Version)
		if err := versioned(ctx, tx, res, err, "performance_reviews", r.ID, desk.M("perf.error.not_found", r.ID)); err != nil {
			return err
		}
		if err := insertPerfRevision(ctx, tx, r, r.Version+1, actorID); err != nil {
			return err
		}
		return db.writeTrainingNotice(ctx, tx, n)
	})
	if err == nil {
		r.Version++
	}
	return err
}

const perfColumns = `id, agent_id, author_id, period, period_start, period_end, state, assessment, self_assessment, facts,
	shared_at, acknowledged_at, version, created_at, updated_at FROM performance_reviews`

func (db *DB) scanPerfReviews(ctx context.Context, where string, args ...any) ([]*training.PerfReview, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+perfColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("performance reviews: %w", err)
	}
	defer rows.Close()
	out := []*training.PerfReview{}
	for rows.Next() {
		var r training.PerfReview
		var facts sql.NullString
		var shared, acked sql.NullInt64
		var ps, pe, cr, up int64
		if err := rows.Scan(&r.ID, &r.AgentID, &r.AuthorID, &r.Period, &ps, &pe, &r.State, &r.Assessment, &r.SelfAssessment,
			&facts, &shared, &acked, &r.Version, &cr, &up); err != nil {
			return nil, fmt.Errorf("performance reviews: %w", err)
		}
		if facts.Valid {
			r.Facts = &training.Facts{}
			if err := json.Unmarshal([]byte(facts.String), r.Facts); err != nil {
				return nil, fmt.Errorf("performance review %d facts: %w", r.ID, err)
			}
		}
		r.PeriodStart, r.PeriodEnd, r.CreatedAt, r.UpdatedAt = fromMicros(ps), fromMicros(pe), fromMicros(cr), fromMicros(up)
		r.SharedAt, r.AcknowledgedAt = fromNullMicros(shared), fromNullMicros(acked)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// PerfReview returns one review.
func (db *DB) PerfReview(ctx context.Context, id int64) (*training.PerfReview, error) {
	list, err := db.scanPerfReviews(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("perf.error.not_found", id))
}

// PerfReviews is an agent's reviews, newest period first.
func (db *DB) PerfReviews(ctx context.Context, agentID int64) ([]*training.PerfReview, error) {
	return db.scanPerfReviews(ctx, `WHERE agent_id = $1 ORDER BY period_start DESC, id DESC LIMIT 200`, agentID)
}

// PerfRevisions is a review's text history, oldest first.
func (db *DB) PerfRevisions(ctx context.Context, id int64) ([]training.PerfRevision, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT version, state, assessment, self_assessment, actor_id, created_at
		FROM performance_review_revisions WHERE review_id = $1 ORDER BY version`, id)
	if err != nil {
		return nil, fmt.Errorf("performance review revisions: %w", err)
	}
	defer rows.Close()
	out := []training.PerfRevision{}
	for rows.Next() {
		var v training.PerfRevision
		var at int64
		if err := rows.Scan(&v.Version, &v.State, &v.Assessment, &v.SelfAssessment, &v.ActorID, &at); err != nil {
			return nil, fmt.Errorf("performance review revisions: %w", err)
		}
		v.CreatedAt = fromMicros(at)
		out = append(out, v)
	}
	return out, rows.Err()
}
