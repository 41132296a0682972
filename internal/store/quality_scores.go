package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/quality"
)

// addQA adds (sign 1) or takes away (sign -1) one review's scores in its
// week's QA buckets: the overall score under criterion "", each criterion
// under its key (in percent); the team is the ticket's now.
func addQA(ctx context.Context, tx *txn, ticketID, agentID int64, at time.Time, sign int64, score float64,
	criteria map[string]float64) error {
	var team int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(team_id, 0) FROM tickets WHERE id = $1`, ticketID).Scan(&team); err != nil {
		return fmt.Errorf("qa bucket team: %w", err)
	}
	week := quality.WeekStart(at).Unix()
	put := func(criterion string, v float64) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO qa_rollups (week, agent_id, team_id, criterion, n, total)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (week, agent_id, team_id, criterion)
			DO UPDATE SET n = qa_rollups.n + excluded.n, total = qa_rollups.total + excluded.total`,
			week, agentID, team, criterion, sign, float64(sign)*v)
		if err != nil {
			return fmt.Errorf("qa bucket: %w", err)
		}
		return nil
	}
	if err := put("", score); err != nil {
		return err
	}
	for k, v := range criteria {
		if err := put(k, v*100); err != nil { // a criterion's share of its best answer, in percent
			return err
		}
	}
	return nil
}

// QACells reads the weekly QA buckets of a period.
func (db *DB) QACells(ctx context.Context, f quality.QAFilter) ([]quality.QACell, error) {
	where, args := `WHERE week >= $1 AND week < $2 AND n > 0`, []any{f.From.Unix(), f.To.Unix()}
	if f.AgentID != nil {
		args = append(args, *f.AgentID)
		where += ` AND agent_id = $` + strconv.Itoa(len(args))
	}
	if f.TeamIDs != nil {
		m := make([]string, len(f.TeamIDs))
		for i, id := range f.TeamIDs {
			args = append(args, id)
			m[i] = "$" + strconv.Itoa(len(args))
		}
		where += ` AND team_id IN (` + strings.Join(m, ", ") + `)`
	}
	rows, err := db.read.QueryContext(ctx, `SELECT week, agent_id, team_id, criterion, n, total FROM qa_rollups `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("qa buckets: %w", err)
	}
	defer rows.Close()
	var out []quality.QACell
	for rows.Next() {
		var c quality.QACell
		var week int64
		if err := rows.Scan(&week, &c.AgentID, &c.TeamID, &c.Criterion, &c.N, &c.Total); err != nil {
			return nil, fmt.Errorf("qa buckets: %w", err)
		}
		c.Week = time.Unix(week, 0).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
