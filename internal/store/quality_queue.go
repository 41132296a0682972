package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/quality"
)

// SamplingRules returns the review queue's rules (the defaults, version 0,
// until they are saved).
func (db *DB) SamplingRules(ctx context.Context) (*quality.SamplingRules, error) {
	r := &quality.SamplingRules{PerAgent: 3, Escalated: true, Reopened: true, SLABreached: true, DueDays: 7, ReviewerIDs: []int64{}}
	var raw string
	var at, version int64
	err := db.read.QueryRowContext(ctx, `SELECT rules, version, updated_at FROM review_sampling WHERE id = 1`).Scan(&raw, &version, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sampling rules: %w", err)
	}
	if err := json.Unmarshal([]byte(raw), r); err != nil {
		return nil, fmt.Errorf("sampling rules: %w", err)
	}
	if r.ReviewerIDs == nil {
		r.ReviewerIDs = []int64{}
	}
	r.Version, r.UpdatedAt = version, fromMicros(at)
	return r, nil
}

// SaveSamplingRules writes the rules at r.Version (0: none saved yet).
func (db *DB) SaveSamplingRules(ctx context.Context, r *quality.SamplingRules) error {
	res, err := db.exec(ctx, `INSERT INTO review_sampling (id, rules, version, updated_at) VALUES (1, $1, 1, $2)
		ON CONFLICT (id) DO UPDATE SET rules = excluded.rules, version = review_sampling.version + 1,
		updated_at = excluded.updated_at WHERE review_sampling.version = $3`, marshal(r), micros(r.UpdatedAt), r.Version)
	if err != nil {
		return fmt.Errorf("save sampling rules: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		cur, err := db.SamplingRules(ctx)
		if err != nil {
			return err
		}
		return desk.Stale(cur.Version)
	}
	r.Version++
	return nil
}

// BuildReviewQueue adds a week's flagged conversations, then a sample of
// each agent's others, each in one statement: the sample orders an agent's
// solved tickets not queued yet by a hash of id and seed (the same week
// samples the same tickets), up to n less those sampled before; a
// conversation already queued is left as it is.
func (db *DB) BuildReviewQueue(ctx context.Context, b quality.QueueBuild) (int, error) {
	var added int64
	err := db.inTx(ctx, func(tx *txn) error {
		from, to, now := micros(b.From), micros(b.To), micros(b.Now)
		if b.Rules.Escalated || b.Rules.Reopened || b.Rules.SLABreached {
			res, err := tx.ExecContext(ctx, `INSERT INTO review_queue (week_start, ticket_id, agent_id, reason, created_at)
			SELECT $1, id, assignee_id, reason, $3 FROM (
				SELECT t.id, t.assignee_id, CASE
					WHEN $4 AND t.escalation_level > 0 THEN 'escalated'
					WHEN $5 AND rt.first_solved_at < t.solved_at THEN 'reopened'
					WHEN $6 AND s.breached <> '[]' THEN 'sla_breached' END AS reason
				FROM tickets t LEFT JOIN report_tickets rt ON rt.ticket_id = t.id
				LEFT JOIN ticket_sla s ON s.ticket_id = t.id
				WHERE t.solved_at >= $1 AND t.solved_at < $2 AND t.assignee_id IS NOT NULL) f
			WHERE reason IS NOT NULL
			ON CONFLICT (ticket_id, agent_id) DO NOTHING`, from, to, now,
				b.Rules.Escalated, b.Rules.Reopened, b.Rules.SLABreached)
			if err != nil {
				return fmt.Errorf("flag review queue: %w", err)
			}
			n, _ := res.RowsAffected()
			added += n
		}
		if b.Rules.PerAgent > 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO review_queue (week_start, ticket_id, agent_id, reason, created_at)
				SELECT $1, id, assignee_id, 'sample', $3 FROM (
					SELECT t.id, t.assignee_id, ROW_NUMBER() OVER (PARTITION BY t.assignee_id
						ORDER BY (t.id * 2654435761 + $4) % 4294967291, t.id) AS rn
					FROM tickets t WHERE t.solved_at >= $1 AND t.solved_at < $2 AND t.assignee_id IS NOT NULL
						AND NOT EXISTS (SELECT 1 FROM review_queue q WHERE q.ticket_id = t.id AND q.agent_id = t.assignee_id)) s
				LEFT JOIN (SELECT agent_id, COUNT(*) AS n FROM review_queue WHERE week_start = $1 AND reason = 'sample'
					GROUP BY agent_id) taken ON taken.agent_id = s.assignee_id
				WHERE rn <= $5 - COALESCE(taken.n, 0)
				ON CONFLICT (ticket_id, agent_id) DO NOTHING`, from, to, now, b.Seed, b.Rules.PerAgent)
			if err != nil {
				return fmt.Errorf("sample review queue: %w", err)
			}
			n, _ := res.RowsAffected()
			added += n
		}
		return nil
	})
	return int(added), err
}

// AssignQueueItems sets the reviewer and due time of items still
// unassigned, a few hundred ids per statement.
func (db *DB) AssignQueueItems(ctx context.Context, byReviewer map[int64][]int64, due time.Time) (int, error) {
	var done int64
	err := db.inTx(ctx, func(tx *txn) error {
		for reviewer, ids := range byReviewer {
			for len(ids) > 0 {
				part := ids[:min(len(ids), 500)]
				ids = ids[len(part):]
				var b strings.Builder
				for i, id := range part {
					if i > 0 {
						b.WriteByte(',')
					}
					b.WriteString(strconv.FormatInt(id, 10)) // ids are numbers we read: no injection
				}
				res, err := tx.ExecContext(ctx, `UPDATE review_queue SET reviewer_id = $1, due_at = $2
					WHERE reviewer_id IS NULL AND id IN (`+b.String()+`)`, reviewer, micros(due))
				if err != nil {
					return fmt.Errorf("assign review queue: %w", err)
				}
				n, _ := res.RowsAffected()
				done += n
			}
		}
		return nil
	})
	return int(done), err
}

const queueColumns = `id, week_start, ticket_id, agent_id, reason, reviewer_id, due_at, review_id, created_at FROM review_queue`

func scanQueue(rows *sql.Rows) ([]*quality.QueueItem, error) {
	defer rows.Close()
	out := []*quality.QueueItem{}
	for rows.Next() {
		var it quality.QueueItem
		var week, at int64
		var reviewer, due, review sql.NullInt64
		if err := rows.Scan(&it.ID, &week, &it.TicketID, &it.AgentID, &it.Reason, &reviewer, &due, &review, &at); err != nil {
			return nil, fmt.Errorf("review queue: %w", err)
		}
		it.WeekStart, it.CreatedAt = fromMicros(week), fromMicros(at)
		it.ReviewerID, it.DueAt, it.ReviewID = fromNullID(reviewer), fromNullMicros(due), fromNullID(review)
		out = append(out, &it)
	}
	return out, rows.Err()
}

// QueueItems lists queue items in id order after f.AfterID.
func (db *DB) QueueItems(ctx context.Context, f quality.QueueFilter) ([]*quality.QueueItem, error) {
	where, args := "WHERE id > $1", []any{f.AfterID}
	if f.WeekStart != nil {
		args = append(args, micros(*f.WeekStart))
		where += " AND week_start = $" + strconv.Itoa(len(args))
	}
	if f.ReviewerID != nil {
		args = append(args, *f.ReviewerID)
		where += " AND reviewer_id = $" + strconv.Itoa(len(args))
	}
	if f.Open {
		where += " AND review_id IS NULL"
	}
	args = append(args, f.Limit)
	rows, err := db.read.QueryContext(ctx, `SELECT `+queueColumns+` `+where+` ORDER BY id LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	return scanQueue(rows)
}

// ClaimQueueItem gives an item to a reviewer, in one conditional UPDATE:
// only when nobody else holds it, it has no review, and it is not the
// reviewer's own conversation.
func (db *DB) ClaimQueueItem(ctx context.Context, id, reviewerID int64) (*quality.QueueItem, error) {
	rows, err := db.write.QueryContext(ctx, `UPDATE review_queue SET reviewer_id = $2
		WHERE id = $1 AND (reviewer_id IS NULL OR reviewer_id = $2) AND review_id IS NULL AND agent_id <> $2
		RETURNING `+strings.TrimSuffix(queueColumns, " FROM review_queue"), id, reviewerID)
	if err != nil {
		return nil, fmt.Errorf("claim review queue item: %w", err)
	}
	list, err := scanQueue(rows)
	if err != nil {
		return nil, err
	}
	if len(list) == 1 {
		return list[0], nil
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM review_queue WHERE id = $1`, id).Scan(&n); err != nil {
		return nil, fmt.Errorf("claim review queue item: %w", err)
	}
	if n == 0 {
		return nil, desk.E(desk.ENOTFOUND, "quality.error.queue_item_not_found", id)
	}
	return nil, desk.E(desk.ECONFLICT, "quality.error.queue_taken", id)
}

// settleQueueItem marks a queue item reviewed by a review, inside the
// review's transaction: only the item of that ticket and agent, without a
// review, held by the reviewer or nobody.
func settleQueueItem(ctx context.Context, tx *txn, r *quality.Review) error {
	res, err := tx.ExecContext(ctx, `UPDATE review_queue SET review_id = $1, reviewer_id = $2
		WHERE id = $3 AND ticket_id = $4 AND agent_id = $5 AND review_id IS NULL AND (reviewer_id IS NULL OR reviewer_id = $2)`,
		r.ID, r.ReviewerID, *r.QueueItemID, r.TicketID, r.AgentID)
	if err != nil {
		return fmt.Errorf("settle review queue item: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return desk.E(desk.ECONFLICT, "quality.error.queue_taken", *r.QueueItemID)
	}
	return nil
}
