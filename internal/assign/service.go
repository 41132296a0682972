package assign

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Store is what assignment keeps in the database. Reads of a team or agent
// without settings answer the defaults (mode off, no skills), not an error.
type Store interface {
	event.Cursor
	TeamAssignment(ctx context.Context, teamID int64) (*TeamSettings, error)
	// SaveTeamAssignment writes the settings if their stored version is
	// still s.Version (0: none stored yet), else ESTALE; it bumps Version.
	SaveTeamAssignment(ctx context.Context, s *TeamSettings) error
	AgentRouting(ctx context.Context, agentID int64) (*Profile, error)
	SaveAgentRouting(ctx context.Context, p *Profile) error
	// SetPresence sets an agent's availability and, when it changed, records
	// a PresenceChanged event in the same transaction.
	SetPresence(ctx context.Context, agentID int64, status string, byInactivity bool, actor desk.Actor, now time.Time) (bool, error)
	// SeePresence records activity: last seen now; an agent whom
	// inactivity had made away or offline (or never seen) is online again.
	SeePresence(ctx context.Context, agentID int64, now time.Time) error
	// MarkInactive makes online agents not seen since awayBefore away and
	// online or away agents not seen since offlineBefore offline, with an
	// event each, and answers how many changed.
	MarkInactive(ctx context.Context, awayBefore, offlineBefore, now time.Time) (int, error)
	Presences(ctx context.Context, teamID int64) ([]Presence, error)
	// AgentStatus is an agent's availability (offline when never seen).
	AgentStatus(ctx context.Context, agentID int64) (string, error)
	// PresenceStamp changes whenever any agent's availability or load does.
	PresenceStamp(ctx context.Context) (string, error)
	// HandBackTickets lists the open tickets assigned to the agent in teams
	// that want them handed back when the agent goes offline.
	HandBackTickets(ctx context.Context, agentID int64) ([]int64, error)
	// WaitingTickets lists a team's unassigned open tickets, oldest first.
	WaitingTickets(ctx context.Context, teamID int64, limit int) ([]int64, error)
	AgentTeams(ctx context.Context, agentID int64) ([]int64, error)
}

// LockTx is what a decision reads inside the ticket's transaction. The
// store's ticket transaction implements it; locking the team's settings row
// and then its members' rows (in id order) makes every decision for an
// agent wait for the one before it, on every node.
type LockTx interface {
	LockForAssignment(ctx context.Context, teamID int64) (TeamSettings, int64, []Candidate, error)
	SetLastAssigned(ctx context.Context, teamID, agentID int64) error
}

// Config tunes inactivity.
type Config struct {
	AwayAfter    time.Duration // online → away without activity (default 10 min)
	OfflineAfter time.Duration // → offline without activity (default 30 min)
}

// Service runs assignment and availability.
type Service struct {
	store   Store
	tickets *ticket.Service
	bus     *event.Bus
	clock   desk.Clock
	log     *slog.Logger
	cfg     Config

	// seen throttles SeePresence to once a minute per agent on this node;
	// the truth is in the database, this only saves writes.
	mu   sync.Mutex
	seen map[int64]time.Time

	// teams holds a mutex per team (*sync.Mutex by team id): a node's
	// decisions for one team queue here, each holding no connection, and
	// only one at a time waits on the team's row lock in the database
	// (which still orders the nodes).
	teams sync.Map
}

// NewService returns the assignment service.
func NewService(s Store, tickets *ticket.Service, bus *event.Bus, clock desk.Clock, log *slog.Logger, cfg Config) *Service {
	if cfg.AwayAfter == 0 {
		cfg.AwayAfter = 10 * time.Minute
	}
	if cfg.OfflineAfter == 0 {
		cfg.OfflineAfter = 30 * time.Minute
	}
	return &Service{store: s, tickets: tickets, bus: bus, clock: clock, log: log, cfg: cfg, seen: map[int64]time.Time{}}
}

