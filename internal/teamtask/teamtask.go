// Package teamtask owns the teams' task boards: a team's own initiatives
// (process changes, knowledge gaps, follow-ups with other departments) as
// cards in three columns, with owners, due dates and linked tickets. The
// board is the team's: its members see it; its leads, supervisors and a
// card's owner change cards; every change is at the card's version.
package teamtask

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Columns of a board, in order.
const (
	ToDo  = "todo"
	Doing = "doing"
	Done  = "done"
)

// Columns lists the board's columns in order.
var Columns = []string{ToDo, Doing, Done}

// Task is a card on a team's board.
type Task struct {
	ID          int64      `json:"id"`
	TeamID      int64      `json:"team_id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Status      string     `json:"status"`
	OwnerID     *int64     `json:"owner_id"`
	DueAt       *time.Time `json:"due_at"`
	TicketIDs   []int64    `json:"ticket_ids"`
	CreatedBy   int64      `json:"created_by"`
	Version     int64      `json:"version"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// CurrentVersion is the card's version, for ETags.
func (t *Task) CurrentVersion() int64 { return t.Version }

// Patch changes a card; nil fields stay. OwnerID 0 and a zero DueAt clear.
type Patch struct {
	Title       *string    `json:"title"`
	Description *string    `json:"description"`
	Status      *string    `json:"status"`
	OwnerID     *int64     `json:"owner_id"`
	DueAt       *time.Time `json:"due_at"`
	TicketIDs   *[]int64   `json:"ticket_ids"`
}

// Store keeps the cards. Missing ones are ENOTFOUND; a write at another
// version is ESTALE.
type Store interface {
	Team(ctx context.Context, id int64) (*people.Team, error)
	CreateTask(ctx context.Context, t *Task) error
	Task(ctx context.Context, id int64) (*Task, error)
	// TeamTasks lists a team's cards by column, then due date, then id.
	TeamTasks(ctx context.Context, teamID int64) ([]*Task, error)
	// UpdateTask writes every field of t at t.Version.
	UpdateTask(ctx context.Context, t *Task) error
}

// Tickets is what links need: the ticket as the actor may see it.
type Tickets interface {
	Get(ctx context.Context, id int64) (*ticket.Ticket, error)
}

// Service runs the boards.
type Service struct {
	store   Store
	tickets Tickets
	clock   desk.Clock
}

// NewService returns the boards' service.
func NewService(s Store, tickets Tickets, clock desk.Clock) *Service {
	return &Service{store: s, tickets: tickets, clock: clock}
}

// board is the team as the actor may see it (ENOTFOUND otherwise) and
// whether they lead it (its lead, a member with reports:team, or a
// supervisor with reports:read_all).
func (s *Service) board(ctx context.Context, teamID int64) (desk.Actor, *people.Team, bool, error) {
	a, err := desk.Require(ctx, auth.TicketsRead)
	if err != nil {
		return a, nil, false, err
	}
	tm, err := s.store.Team(ctx, teamID)
	if err != nil {
		return a, nil, false, err
	}
	member := a.InTeam(teamID) || slices.Contains(tm.MemberIDs, a.ID)
	lead := (tm.LeadID != nil && *tm.LeadID == a.ID) || (member && a.Can(auth.ReportsTeam)) || a.Can(auth.ReportsReadAll)
	if !member && !lead {
		return a, nil, false, desk.E(desk.ENOTFOUND, "tasks.error.team_not_found", teamID)
	}
	return a, tm, lead, nil
}

// Board returns a team's cards, to its members, leads and supervisors;
// lead says whether the actor may add and change every card.
func (s *Service) Board(ctx context.Context, teamID int64) (tasks []*Task, team *people.Team, lead bool, err error) {
	_, tm, lead, err := s.board(ctx, teamID)
	if err != nil {
		return nil, nil, false, err
	}
	list, err := s.store.TeamTasks(ctx, teamID)
	return list, tm, lead, err
}

// Task returns one card to whoever sees its board.
func (s *Service) Task(ctx context.Context, id int64) (*Task, error) {
	t, err := s.store.Task(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, _, _, err := s.board(ctx, t.TeamID); err != nil {
		return nil, desk.E(desk.ENOTFOUND, "tasks.error.not_found", id)
	}
	return t, nil
}

// Create adds a card to a team's board, by its leads or a supervisor.
func (s *Service) Create(ctx context.Context, teamID int64, p Patch) (*Task, error) {
	a, tm, lead, err := s.board(ctx, teamID)
	if err != nil {
		return nil, err
	}
	if !lead {
		return nil, desk.E(desk.EFORBIDDEN, "tasks.error.not_lead")
	}
	now := s.clock.Now()
	t := &Task{TeamID: teamID, Status: ToDo, TicketIDs: []int64{}, CreatedBy: a.ID, CreatedAt: now, UpdatedAt: now}
	if p.Title == nil {
		p.Title = new(string) // a title is required: apply says so
	}
	if err := s.apply(ctx, tm, t, p); err != nil {
		return nil, err
	}
	if err := s.store.CreateTask(ctx, t); err != nil {
		return nil, fmt.Errorf("create task: %w", err)
	}
	return t, nil
}

// Update changes a card (moving it is a change of status) at ifVersion
// (0: any), by the team's leads, a supervisor or the card's owner.
func (s *Service) Update(ctx context.Context, id, ifVersion int64, p Patch) (*Task, error) {
	var out *Task
	err := desk.Optimistic(ifVersion, func() error {
		t, err := s.Task(ctx, id)
		if err != nil {
			return err
		}
		a, tm, lead, err := s.board(ctx, t.TeamID)
		if err != nil {
			return err
		}
		if !lead && (t.OwnerID == nil || *t.OwnerID != a.ID) {
			return desk.E(desk.EFORBIDDEN, "tasks.error.not_yours")
		}
		if err := desk.CheckVersion(ifVersion, t.Version); err != nil {
			return err
		}
		if err := s.apply(ctx, tm, t, p); err != nil {
			return err
		}
		t.UpdatedAt = s.clock.Now()
		if err := s.store.UpdateTask(ctx, t); err != nil {
			return err
		}
		out = t
		return nil
	})
	return out, err
}

// apply checks and applies a patch: a title, a known column, an owner who
// is of the team, a sensible due date, tickets the actor sees.
func (s *Service) apply(ctx context.Context, tm *people.Team, t *Task, p Patch) error {
	f := desk.Fields{}
	if p.Title != nil {
		t.Title = strings.TrimSpace(*p.Title)
		switch {
		case t.Title == "":
			f["title"] = desk.M("invalid.required")
		case len([]rune(t.Title)) > 200:
			f["title"] = desk.M("invalid.too_long")
		}
	}
	if p.Description != nil {
		t.Description = strings.TrimSpace(strings.ReplaceAll(*p.Description, "\r\n", "\n"))
		if len([]rune(t.Description)) > 5000 {
			f["description"] = desk.M("invalid.too_long")
		}
	}
	if p.Status != nil {
		if !slices.Contains(Columns, *p.Status) {
			f["status"] = desk.M("invalid.one_of", strings.Join(Columns, ", "))
		}
		t.Status = *p.Status
	}
	if p.OwnerID != nil {
		switch {
		case *p.OwnerID == 0:
			t.OwnerID = nil
		case !slices.Contains(tm.MemberIDs, *p.OwnerID) && (tm.LeadID == nil || *tm.LeadID != *p.OwnerID):
			f["owner_id"] = desk.M("tasks.invalid.owner")
		default:
			id := *p.OwnerID
			t.OwnerID = &id
		}
	}
	if p.DueAt != nil {
		now := s.clock.Now()
		switch d := p.DueAt.UTC(); {
		case d.IsZero():
			t.DueAt = nil
		case d.Before(now.AddDate(-1, 0, 0)) || d.After(now.AddDate(5, 0, 0)):
			f["due_at"] = desk.M("quality.invalid.due_range")
		default:
			t.DueAt = &d
		}
	}
	if p.TicketIDs != nil {
		list := slices.Compact(slices.Sorted(slices.Values(*p.TicketIDs)))
		if len(list) > 50 {
			f["ticket_ids"] = desk.M("invalid.at_most", 50)
		}
		for _, id := range list {
			if _, err := s.tickets.Get(ctx, id); err != nil {
				if desk.ErrorCode(err) != desk.ENOTFOUND {
					return err
				}
				f["ticket_ids"] = desk.M("invalid.no_ticket")
			}
		}
		t.TicketIDs = append([]int64{}, list...)
	}
	if len(f) > 0 {
		return desk.Invalid(f)
	}
	return nil
}
