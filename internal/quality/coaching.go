package quality

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/notify"
)

// CoachingSession is a 1:1 of a coach with an agent: plain-text notes (the
// pages show them as text, never as HTML), the reviews and tickets talked
// about, and action items.
type CoachingSession struct {
	ID        int64        `json:"id"`
	AgentID   int64        `json:"agent_id"`
	CoachID   int64        `json:"coach_id"`
	HeldAt    time.Time    `json:"held_at"`
	Notes     string       `json:"notes"`
	ReviewIDs []int64      `json:"review_ids"`
	TicketIDs []int64      `json:"ticket_ids"`
	Actions   []ActionItem `json:"actions"`
	Version   int64        `json:"version"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// CurrentVersion is the session's version, for ETags.
func (c *CoachingSession) CurrentVersion() int64 { return c.Version }

// ActionItem is something one person (the agent, the coach or anyone
// else) is to do by a date.
type ActionItem struct {
	ID        int64      `json:"id"`
	SessionID int64      `json:"session_id"`
	Title     string     `json:"title"`
	OwnerID   int64      `json:"owner_id"`
	DueAt     time.Time  `json:"due_at"`
	DoneAt    *time.Time `json:"done_at"`
	Version   int64      `json:"version"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// CurrentVersion is the item's version, for ETags.
func (x *ActionItem) CurrentVersion() int64 { return x.Version }

// NewActionItem is an action item as a coach writes it.
type NewActionItem struct {
	Title   string     `json:"title"`
	OwnerID int64      `json:"owner_id"`
	DueAt   *time.Time `json:"due_at"`
}

// NewCoachingSession is what a coach sends.
type NewCoachingSession struct {
	AgentID   int64           `json:"agent_id"`
	HeldAt    *time.Time      `json:"held_at"`
	Notes     string          `json:"notes"`
	ReviewIDs []int64         `json:"review_ids"`
	TicketIDs []int64         `json:"ticket_ids"`
	Actions   []NewActionItem `json:"actions"`
}

// CoachingPatch changes a session; nil fields stay.
type CoachingPatch struct {
	HeldAt    *time.Time `json:"held_at"`
	Notes     *string    `json:"notes"`
	ReviewIDs *[]int64   `json:"review_ids"`
	TicketIDs *[]int64   `json:"ticket_ids"`
}

// CoachingFilter narrows a list of sessions, newest first below BeforeID.
type CoachingFilter struct {
	AgentID  *int64
	CoachID  *int64
	From, To *time.Time // on held_at
	BeforeID int64
	Limit    int
}

// CoachingStore keeps coaching sessions. Missing ones are ENOTFOUND; a
// write at another version is ESTALE.
type CoachingStore interface {
	// CreateCoachingSession writes the session, its action items and the
	// notifications in one transaction.
	CreateCoachingSession(ctx context.Context, c *CoachingSession, n []*notify.Notification) error
	CoachingSession(ctx context.Context, id int64) (*CoachingSession, error)
	CoachingSessions(ctx context.Context, f CoachingFilter) ([]*CoachingSession, error)
	// UpdateCoachingSession writes held_at, notes and links at c.Version.
	UpdateCoachingSession(ctx context.Context, c *CoachingSession) error
	AddActionItem(ctx context.Context, x *ActionItem, n []*notify.Notification) error
	ActionItem(ctx context.Context, id int64) (*ActionItem, error)
	// SetActionDone writes done_at at x.Version.
	SetActionDone(ctx context.Context, x *ActionItem) error
	// RemindActions claims the open items due before soon that were not yet
	// reminded at their stage ('soon' before due, 'overdue' after it) and
	// writes an event and a notification for each; it returns how many.
	RemindActions(ctx context.Context, now, soon time.Time, limit int, notice func(x *ActionItem, stage string) Notice) (int, error)
	// CoachingTeams returns the teams the agent is a member of, with their leads.
	CoachingTeams(ctx context.Context, agentID int64) ([]TeamRef, error)
}

// TeamRef is a team as coaching privacy needs it.
type TeamRef struct {
	ID     int64
	LeadID int64
}

// Coaching event kinds; notifications use the part after "coaching.".
const (
	EventCoachingSession = "coaching.session"
	EventActionDueSoon   = "coaching.action_due_soon"
	EventActionOverdue   = "coaching.action_overdue"
)

// ReminderLead is how long before an action item's due time its owner is
// reminded it is due soon.
const ReminderLead = 24 * time.Hour

// CoachingBody is what a coaching notification's body holds (JSON).
type CoachingBody struct {
	SessionID int64  `json:"session_id"`
	Title     string `json:"title,omitempty"`
}

// mayCoach reports whether the actor may hold (and read) the agent's
// coaching: a supervisor (coaching:write with reports:read_all), or a
// holder of coaching:write who leads or shares one of the agent's teams.
func (s *Service) mayCoach(ctx context.Context, a desk.Actor, agentID int64) (bool, error) {
	if !a.Can(auth.CoachingWrite) || a.ID == agentID {
		return false, nil
	}
	if a.Can(auth.ReportsReadAll) || a.Kind == desk.ActorSystem {
		return true, nil
	}
	teams, err := s.coaching.CoachingTeams(ctx, agentID)
	if err != nil {
		return false, err
	}
	for _, t := range teams {
		if t.LeadID == a.ID || a.InTeam(t.ID) {
			return true, nil
		}
	}
	return false, nil
}

// maySeeCoaching: the agent, the session's coach, their leads and
// supervisors.
func (s *Service) maySeeCoaching(ctx context.Context, a desk.Actor, c *CoachingSession) (bool, error) {
	if c.AgentID == a.ID || c.CoachID == a.ID {
		return true, nil
	}
	return s.mayCoach(ctx, a, c.AgentID)
}

// cleanNotes checks multi-line plain text: no control characters but line
// breaks and tabs, at most 20,000 characters.
func cleanNotes(s string) (string, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
			return "", false
		}
	}
	return s, len([]rune(s)) <= 20000
}