// actor is the acting user, refused without the permission.
func actor(ctx context.Context, permission string) (desk.Actor, error) {
	return desk.Require(ctx, permission)
}

// Team returns a team's settings.
func (s *Service) Team(ctx context.Context, teamID int64) (*TeamSettings, error) {
	if _, err := actor(ctx, auth.TeamsRead); err != nil {
		return nil, err
	}
	return s.store.TeamAssignment(ctx, teamID)
}

// SetTeam changes a team's settings; ifVersion 0 applies to any version.
func (s *Service) SetTeam(ctx context.Context, teamID, ifVersion int64, fn func(*TeamSettings)) (*TeamSettings, error) {
	if _, err := actor(ctx, auth.AssignmentWrite); err != nil {
		return nil, err
	}
	var out *TeamSettings
	err := desk.Optimistic(ifVersion, func() error {
		cur, err := s.store.TeamAssignment(ctx, teamID)
		if err != nil {
			return err
		}
		if err := desk.CheckVersion(ifVersion, cur.Version); err != nil {
			return err
		}
		fn(cur)
		errs := desk.Fields{}
		if !slices.Contains(Modes, cur.Mode) {
			errs["mode"] = desk.M("invalid.one_of", strings.Join(Modes, ", "))
		}
		if cur.Capacity < 0 || cur.Capacity > 1000 {
			errs["capacity"] = desk.M("assign.invalid_capacity")
		}
		if len(errs) > 0 {
			return desk.Invalid(errs)
		}
		cur.UpdatedAt = s.clock.Now()
		out = cur
		return s.store.SaveTeamAssignment(ctx, cur)
	})
	return out, err
}

// Profile returns what an agent can take.
func (s *Service) Profile(ctx context.Context, agentID int64) (*Profile, error) {
	if _, err := actor(ctx, auth.AgentsRead); err != nil {
		return nil, err
	}
	return s.store.AgentRouting(ctx, agentID)
}

// SetProfile changes an agent's skills, languages and capacity.
func (s *Service) SetProfile(ctx context.Context, agentID, ifVersion int64, fn func(*Profile)) (*Profile, error) {
	if _, err := actor(ctx, auth.AssignmentWrite); err != nil {
		return nil, err
	}
	var out *Profile
	err := desk.Optimistic(ifVersion, func() error {
		cur, err := s.store.AgentRouting(ctx, agentID)
		if err != nil {
			return err
		}
		if err := desk.CheckVersion(ifVersion, cur.Version); err != nil {
			return err
		}
		fn(cur)
		errs := desk.Fields{}
		var msg desk.Msg
		if cur.Skills, msg = ticket.CleanTags(cur.Skills); msg.Key != "" {
			errs["skills"] = msg
		}
		if cur.Languages, msg = ticket.CleanTags(cur.Languages); msg.Key != "" {
			errs["languages"] = msg
		}
		if cur.Capacity < 0 || cur.Capacity > 1000 {
			errs["capacity"] = desk.M("assign.invalid_capacity")
		}
		if len(errs) > 0 {
			return desk.Invalid(errs)
		}
		cur.UpdatedAt = s.clock.Now()
		out = cur
		return s.store.SaveAgentRouting(ctx, cur)
	})
	return out, err
}

// SetStatus sets the acting agent's own availability.
func (s *Service) SetStatus(ctx context.Context, status string) error {
	a, err := actor(ctx, "")
	if err != nil {
		return err
	}
	if a.Kind != desk.ActorAgent {
		return desk.E(desk.EFORBIDDEN, "error.forbidden", "agent")
	}
	if !slices.Contains(Statuses, status) {
		return desk.Invalid(desk.Fields{"status": desk.M("invalid.one_of", strings.Join(Statuses, ", "))})
	}
	now := s.clock.Now()
	if _, err := s.store.SetPresence(ctx, a.ID, status, false, a, now); err != nil {
		return fmt.Errorf("set availability: %w", err)
	}
	s.mu.Lock()
	s.seen[a.ID] = now
	s.mu.Unlock()
	return nil
}

