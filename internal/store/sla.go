package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/sla"
	"github.com/sahayak/sahayak/internal/ticket"
)

var _ sla.Store = (*DB)(nil)

// --- calendars

// Calendars lists the business-hours calendars by id, each with its teams.
func (db *DB) Calendars(ctx context.Context) ([]*sla.Calendar, error) {
	return db.scanCalendars(ctx, db.read, `ORDER BY id`)
}

// Calendar returns one calendar.
func (db *DB) Calendar(ctx context.Context, id int64) (*sla.Calendar, error) {
	list, err := db.scanCalendars(ctx, db.read, `WHERE id = $1`, id)
	return one(list, err, desk.M("hours.not_found", id))
}

func (db *DB) scanCalendars(ctx context.Context, q querier, where string, args ...any) ([]*sla.Calendar, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, time_zone, hours, holidays, version, created_at, updated_at
		FROM calendars `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("calendars: %w", err)
	}
	defer rows.Close()
	out := []*sla.Calendar{}
	byID := map[int64]*sla.Calendar{}
	for rows.Next() {
		var c sla.Calendar
		var hours, holidays string
		var cr, up int64
		if err := rows.Scan(&c.ID, &c.Name, &c.TimeZone, &hours, &holidays, &c.Version, &cr, &up); err != nil {
			return nil, fmt.Errorf("calendars: %w", err)
		}
		if err := json.Unmarshal([]byte(hours), &c.Hours); err != nil {
			return nil, fmt.Errorf("calendar %d hours: %w", c.ID, err)
		}
		if err := json.Unmarshal([]byte(holidays), &c.Holidays); err != nil {
			return nil, fmt.Errorf("calendar %d holidays: %w", c.ID, err)
		}
		c.CreatedAt, c.UpdatedAt, c.TeamIDs = fromMicros(cr), fromMicros(up), []int64{}
		out = append(out, &c)
		byID[c.ID] = &c
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	trows, err := q.QueryContext(ctx, `SELECT team_id, calendar_id FROM team_calendars ORDER BY team_id`)
	if err != nil {
		return nil, fmt.Errorf("team calendars: %w", err)
	}
	defer trows.Close()
	for trows.Next() {
		var team, cal int64
		if err := trows.Scan(&team, &cal); err != nil {
			return nil, fmt.Errorf("team calendars: %w", err)
		}
		if c := byID[cal]; c != nil {
			c.TeamIDs = append(c.TeamIDs, team)
		}
	}
	return out, trows.Err()
}

func setTeamCalendars(ctx context.Context, tx *txn, c *sla.Calendar) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM team_calendars WHERE calendar_id = $1`, c.ID); err != nil {
		return fmt.Errorf("team calendars: %w", err)
	}
	for _, team := range c.TeamIDs {
		// A team points at one calendar: naming it here moves it from any other.
		if _, err := tx.ExecContext(ctx, `INSERT INTO team_calendars (team_id, calendar_id) VALUES ($1, $2)
			ON CONFLICT (team_id) DO UPDATE SET calendar_id = excluded.calendar_id`, team, c.ID); err != nil {
			return fmt.Errorf("team %d calendar: %w", team, err)
		}
	}
	return nil
}

// SaveCalendar inserts a calendar (ID 0) or writes one still at c.Version
// (else ESTALE), with its teams and the event, in one transaction.
func (db *DB) SaveCalendar(ctx context.Context, c *sla.Calendar, ev event.Event) error {
	return db.inTx(ctx, func(tx *txn) error {
		if c.ID == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO calendars (name, time_zone, hours, holidays, version, created_at,
				updated_at) VALUES ($1, $2, $3, $4, 1, $5, $6) RETURNING id`, c.Name, c.TimeZone, marshal(c.Hours),
				marshal(c.Holidays), micros(c.CreatedAt), micros(c.UpdatedAt)).Scan(&c.ID); err != nil {
				return fmt.Errorf("insert calendar: %w", err)
			}
			c.Version = 1
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE calendars SET name = $2, time_zone = $3, hours = $4, holidays = $5,
				updated_at = $6, version = version + 1 WHERE id = $1 AND version = $7`, c.ID, c.Name, c.TimeZone,
				marshal(c.Hours), marshal(c.Holidays), micros(c.UpdatedAt), c.Version)
			if err := bumped(&c.Version, versioned(ctx, tx, res, err, "calendars", c.ID, desk.M("hours.not_found", c.ID))); err != nil {
				return err
			}
		}
		if err := setTeamCalendars(ctx, tx, c); err != nil {
			return err
		}
		return db.appendEvents(ctx, tx, []event.Event{ev})
	})
}

