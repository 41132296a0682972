package view

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Built-in view keys, in the order of the sidebar.
const (
	Mine       = "mine"
	Unassigned = "unassigned"
	MyTeams    = "teams"
	Escalated  = "escalated"
	Pending    = "pending"
	Solved     = "solved"
	All        = "all"
)

// Builtins are the views every agent has, with what each selects.
var Builtins = []struct {
	Key   string
	Query Query
}{
	{Mine, Query{Statuses: []string{Unsolved}, Assignee: "me"}},
	{Unassigned, Query{Statuses: []string{Unsolved}, Assignee: "none"}},
	{MyTeams, Query{Statuses: []string{Unsolved}, Team: "mine"}},
	{Escalated, Query{Statuses: []string{Unsolved}, Escalated: true}},
	{Pending, Query{Statuses: []string{ticket.CategoryPending}}},
	{Solved, Query{SolvedWithinDays: int(RecentlySolved.Hours() / 24)}},
	{All, Query{}},
}

// landingOrder is where an agent without a chosen view lands: the first
// of these with work in it.
var landingOrder = []string{Mine, MyTeams, Unassigned, Escalated, Pending, All}

// Entry is one view of the sidebar: a built-in one (Saved nil, Key its
// name) or a saved one, with its count.
type Entry struct {
	Key   string
	Query Query
	Saved *View
	// Count is the number of tickets, at most ticket.CountCap; More says
	// there are at least that many ("999+").
	Count int
	More  bool
}

// Service is the views of the acting agent.
type Service struct {
	store   Store
	tickets Counter
	teams   Teams
	clock   desk.Clock
}

// NewService builds the views service.
func NewService(store Store, tickets Counter, teams Teams, clock desk.Clock) *Service {
	return &Service{store: store, tickets: tickets, teams: teams, clock: clock}
}

func actor(ctx context.Context) (desk.Actor, error) {
	a, err := desk.Require(ctx, auth.TicketsRead)
	if err == nil && a.Kind != desk.ActorAgent && a.Kind != desk.ActorSystem {
		return a, desk.E(desk.EFORBIDDEN, "error.forbidden", auth.TicketsRead)
	}
	return a, err
}

func notFound(id int64) error { return desk.E(desk.ENOTFOUND, "view.not_found", id) }

// visible: a personal view to its owner, a team view to the team's
// members and to whoever manages teams.
func visible(a desk.Actor, v *View) bool {
	if v.Scope == ScopeTeam {
		return v.TeamID != nil && (a.InTeam(*v.TeamID) || a.Can(auth.TeamsWrite))
	}
	return v.OwnerID != nil && *v.OwnerID == a.ID
}

