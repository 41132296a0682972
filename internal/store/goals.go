package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/report"
)

var _ report.GoalStore = (*DB)(nil)

const goalColumns = `id, team_id, agent_id, metric, op, target, period, state, state_from, created_by, created_at,
	updated_at, version FROM report_goals `

func (db *DB) scanGoals(ctx context.Context, where string, args ...any) ([]*report.Goal, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+goalColumns+where, args...)
	if err != nil {
		return nil, fmt.Errorf("goals: %w", err)
	}
	defer rows.Close()
	out := []*report.Goal{}
	for rows.Next() {
		var g report.Goal
		var team, agent sql.NullInt64
		var from, created, updated int64
		if err := rows.Scan(&g.ID, &team, &agent, &g.Metric, &g.Op, &g.Target, &g.Period, &g.State, &from, &g.CreatedBy,
			&created, &updated, &g.Version); err != nil {
			return nil, fmt.Errorf("goals: %w", err)
		}
		g.TeamID, g.AgentID = fromNullID(team), fromNullID(agent)
		g.StateFrom, g.CreatedAt, g.UpdatedAt = fromMicros(from), fromMicros(created), fromMicros(updated)
		out = append(out, &g)
	}
	return out, rows.Err()
}

// Goals lists goals of those teams or that agent (either matches), or all.
func (db *DB) Goals(ctx context.Context, teamIDs []int64, agentID *int64) ([]*report.Goal, error) {
	if teamIDs == nil && agentID == nil {
		return db.scanGoals(ctx, `ORDER BY id`)
	}
	where, args := teamsOrAgent(teamIDs, "agent_id", agentID)
	return db.scanGoals(ctx, where+` ORDER BY id`, args...)
}

// teamsOrAgent is the condition "of those teams, or of that agent (in
// column)" of the team-scoped report lists.
func teamsOrAgent(teamIDs []int64, column string, agentID *int64) (string, []any) {
	var conds []string
	var args []any
	if len(teamIDs) > 0 {
		ms := make([]string, len(teamIDs))
		for i, id := range teamIDs {
			args = append(args, id)
			ms[i] = "$" + strconv.Itoa(len(args))
		}
		conds = append(conds, "team_id IN ("+strings.Join(ms, ", ")+")")
	}
	if agentID != nil {
		args = append(args, *agentID)
		conds = append(conds, column+" = $"+strconv.Itoa(len(args)))
	}
	return `WHERE ` + strings.Join(conds, " OR "), args
}

// Goal returns a goal.
func (db *DB) Goal(ctx context.Context, id int64) (*report.Goal, error) {
	list, err := db.scanGoals(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("error.goal_not_found", id))
}

// SaveGoal inserts or updates a goal.
func (db *DB) SaveGoal(ctx context.Context, g *report.Goal, ifVersion int64) error {
	if g.ID == 0 {
		err := db.write.QueryRowContext(ctx, `INSERT INTO report_goals (team_id, agent_id, metric, op, target, period, state,
			state_from, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10) RETURNING id`,
			nullID(g.TeamID), nullID(g.AgentID), g.Metric, g.Op, g.Target, g.Period, g.State, g.CreatedBy,
			micros(g.CreatedAt), micros(g.UpdatedAt)).Scan(&g.ID)
		if err != nil {
			return fmt.Errorf("insert goal: %w", err)
		}
		g.Version = 1
		return nil
	}
	// A changed target starts its assessment afresh.
	res, err := db.write.ExecContext(ctx, `UPDATE report_goals SET team_id = $2, agent_id = $3, metric = $4, op = $5,
		target = $6, period = $7, state = 'no_data', state_from = 0, updated_at = $8, version = version + 1
		WHERE id = $1 AND version = $9`, g.ID, nullID(g.TeamID), nullID(g.AgentID), g.Metric, g.Op, g.Target, g.Period,
		micros(g.UpdatedAt), ifVersion)
	if err != nil {
		return fmt.Errorf("update goal: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		cur, err := db.Goal(ctx, g.ID)
		if err != nil {
			return err
		}
		return desk.Stale(cur.Version)
	}
	g.Version, g.State, g.StateFrom = ifVersion+1, report.NoData, time.UnixMicro(0).UTC()
	return nil
}

// DeleteGoal deletes a goal at a version (0: any).
func (db *DB) DeleteGoal(ctx context.Context, id, ifVersion int64) error {
	cur, err := db.Goal(ctx, id)
	if err != nil {
		return err
	}
	if err := desk.CheckVersion(ifVersion, cur.Version); err != nil {
		return err
	}
	res, err := db.write.ExecContext(ctx, `DELETE FROM report_goals WHERE id = $1 AND version = $2`, id, cur.Version)
	if err != nil {
		return fmt.Errorf("delete goal: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return desk.Stale(cur.Version + 1)
	}
	return nil
}

// TeamLeadID is a team's lead.
func (db *DB) TeamLeadID(ctx context.Context, teamID int64) (*int64, error) {
	var lead sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT lead_id FROM teams WHERE id = $1`, teamID).Scan(&lead)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("team lead: %w", err)
	}
	return fromNullID(lead), nil
}

// SetGoalState records a checked state (and appends ev with it) unless
// that state of that period is recorded already: a second node checking
// the same crossing finds it recorded and writes no second event.
func (db *DB) SetGoalState(ctx context.Context, id int64, state string, period time.Time, ev *event.Event, mail *email.Outbound) (bool, error) {
	wrote := false
	err := db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE report_goals SET state = $2, state_from = $3
			WHERE id = $1 AND NOT (state = $2 AND state_from = $3)`, id, state, micros(period))
		if err != nil {
			return fmt.Errorf("goal state: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		wrote = true
		if mail != nil {
			if err := queueSystemMail(ctx, tx, mail); err != nil {
				return err
			}
		}
		if ev == nil {
			return nil
		}
		return db.appendEvents(ctx, tx, []event.Event{*ev})
	})
	return wrote, err
}
