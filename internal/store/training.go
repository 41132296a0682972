package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/training"
)

var _ training.AllStore = (*DB)(nil)

// writeTrainingNotice appends a training change's event and notifications
// (the same rows a quality notice writes).
func (db *DB) writeTrainingNotice(ctx context.Context, tx *txn, n training.Notice) error {
	if n.Event.Kind == "" {
		return nil
	}
	return db.writeNotice(ctx, tx, quality.Notice{Event: n.Event, Notify: n.Notify})
}

// --- courses

const courseColumns = `id, title, description, criteria, pass_mark, valid_days, modules, active, version, created_at,
	updated_at FROM courses`

func (db *DB) scanCourses(ctx context.Context, where string, args ...any) ([]*training.Course, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+courseColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("courses: %w", err)
	}
	defer rows.Close()
	out := []*training.Course{}
	for rows.Next() {
		var c training.Course
		var criteria, modules string
		var cr, up int64
		if err := rows.Scan(&c.ID, &c.Title, &c.Description, &criteria, &c.PassMark, &c.ValidDays, &modules, &c.Active,
			&c.Version, &cr, &up); err != nil {
			return nil, fmt.Errorf("courses: %w", err)
		}
		if err := json.Unmarshal([]byte(criteria), &c.Criteria); err != nil {
			return nil, fmt.Errorf("course %d criteria: %w", c.ID, err)
		}
		if err := json.Unmarshal([]byte(modules), &c.Modules); err != nil {
			return nil, fmt.Errorf("course %d modules: %w", c.ID, err)
		}
		c.CreatedAt, c.UpdatedAt = fromMicros(cr), fromMicros(up)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// Courses lists every course by title.
func (db *DB) Courses(ctx context.Context) ([]*training.Course, error) {
	return db.scanCourses(ctx, `ORDER BY title, id`)
}

// Course returns one course.
func (db *DB) Course(ctx context.Context, id int64) (*training.Course, error) {
	list, err := db.scanCourses(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("training.error.course_not_found", id))
}

// CreateCourse inserts a course.
func (db *DB) CreateCourse(ctx context.Context, c *training.Course) error {
	err := db.write.QueryRowContext(ctx, `INSERT INTO courses (title, description, criteria, pass_mark, valid_days, modules,
		module_count, active, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10) RETURNING id`,
		c.Title, c.Description, marshal(c.Criteria), c.PassMark, c.ValidDays, marshal(c.Modules), len(c.Modules), c.Active,
		micros(c.CreatedAt), micros(c.UpdatedAt)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("insert course: %w", db.mapErr(err))
	}
	c.Version = 1
	return nil
}

// UpdateCourse writes a course at c.Version.
func (db *DB) UpdateCourse(ctx context.Context, c *training.Course) error {
	err := db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE courses SET title = $2, description = $3, criteria = $4, pass_mark = $5,
			valid_days = $6, modules = $7, module_count = $8, active = $9, updated_at = $10, version = version + 1
			WHERE id = $1 AND version = $11`, c.ID, c.Title, c.Description, marshal(c.Criteria), c.PassMark, c.ValidDays,
			marshal(c.Modules), len(c.Modules), c.Active, micros(c.UpdatedAt), c.Version)
		return versioned(ctx, tx, res, err, "courses", c.ID, desk.M("training.error.course_not_found", c.ID))
	})
	if err == nil {
		c.Version++
	}
	return err
}

// --- assignments

// insertAssignment adds one assignment unless the agent already has a live
// one of the course (the partial unique index); ok says whether it did.
func insertAssignment(ctx context.Context, tx *txn, x *training.Assignment) (bool, error) {
	err := tx.QueryRowContext(ctx, `INSERT INTO course_assignments (course_id, agent_id, team_id, assigned_by, due_at, state,
		progress, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, '{}', 1, $7, $8)
		ON CONFLICT DO NOTHING RETURNING id`, x.CourseID, x.AgentID, nullID(x.TeamID), nullID(x.AssignedBy),
		micros(x.DueAt), x.State, micros(x.CreatedAt), micros(x.UpdatedAt)).Scan(&x.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert course assignment: %w", err)
	}
	x.Version = 1
	if x.Progress == nil {
		x.Progress = map[string]*training.ModuleProgress{}
	}
	return true, nil
}

// Assign writes team assignments (a team assigned again takes the new due
// date) and agents' assignments, skipping agents who have the course.
func (db *DB) Assign(ctx context.Context, teams []*training.TeamAssignment, list []*training.Assignment,
	notice func([]*training.Assignment) training.Notice) ([]*training.Assignment, error) {
	var made []*training.Assignment
	err := db.inTx(ctx, func(tx *txn) error {
		made = made[:0]
		for _, t := range teams {
			if err := tx.QueryRowContext(ctx, `INSERT INTO course_team_assignments (course_id, team_id, due_at, span_seconds,
				assigned_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (course_id, team_id) DO UPDATE SET
				due_at = excluded.due_at, span_seconds = excluded.span_seconds, assigned_by = excluded.assigned_by RETURNING id`,
				t.CourseID, t.TeamID, micros(t.DueAt), int64(t.Span/time.Second), t.AssignedBy, micros(t.CreatedAt)).Scan(&t.ID); err != nil {
				return fmt.Errorf("insert team assignment: %w", db.mapErr(err))
			}
		}
		for _, x := range list {
			ok, err := insertAssignment(ctx, tx, x)
			if err != nil {
				return db.mapErr(err)
			}
			if ok {
				made = append(made, x)
			}
		}
		if len(made) == 0 {
			return nil
		}
		return db.writeTrainingNotice(ctx, tx, notice(made))
	})
	if made == nil {
		made = []*training.Assignment{}
	}
	return made, err
}

const assignmentColumns = `x.id, x.course_id, x.agent_id, x.team_id, x.assigned_by, x.due_at, x.state, x.progress, x.score,
	x.attempts, x.completed_at, x.expires_at, x.version, x.created_at, x.updated_at, c.title, c.module_count
	FROM course_assignments x JOIN courses c ON c.id = x.course_id`

func (db *DB) scanAssignments(ctx context.Context, q querier, where string, args ...any) ([]*training.Assignment, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+assignmentColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("course assignments: %w", err)
	}
	defer rows.Close()
	out := []*training.Assignment{}
	for rows.Next() {
		var x training.Assignment
		var progress string
		var team, by, completed, expires sql.NullInt64
		var score sql.NullFloat64
		var due, cr, up int64
		if err := rows.Scan(&x.ID, &x.CourseID, &x.AgentID, &team, &by, &due, &x.State, &progress, &score, &x.Attempts,
			&completed, &expires, &x.Version, &cr, &up, &x.CourseTitle, &x.Modules); err != nil {
			return nil, fmt.Errorf("course assignments: %w", err)
		}
		if err := json.Unmarshal([]byte(progress), &x.Progress); err != nil {
			return nil, fmt.Errorf("course assignment %d progress: %w", x.ID, err)
		}
		if x.Progress == nil {
			x.Progress = map[string]*training.ModuleProgress{}
		}
		if score.Valid {
			x.Score = &score.Float64
		}
		x.TeamID, x.AssignedBy = fromNullID(team), fromNullID(by)
		x.CompletedAt, x.ExpiresAt = fromNullMicros(completed), fromNullMicros(expires)
		x.DueAt, x.CreatedAt, x.UpdatedAt = fromMicros(due), fromMicros(cr), fromMicros(up)
		out = append(out, &x)
	}
	return out, rows.Err()
}

// Assignment returns one assignment.
func (db *DB) Assignment(ctx context.Context, id int64) (*training.Assignment, error) {
	list, err := db.scanAssignments(ctx, db.read, `WHERE x.id = $1`, id)
	return one(list, err, desk.M("training.error.assignment_not_found", id))
}

// Assignments lists assignments newest first.
func (db *DB) Assignments(ctx context.Context, f training.AssignmentFilter) ([]*training.Assignment, error) {
	where, args := "WHERE 1 = 1", []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	if f.AgentID != nil {
		add("x.agent_id = $%d", *f.AgentID)
	}
	if f.TeamID != nil {
		add("x.agent_id IN (SELECT agent_id FROM team_members WHERE team_id = $%d)", *f.TeamID)
	}
	if f.CourseID != nil {
		add("x.course_id = $%d", *f.CourseID)
	}
	if f.State != "" {
		add("x.state = $%d", f.State)
	}
	if f.BeforeID > 0 {
		add("x.id < $%d", f.BeforeID)
	}
	args = append(args, f.Limit)
	return db.scanAssignments(ctx, db.read, where+fmt.Sprintf(" ORDER BY x.id DESC LIMIT $%d", len(args)), args...)
}

// ChangeAssignment writes progress and state at x.Version with the quiz
// attempt and the notice.
func (db *DB) ChangeAssignment(ctx context.Context, x *training.Assignment, at *training.Attempt, n training.Notice) error {
	err := db.inTx(ctx, func(tx *txn) error {
		var score sql.NullFloat64
		if x.Score != nil {
			score = sql.NullFloat64{Float64: *x.Score, Valid: true}
		}
		res, err := tx.ExecContext(ctx, `UPDATE course_assignments SET state = $2, progress = $3, score = $4, attempts = $5,
			completed_at = $6, expires_at = $7, updated_at = $8, version = version + 1 WHERE id = $1 AND version = $9`,
			x.ID, x.State, marshal(x.Progress), score, x.Attempts, nullMicros(x.CompletedAt), nullMicros(x.ExpiresAt),
			micros(x.UpdatedAt), x.Version)
		if err := versioned(ctx, tx, res, err, "course_assignments", x.ID, desk.M("training.error.assignment_not_found", x.ID)); err != nil {
			return err
		}
		if at != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO course_quiz_attempts (assignment_id, module_key, answers, score,
				passed, created_at) VALUES ($1, $2, $3, $4, $5, $6)`, at.AssignmentID, at.ModuleKey, marshal(at.Answers),
				at.Score, at.Passed, micros(at.CreatedAt)); err != nil {
				return fmt.Errorf("insert quiz attempt: %w", err)
			}
		}
		return db.writeTrainingNotice(ctx, tx, n)
	})
	if err == nil {
		x.Version++
	}
	return err
}