// DeleteCalendar removes a calendar no policy names.
func (db *DB) DeleteCalendar(ctx context.Context, id, ifVersion int64, ev event.Event) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM calendars WHERE id = $1 AND ($2 = 0 OR version = $2)`, id, ifVersion)
		if err := versioned(ctx, tx, res, err, "calendars", id, desk.M("hours.not_found", id)); err != nil {
			return err
		}
		return db.appendEvents(ctx, tx, []event.Event{ev})
	})
}

// --- policies

const policyColumns = `id, name, position, active, conditions, targets, time_basis, calendar_id, pause_on, warn_percent,
	version, created_at, updated_at FROM sla_policies`

func scanPolicies(ctx context.Context, q querier, where string, args ...any) ([]*sla.Policy, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+policyColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("sla policies: %w", err)
	}
	defer rows.Close()
	out := []*sla.Policy{}
	for rows.Next() {
		var p sla.Policy
		var conds, targets, pause string
		var cal sql.NullInt64
		var cr, up int64
		if err := rows.Scan(&p.ID, &p.Name, &p.Position, &p.Active, &conds, &targets, &p.Time, &cal, &pause,
			&p.WarnPercent, &p.Version, &cr, &up); err != nil {
			return nil, fmt.Errorf("sla policies: %w", err)
		}
		for _, col := range []struct {
			text string
			into any
		}{{conds, &p.Conditions}, {targets, &p.Targets}, {pause, &p.PauseOn}} {
			if err := json.Unmarshal([]byte(col.text), col.into); err != nil {
				return nil, fmt.Errorf("sla policy %d: %w", p.ID, err)
			}
		}
		p.CalendarID, p.CreatedAt, p.UpdatedAt = fromNullID(cal), fromMicros(cr), fromMicros(up)
		out = append(out, &p)
	}
	return out, rows.Err()
}

// Policies lists the SLA policies in the order they are tried.
func (db *DB) Policies(ctx context.Context) ([]*sla.Policy, error) {
	return scanPolicies(ctx, db.read, `ORDER BY position, id`)
}

// Policy returns one SLA policy.
func (db *DB) Policy(ctx context.Context, id int64) (*sla.Policy, error) {
	list, err := scanPolicies(ctx, db.read, `WHERE id = $1`, id)
	return one(list, err, desk.M("sla.not_found", id))
}

// SavePolicy inserts a policy (ID 0) or writes one still at p.Version, with
// the event, in one transaction.
func (db *DB) SavePolicy(ctx context.Context, p *sla.Policy, ev event.Event) error {
	return db.inTx(ctx, func(tx *txn) error {
		if p.ID == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO sla_policies (name, position, active, conditions, targets,
				time_basis, calendar_id, pause_on, warn_percent, version, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11) RETURNING id`, p.Name, p.Position, p.Active,
				marshal(p.Conditions), marshal(p.Targets), p.Time, nullID(p.CalendarID), marshal(p.PauseOn), p.WarnPercent,
				micros(p.CreatedAt), micros(p.UpdatedAt)).Scan(&p.ID); err != nil {
				return fmt.Errorf("insert sla policy: %w", err)
			}
			p.Version = 1
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE sla_policies SET name = $2, position = $3, active = $4, conditions = $5,
				targets = $6, time_basis = $7, calendar_id = $8, pause_on = $9, warn_percent = $10, updated_at = $11,
				version = version + 1 WHERE id = $1 AND version = $12`, p.ID, p.Name, p.Position, p.Active,
				marshal(p.Conditions), marshal(p.Targets), p.Time, nullID(p.CalendarID), marshal(p.PauseOn), p.WarnPercent,
				micros(p.UpdatedAt), p.Version)
			if err := bumped(&p.Version, versioned(ctx, tx, res, err, "sla_policies", p.ID, desk.M("sla.not_found", p.ID))); err != nil {
				return err
			}
		}
		return db.appendEvents(ctx, tx, []event.Event{ev})
	})
}

// DeletePolicy removes a policy; tickets it covered are worked out again
// by the consumer of the event.
func (db *DB) DeletePolicy(ctx context.Context, id, ifVersion int64, ev event.Event) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sla_policies WHERE id = $1 AND ($2 = 0 OR version = $2)`, id, ifVersion)
		if err := versioned(ctx, tx, res, err, "sla_policies", id, desk.M("sla.not_found", id)); err != nil {
			return err
		}
		return db.appendEvents(ctx, tx, []event.Event{ev})
	})
}

