package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/quality"
)

// CreateCalibration inserts a calibration, a row per reviewer and the
// invitations.
func (db *DB) CreateCalibration(ctx context.Context, c *quality.Calibration, notice func(*quality.Calibration) quality.Notice) error {
	err := db.inTx(ctx, func(tx *txn) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO calibrations (ticket_id, agent_id, scorecard_id, scorecard_revision,
			facilitator_id, state, agreed_answers, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)
			RETURNING id`, c.TicketID, c.AgentID, c.ScorecardID, c.ScorecardRevision, c.FacilitatorID, c.State,
			marshal(c.AgreedAnswers), micros(c.CreatedAt), micros(c.UpdatedAt)).Scan(&c.ID); err != nil {
			return fmt.Errorf("insert calibration: %w", db.mapErr(err))
		}
		for _, s := range c.Scores {
			if _, err := tx.ExecContext(ctx, `INSERT INTO calibration_scores (calibration_id, reviewer_id) VALUES ($1, $2)`,
				c.ID, s.ReviewerID); err != nil {
				return fmt.Errorf("insert calibration reviewer: %w", db.mapErr(err))
			}
		}
		return db.writeNotice(ctx, tx, notice(c))
	})
	if err == nil {
		c.Version = 1
	}
	return err
}

func (db *DB) scanCalibrations(ctx context.Context, where string, args ...any) ([]*quality.Calibration, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, ticket_id, agent_id, scorecard_id, scorecard_revision, facilitator_id,
		state, agreed_answers, agreed_score, notes, review_id, version, created_at, updated_at FROM calibrations `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("calibrations: %w", err)
	}
	defer rows.Close()
	out := []*quality.Calibration{}
	byID := map[int64]*quality.Calibration{}
	for rows.Next() {
		var c quality.Calibration
		var agreed string
		var score sql.NullFloat64
		var review sql.NullInt64
		var cr, up int64
		if err := rows.Scan(&c.ID, &c.TicketID, &c.AgentID, &c.ScorecardID, &c.ScorecardRevision, &c.FacilitatorID, &c.State,
			&agreed, &score, &c.Notes, &review, &c.Version, &cr, &up); err != nil {
			return nil, fmt.Errorf("calibrations: %w", err)
		}
		_ = json.Unmarshal([]byte(agreed), &c.AgreedAnswers)
		if score.Valid {
			c.AgreedScore = &score.Float64
		}
		c.ReviewID, c.CreatedAt, c.UpdatedAt = fromNullID(review), fromMicros(cr), fromMicros(up)
		c.Scores = []quality.CalibrationScore{}
		out = append(out, &c)
		byID[c.ID] = &c
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	list := make([]int64, 0, len(out))
	for _, c := range out {
		list = append(list, c.ID)
	}
	err = inChunks(len(list), func(i, j int) error {
		in, args := idMarks(list[i:j])
		rows, err := db.read.QueryContext(ctx, `SELECT calibration_id, reviewer_id, answers, criteria, score, submitted_at
			FROM calibration_scores WHERE calibration_id IN (`+in+`) ORDER BY calibration_id, reviewer_id`, args...)
		if err != nil {
			return fmt.Errorf("calibration scores: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var cid int64
			var s quality.CalibrationScore
			var answers, criteria sql.NullString
			var score sql.NullFloat64
			var at sql.NullInt64
			if err := rows.Scan(&cid, &s.ReviewerID, &answers, &criteria, &score, &at); err != nil {
				return fmt.Errorf("calibration scores: %w", err)
			}
			if answers.Valid {
				s.Submitted = true
				_ = json.Unmarshal([]byte(answers.String), &s.Answers)
				_ = json.Unmarshal([]byte(criteria.String), &s.Criteria)
				s.Score, s.SubmittedAt = &score.Float64, fromNullMicros(at)
			}
			byID[cid].Scores = append(byID[cid].Scores, s)
		}
		return rows.Err()
	})
	return out, err
}

// Calibration returns a calibration with every reviewer's part.
func (db *DB) Calibration(ctx context.Context, id int64) (*quality.Calibration, error) {
	list, err := db.scanCalibrations(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("quality.error.calibration_not_found", id))
}

// Calibrations lists calibrations newest first, by keyset on id.
func (db *DB) Calibrations(ctx context.Context, f quality.CalibrationFilter) ([]*quality.Calibration, error) {
	where, args := "WHERE id < $1", []any{f.BeforeID}
	if f.BeforeID <= 0 {
		args[0] = int64(1) << 62
	}
	if f.ParticipantID != nil {
		args = append(args, *f.ParticipantID)
		n := strconv.Itoa(len(args))
		where += ` AND (facilitator_id = $` + n + ` OR id IN (SELECT calibration_id FROM calibration_scores WHERE reviewer_id = $` + n + `))`
	}
	args = append(args, f.Limit)
	return db.scanCalibrations(ctx, where+` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
}

// SubmitCalibrationScore writes a reviewer's answers once, while the
// calibration is open.
func (db *DB) SubmitCalibrationScore(ctx context.Context, calibrationID int64, s quality.CalibrationScore) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE calibration_scores SET answers = $3, criteria = $4, score = $5, submitted_at = $6
			WHERE calibration_id = $1 AND reviewer_id = $2 AND answers IS NULL
			AND EXISTS (SELECT 1 FROM calibrations WHERE id = $1 AND state = 'open')`, calibrationID, s.ReviewerID,
			marshal(s.Answers), marshal(s.Criteria), *s.Score, micros(*s.SubmittedAt))
		if err != nil {
			return fmt.Errorf("submit calibration score: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var answers sql.NullString
		err = tx.QueryRowContext(ctx, `SELECT answers FROM calibration_scores WHERE calibration_id = $1 AND reviewer_id = $2`,
			calibrationID, s.ReviewerID).Scan(&answers)
		switch {
		case err == sql.ErrNoRows:
			return desk.E(desk.ENOTFOUND, "quality.error.calibration_not_found", calibrationID)
		case err != nil:
			return fmt.Errorf("submit calibration score: %w", err)
		case answers.Valid:
			return desk.E(desk.ECONFLICT, "quality.error.already_scored")
		}
		return desk.E(desk.EUNPROCESSABLE, "quality.error.calibration_closed", "")
	})
}

// ChangeCalibration writes a calibration's state and agreement at
// c.Version, and the review it becomes, in one transaction.
func (db *DB) ChangeCalibration(ctx context.Context, c *quality.Calibration, review *quality.Review,
	notice func(*quality.Review) quality.Notice) error {
	return bumped(&c.Version, db.inTx(ctx, func(tx *txn) error {
		if review != nil {
			if err := db.insertReview(ctx, tx, review, notice); err != nil {
				return err
			}
			c.ReviewID = &review.ID
		}
		var score any
		if c.AgreedScore != nil {
			score = *c.AgreedScore
		}
		res, err := tx.ExecContext(ctx, `UPDATE calibrations SET state = $2, agreed_answers = $3, agreed_score = $4, notes = $5,
			review_id = $6, updated_at = $7, version = version + 1 WHERE id = $1 AND version = $8`, c.ID, c.State,
			marshal(c.AgreedAnswers), score, c.Notes, nullID(c.ReviewID), micros(c.UpdatedAt), c.Version)
		return versioned(ctx, tx, res, err, "calibrations", c.ID, desk.M("quality.error.calibration_not_found", c.ID))
	}))
}