// TeamAssignments lists a course's standing team assignments.
func (db *DB) TeamAssignments(ctx context.Context, courseID int64) ([]*training.TeamAssignment, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, course_id, team_id, due_at, span_seconds, assigned_by, created_at
		FROM course_team_assignments WHERE course_id = $1 ORDER BY id`, courseID)
	if err != nil {
		return nil, fmt.Errorf("team assignments: %w", err)
	}
	defer rows.Close()
	out := []*training.TeamAssignment{}
	for rows.Next() {
		var t training.TeamAssignment
		var due, span, cr int64
		if err := rows.Scan(&t.ID, &t.CourseID, &t.TeamID, &due, &span, &t.AssignedBy, &cr); err != nil {
			return nil, fmt.Errorf("team assignments: %w", err)
		}
		t.DueAt, t.Span, t.CreatedAt = fromMicros(due), time.Duration(span)*time.Second, fromMicros(cr)
		out = append(out, &t)
	}
	return out, rows.Err()
}

// ExpandTeamAssignments assigns standing team courses to active members
// without a live assignment of them (members who joined since), due the
// team's span from now or the team's due date, whichever is later.
func (db *DB) ExpandTeamAssignments(ctx context.Context, now time.Time,
	notice func([]*training.Assignment) training.Notice) (int, error) {
	var made []*training.Assignment
	err := db.inTx(ctx, func(tx *txn) error {
		made = nil
		rows, err := tx.QueryContext(ctx, `SELECT ta.course_id, ta.team_id, ta.due_at, ta.span_seconds, ta.assigned_by, tm.agent_id
			FROM course_team_assignments ta JOIN team_members tm ON tm.team_id = ta.team_id
			JOIN agents a ON a.id = tm.agent_id AND a.active JOIN courses c ON c.id = ta.course_id AND c.active
			WHERE NOT EXISTS (SELECT 1 FROM course_assignments x WHERE x.course_id = ta.course_id AND x.agent_id = tm.agent_id
				AND x.state <> 'expired')
			ORDER BY ta.id, tm.agent_id LIMIT 1000`)
		if err != nil {
			return fmt.Errorf("team members to assign: %w", err)
		}
		var todo []*training.Assignment
		for rows.Next() {
			var course, team, due, span, by, agent int64
			if err := rows.Scan(&course, &team, &due, &span, &by, &agent); err != nil {
				rows.Close()
				return err
			}
			at := now.Add(time.Duration(span) * time.Second)
			if d := fromMicros(due); d.After(at) {
				at = d
			}
			todo = append(todo, &training.Assignment{CourseID: course, AgentID: agent, TeamID: &team, AssignedBy: &by,
				DueAt: at, State: training.StateAssigned, CreatedAt: now, UpdatedAt: now})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, x := range todo {
			ok, err := insertAssignment(ctx, tx, x)
			if err != nil {
				return err
			}
			if ok {
				made = append(made, x)
			}
		}
		if len(made) == 0 {
			return nil
		}
		return db.writeTrainingNotice(ctx, tx, notice(made))
	})
	return len(made), err
}

// RenewExpired closes up to limit completed certifications whose validity
// ran out and assigns each course again, due the span the expired
// assignment was given (at least a day) from now. It returns how many it
// closed.
func (db *DB) RenewExpired(ctx context.Context, now time.Time, limit int,
	notice func([]*training.Assignment) training.Notice) (int, error) {
	closed := 0
	err := db.inTx(ctx, func(tx *txn) error {
		closed = 0
		old, err := db.scanAssignments(ctx, tx, `WHERE x.state = 'completed' AND x.expires_at <= $1 ORDER BY x.expires_at,
			x.id LIMIT $2`, micros(now), limit)
		if err != nil {
			return err
		}
		var made []*training.Assignment
		for _, o := range old {
			if _, err := tx.ExecContext(ctx, `UPDATE course_assignments SET state = 'expired', updated_at = $2,
				version = version + 1 WHERE id = $1`, o.ID, micros(now)); err != nil {
				return fmt.Errorf("expire certification: %w", err)
			}
			closed++
			var active bool
			if err := tx.QueryRowContext(ctx, `SELECT a.active AND c.active FROM agents a, courses c WHERE a.id = $1 AND c.id = $2`,
				o.AgentID, o.CourseID).Scan(&active); err != nil {
				return fmt.Errorf("renew certification: %w", err)
			}
			if !active {
				continue
			}
			span := max(o.DueAt.Sub(o.CreatedAt), 24*time.Hour)
			x := &training.Assignment{CourseID: o.CourseID, AgentID: o.AgentID, TeamID: o.TeamID, AssignedBy: o.AssignedBy,
				DueAt: now.Add(span), State: training.StateAssigned, CreatedAt: now, UpdatedAt: now, CourseTitle: o.CourseTitle}
			ok, err := insertAssignment(ctx, tx, x)
			if err != nil {
				return err
			}
			if ok {
				made = append(made, x)
			}
		}
		if len(made) == 0 {
			return nil
		}
		return db.writeTrainingNotice(ctx, tx, notice(made))
	})
	return closed, err
}

// RemindDue marks and reminds, once each, open assignments that are
// overdue and those due before soon; it returns how many it reminded.
func (db *DB) RemindDue(ctx context.Context, now, soon time.Time, limit int,
	notice func(kind string, list []*training.Assignment) training.Notice) (int, error) {
	total := 0
	err := db.inTx(ctx, func(tx *txn) error {
		total = 0
		steps := []struct {
			kind, where, set string
			args             []any
		}{
			{training.KindOverdue, `x.due_at <= $1 AND NOT x.reminded_overdue`, `reminded_overdue = TRUE, reminded_due = TRUE`,
				[]any{micros(now)}},
			{training.KindDueSoon, `x.due_at > $1 AND x.due_at <= $2 AND NOT x.reminded_due`, `reminded_due = TRUE`,
				[]any{micros(now), micros(soon)}},
		}
		for _, st := range steps {
			args := append(st.args, limit)
			list, err := db.scanAssignments(ctx, tx, `WHERE x.state IN ('assigned', 'in_progress') AND `+st.where+
				fmt.Sprintf(` ORDER BY x.due_at, x.id LIMIT $%d`, len(args)), args...)
			if err != nil {
				return err
			}
			for _, x := range list {
				if _, err := tx.ExecContext(ctx, `UPDATE course_assignments SET `+st.set+` WHERE id = $1`, x.ID); err != nil {
					return fmt.Errorf("remind training: %w", err)
				}
			}
			if len(list) > 0 {
				if err := db.writeTrainingNotice(ctx, tx, notice(st.kind, list)); err != nil {
					return err
				}
			}
			total += len(list)
		}
		return nil
	})
	return total, err
}

// CriterionResults reads the criteria results of an agent's QA reviews
// made since.
func (db *DB) CriterionResults(ctx context.Context, agentID int64, since time.Time) ([]map[string]float64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT criteria FROM reviews WHERE agent_id = $1 AND created_at >= $2
		ORDER BY id DESC LIMIT 1000`, agentID, micros(since))
	if err != nil {
		return nil, fmt.Errorf("criterion results: %w", err)
	}
	defer rows.Close()
	out := []map[string]float64{}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("criterion results: %w", err)
		}
		m := map[string]float64{}
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return nil, fmt.Errorf("criterion results: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// QAScores sums an agent's QA reviews made in [from, to).
func (db *DB) QAScores(ctx context.Context, agentID int64, from, to time.Time) (*training.QASummary, error) {
	var s training.QASummary
	var avg, low sql.NullFloat64
	var crit sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*), AVG(score), SUM(CASE WHEN critical_failed THEN 1 ELSE 0 END),
		MIN(score) FROM reviews WHERE agent_id = $1 AND created_at >= $2 AND created_at < $3`,
		agentID, micros(from), micros(to)).Scan(&s.Reviews, &avg, &crit, &low)
	if err != nil {
		return nil, fmt.Errorf("qa scores: %w", err)
	}
	if avg.Valid {
		v := float64(int64(avg.Float64*100+0.5)) / 100
		s.Average = &v
	}
	if low.Valid {
		s.Lowest = &low.Float64
	}
	s.CriticalFailed = int(crit.Int64)
	return &s, nil
}