// --- per-ticket state and timers

const stateColumns = `ticket_id, policy_id, counted, mark, paused, next_start, first_responded, resolved, warned,
	breached, first_response_due_at, next_response_due_at, resolution_due_at, ticket_version, last_event_id FROM ticket_sla`

func scanState(row scanner) (*sla.State, error) {
	var s sla.State
	var policy, next, fr, nr, res sql.NullInt64
	var counted, mark int64
	var warned, breached string
	if err := row.Scan(&s.TicketID, &policy, &counted, &mark, &s.Paused, &next, &s.FirstResponded, &s.Resolved,
		&warned, &breached, &fr, &nr, &res, &s.TicketVersion, &s.LastEventID); err != nil {
		return nil, err
	}
	s.PolicyID, s.Counted, s.Mark = fromNullID(policy), time.Duration(counted)*time.Microsecond, fromMicros(mark)
	if next.Valid {
		d := time.Duration(next.Int64) * time.Microsecond
		s.NextStart = &d
	}
	s.FirstResponseDue, s.NextResponseDue, s.ResolutionDue = fromNullMicros(fr), fromNullMicros(nr), fromNullMicros(res)
	if err := json.Unmarshal([]byte(warned), &s.Warned); err != nil {
		return nil, err
	}
	return &s, json.Unmarshal([]byte(breached), &s.Breached)
}

// TicketSLA returns a ticket's stored SLA state (ENOTFOUND before its first
// computation).
func (db *DB) TicketSLA(ctx context.Context, ticketID int64) (*sla.State, error) {
	s, err := scanState(db.read.QueryRowContext(ctx, `SELECT `+stateColumns+` WHERE ticket_id = $1`, ticketID))
	if err != nil {
		return nil, notFound(err, desk.M("error.ticket_not_found", ticketID))
	}
	return s, nil
}

