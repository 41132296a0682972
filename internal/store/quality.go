package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/quality"
)

var _ quality.AllStore = (*DB)(nil)

// scanScorecards reads scorecards joined with one revision's sections each
// (rev is the SQL naming which).
func (db *DB) scanScorecards(ctx context.Context, rev, where string, args ...any) ([]*quality.Scorecard, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT s.id, s.name, s.description, s.active, r.revision, r.sections, s.version,
		s.created_at, s.updated_at FROM scorecards s JOIN scorecard_revisions r ON r.scorecard_id = s.id AND r.revision = `+
		rev+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("scorecards: %w", err)
	}
	defer rows.Close()
	out := []*quality.Scorecard{}
	for rows.Next() {
		var s quality.Scorecard
		var sections string
		var c, u int64
		if err := rows.Scan(&s.ID, &s.Name, &s.Description, &s.Active, &s.Revision, &sections, &s.Version, &c, &u); err != nil {
			return nil, fmt.Errorf("scorecards: %w", err)
		}
		if err := json.Unmarshal([]byte(sections), &s.Sections); err != nil {
			return nil, fmt.Errorf("scorecard %d sections: %w", s.ID, err)
		}
		s.CreatedAt, s.UpdatedAt = fromMicros(c), fromMicros(u)
		out = append(out, &s)
	}
	return out, rows.Err()
}

// Scorecards lists every scorecard at its current revision.
func (db *DB) Scorecards(ctx context.Context) ([]*quality.Scorecard, error) {
	return db.scanScorecards(ctx, `s.revision`, `ORDER BY s.name, s.id`)
}

// Scorecard returns a scorecard at its current revision.
func (db *DB) Scorecard(ctx context.Context, id int64) (*quality.Scorecard, error) {
	list, err := db.scanScorecards(ctx, `s.revision`, `WHERE s.id = $1`, id)
	return one(list, err, desk.M("quality.error.scorecard_not_found", id))
}

// ScorecardAt returns a scorecard with one revision's sections.
func (db *DB) ScorecardAt(ctx context.Context, id int64, revision int) (*quality.Scorecard, error) {
	list, err := db.scanScorecards(ctx, `$2`, `WHERE s.id = $1`, id, revision)
	return one(list, err, desk.M("quality.error.scorecard_not_found", id))
}

// CreateScorecard inserts a scorecard and its first revision.
func (db *DB) CreateScorecard(ctx context.Context, s *quality.Scorecard) error {
	err := db.inTx(ctx, func(tx *txn) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO scorecards (name, description, active, revision, version, created_at,
			updated_at) VALUES ($1, $2, $3, $4, 1, $5, $6) RETURNING id`, s.Name, s.Description, s.Active, s.Revision,
			micros(s.CreatedAt), micros(s.UpdatedAt)).Scan(&s.ID); err != nil {
			return fmt.Errorf("insert scorecard: %w", db.mapErr(err))
		}
		return insertRevision(ctx, tx, s)
	})
	if err == nil {
		s.Version = 1
	}
	return err
}

func insertRevision(ctx context.Context, tx *txn, s *quality.Scorecard) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO scorecard_revisions (scorecard_id, revision, sections, created_at)
		VALUES ($1, $2, $3, $4)`, s.ID, s.Revision, marshal(s.Sections), micros(s.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert scorecard revision: %w", err)
	}
	return nil
}

// UpdateScorecard writes a scorecard at s.Version, and a new revision when
// its sections changed.
func (db *DB) UpdateScorecard(ctx context.Context, s *quality.Scorecard, newRevision bool) error {
	err := db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE scorecards SET name = $2, description = $3, active = $4, revision = $5,
			updated_at = $6, version = version + 1 WHERE id = $1 AND version = $7`, s.ID, s.Name, s.Description, s.Active,
			s.Revision, micros(s.UpdatedAt), s.Version)
		if err := versioned(ctx, tx, res, err, "scorecards", s.ID, desk.M("quality.error.scorecard_not_found", s.ID)); err != nil {
			return err
		}
		if newRevision {
			return insertRevision(ctx, tx, s)
		}
		return nil
	})
	if err == nil {
		s.Version++
	}
	return err
}