// checkAction puts into f what is wrong with an action item: a title, an
// active owner, a due date that is a real date within five years.
func (s *Service) checkAction(ctx context.Context, in *NewActionItem, at string, f desk.Fields) error {
	in.Title = strings.TrimSpace(in.Title)
	switch {
	case in.Title == "":
		f[at+"title"] = desk.M("invalid.required")
	case len([]rune(in.Title)) > maxNameRunes:
		f[at+"title"] = desk.M("invalid.too_long")
	}
	if in.OwnerID == 0 {
		f[at+"owner_id"] = desk.M("quality.invalid.action_owner")
	} else if ag, err := s.store.Agent(ctx, in.OwnerID); err != nil || !ag.Active {
		if err != nil && desk.ErrorCode(err) != desk.ENOTFOUND {
			return err
		}
		f[at+"owner_id"] = desk.M("invalid.no_agent")
	}
	now := s.clock.Now()
	switch {
	case in.DueAt == nil || in.DueAt.IsZero():
		f[at+"due_at"] = desk.M("quality.invalid.action_due")
	case in.DueAt.Before(now.AddDate(-1, 0, 0)) || in.DueAt.After(now.AddDate(5, 0, 0)):
		f[at+"due_at"] = desk.M("quality.invalid.due_range")
	}
	return nil
}

// checkLinks puts into f the reviews and tickets the actor may not see.
func (s *Service) checkLinks(ctx context.Context, reviewIDs, ticketIDs []int64, f desk.Fields) error {
	if len(reviewIDs) > 50 || len(ticketIDs) > 50 {
		f["ticket_ids"] = desk.M("invalid.at_most", 50)
		return nil
	}
	for _, id := range reviewIDs {
		if _, err := s.Review(ctx, id); err != nil {
			if desk.ErrorCode(err) != desk.ENOTFOUND {
				return err
			}
			f["review_ids"] = desk.M("quality.invalid.no_review", id)
		}
	}
	for _, id := range ticketIDs {
		if _, err := s.tickets.Get(ctx, id); err != nil {
			if desk.ErrorCode(err) != desk.ENOTFOUND {
				return err
			}
			f["ticket_ids"] = desk.M("invalid.no_ticket")
		}
	}
	return nil
}

func ids(in []int64) []int64 {
	out := slices.Compact(slices.Sorted(slices.Values(in)))
	if out == nil {
		out = []int64{}
	}
	return out
}

