package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/assign"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

var (
	_ assign.Store  = (*DB)(nil)
	_ assign.LockTx = (*ticketTx)(nil)
)

// openCategories are the status categories whose tickets count as an
// agent's load.
const openCategories = `('new', 'open', 'pending', 'on_hold')`

// TeamAssignment returns a team's assignment settings (the defaults,
// version 0, when none were saved).
func (db *DB) TeamAssignment(ctx context.Context, teamID int64) (*assign.TeamSettings, error) {
	s := assign.TeamSettings{TeamID: teamID, Mode: assign.ModeOff, Capacity: 10}
	var mode sql.NullString
	var capacity, version, updated sql.NullInt64
	var handBack sql.NullBool
	err := db.read.QueryRowContext(ctx, `SELECT a.mode, a.capacity, a.hand_back, a.version, a.updated_at
		FROM teams t LEFT JOIN team_assignment a ON a.team_id = t.id WHERE t.id = $1`, teamID).
		Scan(&mode, &capacity, &handBack, &version, &updated)
	if err != nil {
		return nil, notFound(err, desk.M("error.team_not_found", teamID))
	}
	if mode.Valid {
		s.Mode, s.Capacity, s.HandBack, s.Version = mode.String, int(capacity.Int64), handBack.Bool, version.Int64
		s.UpdatedAt = fromMicros(updated.Int64)
	}
	return &s, nil
}

// SaveTeamAssignment writes settings still at s.Version (0: never saved).
func (db *DB) SaveTeamAssignment(ctx context.Context, s *assign.TeamSettings) error {
	var res sql.Result
	var err error
	if s.Version == 0 {
		res, err = db.exec(ctx, `INSERT INTO team_assignment (team_id, mode, capacity, hand_back, version, updated_at)
			VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (team_id) DO NOTHING`, s.TeamID, s.Mode, s.Capacity, s.HandBack,
			micros(s.UpdatedAt))
	} else {
		res, err = db.exec(ctx, `UPDATE team_assignment SET mode = $2, capacity = $3, hand_back = $4, updated_at = $5,
			version = version + 1 WHERE team_id = $1 AND version = $6`, s.TeamID, s.Mode, s.Capacity, s.HandBack,
			micros(s.UpdatedAt), s.Version)
	}
	if err := db.staleUnless(ctx, res, err, `SELECT version FROM team_assignment WHERE team_id = $1`, s.TeamID); err != nil {
		return err
	}
	s.Version++
	return nil
}

// staleUnless turns a write that changed no row into ESTALE with the
// current version.
func (db *DB) staleUnless(ctx context.Context, res sql.Result, err error, current string, id int64) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var v int64
	if err := db.write.QueryRowContext(ctx, current, id).Scan(&v); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return desk.Stale(v)
}