// writeNotice appends a change's event and its notifications.
func (db *DB) writeNotice(ctx context.Context, tx *txn, n quality.Notice) error {
	evs := []event.Event{n.Event}
	if err := db.appendEvents(ctx, tx, evs); err != nil {
		return err
	}
	return addNotifications(ctx, tx, evs[0].ID, n.Notify)
}

// CreateReview inserts a review with its comments, event and notifications.
func (db *DB) CreateReview(ctx context.Context, r *quality.Review, notice func(*quality.Review) quality.Notice) error {
	return db.inTx(ctx, func(tx *txn) error { return db.insertReview(ctx, tx, r, notice) })
}

// insertReview writes a review, its comments, its QA buckets and its notice
// in tx.
func (db *DB) insertReview(ctx context.Context, tx *txn, r *quality.Review, notice func(*quality.Review) quality.Notice) error {
	if err := tx.QueryRowContext(ctx, `INSERT INTO reviews (ticket_id, agent_id, reviewer_id, scorecard_id,
		scorecard_revision, answers, criteria, score, critical_failed, summary, state, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13) RETURNING id`, r.TicketID, r.AgentID,
		r.ReviewerID, r.ScorecardID, r.ScorecardRevision, marshal(r.Answers), marshal(r.Criteria), r.Score,
		r.CriticalFailed, r.Summary, r.State, micros(r.CreatedAt), micros(r.UpdatedAt)).Scan(&r.ID); err != nil {
		return fmt.Errorf("insert review: %w", db.mapErr(err))
	}
	if r.QueueItemID != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE reviews SET queue_item_id = $2 WHERE id = $1`, r.ID, *r.QueueItemID); err != nil {
			return fmt.Errorf("review queue item: %w", db.mapErr(err))
		}
		if err := settleQueueItem(ctx, tx, r); err != nil {
			return err
		}
	}
	for i := range r.Comments {
		c := &r.Comments[i]
		if err := tx.QueryRowContext(ctx, `INSERT INTO review_comments (review_id, message_id, body, created_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, r.ID, c.MessageID, c.Body, micros(c.CreatedAt)).Scan(&c.ID); err != nil {
			return fmt.Errorf("insert review comment: %w", db.mapErr(err))
		}
	}
	if err := addQA(ctx, tx, r.TicketID, r.AgentID, r.CreatedAt, 1, r.Score, r.Criteria); err != nil {
		return err
	}
	if err := db.writeNotice(ctx, tx, notice(r)); err != nil {
		return err
	}
	r.Version = 1
	return nil
}

// ChangeReview writes a review's state, answers and score at r.Version.
func (db *DB) ChangeReview(ctx context.Context, r *quality.Review, n quality.Notice) error {
	err := db.inTx(ctx, func(tx *txn) error {
		var oldScore float64
		var oldCriteria string
		if err := tx.QueryRowContext(ctx, `SELECT score, criteria FROM reviews WHERE id = $1`, r.ID).Scan(&oldScore, &oldCriteria); err != nil {
			return notFound(err, desk.M("quality.error.review_not_found", r.ID))
		}
		res, err := tx.ExecContext(ctx, `UPDATE reviews SET answers = $2, criteria = $3, score = $4, critical_failed = $5,
			state = $6, dispute_reason = $7, resolution = $8, resolved_by = $9, updated_at = $10, version = version + 1
			WHERE id = $1 AND version = $11`, r.ID, marshal(r.Answers), marshal(r.Criteria), r.Score, r.CriticalFailed,
			r.State, r.DisputeReason, r.Resolution, nullID(r.ResolvedBy), micros(r.UpdatedAt), r.Version)
		if err := versioned(ctx, tx, res, err, "reviews", r.ID, desk.M("quality.error.review_not_found", r.ID)); err != nil {
			return err
		}
		if newCriteria := marshal(r.Criteria); oldScore != r.Score || newCriteria != oldCriteria {
			// A re-scored review moves its buckets: the old score out, the new in.
			var old map[string]float64
			_ = json.Unmarshal([]byte(oldCriteria), &old)
			if err := addQA(ctx, tx, r.TicketID, r.AgentID, r.CreatedAt, -1, oldScore, old); err != nil {
				return err
			}
			if err := addQA(ctx, tx, r.TicketID, r.AgentID, r.CreatedAt, 1, r.Score, r.Criteria); err != nil {
				return err
			}
		}
		return db.writeNotice(ctx, tx, n)
	})
	if err == nil {
		r.Version++
	}
	return err
}

