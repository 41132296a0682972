package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sahayak/sahayak/internal/automation"
	"github.com/sahayak/sahayak/internal/desk"
)

var _ automation.Store = (*DB)(nil)

const automationColumns = `id, name, active, position, trigger_event, trigger_since, trigger_hours, match_mode,
	conditions, actions, version, created_at, updated_at FROM automations`

func (db *DB) scanAutomations(ctx context.Context, where string, args ...any) ([]*automation.Rule, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+automationColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("automations: %w", err)
	}
	defer rows.Close()
	out := []*automation.Rule{}
	for rows.Next() {
		var r automation.Rule
		var conds, acts string
		var c, u int64
		if err := rows.Scan(&r.ID, &r.Name, &r.Active, &r.Position, &r.Trigger.Event, &r.Trigger.Since, &r.Trigger.Hours,
			&r.Match, &conds, &acts, &r.Version, &c, &u); err != nil {
			return nil, fmt.Errorf("automations: %w", err)
		}
		if err := json.Unmarshal([]byte(conds), &r.Conditions); err != nil {
			return nil, fmt.Errorf("automation %d conditions: %w", r.ID, err)
		}
		if err := json.Unmarshal([]byte(acts), &r.Actions); err != nil {
			return nil, fmt.Errorf("automation %d actions: %w", r.ID, err)
		}
		r.CreatedAt, r.UpdatedAt = fromMicros(c), fromMicros(u)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// Automations lists every rule in the order they run.
func (db *DB) Automations(ctx context.Context) ([]*automation.Rule, error) {
	return db.scanAutomations(ctx, `ORDER BY position, id`)
}

// Automation returns one rule.
func (db *DB) Automation(ctx context.Context, id int64) (*automation.Rule, error) {
	list, err := db.scanAutomations(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("automation.not_found", id))
}

// CreateAutomation inserts a rule.
func (db *DB) CreateAutomation(ctx context.Context, r *automation.Rule) error {
	err := db.write.QueryRowContext(ctx, `INSERT INTO automations (name, active, position, trigger_event, trigger_since,
		trigger_hours, match_mode, conditions, actions, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11) RETURNING id`, r.Name, r.Active, r.Position,
		r.Trigger.Event, r.Trigger.Since, r.Trigger.Hours, r.Match, marshal(r.Conditions), marshal(r.Actions),
		micros(r.CreatedAt), micros(r.UpdatedAt)).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("insert automation: %w", db.mapErr(err))
	}
	r.Version = 1
	return nil
}

// UpdateAutomation writes a rule still at r.Version; a rule turned off or
// retimed loses its timers (a retimed one is scheduled again).
func (db *DB) UpdateAutomation(ctx context.Context, r *automation.Rule) error {
	err := db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE automations SET name = $2, active = $3, position = $4, trigger_event = $5,
			trigger_since = $6, trigger_hours = $7, match_mode = $8, conditions = $9, actions = $10, updated_at = $11,
			version = version + 1 WHERE id = $1 AND version = $12`, r.ID, r.Name, r.Active, r.Position, r.Trigger.Event,
			r.Trigger.Since, r.Trigger.Hours, r.Match, marshal(r.Conditions), marshal(r.Actions), micros(r.UpdatedAt), r.Version)
		if err := versioned(ctx, tx, res, err, "automations", r.ID, desk.M("automation.not_found", r.ID)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM automation_timers WHERE automation_id = $1`, r.ID)
		return err
	})
	if err == nil {
		r.Version++
	}
	return err
}

// DeleteAutomation removes a rule with its log and timers.
func (db *DB) DeleteAutomation(ctx context.Context, id, ifVersion int64) error {
	q, args := withVersion(`DELETE FROM automations WHERE id = $1`, id, ifVersion)
	res, err := db.exec(ctx, q, args...)
	return versioned(ctx, db.read, res, err, "automations", id, desk.M("automation.not_found", id))
}

// ClaimRun writes a run unless its (rule, fire key) is logged already.
func (db *DB) AutomationClaimRun(ctx context.Context, r *automation.Run) (bool, error) {
	err := db.write.QueryRowContext(ctx, `INSERT INTO automation_runs (automation_id, ticket_id, fire_key, outcome, detail,
		created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (automation_id, fire_key) DO NOTHING RETURNING id`,
		r.RuleID, r.TicketID, r.FireKey, r.Outcome, r.Detail, micros(r.CreatedAt)).Scan(&r.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim run: %w", db.mapErr(err))
	}
	return true, nil
}

