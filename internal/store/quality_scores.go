package store

import (
	"context"
	"fmt"
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

// QASums sums a period's QA buckets in SQL, four groupings in one
// statement: the overall score (criterion "") by week, agent and team, read
// on qa_rollups_criterion, and every criterion, read on qa_rollups_week.
// Only the sums cross into Go: a few hundred rows, not a row per bucket.
func (db *DB) QASums(ctx context.Context, f quality.QAFilter) (*quality.QASums, error) {
	var args []any
	from, to := bind(&args, f.From.Unix()), bind(&args, f.To.Unix())
	cond := ` AND week >= ` + from + ` AND week < ` + to + ` AND n > 0`
	if f.AgentID != nil {
		cond += ` AND agent_id = ` + bind(&args, *f.AgentID)
	}
	if f.TeamIDs != nil {
		cond += ` AND team_id IN (` + inList(&args, f.TeamIDs) + `)`
	}
	overall := `FROM qa_rollups WHERE criterion = ''` + cond
	q := `SELECT 'w', week, 0, '', SUM(n), SUM(total) ` + overall + ` GROUP BY week
		UNION ALL SELECT 'a', 0, agent_id, '', SUM(n), SUM(total) ` + overall + ` GROUP BY agent_id
		UNION ALL SELECT 't', 0, team_id, '', SUM(n), SUM(total) ` + overall + ` GROUP BY team_id
		UNION ALL SELECT 'c', 0, 0, criterion, SUM(n), SUM(total) FROM qa_rollups WHERE criterion <> ''` + cond + `
		GROUP BY criterion`
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("qa sums: %w", err)
	}
	defer rows.Close()
	out := &quality.QASums{}
	for rows.Next() {
		var kind string
		var week, id int64
		var c quality.QACell
		if err := rows.Scan(&kind, &week, &id, &c.Criterion, &c.N, &c.Total); err != nil {
			return nil, fmt.Errorf("qa sums: %w", err)
		}
		switch kind {
		case "w":
			c.Week = time.Unix(week, 0).UTC()
			out.Weeks = append(out.Weeks, c)
		case "a":
			c.AgentID = id
			out.Agents = append(out.Agents, c)
		case "t":
			c.TeamID = id
			out.Teams = append(out.Teams, c)
		default:
			out.Criteria = append(out.Criteria, c)
		}
	}
	return out, rows.Err()
}