// AgentRouting returns an agent's skills, languages and capacity.
func (db *DB) AgentRouting(ctx context.Context, agentID int64) (*assign.Profile, error) {
	p := assign.Profile{AgentID: agentID, Skills: []string{}, Languages: []string{}}
	var skills, langs sql.NullString
	var capacity, version, updated sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT r.skills, r.languages, r.capacity, r.version, r.updated_at
		FROM agents a LEFT JOIN agent_routing r ON r.agent_id = a.id WHERE a.id = $1`, agentID).
		Scan(&skills, &langs, &capacity, &version, &updated)
	if err != nil {
		return nil, notFound(err, desk.M("error.agent_not_found", agentID))
	}
	if skills.Valid {
		if err := json.Unmarshal([]byte(skills.String), &p.Skills); err != nil {
			return nil, fmt.Errorf("agent %d skills: %w", agentID, err)
		}
		if err := json.Unmarshal([]byte(langs.String), &p.Languages); err != nil {
			return nil, fmt.Errorf("agent %d languages: %w", agentID, err)
		}
		p.Capacity, p.Version, p.UpdatedAt = int(capacity.Int64), version.Int64, fromMicros(updated.Int64)
	}
	return &p, nil
}

// SaveAgentRouting writes a profile still at p.Version. A row created by
// an assignment (version 1, nothing set) counts as version 0's.
func (db *DB) SaveAgentRouting(ctx context.Context, p *assign.Profile) error {
	res, err := db.exec(ctx, `INSERT INTO agent_routing (agent_id, skills, languages, capacity, version, updated_at)
		VALUES ($1, $2, $3, $4, 1, $5)
		ON CONFLICT (agent_id) DO UPDATE SET skills = excluded.skills, languages = excluded.languages,
			capacity = excluded.capacity, updated_at = excluded.updated_at, version = agent_routing.version + 1
		WHERE agent_routing.version = $6`, p.AgentID, marshal(p.Skills), marshal(p.Languages), p.Capacity,
		micros(p.UpdatedAt), p.Version)
	if err := db.staleUnless(ctx, res, err, `SELECT version FROM agent_routing WHERE agent_id = $1`, p.AgentID); err != nil {
		return err
	}
	p.Version++
	return nil
}

// SetPresence sets an agent's availability, with an event when it moved.
func (db *DB) SetPresence(ctx context.Context, agentID int64, status string, byInactivity bool, a desk.Actor, now time.Time) (bool, error) {
	changed := false
	err := db.inTx(ctx, func(tx *txn) error {
		var err error
		changed, err = db.setPresence(ctx, tx, agentID, status, byInactivity, a, now, !byInactivity)
		return err
	})
	return changed, err
}

func (db *DB) setPresence(ctx context.Context, tx *txn, agentID int64, status string, byInactivity bool, a desk.Actor,
	now time.Time, seen bool) (bool, error) {
	var old string
	var oldAuto bool
	err := tx.QueryRowContext(ctx, `SELECT status, by_inactivity FROM agent_presence WHERE agent_id = $1`+
		db.dialect.forUpdate(), agentID).Scan(&old, &oldAuto)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO agent_presence (agent_id, status, by_inactivity, last_seen_at, changed_at)
			VALUES ($1, $2, $3, $4, $4)`, agentID, status, byInactivity, micros(now)); err != nil {
			return false, fmt.Errorf("insert presence: %w", err)
		}
		old = assign.Offline
	case err != nil:
		return false, fmt.Errorf("read presence: %w", err)
	default:
		q := `UPDATE agent_presence SET status = $2, by_inactivity = $3,
			changed_at = CASE WHEN status = $2 THEN changed_at ELSE $4 END`
		if seen {
			q += `, last_seen_at = $4`
		}
		if _, err := tx.ExecContext(ctx, q+` WHERE agent_id = $1`, agentID, status, byInactivity, micros(now)); err != nil {
			return false, fmt.Errorf("update presence: %w", err)
		}
	}
	if old == status {
		return false, nil
	}
	// The agent's teams go with the change: occupancy (package report)
	// credits the agent's time to them, from the events alone.
	teams := []int64{}
	rows, err := tx.QueryContext(ctx, `SELECT team_id FROM team_members WHERE agent_id = $1 ORDER BY team_id`, agentID)
	if err != nil {
		return false, fmt.Errorf("presence teams: %w", err)
	}
	for rows.Next() {
		var t int64
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return false, fmt.Errorf("presence teams: %w", err)
		}
		teams = append(teams, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("presence teams: %w", err)
	}
	e := event.New(event.PresenceChanged, 0, map[string]any{"agent_id": agentID, "status": status, "old": old,
		"by_inactivity": byInactivity, "team_ids": teams})
	e.ActorKind, e.ActorID, e.CreatedAt = a.Kind, a.ID, now
	return true, db.appendEvents(ctx, tx, []event.Event{e})
}