// FinishRun writes a run's outcome.
func (db *DB) AutomationFinishRun(ctx context.Context, r *automation.Run) error {
	_, err := db.exec(ctx, `UPDATE automation_runs SET outcome = $2, detail = $3 WHERE id = $1`, r.ID, r.Outcome, r.Detail)
	return err
}

// Runs returns a rule's runs before beforeID (0: the newest), newest first.
func (db *DB) AutomationRuns(ctx context.Context, ruleID, beforeID int64, limit int) ([]*automation.Run, error) {
	if beforeID <= 0 {
		beforeID = 1 << 62
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, automation_id, ticket_id, fire_key, outcome, detail, created_at
		FROM automation_runs WHERE automation_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, ruleID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	defer rows.Close()
	out := []*automation.Run{}
	for rows.Next() {
		var r automation.Run
		var c int64
		if err := rows.Scan(&r.ID, &r.RuleID, &r.TicketID, &r.FireKey, &r.Outcome, &r.Detail, &c); err != nil {
			return nil, fmt.Errorf("runs: %w", err)
		}
		r.CreatedAt = fromMicros(c)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// RecentRuns counts the runs on a ticket since a moment.
func (db *DB) AutomationRecentRuns(ctx context.Context, ticketID int64, since time.Time) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM automation_runs WHERE ticket_id = $1 AND created_at >= $2`,
		ticketID, micros(since)).Scan(&n)
	return n, err
}

// hoursMicros turns a rule's hours into microseconds in SQL.
const hoursMicros = `CAST(a.trigger_hours * 3600000000 AS BIGINT)`

// ScheduleTimers sets the ticket's timer of every active rule timed from
// since to anchor plus the rule's hours.
func (db *DB) AutomationScheduleTimers(ctx context.Context, ticketID int64, since string, anchor time.Time) error {
	_, err := db.exec(ctx, `INSERT INTO automation_timers (automation_id, ticket_id, due_at)
		SELECT a.id, $1, $2 + `+hoursMicros+` FROM automations a WHERE a.active AND a.trigger_since = $3
		ON CONFLICT (automation_id, ticket_id) DO UPDATE SET due_at = excluded.due_at`, ticketID, micros(anchor), since)
	return err
}

// BackfillTimers sets a time rule's timers for the tickets it can concern
// now: one set-based statement when the rule is saved, not a scan per run.
func (db *DB) AutomationBackfillTimers(ctx context.Context, ruleID int64) error {
	_, err := db.exec(ctx, `INSERT INTO automation_timers (automation_id, ticket_id, due_at)
		SELECT a.id, t.id, (CASE a.trigger_since WHEN 'created' THEN t.created_at WHEN 'updated' THEN t.updated_at
			WHEN 'solved' THEN t.solved_at
			ELSE (SELECT MAX(m.created_at) FROM messages m WHERE m.ticket_id = t.id AND m.author_kind = 'contact') END)
			+ `+hoursMicros+`
		FROM automations a JOIN tickets t ON t.merged_into_id IS NULL
			AND ((a.trigger_since = 'solved' AND t.status_category = 'solved')
				OR (a.trigger_since <> 'solved' AND t.status_category IN `+openCategories+`))
		WHERE a.id = $1 AND a.active
		ON CONFLICT (automation_id, ticket_id) DO UPDATE SET due_at = excluded.due_at`, ruleID)
	return err
}

// DueTimers returns the timers due by now, earliest first.
func (db *DB) AutomationDueTimers(ctx context.Context, now time.Time, limit int) ([]automation.Timer, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT automation_id, ticket_id, due_at FROM automation_timers
		WHERE due_at <= $1 ORDER BY due_at LIMIT $2`, micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due timers: %w", err)
	}
	defer rows.Close()
	var out []automation.Timer
	for rows.Next() {
		var t automation.Timer
		var due int64
		if err := rows.Scan(&t.RuleID, &t.TicketID, &due); err != nil {
			return nil, fmt.Errorf("due timers: %w", err)
		}
		t.DueAt = fromMicros(due)
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteTimer removes a timer unless it was moved meanwhile.
func (db *DB) AutomationDeleteTimer(ctx context.Context, t automation.Timer) error {
	_, err := db.exec(ctx, `DELETE FROM automation_timers WHERE automation_id = $1 AND ticket_id = $2 AND due_at = $3`,
		t.RuleID, t.TicketID, micros(t.DueAt))
	return err
}

// LastCustomerReply is when the requester last wrote on a ticket.
func (db *DB) AutomationLastCustomerReply(ctx context.Context, ticketID int64) (*time.Time, error) {
	var at sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT MAX(created_at) FROM messages WHERE ticket_id = $1 AND author_kind = 'contact'`,
		ticketID).Scan(&at); err != nil {
		return nil, fmt.Errorf("last customer reply: %w", err)
	}
	return fromNullMicros(at), nil
}

// LastTicketEvent is the id of a ticket's latest event.
func (db *DB) AutomationLastTicketEvent(ctx context.Context, ticketID int64) (int64, error) {
	var id sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT MAX(id) FROM events WHERE ticket_id = $1`, ticketID).Scan(&id)
	return id.Int64, err
}

const macroColumns = `id, name, scope, owner_id, team_id, reply, internal, actions, usage_count, version, created_at,
	updated_at FROM macros`

func (db *DB) scanMacros(ctx context.Context, where string, args ...any) ([]*automation.Macro, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+macroColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("macros: %w", err)
	}
	defer rows.Close()
	out := []*automation.Macro{}
	for rows.Next() {
		var m automation.Macro
		var owner, team sql.NullInt64
		var acts string
		var c, u int64
		if err := rows.Scan(&m.ID, &m.Name, &m.Scope, &owner, &team, &m.Reply, &m.Internal, &acts, &m.UsageCount,
			&m.Version, &c, &u); err != nil {
			return nil, fmt.Errorf("macros: %w", err)
		}
		if err := json.Unmarshal([]byte(acts), &m.Actions); err != nil {
			return nil, fmt.Errorf("macro %d actions: %w", m.ID, err)
		}
		m.OwnerID, m.TeamID, m.CreatedAt, m.UpdatedAt = fromNullID(owner), fromNullID(team), fromMicros(c), fromMicros(u)
		out = append(out, &m)
	}
	return out, rows.Err()
}

// Macros lists every macro by name.
func (db *DB) Macros(ctx context.Context) ([]*automation.Macro, error) {
	return db.scanMacros(ctx, `ORDER BY name, id`)
}

// Macro returns one macro.
func (db *DB) Macro(ctx context.Context, id int64) (*automation.Macro, error) {
	list, err := db.scanMacros(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("macro.not_found", id))
}

// CreateMacro inserts a macro.
func (db *DB) CreateMacro(ctx context.Context, m *automation.Macro) error {
	err := db.write.QueryRowContext(ctx, `INSERT INTO macros (name, scope, owner_id, team_id, reply, internal, actions,
		usage_count, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 1, $8, $9) RETURNING id`,
		m.Name, m.Scope, nullID(m.OwnerID), nullID(m.TeamID), m.Reply, m.Internal, marshal(m.Actions),
		micros(m.CreatedAt), micros(m.UpdatedAt)).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("insert macro: %w", db.mapErr(err))
	}
	m.Version = 1
	return nil
}