// writeStates stores the states, inserting those never stored: one
// statement for any number of tickets.
func (db *DB) writeStates(ctx context.Context, tx *txn, states []*sla.State) error {
	if len(states) == 0 {
		return nil
	}
	var args []any
	rows := make([]string, len(states))
	for i, s := range states {
		var next sql.NullInt64
		if s.NextStart != nil {
			next = sql.NullInt64{Int64: s.NextStart.Microseconds(), Valid: true}
		}
		ph := make([]string, 0, 16)
		for _, v := range []any{s.TicketID, nullID(s.PolicyID), s.Counted.Microseconds(), micros(s.Mark), s.Paused, next,
			s.FirstResponded, s.Resolved, marshal(nonNil(s.Warned)), marshal(nonNil(s.Breached)),
			nullMicros(s.FirstResponseDue), nullMicros(s.NextResponseDue), nullMicros(s.ResolutionDue),
			nullMicros(s.DueAt()), s.TicketVersion, s.LastEventID} {
			args = append(args, v)
			ph = append(ph, db.dialect.bulkPlaceholder(len(args)))
		}
		rows[i] = "(" + strings.Join(ph, ", ") + ")"
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_sla (ticket_id, policy_id, counted, mark, paused, next_start,
		first_responded, resolved, warned, breached, first_response_due_at, next_response_due_at, resolution_due_at,
		due_at, ticket_version, last_event_id) VALUES `+strings.Join(rows, ", ")+`
		ON CONFLICT (ticket_id) DO UPDATE SET policy_id = excluded.policy_id, counted = excluded.counted,
		mark = excluded.mark, paused = excluded.paused, next_start = excluded.next_start,
		first_responded = excluded.first_responded, resolved = excluded.resolved, warned = excluded.warned,
		breached = excluded.breached, first_response_due_at = excluded.first_response_due_at,
		next_response_due_at = excluded.next_response_due_at, resolution_due_at = excluded.resolution_due_at,
		due_at = excluded.due_at, ticket_version = excluded.ticket_version, last_event_id = excluded.last_event_id`,
		args...); err != nil {
		return fmt.Errorf("tickets sla: %w", err)
	}
	return nil
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// RefreshTicket works a ticket's SLA out again in one transaction: it locks
// the ticket and its state, hands fn the ticket, the state (zero for a
// ticket never computed) and the ticket's events the state has not seen,
// then stores the state and replaces the ticket's timers with fn's.
func (db *DB) RefreshTicket(ctx context.Context, id int64, fn func(t *ticket.Ticket, s *sla.State, evs []event.Event) ([]sla.Timer, error)) error {
	found := false
	err := db.RefreshTickets(ctx, []int64{id}, func(t *ticket.Ticket, s *sla.State, evs []event.Event) ([]sla.Timer, error) {
		found = true
		return fn(t, s, evs)
	})
	if err == nil && !found {
		return desk.E(desk.ENOTFOUND, "error.ticket_not_found", id)
	}
	return err
}

// RefreshTickets is RefreshTicket for many tickets in one transaction, with
// a few statements for all of them: a consumer's batch of events costs one
// commit, not one per ticket. Tickets that no longer exist are skipped. It
// locks the tickets in id order, as every other SLA writer locks one.
func (db *DB) RefreshTickets(ctx context.Context, ids []int64, fn func(t *ticket.Ticket, s *sla.State, evs []event.Event) ([]sla.Timer, error)) error {
	if len(ids) == 0 {
		return nil
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return db.inTx(ctx, func(tx *txn) error {
		var args []any
		in := inList(&args, ids)
		rows, err := tx.QueryContext(ctx, `SELECT `+ticketColumns+` WHERE t.id IN (`+in+`) ORDER BY t.id`+db.dialect.forUpdate(), args...)
		if err != nil {
			return fmt.Errorf("tickets sla: %w", err)
		}
		tickets, err := scanTicketRows(rows)
		if err != nil {
			return fmt.Errorf("tickets sla: %w", err)
		}
		if len(tickets) == 0 {
			return nil
		}
		args = args[:0]
		in = inList(&args, ids)
		states := map[int64]*sla.State{}
		rows, err = tx.QueryContext(ctx, `SELECT `+stateColumns+` WHERE ticket_id IN (`+in+`)`, args...)
		if err != nil {
			return fmt.Errorf("tickets sla: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			s, err := scanState(rows)
			if err != nil {
				return fmt.Errorf("tickets sla: %w", err)
			}
			states[s.TicketID] = s
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("tickets sla: %w", err)
		}
		evs, err := scanEvents(ctx, tx, `WHERE ticket_id IN (`+in+`) AND id > COALESCE((SELECT s.last_event_id
			FROM ticket_sla s WHERE s.ticket_id = events.ticket_id), 0) ORDER BY ticket_id, id`, args...)
		if err != nil {
			return err
		}
		byTicket := map[int64][]event.Event{}
		for _, e := range evs {
			byTicket[e.TicketID] = append(byTicket[e.TicketID], e)
		}
		out := make([]*sla.State, 0, len(tickets))
		timers := map[int64][]sla.Timer{}
		for _, t := range tickets {
			s := states[t.ID]
			if s == nil {
				s = &sla.State{TicketID: t.ID, Mark: t.CreatedAt}
			}
			tms, err := fn(t, s, byTicket[t.ID])
			if err != nil {
				return err
			}
			s.TicketVersion = t.Version
			out, timers[t.ID] = append(out, s), tms
		}
		if err := db.writeStates(ctx, tx, out); err != nil {
			return err
		}
		return db.replaceTimers(ctx, tx, timers)
	})
}

// scanTicketRows reads the tickets of rows (ticketColumns) and closes them.
func scanTicketRows(rows *sql.Rows) ([]*ticket.Ticket, error) {
	defer rows.Close()
	var out []*ticket.Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// replaceTimers replaces the timers of the tickets given (none: none left).
func (db *DB) replaceTimers(ctx context.Context, tx *txn, byTicket map[int64][]sla.Timer) error {
	if len(byTicket) == 0 {
		return nil
	}
	var args []any
	ids := slices.Sorted(maps.Keys(byTicket))
	if _, err := tx.ExecContext(ctx, `DELETE FROM sla_timers WHERE ticket_id IN (`+inList(&args, ids)+`)`, args...); err != nil {
		return fmt.Errorf("tickets sla timers: %w", err)
	}
	args = args[:0]
	var rows []string
	for _, id := range ids {
		for _, tm := range byTicket[id] {
			ph := make([]string, 4)
			for i, v := range []any{id, tm.Metric, tm.Kind, micros(tm.DueAt)} {
				args = append(args, v)
				ph[i] = db.dialect.bulkPlaceholder(len(args))
			}
			rows = append(rows, "("+strings.Join(ph, ", ")+")")
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sla_timers (ticket_id, metric, kind, due_at) VALUES `+
		strings.Join(rows, ", "), args...); err != nil {
		return fmt.Errorf("tickets sla timers: %w", err)
	}
	return nil
}