// CreateCoachingSession records a 1:1, by someone who may coach the agent;
// the agent and the owners of its action items are told.
func (s *Service) CreateCoachingSession(ctx context.Context, in NewCoachingSession) (*CoachingSession, error) {
	a, err := desk.Require(ctx, auth.CoachingWrite)
	if err != nil {
		return nil, err
	}
	f := desk.Fields{}
	if in.AgentID == a.ID {
		return nil, desk.E(desk.EUNPROCESSABLE, "quality.error.self_coaching")
	}
	if ag, err := s.store.Agent(ctx, in.AgentID); err != nil || !ag.Active {
		if err != nil && desk.ErrorCode(err) != desk.ENOTFOUND {
			return nil, err
		}
		return nil, desk.Invalid(desk.Fields{"agent_id": desk.M("invalid.no_agent")})
	}
	if ok, err := s.mayCoach(ctx, a, in.AgentID); err != nil {
		return nil, err
	} else if !ok {
		return nil, desk.E(desk.EFORBIDDEN, "quality.error.not_your_agent")
	}
	now := s.clock.Now()
	c := &CoachingSession{AgentID: in.AgentID, CoachID: a.ID, HeldAt: now, ReviewIDs: ids(in.ReviewIDs),
		TicketIDs: ids(in.TicketIDs), Actions: []ActionItem{}, CreatedAt: now, UpdatedAt: now}
	if in.HeldAt != nil && !in.HeldAt.IsZero() {
		c.HeldAt = in.HeldAt.UTC()
		if c.HeldAt.Before(now.AddDate(-5, 0, 0)) || c.HeldAt.After(now.AddDate(1, 0, 0)) {
			f["held_at"] = desk.M("quality.invalid.due_range")
		}
	}
	var ok bool
	if c.Notes, ok = cleanNotes(in.Notes); !ok {
		f["notes"] = desk.M("invalid.too_long")
	}
	if err := s.checkLinks(ctx, c.ReviewIDs, c.TicketIDs, f); err != nil {
		return nil, err
	}
	if len(in.Actions) > 50 {
		f["actions"] = desk.M("invalid.at_most", 50)
	}
	for i := range in.Actions {
		if err := s.checkAction(ctx, &in.Actions[i], fmt.Sprintf("actions[%d].", i), f); err != nil {
			return nil, err
		}
	}
	if len(f) > 0 {
		return nil, desk.Invalid(f)
	}
	to := []int64{c.AgentID}
	for _, x := range in.Actions {
		c.Actions = append(c.Actions, ActionItem{Title: x.Title, OwnerID: x.OwnerID, DueAt: x.DueAt.UTC(), CreatedAt: now, UpdatedAt: now})
		to = append(to, x.OwnerID)
	}
	if err := s.coaching.CreateCoachingSession(ctx, c, s.coachingNotes(a, EventCoachingSession, c.ID, "", to...)); err != nil {
		return nil, fmt.Errorf("create coaching session: %w", err)
	}
	return c, nil
}

// coachingNotes are the notifications of a coaching change to each agent
// in to but the actor; the store fills in the session id when it is new.
func (s *Service) coachingNotes(a desk.Actor, kind string, sessionID int64, title string, to ...int64) []*notify.Notification {
	var out []*notify.Notification
	body, _ := json.Marshal(CoachingBody{SessionID: sessionID, Title: title})
	for _, id := range slices.Compact(slices.Sorted(slices.Values(to))) {
		if id == 0 || id == a.ID {
			continue
		}
		out = append(out, &notify.Notification{AgentID: id, Kind: "coaching_" + kind[len("coaching."):],
			Body: string(body), CreatedAt: s.clock.Now()})
	}
	return out
}

