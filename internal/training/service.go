package training

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/notify"
	"github.com/sahayak/sahayak/internal/people"
)

// Store keeps courses and assignments. Missing ones are ENOTFOUND; a write
// expecting another version is ESTALE.
type Store interface {
	Courses(ctx context.Context) ([]*Course, error) // by title, then id
	Course(ctx context.Context, id int64) (*Course, error)
	CreateCourse(ctx context.Context, c *Course) error
	// UpdateCourse writes c at c.Version.
	UpdateCourse(ctx context.Context, c *Course) error
	// Assign writes the team assignments and the agents' assignments, with
	// the notice, in one transaction; an agent who already has a live
	// assignment of the course is left out (and not in the returned list).
	Assign(ctx context.Context, teams []*TeamAssignment, list []*Assignment, notice func([]*Assignment) Notice) ([]*Assignment, error)
	Assignment(ctx context.Context, id int64) (*Assignment, error)
	Assignments(ctx context.Context, f AssignmentFilter) ([]*Assignment, error)
	// ChangeAssignment writes progress and state at a.Version, the quiz
	// attempt when there is one, and the notice, in one transaction.
	ChangeAssignment(ctx context.Context, a *Assignment, attempt *Attempt, n Notice) error
	TeamAssignments(ctx context.Context, courseID int64) ([]*TeamAssignment, error)
	// Sweep runs the periodic work in one transaction per step; see Sweep.
	ExpandTeamAssignments(ctx context.Context, now time.Time, notice func([]*Assignment) Notice) (int, error)
	RenewExpired(ctx context.Context, now time.Time, limit int, notice func([]*Assignment) Notice) (int, error)
	RemindDue(ctx context.Context, now, soon time.Time, limit int, notice func(kind string, a []*Assignment) Notice) (int, error)
	// CriterionResults are the criteria results (0 to 1) of an agent's QA
	// reviews made since.
	CriterionResults(ctx context.Context, agentID int64, since time.Time) ([]map[string]float64, error)
	Agent(ctx context.Context, id int64) (*people.Agent, error)
	Team(ctx context.Context, id int64) (*people.Team, error)
	Teams(ctx context.Context) ([]*people.Team, error)
}

// Notice is what a change tells: an event and the notifications it
// causes, written with the change.
type Notice struct {
	Event  event.Event
	Notify []*notify.Notification
}

// Event kinds and notification kinds.
const (
	EventAssigned  = "training.assigned"
	EventCompleted = "training.completed"
	EventReminded  = "training.reminded"
	KindAssigned   = "training_assigned"
	KindDueSoon    = "training_due"
	KindOverdue    = "training_overdue"
	KindCompleted  = "training_completed"
)

// Service runs courses, assignments and performance reviews.
type Service struct {
	store  Store
	perf   PerfStore
	facts  FactSources
	clock  desk.Clock
	render *Renderer
}

// AllStore is everything the service keeps.
type AllStore interface {
	Store
	PerfStore
}

// NewService returns the training service; facts tells performance reviews
// the figures of other packages.
func NewService(s AllStore, facts FactSources, clock desk.Clock) *Service {
	return &Service{store: s, perf: s, facts: facts, clock: clock, render: NewRenderer()}
}

// Markdown renders a module's body as sanitized HTML.
func (s *Service) Markdown(src string) string { return s.render.HTML(src) }

// Courses lists every course, for authors.
func (s *Service) Courses(ctx context.Context) ([]*Course, error) {
	if _, err := desk.Require(ctx, auth.TrainingManage); err != nil {
		return nil, err
	}
	return s.store.Courses(ctx)
}

// Course returns a course for its authors.
func (s *Service) Course(ctx context.Context, id int64) (*Course, error) {
	if _, err := desk.Require(ctx, auth.TrainingManage); err != nil {
		return nil, err
	}
	return s.store.Course(ctx, id)
}