// Mine returns the acting agent's availability.
func (s *Service) Mine(ctx context.Context) (string, error) {
	a, err := actor(ctx, "")
	if err != nil {
		return "", err
	}
	return s.store.AgentStatus(ctx, a.ID)
}

// Seen records that an agent is active (a page or API request). It
// writes at most once a minute per agent on this node.
func (s *Service) Seen(ctx context.Context, agentID int64) {
	now := s.clock.Now()
	s.mu.Lock()
	last, ok := s.seen[agentID]
	if ok && now.Sub(last) < time.Minute {
		s.mu.Unlock()
		return
	}
	s.seen[agentID] = now
	if len(s.seen) > 100000 {
		clear(s.seen) // bounded: forgetting only costs a write
	}
	s.mu.Unlock()
	if err := s.store.SeePresence(ctx, agentID, now); err != nil && ctx.Err() == nil {
		s.log.Warn("assign: record activity", slog.Int64("agent", agentID), slog.Any("err", err))
	}
}

// Board returns the availability and load of a team's agents. A team's
// lead may see their own team's; presence:read sees every team.
func (s *Service) Board(ctx context.Context, teamID int64, leadOf func(teamID, agentID int64) bool) ([]Presence, error) {
	a, err := actor(ctx, "")
	if err != nil {
		return nil, err
	}
	if !a.Can(auth.PresenceRead) && (leadOf == nil || !leadOf(teamID, a.ID)) {
		return nil, desk.E(desk.EFORBIDDEN, "error.forbidden", auth.PresenceRead)
	}
	return s.store.Presences(ctx, teamID)
}

// BoardStamp changes whenever the board of any team would.
func (s *Service) BoardStamp(ctx context.Context) (string, error) { return s.store.PresenceStamp(ctx) }

// Sweep applies inactivity: online agents not seen for AwayAfter become
// away, and for OfflineAfter offline (which hands their tickets back).
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.clock.Now()
	return s.store.MarkInactive(ctx, now.Add(-s.cfg.AwayAfter), now.Add(-s.cfg.OfflineAfter), now)
}

// Assign gives an unassigned ticket of a team to an agent by the team's
// mode, if anyone may take it now. It acts as the system.
func (s *Service) Assign(ctx context.Context, ticketID int64) (bool, error) {
	return s.assignIn(ctx, ticketID, 0)
}