// SeePresence records activity; inactivity's away or offline ends.
func (db *DB) SeePresence(ctx context.Context, agentID int64, now time.Time) error {
	return db.inTx(ctx, func(tx *txn) error {
		var status string
		var auto bool
		err := tx.QueryRowContext(ctx, `SELECT status, by_inactivity FROM agent_presence WHERE agent_id = $1`, agentID).
			Scan(&status, &auto)
		if err == nil && !auto {
			_, err = tx.ExecContext(ctx, `UPDATE agent_presence SET last_seen_at = $2 WHERE agent_id = $1`, agentID, micros(now))
			return err
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = db.setPresence(ctx, tx, agentID, assign.Online, false,
			desk.Actor{Kind: desk.ActorAgent, ID: agentID}, now, true)
		return err
	})
}

// MarkInactive applies inactivity to every agent it concerns.
func (db *DB) MarkInactive(ctx context.Context, awayBefore, offlineBefore, now time.Time) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *txn) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT agent_id, CASE WHEN last_seen_at < $2 THEN 'offline' ELSE 'away' END
			FROM agent_presence WHERE (status = 'online' AND last_seen_at < $1)
				OR (status IN ('online', 'away') AND last_seen_at < $2) ORDER BY agent_id`,
			micros(awayBefore), micros(offlineBefore))
		if err != nil {
			return fmt.Errorf("inactive agents: %w", err)
		}
		type change struct {
			id     int64
			status string
		}
		var list []change
		for rows.Next() {
			var c change
			if err := rows.Scan(&c.id, &c.status); err != nil {
				rows.Close()
				return err
			}
			list = append(list, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range list {
			changed, err := db.setPresence(ctx, tx, c.id, c.status, true, desk.System, now, false)
			if err != nil {
				return err
			}
			if changed {
				n++
			}
		}
		return nil
	})
	return n, err
}

// Presences lists a team's active agents with availability and load.
func (db *DB) Presences(ctx context.Context, teamID int64) ([]assign.Presence, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT a.id, a.name, COALESCE(p.status, 'offline'),
		COALESCE(p.by_inactivity, FALSE), COALESCE(p.last_seen_at, 0), COALESCE(p.changed_at, 0),
		COALESCE(r.capacity, 0),
		(SELECT count(*) FROM tickets t WHERE t.assignee_id = a.id AND t.status_category IN `+openCategories+`)
		FROM team_members m JOIN agents a ON a.id = m.agent_id AND a.active
		LEFT JOIN agent_presence p ON p.agent_id = a.id LEFT JOIN agent_routing r ON r.agent_id = a.id
		WHERE m.team_id = $1 ORDER BY a.name, a.id`, teamID)
	if err != nil {
		return nil, fmt.Errorf("presences: %w", err)
	}
	defer rows.Close()
	out := []assign.Presence{}
	for rows.Next() {
		var p assign.Presence
		var seen, changed int64
		if err := rows.Scan(&p.AgentID, &p.Name, &p.Status, &p.ByInactivity, &seen, &changed, &p.Capacity, &p.Open); err != nil {
			return nil, fmt.Errorf("presences: %w", err)
		}
		p.LastSeenAt, p.ChangedAt = fromMicros(seen), fromMicros(changed)
		out = append(out, p)
	}
	return out, rows.Err()
}