// DueTimers returns up to limit timers due at now, earliest first: an
// index range read, whatever the number of open tickets.
func (db *DB) DueTimers(ctx context.Context, now time.Time, limit int) ([]sla.Timer, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT ticket_id, metric, kind, due_at FROM sla_timers
		WHERE due_at <= $1 ORDER BY due_at LIMIT $2`, micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due timers: %w", err)
	}
	defer rows.Close()
	var out []sla.Timer
	for rows.Next() {
		var tm sla.Timer
		var due int64
		if err := rows.Scan(&tm.TicketID, &tm.Metric, &tm.Kind, &due); err != nil {
			return nil, fmt.Errorf("due timers: %w", err)
		}
		tm.DueAt = fromMicros(due)
		out = append(out, tm)
	}
	return out, rows.Err()
}

// FireTimer fires a timer at most once, whichever node asks: the DELETE of
// the timer's row, in the same transaction as the event fn returns, is the
// claim (a second node deletes nothing and fires nothing). fn sees the
// locked ticket and its state and returns the events to append; returning
// sla.ErrNotNow leaves the timer in place.
func (db *DB) FireTimer(ctx context.Context, tm sla.Timer, fn func(t *ticket.Ticket, s *sla.State) ([]event.Event, error)) ([]event.Event, *ticket.Ticket, error) {
	var evs []event.Event
	var t *ticket.Ticket
	err := db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sla_timers WHERE ticket_id = $1 AND metric = $2 AND kind = $3
			AND due_at = $4`, tm.TicketID, tm.Metric, tm.Kind, micros(tm.DueAt))
		if err != nil {
			return fmt.Errorf("claim timer: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if t, err = scanTicket(tx.QueryRowContext(ctx, `SELECT `+ticketColumns+` WHERE t.id = $1`+db.dialect.forUpdate(), tm.TicketID)); err != nil {
			return notFound(err, desk.M("error.ticket_not_found", tm.TicketID))
		}
		s, err := scanState(tx.QueryRowContext(ctx, `SELECT `+stateColumns+` WHERE ticket_id = $1`+db.dialect.forUpdate(), tm.TicketID))
		if err != nil {
			return fmt.Errorf("ticket %d sla: %w", tm.TicketID, err)
		}
		if evs, err = fn(t, s); err != nil || len(evs) == 0 {
			return err
		}
		if err := db.writeStates(ctx, tx, []*sla.State{s}); err != nil {
			return err
		}
		return db.appendEvents(ctx, tx, evs)
	})
	if errors.Is(err, sla.ErrNotNow) {
		return nil, nil, nil
	}
	return evs, t, err
}