// assignIn is Assign for a ticket whose team the caller knows (0: read
// it). The team only picks the mutex to queue on; the decision reads the
// ticket again under its lock, so a team changed meanwhile costs nothing
// but the queueing.
func (s *Service) assignIn(ctx context.Context, ticketID, teamID int64) (bool, error) {
	ctx = desk.WithActor(ctx, desk.System)
	if teamID == 0 {
		t, err := s.tickets.Get(ctx, ticketID)
		if desk.ErrorCode(err) == desk.ENOTFOUND {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if t.AssigneeID != nil || t.TeamID == nil {
			return false, nil // AutoAssign would leave it too
		}
		teamID = *t.TeamID
	}
	m, _ := s.teams.LoadOrStore(teamID, &sync.Mutex{})
	m.(*sync.Mutex).Lock()
	defer m.(*sync.Mutex).Unlock()
	_, ok, err := s.tickets.AutoAssign(ctx, ticketID, s.pick)
	if desk.ErrorCode(err) == desk.ENOTFOUND || desk.ErrorCode(err) == desk.EUNPROCESSABLE {
		return false, nil // gone, merged or closed meanwhile
	}
	return ok, err
}

func (s *Service) pick(ctx context.Context, tx ticket.Tx, t *ticket.Ticket) (int64, string, error) {
	lt, ok := tx.(LockTx)
	if !ok {
		return 0, "", fmt.Errorf("assign: the ticket store cannot lock for assignment")
	}
	team, last, cands, err := lt.LockForAssignment(ctx, *t.TeamID)
	if err != nil || team.Mode == ModeOff {
		return 0, "", err
	}
	d := Choose(team, last, cands, t)
	if d.AgentID != 0 && team.Mode == ModeRoundRobin {
		if err := lt.SetLastAssigned(ctx, team.TeamID, d.AgentID); err != nil {
			return 0, "", err
		}
	}
	return d.AgentID, d.Reason, nil
}

// fill assigns a team's waiting tickets, oldest first, until nobody is free.
func (s *Service) fill(ctx context.Context, teamID int64) error {
	ids, err := s.store.WaitingTickets(ctx, teamID, 100)
	if err != nil {
		return err
	}
	for _, id := range ids {
		ok, err := s.assignIn(ctx, id, teamID)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
	}
	return nil
}

// handBack unassigns an offline agent's open tickets in the teams that
// want that; the Assigned events that follow give them to others.
func (s *Service) handBack(ctx context.Context, agentID int64) error {
	ids, err := s.store.HandBackTickets(ctx, agentID)
	if err != nil {
		return err
	}
	sys := desk.WithActor(ctx, desk.System)
	none := int64(0)
	for _, id := range ids {
		_, err := s.tickets.Update(sys, id, ticket.Patch{AssigneeID: &none})
		if err != nil && desk.ErrorCode(err) != desk.EUNPROCESSABLE && desk.ErrorCode(err) != desk.ENOTFOUND {
			return err
		}
	}
	return nil
}

const consumer = "assign"

// Run consumes events until ctx ends.
func (s *Service) Run(ctx context.Context) {
	event.Follow(ctx, s.store, s.bus, consumer, 50*time.Millisecond, 2*time.Second, s.Handle, s.log)
}

// Handle reacts to a batch of events: a new or unassigned ticket of a team
// is assigned; a ticket solved or taken from an agent frees a slot; an
// agent going offline hands back, coming online takes waiting tickets.
// Everything it does is safe to repeat (a crash repeats the batch).
func (s *Service) Handle(ctx context.Context, evs []event.Event) error {
	fill := map[int64]bool{}
	for _, e := range evs {
		var d struct {
			Field   string          `json:"field"`
			New     json.RawMessage `json:"new"`
			Old     json.RawMessage `json:"old"`
			AgentID int64           `json:"agent_id"`
			Status  string          `json:"status"`
			TeamID  *int64          `json:"team_id"`
		}
		_ = json.Unmarshal(e.Data, &d)
		switch {
		case e.Kind == event.TicketCreated && d.TeamID != nil,
			e.Kind == event.Assigned && isNull(d.New),
			e.Kind == event.FieldChanged && d.Field == "team_id":
			team := int64(0)
			if e.Kind == event.TicketCreated {
				team = *d.TeamID
			}
			if _, err := s.assignIn(ctx, e.TicketID, team); err != nil {
				return err
			}
			if e.Kind == event.Assigned && !isNull(d.Old) {
				s.teamsOfTicket(ctx, e.TicketID, fill)
			}
		case e.Kind == event.Assigned && !isNull(d.Old),
			e.Kind == event.FieldChanged && d.Field == "status":
			s.teamsOfTicket(ctx, e.TicketID, fill)
		case e.Kind == event.PresenceChanged && d.Status == Offline:
			if err := s.handBack(ctx, d.AgentID); err != nil {
				return err
			}
		case e.Kind == event.PresenceChanged && d.Status == Online:
			teams, err := s.store.AgentTeams(ctx, d.AgentID)
			if err != nil {
				return err
			}
			for _, id := range teams {
				fill[id] = true
			}
		}
	}
	for teamID := range fill {
		if err := s.fill(ctx, teamID); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) teamsOfTicket(ctx context.Context, id int64, into map[int64]bool) {
	t, err := s.tickets.Get(desk.WithActor(ctx, desk.System), id)
	if err == nil && t.TeamID != nil {
		into[*t.TeamID] = true
	}
}

func isNull(m json.RawMessage) bool { return len(m) == 0 || string(m) == "null" }