const reviewColumns = `id, ticket_id, agent_id, reviewer_id, scorecard_id, scorecard_revision, answers, criteria, score,
	critical_failed, summary, state, dispute_reason, resolution, resolved_by, queue_item_id, version, created_at, updated_at FROM reviews`

func (db *DB) scanReviews(ctx context.Context, where string, args ...any) ([]*quality.Review, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+reviewColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("reviews: %w", err)
	}
	defer rows.Close()
	out := []*quality.Review{}
	byID := map[int64]*quality.Review{}
	for rows.Next() {
		var r quality.Review
		var answers, criteria string
		var c, u int64
		var resolvedBy, queueItem sql.NullInt64
		if err := rows.Scan(&r.ID, &r.TicketID, &r.AgentID, &r.ReviewerID, &r.ScorecardID, &r.ScorecardRevision, &answers,
			&criteria, &r.Score, &r.CriticalFailed, &r.Summary, &r.State, &r.DisputeReason, &r.Resolution, &resolvedBy,
			&queueItem, &r.Version, &c, &u); err != nil {
			return nil, fmt.Errorf("reviews: %w", err)
		}
		if err := json.Unmarshal([]byte(answers), &r.Answers); err != nil {
			return nil, fmt.Errorf("review %d answers: %w", r.ID, err)
		}
		if err := json.Unmarshal([]byte(criteria), &r.Criteria); err != nil {
			return nil, fmt.Errorf("review %d criteria: %w", r.ID, err)
		}
		r.ResolvedBy, r.QueueItemID, r.CreatedAt, r.UpdatedAt = fromNullID(resolvedBy), fromNullID(queueItem), fromMicros(c), fromMicros(u)
		r.Comments = []quality.Comment{}
		out = append(out, &r)
		byID[r.ID] = &r
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return out, db.reviewComments(ctx, out, byID)
}

// reviewComments fills in the comments of a page of reviews, in one query.
func (db *DB) reviewComments(ctx context.Context, list []*quality.Review, byID map[int64]*quality.Review) error {
	if len(list) == 0 {
		return nil
	}
	ids := make([]any, len(list))
	marks := ""
	for i, r := range list {
		ids[i] = r.ID
		if i > 0 {
			marks += ", "
		}
		marks += "$" + strconv.Itoa(i+1)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, review_id, message_id, body, created_at FROM review_comments
		WHERE review_id IN (`+marks+`) ORDER BY review_id, id`, ids...)
	if err != nil {
		return fmt.Errorf("review comments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c quality.Comment
		var rid, at int64
		if err := rows.Scan(&c.ID, &rid, &c.MessageID, &c.Body, &at); err != nil {
			return fmt.Errorf("review comments: %w", err)
		}
		c.CreatedAt = fromMicros(at)
		byID[rid].Comments = append(byID[rid].Comments, c)
	}
	return rows.Err()
}

// Review returns one review with its comments.
func (db *DB) Review(ctx context.Context, id int64) (*quality.Review, error) {
	list, err := db.scanReviews(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("quality.error.review_not_found", id))
}

// Reviews lists reviews newest first, by keyset on id.
func (db *DB) Reviews(ctx context.Context, f quality.ReviewFilter) ([]*quality.Review, error) {
	where, args := "WHERE id < $1", []any{f.BeforeID}
	if f.BeforeID <= 0 {
		args[0] = int64(1) << 62
	}
	add := func(col string, v any) {
		args = append(args, v)
		where += " AND " + col + " = $" + strconv.Itoa(len(args))
	}
	if f.TicketID != nil {
		add("ticket_id", *f.TicketID)
	}
	if f.AgentID != nil {
		add("agent_id", *f.AgentID)
	}
	if f.ReviewerID != nil {
		add("reviewer_id", *f.ReviewerID)
	}
	if f.State != "" {
		add("state", f.State)
	}
	args = append(args, f.Limit)
	return db.scanReviews(ctx, where+` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
}