// SLATickets returns, after afterID and in id order, the tickets whose SLA
// is still to be met, for a recomputation after a policy or calendar
// changes (not a periodic scan: it runs once per such change).
func (db *DB) SLATickets(ctx context.Context, afterID int64, limit int) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT ticket_id FROM ticket_sla WHERE resolved = FALSE AND ticket_id > $1
		ORDER BY ticket_id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("sla tickets: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// --- escalation rules

// ruleSettings is what a rule holds beyond its name, order and trigger.
type ruleSettings struct {
	Metrics         []string `json:"metrics"`
	OrganizationIDs []int64  `json:"organization_ids"`
	ReopenCount     int      `json:"reopen_count"`
	Keywords        []string `json:"keywords"`
	TeamID          *int64   `json:"team_id"`
	Tier            *int     `json:"tier"`
}

func scanRules(ctx context.Context, q querier, where string, args ...any) ([]*sla.Rule, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, position, active, trigger_kind, settings, version, created_at,
		updated_at FROM escalation_rules `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("escalation rules: %w", err)
	}
	defer rows.Close()
	out := []*sla.Rule{}
	for rows.Next() {
		var r sla.Rule
		var settings string
		var cr, up int64
		if err := rows.Scan(&r.ID, &r.Name, &r.Position, &r.Active, &r.Trigger, &settings, &r.Version, &cr, &up); err != nil {
			return nil, fmt.Errorf("escalation rules: %w", err)
		}
		var st ruleSettings
		if err := json.Unmarshal([]byte(settings), &st); err != nil {
			return nil, fmt.Errorf("escalation rule %d: %w", r.ID, err)
		}
		r.Metrics, r.OrganizationIDs, r.ReopenCount, r.Keywords, r.TeamID, r.Tier = st.Metrics, st.OrganizationIDs,
			st.ReopenCount, st.Keywords, st.TeamID, st.Tier
		r.CreatedAt, r.UpdatedAt = fromMicros(cr), fromMicros(up)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// Rules lists the escalation rules in order.
func (db *DB) Rules(ctx context.Context) ([]*sla.Rule, error) {
	return scanRules(ctx, db.read, `ORDER BY position, id`)
}

// Rule returns one escalation rule.
func (db *DB) Rule(ctx context.Context, id int64) (*sla.Rule, error) {
	list, err := scanRules(ctx, db.read, `WHERE id = $1`, id)
	return one(list, err, desk.M("escrule.not_found", id))
}

// SaveRule inserts a rule (ID 0) or writes one still at r.Version.
func (db *DB) SaveRule(ctx context.Context, r *sla.Rule) error {
	settings := marshal(ruleSettings{Metrics: r.Metrics, OrganizationIDs: r.OrganizationIDs, ReopenCount: r.ReopenCount,
		Keywords: r.Keywords, TeamID: r.TeamID, Tier: r.Tier})
	return db.inTx(ctx, func(tx *txn) error {
		if r.ID == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO escalation_rules (name, position, active, trigger_kind, settings,
				version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING id`, r.Name, r.Position,
				r.Active, r.Trigger, settings, micros(r.CreatedAt), micros(r.UpdatedAt)).Scan(&r.ID); err != nil {
				return fmt.Errorf("insert escalation rule: %w", err)
			}
			r.Version = 1
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE escalation_rules SET name = $2, position = $3, active = $4,
			trigger_kind = $5, settings = $6, updated_at = $7, version = version + 1 WHERE id = $1 AND version = $8`,
			r.ID, r.Name, r.Position, r.Active, r.Trigger, settings, micros(r.UpdatedAt), r.Version)
		return bumped(&r.Version, versioned(ctx, tx, res, err, "escalation_rules", r.ID, desk.M("escrule.not_found", r.ID)))
	})
}

// DeleteRule removes a rule and its execution log.
func (db *DB) DeleteRule(ctx context.Context, id, ifVersion int64) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM escalation_rules WHERE id = $1 AND ($2 = 0 OR version = $2)`, id, ifVersion)
		return versioned(ctx, tx, res, err, "escalation_rules", id, desk.M("escrule.not_found", id))
	})
}