// CoachingSession returns a session to those who may see it; to anyone
// else it does not exist.
func (s *Service) CoachingSession(ctx context.Context, id int64) (*CoachingSession, error) {
	a, err := desk.Require(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	c, err := s.coaching.CoachingSession(ctx, id)
	if err != nil {
		return nil, err
	}
	if ok, err := s.maySeeCoaching(ctx, a, c); err != nil {
		return nil, err
	} else if !ok {
		return nil, desk.E(desk.ENOTFOUND, "quality.error.coaching_not_found", id)
	}
	return c, nil
}

// CoachingSessions lists the sessions of one agent (their coaching
// history), to those who may see it: without an agent, an agent sees their
// own and a coach those they held.
func (s *Service) CoachingSessions(ctx context.Context, f CoachingFilter) ([]*CoachingSession, error) {
	a, err := desk.Require(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 101 {
		f.Limit = 50
	}
	switch {
	case f.AgentID == nil && a.Can(auth.CoachingWrite) && a.Can(auth.ReportsReadAll):
	case f.AgentID == nil && a.Can(auth.CoachingWrite):
		f.CoachID = &a.ID
	case f.AgentID == nil:
		f.AgentID = &a.ID
	case *f.AgentID != a.ID:
		ok, err := s.mayCoach(ctx, a, *f.AgentID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return []*CoachingSession{}, nil
		}
	}
	return s.coaching.CoachingSessions(ctx, f)
}

// UpdateCoachingSession changes a session's date, notes or links, by its
// coach or another who may coach the agent, at ifVersion (0: any).
func (s *Service) UpdateCoachingSession(ctx context.Context, id, ifVersion int64, p CoachingPatch) (*CoachingSession, error) {
	a, err := desk.Require(ctx, auth.CoachingWrite)
	if err != nil {
		return nil, err
	}
	var out *CoachingSession
	err = desk.Optimistic(ifVersion, func() error {
		c, err := s.CoachingSession(ctx, id)
		if err != nil {
			return err
		}
		if ok, err := s.mayCoach(ctx, a, c.AgentID); err != nil {
			return err
		} else if !ok {
			return desk.E(desk.EFORBIDDEN, "quality.error.not_your_agent")
		}
		if err := desk.CheckVersion(ifVersion, c.Version); err != nil {
			return err
		}
		f := desk.Fields{}
		if p.HeldAt != nil {
			c.HeldAt = p.HeldAt.UTC()
			now := s.clock.Now()
			if c.HeldAt.Before(now.AddDate(-5, 0, 0)) || c.HeldAt.After(now.AddDate(1, 0, 0)) {
				f["held_at"] = desk.M("quality.invalid.due_range")
			}
		}
		if p.Notes != nil {
			var ok bool
			if c.Notes, ok = cleanNotes(*p.Notes); !ok {
				f["notes"] = desk.M("invalid.too_long")
			}
		}
		if p.ReviewIDs != nil {
			c.ReviewIDs = ids(*p.ReviewIDs)
		}
		if p.TicketIDs != nil {
			c.TicketIDs = ids(*p.TicketIDs)
		}
		if err := s.checkLinks(ctx, c.ReviewIDs, c.TicketIDs, f); err != nil {
			return err
		}
		if len(f) > 0 {
			return desk.Invalid(f)
		}
		c.UpdatedAt = s.clock.Now()
		if err := s.coaching.UpdateCoachingSession(ctx, c); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

// AddActionItem adds an action item to a session; its owner is told.
func (s *Service) AddActionItem(ctx context.Context, sessionID int64, in NewActionItem) (*ActionItem, error) {
	a, err := desk.Require(ctx, auth.CoachingWrite)
	if err != nil {
		return nil, err
	}
	c, err := s.CoachingSession(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	if ok, err := s.mayCoach(ctx, a, c.AgentID); err != nil {
		return nil, err
	} else if !ok {
		return nil, desk.E(desk.EFORBIDDEN, "quality.error.not_your_agent")
	}
	f := desk.Fields{}
	if err := s.checkAction(ctx, &in, "", f); err != nil {
		return nil, err
	}
	if len(f) > 0 {
		return nil, desk.Invalid(f)
	}
	now := s.clock.Now()
	x := &ActionItem{SessionID: sessionID, Title: in.Title, OwnerID: in.OwnerID, DueAt: in.DueAt.UTC(), CreatedAt: now, UpdatedAt: now}
	if err := s.coaching.AddActionItem(ctx, x, s.coachingNotes(a, EventCoachingSession, sessionID, x.Title, x.OwnerID)); err != nil {
		return nil, fmt.Errorf("add action item: %w", err)
	}
	return x, nil
}

// SetActionDone marks an action item done or not done, by its owner or
// whoever may coach the session's agent, at ifVersion (0: any).
func (s *Service) SetActionDone(ctx context.Context, id, ifVersion int64, done bool) (*ActionItem, error) {
	a, err := desk.Require(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	var out *ActionItem
	err = desk.Optimistic(ifVersion, func() error {
		x, err := s.coaching.ActionItem(ctx, id)
		if err != nil {
			return err
		}
		c, err := s.CoachingSession(ctx, x.SessionID)
		if err != nil {
			if desk.ErrorCode(err) == desk.ENOTFOUND {
				return desk.E(desk.ENOTFOUND, "quality.error.action_not_found", id)
			}
			return err
		}
		if x.OwnerID != a.ID {
			if ok, err := s.mayCoach(ctx, a, c.AgentID); err != nil {
				return err
			} else if !ok {
				return desk.E(desk.EFORBIDDEN, "quality.error.not_your_action")
			}
		}
		if err := desk.CheckVersion(ifVersion, x.Version); err != nil {
			return err
		}
		now := s.clock.Now()
		x.DoneAt = nil
		if done {
			x.DoneAt = &now
		}
		x.UpdatedAt = now
		if err := s.coaching.SetActionDone(ctx, x); err != nil {
			return err
		}
		out = x
		return nil
	})
	return out, err
}

// RemindActions tells the owners of open action items that are due within
// ReminderLead, and again once they are overdue; each stage once per item
// (the store's claim decides, so two nodes never remind twice). It runs as
// a periodic durable job.
func (s *Service) RemindActions(ctx context.Context) (int, error) {
	now := s.clock.Now()
	return s.coaching.RemindActions(ctx, now, now.Add(ReminderLead), 200, func(x *ActionItem, stage string) Notice {
		kind := EventActionDueSoon
		if stage == "overdue" {
			kind = EventActionOverdue
		}
		ev := event.New(kind, 0, map[string]any{"action_id": x.ID, "session_id": x.SessionID, "owner_id": x.OwnerID,
			"due_at": x.DueAt})
		ev.ActorKind, ev.CreatedAt = desk.ActorSystem, now
		return Notice{Event: ev, Notify: s.coachingNotes(desk.System, kind, x.SessionID, x.Title, x.OwnerID)}
	})
}