// UpdateMacro writes a macro still at m.Version.
func (db *DB) UpdateMacro(ctx context.Context, m *automation.Macro) error {
	res, err := db.exec(ctx, `UPDATE macros SET name = $2, scope = $3, owner_id = $4, team_id = $5, reply = $6,
		internal = $7, actions = $8, updated_at = $9, version = version + 1 WHERE id = $1 AND version = $10`,
		m.ID, m.Name, m.Scope, nullID(m.OwnerID), nullID(m.TeamID), m.Reply, m.Internal, marshal(m.Actions),
		micros(m.UpdatedAt), m.Version)
	if err := versioned(ctx, db.read, res, err, "macros", m.ID, desk.M("macro.not_found", m.ID)); err != nil {
		return err
	}
	m.Version++
	return nil
}

// DeleteMacro removes a macro (at ifVersion, when not 0).
func (db *DB) DeleteMacro(ctx context.Context, id, ifVersion int64) error {
	q, args := withVersion(`DELETE FROM macros WHERE id = $1`, id, ifVersion)
	res, err := db.exec(ctx, q, args...)
	return versioned(ctx, db.read, res, err, "macros", id, desk.M("macro.not_found", id))
}

// CountMacroUse adds one to a macro's usage count (not its version: using
// a macro does not change it).
func (db *DB) CountMacroUse(ctx context.Context, id int64) error {
	_, err := db.exec(ctx, `UPDATE macros SET usage_count = usage_count + 1 WHERE id = $1`, id)
	return err
}