// CreateCourse validates and writes a course.
func (s *Service) CreateCourse(ctx context.Context, c Course) (*Course, error) {
	if _, err := desk.Require(ctx, auth.TrainingManage); err != nil {
		return nil, err
	}
	if c.PassMark == 0 {
		c.PassMark = 80
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	c.CreatedAt, c.UpdatedAt = now, now
	if err := s.store.CreateCourse(ctx, &c); err != nil {
		return nil, fmt.Errorf("create course: %w", err)
	}
	return &c, nil
}

// UpdateCourse applies change to the course at ifVersion (0: any). Module
// keys stay, so progress made survives the edit.
func (s *Service) UpdateCourse(ctx context.Context, id, ifVersion int64, change func(*Course) error) (*Course, error) {
	if _, err := desk.Require(ctx, auth.TrainingManage); err != nil {
		return nil, err
	}
	var out *Course
	err := desk.Optimistic(ifVersion, func() error {
		c, err := s.store.Course(ctx, id)
		if err != nil {
			return err
		}
		if err := desk.CheckVersion(ifVersion, c.Version); err != nil {
			return err
		}
		if err := change(c); err != nil {
			return err
		}
		if err := c.Validate(); err != nil {
			return err
		}
		c.UpdatedAt = s.clock.Now()
		if err := s.store.UpdateCourse(ctx, c); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

// NewAssignment assigns a course to agents and whole teams.
type NewAssignment struct {
	CourseID int64     `json:"course_id"`
	AgentIDs []int64   `json:"agent_ids"`
	TeamIDs  []int64   `json:"team_ids"`
	DueAt    time.Time `json:"due_at"`
}

// TeamAssignment is a course assigned to a team. It stands: members who
// join the team later are assigned the course by the periodic sweep, due
// the same span after they are found as the team was given (or by the
// team's due date when that is later).
type TeamAssignment struct {
	ID         int64     `json:"id"`
	CourseID   int64     `json:"course_id"`
	TeamID     int64     `json:"team_id"`
	DueAt      time.Time `json:"due_at"`
	Span       time.Duration
	AssignedBy int64     `json:"assigned_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// AssignResult is what an assignment made: the new assignments, and the
// agents left out because they already have the course.
type AssignResult struct {
	Assigned []*Assignment `json:"assigned"`
	Skipped  []int64       `json:"skipped_agent_ids"`
}

// Assign gives a course to agents and to the current members of teams
// (who join later get it too; see TeamAssignment). The due date must be in
// the future, the course active with modules, every agent active; the
// agents are told.
func (s *Service) Assign(ctx context.Context, in NewAssignment) (*AssignResult, error) {
	a, err := desk.Require(ctx, auth.TrainingManage)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	f := desk.Fields{}
	if in.DueAt.IsZero() || !in.DueAt.After(now) {
		f["due_at"] = desk.M("training.invalid.due_past")
	} else if in.DueAt.After(now.AddDate(2, 0, 0)) {
		f["due_at"] = desk.M("training.invalid.due_far")
	}
	c, err := s.store.Course(ctx, in.CourseID)
	switch {
	case desk.ErrorCode(err) == desk.ENOTFOUND:
		f["course_id"] = desk.M("training.invalid.no_course")
	case err != nil:
		return nil, err
	case !c.Active:
		f["course_id"] = desk.M("training.invalid.course_inactive")
	case len(c.Modules) == 0:
		f["course_id"] = desk.M("training.invalid.course_empty")
	}
	if len(in.AgentIDs)+len(in.TeamIDs) == 0 {
		f["agent_ids"] = desk.M("training.invalid.no_assignee")
	}
	if len(in.AgentIDs) > 500 || len(in.TeamIDs) > 50 {
		f["agent_ids"] = desk.M("invalid.at_most", 500)
	}
	agents := []int64{}
	for i, id := range in.AgentIDs {
		ag, err := s.store.Agent(ctx, id)
		if err != nil && desk.ErrorCode(err) != desk.ENOTFOUND {
			return nil, err
		}
		if err != nil || !ag.Active {
			f[fmt.Sprintf("agent_ids[%d]", i)] = desk.M("training.invalid.agent_gone", id)
			continue
		}
		agents = append(agents, id)
	}
	var teams []*TeamAssignment
	fromTeam := map[int64]int64{}
	for i, id := range in.TeamIDs {
		tm, err := s.store.Team(ctx, id)
		if desk.ErrorCode(err) == desk.ENOTFOUND {
			f[fmt.Sprintf("team_ids[%d]", i)] = desk.M("invalid.no_team")
			continue
		} else if err != nil {
			return nil, err
		}
		teams = append(teams, &TeamAssignment{CourseID: in.CourseID, TeamID: id, DueAt: in.DueAt,
			Span: in.DueAt.Sub(now), AssignedBy: a.ID, CreatedAt: now})
		for _, m := range tm.MemberIDs {
			ag, err := s.store.Agent(ctx, m)
			if err != nil || !ag.Active {
				continue // a deactivated member is not assigned
			}
			if _, ok := fromTeam[m]; !ok {
				fromTeam[m] = id
				agents = append(agents, m)
			}
		}
	}
	if len(f) > 0 {
		return nil, desk.Invalid(f)
	}
	slices.Sort(agents)
	agents = slices.Compact(agents)
	list := make([]*Assignment, 0, len(agents))
	for _, id := range agents {
		x := &Assignment{CourseID: c.ID, AgentID: id, AssignedBy: &a.ID, DueAt: in.DueAt, State: StateAssigned,
			Progress: map[string]*ModuleProgress{}, CreatedAt: now, UpdatedAt: now, CourseTitle: c.Title}
		if t, ok := fromTeam[id]; ok && !slices.Contains(in.AgentIDs, id) {
			x.TeamID = &t
		}
		list = append(list, x)
	}
	made, err := s.store.Assign(ctx, teams, list, func(l []*Assignment) Notice { return s.notice(a, EventAssigned, KindAssigned, l) })
	if err != nil {
		return nil, fmt.Errorf("assign course: %w", err)
	}
	res := &AssignResult{Assigned: made, Skipped: []int64{}}
	got := map[int64]bool{}
	for _, x := range made {
		got[x.AgentID] = true
	}
	for _, id := range agents {
		if !got[id] {
			res.Skipped = append(res.Skipped, id)
		}
	}
	return res, nil
}

// TeamAssignments lists a course's standing team assignments.
func (s *Service) TeamAssignments(ctx context.Context, courseID int64) ([]*TeamAssignment, error) {
	if _, err := desk.Require(ctx, auth.TrainingManage); err != nil {
		return nil, err
	}
	return s.store.TeamAssignments(ctx, courseID)
}

// notice builds the event of assignments changing and a notification for
// each of their agents (never the actor).
func (s *Service) notice(a desk.Actor, kind, notifKind string, list []*Assignment) Notice {
	ids := make([]int64, 0, len(list))
	for _, x := range list {
		ids = append(ids, x.ID)
	}
	ev := event.New(kind, 0, map[string]any{"assignment_ids": ids})
	ev.ActorKind, ev.ActorID, ev.CreatedAt = a.Kind, a.ID, s.clock.Now()
	if a.Kind == desk.ActorSystem {
		ev.ActorKind, ev.ActorID = desk.ActorSystem, 0
	}
	n := Notice{Event: ev}
	for _, x := range list {
		if x.AgentID == a.ID && a.Kind == desk.ActorAgent {
			continue
		}
		n.Notify = append(n.Notify, &notify.Notification{AgentID: x.AgentID, Kind: notifKind,
			Body: strconv.FormatInt(x.ID, 10), CreatedAt: ev.CreatedAt})
	}
	return n
}