// PresenceStamp changes with any availability and with any event (loads
// move with ticket events).
func (db *DB) PresenceStamp(ctx context.Context) (string, error) {
	var changed, last int64
	if err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(changed_at), 0) FROM agent_presence`).Scan(&changed); err != nil {
		return "", fmt.Errorf("presence stamp: %w", err)
	}
	if err := db.read.QueryRowContext(ctx, db.dialect.lastEvent()).Scan(&last); err != nil {
		return "", fmt.Errorf("presence stamp: %w", err)
	}
	return strconv.FormatInt(changed, 36) + "." + strconv.FormatInt(last, 36), nil
}

// HandBackTickets lists an agent's open tickets in hand-back teams.
func (db *DB) HandBackTickets(ctx context.Context, agentID int64) ([]int64, error) {
	return db.ids(ctx, `SELECT t.id FROM tickets t JOIN team_assignment a ON a.team_id = t.team_id AND a.hand_back
		WHERE t.assignee_id = $1 AND t.status_category IN `+openCategories+` AND t.merged_into_id IS NULL ORDER BY t.id`, agentID)
}

// WaitingTickets lists a team's unassigned open tickets, oldest first.
func (db *DB) WaitingTickets(ctx context.Context, teamID int64, limit int) ([]int64, error) {
	return db.ids(ctx, `SELECT id FROM tickets WHERE team_id = $1 AND assignee_id IS NULL
		AND status_category IN `+openCategories+` AND merged_into_id IS NULL ORDER BY created_at, id LIMIT $2`, teamID, limit)
}

// AgentTeams lists the teams of an agent.
func (db *DB) AgentTeams(ctx context.Context, agentID int64) ([]int64, error) {
	return db.ids(ctx, `SELECT team_id FROM team_members WHERE agent_id = $1 ORDER BY team_id`, agentID)
}

// LockForAssignment locks the team's settings row and its members'
// routing rows (in id order, so two decisions never deadlock), then — in
// a statement of its own, which on PostgreSQL sees everything committed
// while it waited — counts each member's open tickets.
func (x *ticketTx) LockForAssignment(ctx context.Context, teamID int64) (assign.TeamSettings, int64, []assign.Candidate, error) {
	s := assign.TeamSettings{TeamID: teamID, Mode: assign.ModeOff}
	var last int64
	var members int
	err := x.tx.QueryRowContext(ctx, `SELECT mode, capacity, hand_back, last_agent_id, version,
		(SELECT count(*) FROM team_members WHERE team_id = $1) FROM team_assignment
		WHERE team_id = $1`+x.db.dialect.forUpdate(), teamID).Scan(&s.Mode, &s.Capacity, &s.HandBack, &last, &s.Version, &members)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && s.Mode == assign.ModeOff) {
		return s, 0, nil, nil
	}
	if err != nil {
		return s, 0, nil, fmt.Errorf("lock team assignment: %w", err)
	}
	// Every decision holds the team's lock for its few statements, so
	// each round trip counts: the members' routing rows are made only
	// when some are missing (a member new to routing), not every time.
	locked, err := x.lockRouting(ctx, teamID)
	if err != nil {
		return s, 0, nil, err
	}
	if locked < members {
		if _, err := x.tx.ExecContext(ctx, `INSERT INTO agent_routing (agent_id, updated_at)
			SELECT agent_id, 0 FROM team_members WHERE team_id = $1 ON CONFLICT (agent_id) DO NOTHING`, teamID); err != nil {
			return s, 0, nil, fmt.Errorf("routing rows: %w", err)
		}
		if _, err := x.lockRouting(ctx, teamID); err != nil {
			return s, 0, nil, err
		}
	}
	rows, err := x.tx.QueryContext(ctx, `SELECT a.id, COALESCE(p.status, 'offline'), r.skills, r.languages, r.capacity,
		(SELECT count(*) FROM tickets t WHERE t.assignee_id = a.id AND t.status_category IN `+openCategories+`)
		FROM team_members m JOIN agents a ON a.id = m.agent_id AND a.active
		JOIN agent_routing r ON r.agent_id = a.id LEFT JOIN agent_presence p ON p.agent_id = a.id
		WHERE m.team_id = $1 ORDER BY a.id`, teamID)
	if err != nil {
		return s, 0, nil, fmt.Errorf("candidates: %w", err)
	}
	defer rows.Close()
	var out []assign.Candidate
	for rows.Next() {
		var c assign.Candidate
		var skills, langs string
		if err := rows.Scan(&c.AgentID, &c.Status, &skills, &langs, &c.Capacity, &c.Open); err != nil {
			return s, 0, nil, fmt.Errorf("candidates: %w", err)
		}
		_ = json.Unmarshal([]byte(skills), &c.Skills)
		_ = json.Unmarshal([]byte(langs), &c.Languages)
		out = append(out, c)
	}
	return s, last, out, rows.Err()
}

// lockRouting locks the team members' routing rows in id order and
// answers how many it locked.
func (x *ticketTx) lockRouting(ctx context.Context, teamID int64) (int, error) {
	rows, err := x.tx.QueryContext(ctx, `SELECT agent_id FROM agent_routing
		WHERE agent_id IN (SELECT agent_id FROM team_members WHERE team_id = $1) ORDER BY agent_id`+x.db.dialect.forUpdate(), teamID)
	if err != nil {
		return 0, fmt.Errorf("lock agents: %w", err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("lock agents: %w", err)
	}
	return n, rows.Err()
}

// SetLastAssigned moves the team's round robin on.
func (x *ticketTx) SetLastAssigned(ctx context.Context, teamID, agentID int64) error {
	_, err := x.tx.ExecContext(ctx, `UPDATE team_assignment SET last_agent_id = $2 WHERE team_id = $1`, teamID, agentID)
	return err
}

// AgentStatus is an agent's availability, offline when never seen.
func (db *DB) AgentStatus(ctx context.Context, agentID int64) (string, error) {
	status := assign.Offline
	err := db.read.QueryRowContext(ctx, `SELECT status FROM agent_presence WHERE agent_id = $1`, agentID).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return assign.Offline, nil
	}
	return status, err
}