// ClaimRun records that a rule acts on an event; false when it already did
// (another node, or a batch read again after a crash).
func (db *DB) ClaimRun(ctx context.Context, r *sla.Run) (bool, error) {
	var claimed bool
	err := db.inTx(ctx, func(tx *txn) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO escalation_runs (rule_id, ticket_id, event_id, outcome, error, created_at)
			VALUES ($1, $2, $3, $4, '', $5) ON CONFLICT (rule_id, event_id) DO NOTHING RETURNING id`,
			r.RuleID, r.TicketID, r.EventID, r.Outcome, micros(r.CreatedAt)).Scan(&r.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		claimed = err == nil
		return err
	})
	return claimed, err
}

// FinishRun writes a run's outcome.
func (db *DB) FinishRun(ctx context.Context, r *sla.Run) error {
	_, err := db.exec(ctx, `UPDATE escalation_runs SET outcome = $2, error = $3 WHERE id = $1`, r.ID, r.Outcome, r.Error)
	if err != nil {
		return fmt.Errorf("escalation run %d: %w", r.ID, err)
	}
	return nil
}

// Runs returns a rule's execution log, newest first, before the run id
// before (0: from the newest).
func (db *DB) Runs(ctx context.Context, ruleID, before int64, limit int) ([]sla.Run, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, rule_id, ticket_id, event_id, outcome, error, created_at
		FROM escalation_runs WHERE rule_id = $1 AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3`, ruleID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("escalation runs: %w", err)
	}
	defer rows.Close()
	out := []sla.Run{}
	for rows.Next() {
		var r sla.Run
		var cr int64
		if err := rows.Scan(&r.ID, &r.RuleID, &r.TicketID, &r.EventID, &r.Outcome, &r.Error, &cr); err != nil {
			return nil, fmt.Errorf("escalation runs: %w", err)
		}
		r.CreatedAt = fromMicros(cr)
		out = append(out, r)
	}
	return out, rows.Err()
}

// MessageText returns a message's plain text.
func (db *DB) MessageText(ctx context.Context, id int64) (string, error) {
	var s string
	err := db.read.QueryRowContext(ctx, `SELECT body_text FROM messages WHERE id = $1`, id).Scan(&s)
	return s, notFound(err, desk.M("error.message_not_found", id))
}

// SeedSLA gives every unresolved ticket without an SLA clock one under the
// policy, counting from its creation, with a resolution due time and its
// breach timer at due: a bulk start for `seed` desks and the timer
// benchmark, instead of replaying each ticket's events.
func (db *DB) SeedSLA(ctx context.Context, policyID int64, due time.Time) (int64, error) {
	// In batches of ticket ids, each its own transaction: a million rows in
	// one would hold back every event consumer on a shared PostgreSQL
	// server until it ended.
	const batch = 50000
	var last int64
	if err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM tickets`).Scan(&last); err != nil {
		return 0, fmt.Errorf("seed sla: %w", err)
	}
	var n int64
	for from := int64(0); from < last; from += batch {
		err := db.inTx(ctx, func(tx *txn) error {
			res, err := tx.ExecContext(ctx, `INSERT INTO ticket_sla (ticket_id, policy_id, counted, mark, paused,
				first_responded, resolved, warned, breached, resolution_due_at, due_at, ticket_version, last_event_id)
				SELECT t.id, $1, 0, t.created_at, t.status_category IN ('pending', 'on_hold'), t.first_responded_at IS NOT NULL,
				FALSE, '[]', '[]', $2, $2, t.version, (SELECT COALESCE(MAX(id), 0) FROM events)
				FROM tickets t WHERE t.status_category IN ('new', 'open', 'pending', 'on_hold') AND t.id > $3 AND t.id <= $4
				ON CONFLICT (ticket_id) DO NOTHING`, policyID, micros(due), from, from+batch)
			if err != nil {
				return fmt.Errorf("seed sla: %w", err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += k
			_, err = tx.ExecContext(ctx, `INSERT INTO sla_timers (ticket_id, metric, kind, due_at)
				SELECT ticket_id, 'resolution', 'sla.breached', due_at FROM ticket_sla
				WHERE policy_id = $1 AND due_at IS NOT NULL AND ticket_id > $2 AND ticket_id <= $3
				ON CONFLICT DO NOTHING`, policyID, from, from+batch)
			if err != nil {
				return fmt.Errorf("seed sla timers: %w", err)
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
