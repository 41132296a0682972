package training

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/notify"
)

// Assignment states: assigned until the agent starts, in progress until
// every module is done, completed; a completed certification that runs out
// is expired (and a new assignment replaces it).
const (
	StateAssigned   = "assigned"
	StateInProgress = "in_progress"
	StateCompleted  = "completed"
	StateExpired    = "expired"
)

// Assignment is one agent's run through a course.
type Assignment struct {
	ID         int64     `json:"id"`
	CourseID   int64     `json:"course_id"`
	AgentID    int64     `json:"agent_id"`
	TeamID     *int64    `json:"team_id"` // the team it reached the agent through
	AssignedBy *int64    `json:"assigned_by"`
	DueAt      time.Time `json:"due_at"`
	State      string    `json:"state"`
	// Progress is by module key.
	Progress map[string]*ModuleProgress `json:"progress"`
	// Score is the mean of the course's quiz scores, once completed.
	Score       *float64   `json:"score"`
	Attempts    int        `json:"attempts"`
	CompletedAt *time.Time `json:"completed_at"`
	ExpiresAt   *time.Time `json:"expires_at"`
	Version     int64      `json:"version"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	// CourseTitle and Modules are read with the assignment, for lists.
	CourseTitle string `json:"course_title"`
	Modules     int    `json:"modules"`
}

// CurrentVersion is the assignment's version, for ETags.
func (a *Assignment) CurrentVersion() int64 { return a.Version }

// Open reports whether the agent may still work on it.
func (a *Assignment) Open() bool { return a.State == StateAssigned || a.State == StateInProgress }

// Overdue reports whether it is open past its due time.
func (a *Assignment) Overdue(now time.Time) bool { return a.Open() && now.After(a.DueAt) }

// Done counts the modules done.
func (a *Assignment) Done() int {
	n := 0
	for _, p := range a.Progress {
		if p.Done {
			n++
		}
	}
	return n
}

// Percent is the share of modules done.
func (a *Assignment) Percent() int {
	if a.State == StateCompleted {
		return 100
	}
	if a.Modules == 0 {
		return 0
	}
	return min(100, a.Done()*100/a.Modules)
}

// ModuleProgress is what an agent did of one module.
type ModuleProgress struct {
	Done      bool       `json:"done"`
	Score     *float64   `json:"score,omitempty"` // the best quiz score
	Attempts  int        `json:"attempts"`
	DoneAt    *time.Time `json:"done_at,omitempty"`
	LastScore *float64   `json:"last_score,omitempty"`
}

// Attempt is one go at a module's quiz.
type Attempt struct {
	AssignmentID int64     `json:"assignment_id"`
	ModuleKey    string    `json:"module_key"`
	Answers      [][]int   `json:"answers"`
	Score        float64   `json:"score"`
	Passed       bool      `json:"passed"`
	Right        []bool    `json:"right"`
	CreatedAt    time.Time `json:"created_at"`
}

// AssignmentFilter narrows a list of assignments, newest first below
// BeforeID.
type AssignmentFilter struct {
	AgentID  *int64
	TeamID   *int64 // the team's current members
	CourseID *int64
	State    string
	BeforeID int64
	Limit    int
}

// Assignments lists assignments: an agent without training:manage sees
// only their own.
func (s *Service) Assignments(ctx context.Context, f AssignmentFilter) ([]*Assignment, error) {
	a, err := desk.Require(ctx, "")
	if err != nil {
		return nil, err
	}
	if !a.Can(auth.TrainingManage) {
		if f.AgentID != nil && *f.AgentID != a.ID {
			return []*Assignment{}, nil
		}
		f.AgentID, f.TeamID = &a.ID, nil
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	return s.store.Assignments(ctx, f)
}

// Assignment returns an assignment its agent, or a holder of
// training:manage, may read; to anyone else it does not exist.
func (s *Service) Assignment(ctx context.Context, id int64) (*Assignment, error) {
	a, err := desk.Require(ctx, "")
	if err != nil {
		return nil, err
	}
	x, err := s.store.Assignment(ctx, id)
	if err != nil {
		return nil, err
	}
	if x.AgentID != a.ID && !a.Can(auth.TrainingManage) {
		return nil, desk.E(desk.ENOTFOUND, "training.error.assignment_not_found", id)
	}
	return x, nil
}

// CourseOf is an assignment's course as its reader may see it: the correct
// answers only for authors.
func (s *Service) CourseOf(ctx context.Context, x *Assignment) (*Course, error) {
	a, err := desk.Require(ctx, "")
	if err != nil {
		return nil, err
	}
	c, err := s.store.Course(ctx, x.CourseID)
	if err != nil {
		return nil, err
	}
	if a.Can(auth.TrainingManage) {
		return c, nil
	}
	return c.WithoutAnswers(), nil
}

// MarkRead marks a module without a quiz done, by the assignment's agent.
func (s *Service) MarkRead(ctx context.Context, id, ifVersion int64, key string) (*Assignment, error) {
	x, _, err := s.progress(ctx, id, ifVersion, key, func(m *Module, p *ModuleProgress, now time.Time) (*Attempt, error) {
		if m.HasQuiz() {
			return nil, desk.E(desk.EUNPROCESSABLE, "training.error.take_quiz")
		}
		if !p.Done {
			p.Done, p.DoneAt = true, &now
		}
		return nil, nil
	})
	return x, err
}

// SubmitQuiz scores a module's quiz on the server, by the assignment's
// agent; a score at or above the course's pass mark passes the module.
// Every attempt is kept; a module passed stays passed.
func (s *Service) SubmitQuiz(ctx context.Context, id, ifVersion int64, key string, answers [][]int) (*Assignment, *Attempt, error) {
	return s.progress(ctx, id, ifVersion, key, func(m *Module, p *ModuleProgress, now time.Time) (*Attempt, error) {
		if !m.HasQuiz() {
			return nil, desk.E(desk.EUNPROCESSABLE, "training.error.no_quiz")
		}
		score, right, err := Grade(m.Questions, answers)
		if err != nil {
			return nil, err
		}
		at := &Attempt{ModuleKey: key, Answers: answers, Score: score, Right: right, CreatedAt: now}
		p.Attempts++
		p.LastScore = &score
		if p.Score == nil || score > *p.Score {
			p.Score = &score
		}
		return at, nil
	})
}

// progress reads the agent's own open assignment and its course, lets fn
// change one module's progress, settles completion and writes it.
func (s *Service) progress(ctx context.Context, id, ifVersion int64, key string,
	fn func(*Module, *ModuleProgress, time.Time) (*Attempt, error)) (*Assignment, *Attempt, error) {
	a, err := desk.Require(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	var out *Assignment
	var outAttempt *Attempt
	err = desk.Optimistic(ifVersion, func() error {
		x, err := s.store.Assignment(ctx, id)
		if err != nil {
			return err
		}
		if x.AgentID != a.ID {
			if a.Can(auth.TrainingManage) {
				return desk.E(desk.EFORBIDDEN, "training.error.not_your_course")
			}
			return desk.E(desk.ENOTFOUND, "training.error.assignment_not_found", id)
		}
		if err := desk.CheckVersion(ifVersion, x.Version); err != nil {
			return err
		}
		if !x.Open() {
			return desk.E(desk.EUNPROCESSABLE, "training.error.closed", x.State)
		}
		c, err := s.store.Course(ctx, x.CourseID)
		if err != nil {
			return err
		}
		m, ok := c.Module(key)
		if !ok {
			return desk.E(desk.ENOTFOUND, "training.error.module_not_found", key)
		}
		now := s.clock.Now()
		if x.Progress == nil {
			x.Progress = map[string]*ModuleProgress{}
		}
		p := x.Progress[key]
		if p == nil {
			p = &ModuleProgress{}
			x.Progress[key] = p
		}
		at, err := fn(m, p, now)
		if err != nil {
			return err
		}
		if at != nil {
			at.AssignmentID = x.ID
			at.Passed = at.Score >= float64(c.PassMark)
			x.Attempts++
			if at.Passed && !p.Done {
				p.Done, p.DoneAt = true, &now
			}
		}
		n := Notice{}
		x.State = StateInProgress
		if complete(c, x) {
			x.State, x.CompletedAt = StateCompleted, &now
			x.Score = meanScore(c, x)
			if c.ValidDays > 0 {
				exp := now.AddDate(0, 0, c.ValidDays)
				x.ExpiresAt = &exp
			}
			n = s.completedNotice(a, x)
		}
		x.UpdatedAt = now
		if err := s.store.ChangeAssignment(ctx, x, at, n); err != nil {
			return err
		}
		out, outAttempt = x, at
		return nil
	})
	return out, outAttempt, err
}

// completedNotice tells whoever assigned the course that it is done.
func (s *Service) completedNotice(a desk.Actor, x *Assignment) Notice {
	ev := event.New(EventCompleted, 0, map[string]any{"assignment_id": x.ID, "course_id": x.CourseID, "agent_id": x.AgentID})
	ev.ActorKind, ev.ActorID, ev.CreatedAt = a.Kind, a.ID, s.clock.Now()
	n := Notice{Event: ev}
	if x.AssignedBy != nil && *x.AssignedBy != a.ID {
		n.Notify = []*notify.Notification{{AgentID: *x.AssignedBy, Kind: KindCompleted,
			Body: strconv.FormatInt(x.ID, 10), CreatedAt: ev.CreatedAt}}
	}
	return n
}

// complete reports whether every module of the course is done.
func complete(c *Course, x *Assignment) bool {
	if len(c.Modules) == 0 {
		return false
	}
	for _, m := range c.Modules {
		if p := x.Progress[m.Key]; p == nil || !p.Done {
			return false
		}
	}
	return true
}

// meanScore is the mean best score of the course's quizzes (nil without
// any).
func meanScore(c *Course, x *Assignment) *float64 {
	var sum float64
	n := 0
	for _, m := range c.Modules {
		if p := x.Progress[m.Key]; m.HasQuiz() && p != nil && p.Score != nil {
			sum += *p.Score
			n++
		}
	}
	if n == 0 {
		return nil
	}
	v := math.Round(sum/float64(n)*100) / 100
	return &v
}