// editable: a personal view by its owner; a team view by the team's lead
// or whoever manages teams.
func (s *Service) editable(ctx context.Context, a desk.Actor, v *View) (bool, error) {
	if v.Scope != ScopeTeam {
		return v.OwnerID != nil && *v.OwnerID == a.ID, nil
	}
	if a.Can(auth.TeamsWrite) {
		return true, nil
	}
	if v.TeamID == nil {
		return false, nil
	}
	t, err := s.teams.Team(ctx, *v.TeamID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return t.LeadID != nil && *t.LeadID == a.ID, nil
}

// Saved lists the saved views the agent sees: their own, then their
// teams'.
func (s *Service) Saved(ctx context.Context) ([]*View, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.store.SavedViews(ctx, a.ID, a.TeamIDs)
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, v := range list {
		if visible(a, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// Get returns a saved view the agent may see.
func (s *Service) Get(ctx context.Context, id int64) (*View, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.store.SavedView(ctx, id)
	if desk.ErrorCode(err) == desk.ENOTFOUND || err == nil && !visible(a, v) {
		return nil, notFound(id)
	}
	return v, err
}

func (s *Service) check(ctx context.Context, a desk.Actor, v *View) error {
	errs := desk.Fields{}
	if name, msg := people.CleanName(v.Name, 100); msg.Key != "" {
		errs["name"] = msg
	} else {
		v.Name = name
	}
	switch v.Scope {
	case ScopePersonal:
		v.TeamID = nil
	case ScopeTeam:
		v.OwnerID = nil
		if v.TeamID == nil {
			errs["team_id"] = desk.M("invalid.required")
		} else if _, err := s.teams.Team(ctx, *v.TeamID); desk.ErrorCode(err) == desk.ENOTFOUND {
			errs["team_id"] = desk.M("invalid.no_team")
		} else if err != nil {
			return err
		}
	default:
		errs["scope"] = desk.M("invalid.one_of", strings.Join(Scopes, ", "))
	}
	v.Query.clean(errs)
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	ok, err := s.editable(ctx, a, v)
	if err != nil {
		return err
	}
	if !ok {
		return desk.E(desk.EFORBIDDEN, "view.forbidden_team")
	}
	return nil
}

// Create saves a view; a personal one belongs to the acting agent, a team
// one needs the team's lead or teams:write.
func (s *Service) Create(ctx context.Context, v View) (*View, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if v.Scope == "" {
		v.Scope = ScopePersonal
	}
	if v.Scope == ScopePersonal {
		v.OwnerID = &a.ID
	}
	if err := s.check(ctx, a, &v); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	v.CreatedAt, v.UpdatedAt = now, now
	if err := s.store.CreateSavedView(ctx, &v); err != nil {
		return nil, fmt.Errorf("create view: %w", err)
	}
	return &v, nil
}

// Update changes a view by fn, written only at ifVersion when that is not 0.
func (s *Service) Update(ctx context.Context, id, ifVersion int64, fn func(v *View)) (*View, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var out *View
	err = desk.Optimistic(ifVersion, func() error {
		v, err := s.Get(ctx, id)
		if err != nil {
			return err
		}
		if ok, err := s.editable(ctx, a, v); err != nil {
			return err
		} else if !ok {
			return desk.E(desk.EFORBIDDEN, "view.forbidden_team")
		}
		if err := desk.CheckVersion(ifVersion, v.Version); err != nil {
			return err
		}
		owner := v.OwnerID
		fn(v)
		v.ID = id
		if v.Scope == ScopePersonal {
			if owner == nil {
				owner = &a.ID
			}
			v.OwnerID = owner
		}
		if err := s.check(ctx, a, v); err != nil {
			return err
		}
		v.UpdatedAt = s.clock.Now()
		out = v
		return s.store.UpdateSavedView(ctx, v)
	})
	return out, err
}

// Delete removes a view the agent may change.
func (s *Service) Delete(ctx context.Context, id, ifVersion int64) error {
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	v, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if ok, err := s.editable(ctx, a, v); err != nil {
		return err
	} else if !ok {
		return desk.E(desk.EFORBIDDEN, "view.forbidden_team")
	}
	return s.store.DeleteSavedView(ctx, id, ifVersion)
}

// Resolve finds a view by key: a built-in name or "saved:<id>".
func (s *Service) Resolve(ctx context.Context, key string) (Entry, error) {
	for _, b := range Builtins {
		if b.Key == key {
			return Entry{Key: key, Query: b.Query}, nil
		}
	}
	if rest, ok := strings.CutPrefix(key, "saved:"); ok {
		if id, err := strconv.ParseInt(rest, 10, 64); err == nil {
			v, err := s.Get(ctx, id)
			if err != nil {
				return Entry{}, err
			}
			return Entry{Key: key, Query: v.Query, Saved: v}, nil
		}
	}
	return Entry{}, desk.E(desk.ENOTFOUND, "view.no_view", key)
}

// Sidebar is every view of the agent with its bounded count: the built-in
// ones (my teams only for an agent in a team), then the saved ones. Counts
// run a few at a time; each stops at ticket.CountCap.
func (s *Service) Sidebar(ctx context.Context) ([]Entry, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, b := range Builtins {
		if b.Key == MyTeams && len(a.TeamIDs) == 0 {
			continue
		}
		out = append(out, Entry{Key: b.Key, Query: b.Query})
	}
	saved, err := s.Saved(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range saved {
		out = append(out, Entry{Key: v.Key(), Query: v.Query, Saved: v})
	}
	return out, s.count(ctx, a, out)
}

func (s *Service) count(ctx context.Context, a desk.Actor, entries []Entry) error {
	now := s.clock.Now()
	errs := make([]error, len(entries))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range entries {
		f, bad := entries[i].Query.Filter(a, now)
		if len(bad) > 0 {
			continue // a saved view whose query no longer reads: no count
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			n, err := s.tickets.Count(ctx, f, ticket.CountCap)
			entries[i].Count, entries[i].More, errs[i] = n, n >= ticket.CountCap, err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && desk.ErrorCode(err) != desk.EINVALID {
			return err
		}
	}
	return nil
}

// Landing is the view the agent lands on: the one they chose, else the
// first of mine, my teams, unassigned, escalated, pending and all that has
// work in it (by the sidebar's counts), so nobody lands on an empty list
// while work waits elsewhere.
func (s *Service) Landing(ctx context.Context, sidebar []Entry) (string, error) {
	a, err := actor(ctx)
	if err != nil {
		return "", err
	}
	chosen, err := s.store.LandingView(ctx, a.ID)
	if err != nil {
		return "", err
	}
	for _, e := range sidebar {
		if chosen != "" && e.Key == chosen {
			return chosen, nil
		}
	}
	for _, key := range landingOrder {
		for _, e := range sidebar {
			if e.Key == key && e.Count > 0 {
				return key, nil
			}
		}
	}
	return Mine, nil
}

// SetLanding chooses the view the agent lands on ("" forgets the choice).
func (s *Service) SetLanding(ctx context.Context, key string) error {
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	if key != "" {
		if _, err := s.Resolve(ctx, key); err != nil {
			return err
		}
	}
	return s.store.SetLandingView(ctx, a.ID, key)
}

// Chosen is the view the agent chose to land on, "" when none.
func (s *Service) Chosen(ctx context.Context) (string, error) {
	a, err := actor(ctx)
	if err != nil {
		return "", err
	}
	return s.store.LandingView(ctx, a.ID)
}
