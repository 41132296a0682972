package sla

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Kinds of configuration events (no ticket): the SLA consumer works out
// every running clock again when it reads one. They are not public.
const (
	CalendarChanged = "sla.calendar_changed"
	PolicyChanged   = "sla.policy_changed"
)

// ErrNotNow tells Store.FireTimer to leave a timer for later: the ticket
// changed since its SLA was last worked out, and the consumer will replace
// the timer.
var ErrNotNow = errors.New("sla: state behind the ticket")

// Store persists calendars, policies, rules, per-ticket state and timers.
// Reads of one thing return a desk ENOTFOUND error when it is missing;
// versioned writes return ESTALE when the stored version moved.
type Store interface {
	event.Cursor
	Calendars(ctx context.Context) ([]*Calendar, error)
	Calendar(ctx context.Context, id int64) (*Calendar, error)
	SaveCalendar(ctx context.Context, c *Calendar, ev event.Event) error
	DeleteCalendar(ctx context.Context, id, ifVersion int64, ev event.Event) error
	Policies(ctx context.Context) ([]*Policy, error)
	Policy(ctx context.Context, id int64) (*Policy, error)
	SavePolicy(ctx context.Context, p *Policy, ev event.Event) error
	DeletePolicy(ctx context.Context, id, ifVersion int64, ev event.Event) error
	Rules(ctx context.Context) ([]*Rule, error)
	Rule(ctx context.Context, id int64) (*Rule, error)
	SaveRule(ctx context.Context, r *Rule) error
	DeleteRule(ctx context.Context, id, ifVersion int64) error
	ClaimRun(ctx context.Context, r *Run) (bool, error)
	FinishRun(ctx context.Context, r *Run) error
	Runs(ctx context.Context, ruleID, before int64, limit int) ([]Run, error)

	RefreshTicket(ctx context.Context, id int64, fn func(t *ticket.Ticket, s *State, evs []event.Event) ([]Timer, error)) error
	// RefreshTickets is RefreshTicket for many tickets in one transaction;
	// tickets that no longer exist are skipped.
	RefreshTickets(ctx context.Context, ids []int64, fn func(t *ticket.Ticket, s *State, evs []event.Event) ([]Timer, error)) error
	DueTimers(ctx context.Context, now time.Time, limit int) ([]Timer, error)
	FireTimer(ctx context.Context, tm Timer, fn func(t *ticket.Ticket, s *State) ([]event.Event, error)) ([]event.Event, *ticket.Ticket, error)
	SLATickets(ctx context.Context, afterID int64, limit int) ([]int64, error)

	Ticket(ctx context.Context, id int64) (*ticket.Ticket, error)
	TicketEvents(ctx context.Context, ticketID int64) ([]event.Event, error)
	MessageText(ctx context.Context, id int64) (string, error)
	Statuses(ctx context.Context) ([]ticket.Status, error)
	Teams(ctx context.Context) ([]*people.Team, error)
}

// Escalator is the ticket service's escalation, the path a manual
// escalation takes.
type Escalator interface {
	EscalateByRule(ctx context.Context, id, teamID int64, reason string, rule ticket.Rule) (*ticket.Ticket, error)
}

// Config tunes the background work (zero: the defaults).
type Config struct {
	// TimerPoll is how often due timers are looked for (default 1 s): a
	// warning or breach fires at most this late.
	TimerPoll time.Duration
	// Gather and Poll pace the event consumers as in event.Follow.
	Gather, Poll time.Duration
}

func (c *Config) defaults() {
	if c.TimerPoll <= 0 {
		c.TimerPoll = time.Second
	}
	if c.Gather <= 0 {
		c.Gather = 100 * time.Millisecond
	}
	if c.Poll <= 0 {
		c.Poll = 2 * time.Second
	}
}

// Service runs business hours, SLA policies, timers and escalation rules.
type Service struct {
	store   Store
	tickets Escalator
	bus     *event.Bus
	clock   desk.Clock
	log     *slog.Logger
	cfg     Config

	// Configuration is read for every ticket worked out; it changes
	// rarely, so it is cached briefly and dropped on a change (here, or
	// read as an event from another node).
	mu       sync.Mutex
	conf     *configuration
	cachedAt time.Time
}

type configuration struct {
	calendars map[int64]*Calendar
	teamCal   map[int64]*Calendar
	policies  []*Policy
	rules     []*Rule
	category  map[string]string
	teams     []*people.Team
}

// New returns the service.
func New(s Store, tickets Escalator, bus *event.Bus, clock desk.Clock, log *slog.Logger, cfg Config) *Service {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: s, tickets: tickets, bus: bus, clock: clock, log: log, cfg: cfg}
}

const cacheFor = 5 * time.Second

func (s *Service) config(ctx context.Context) (*configuration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conf != nil && time.Since(s.cachedAt) < cacheFor {
		return s.conf, nil
	}
	cals, err := s.store.Calendars(ctx)
	if err != nil {
		return nil, err
	}
	c := &configuration{calendars: map[int64]*Calendar{}, teamCal: map[int64]*Calendar{}, category: map[string]string{}}
	for _, cal := range cals {
		if err := cal.Prepare(); err != nil {
			// Saved calendars were valid; a zone the build no longer knows
			// leaves the calendar out (its tickets count every hour).
			s.log.Error("sla: calendar unusable", slog.Int64("calendar", cal.ID), slog.Any("err", err))
			continue
		}
		c.calendars[cal.ID] = cal
		for _, team := range cal.TeamIDs {
			c.teamCal[team] = cal
		}
	}
	if c.policies, err = s.store.Policies(ctx); err != nil {
		return nil, err
	}
	if c.rules, err = s.store.Rules(ctx); err != nil {
		return nil, err
	}
	sts, err := s.store.Statuses(ctx)
	if err != nil {
		return nil, err
	}
	for _, st := range sts {
		c.category[st.Name] = st.Category
	}
	if c.teams, err = s.store.Teams(ctx); err != nil {
		return nil, err
	}
	s.conf, s.cachedAt = c, time.Now()
	return c, nil
}

func (s *Service) forget() {
	s.mu.Lock()
	s.conf = nil
	s.mu.Unlock()
}

func (c *configuration) categoryOf(status string) string {
	if cat, ok := c.category[status]; ok {
		return cat
	}
	return status
}

// setup picks the policy and the meter for a ticket.
func (c *configuration) setup(t *ticket.Ticket) Setup {
	u := Setup{Policy: Select(c.policies, t), Category: c.categoryOf}
	if u.Policy == nil || u.Policy.Time != BusinessTime {
		return u
	}
	if u.Policy.CalendarID != nil {
		u.Meter.Cal = c.calendars[*u.Policy.CalendarID]
	} else if t.TeamID != nil {
		u.Meter.Cal = c.teamCal[*t.TeamID]
	}
	return u
}

func allowed(ctx context.Context, permission string) error {
	a, ok := desk.ActorFrom(ctx)
	if !ok {
		return desk.E(desk.EUNAUTHORIZED, "error.sign_in")
	}
	if !a.Can(permission) {
		return desk.E(desk.EFORBIDDEN, "error.forbidden", permission)
	}
	return nil
}

func configEvent(ctx context.Context, kind string, id int64, now time.Time) event.Event {
	ev := event.New(kind, 0, map[string]any{"id": id})
	a, _ := desk.ActorFrom(ctx)
	ev.ActorKind, ev.ActorID, ev.CreatedAt = a.Kind, a.ID, now
	return ev
}

// versioned reads a thing, checks it is at ifVersion (0: any), changes
// and saves it; a save that lost a race is retried on a fresh read unless
// the caller expected a version (desk.Optimistic).
func versioned[T any](ifVersion int64, load func() (T, error), version func(T) int64, change func(T) error) (T, error) {
	var x T
	err := desk.Optimistic(ifVersion, func() error {
		var err error
		if x, err = load(); err != nil {
			return err
		}
		if err := desk.CheckVersion(ifVersion, version(x)); err != nil {
			return err
		}
		return change(x)
	})
	return x, err
}

// --- calendars

// Calendars lists the calendars.
func (s *Service) Calendars(ctx context.Context) ([]*Calendar, error) {
	if err := allowed(ctx, auth.SLARead); err != nil {
		return nil, err
	}
	return s.store.Calendars(ctx)
}

// Calendar returns one calendar.
func (s *Service) Calendar(ctx context.Context, id int64) (*Calendar, error) {
	if err := allowed(ctx, auth.SLARead); err != nil {
		return nil, err
	}
	return s.store.Calendar(ctx, id)
}

func (s *Service) checkTeams(ctx context.Context, ids []int64) error {
	teams, err := s.store.Teams(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !slices.ContainsFunc(teams, func(t *people.Team) bool { return t.ID == id }) {
			return desk.Invalid(desk.Fields{"team_ids": desk.M("invalid.no_team")})
		}
	}
	return nil
}

// CreateCalendar saves a new calendar.
func (s *Service) CreateCalendar(ctx context.Context, c Calendar) (*Calendar, error) {
	if err := allowed(ctx, auth.SLAWrite); err != nil {
		return nil, err
	}
	if err := c.Prepare(); err != nil {
		return nil, err
	}
	if err := s.checkTeams(ctx, c.TeamIDs); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	c.ID, c.CreatedAt, c.UpdatedAt = 0, now, now
	if err := s.store.SaveCalendar(ctx, &c, configEvent(ctx, CalendarChanged, 0, now)); err != nil {
		return nil, fmt.Errorf("create calendar: %w", err)
	}
	s.forget()
	return &c, nil
}

// UpdateCalendar changes a calendar with fn, at ifVersion when not 0; the
// consumer then works out every running clock again.
func (s *Service) UpdateCalendar(ctx context.Context, id, ifVersion int64, fn func(c *Calendar)) (*Calendar, error) {
	if err := allowed(ctx, auth.SLAWrite); err != nil {
		return nil, err
	}
	c, err := versioned(ifVersion, func() (*Calendar, error) { return s.store.Calendar(ctx, id) },
		func(c *Calendar) int64 { return c.Version }, func(c *Calendar) error {
			fn(c)
			if err := c.Prepare(); err != nil {
				return err
			}
			if err := s.checkTeams(ctx, c.TeamIDs); err != nil {
				return err
			}
			c.UpdatedAt = s.clock.Now()
			return s.store.SaveCalendar(ctx, c, configEvent(ctx, CalendarChanged, id, c.UpdatedAt))
		})
	if err != nil {
		return nil, err
	}
	s.forget()
	return c, nil
}

// DeleteCalendar removes a calendar no policy names (409 otherwise).
func (s *Service) DeleteCalendar(ctx context.Context, id, ifVersion int64) error {
	if err := allowed(ctx, auth.SLAWrite); err != nil {
		return err
	}
	if err := s.store.DeleteCalendar(ctx, id, ifVersion, configEvent(ctx, CalendarChanged, id, s.clock.Now())); err != nil {
		return err
	}
	s.forget()
	return nil
}

// ImportHolidays adds holidays to a calendar from the bundled Indian list
// (preset PresetIndiaNational with years) or an iCalendar text; dates the
// calendar has already keep their names.
func (s *Service) ImportHolidays(ctx context.Context, id, ifVersion int64, preset string, years []int, ics string) (*Calendar, error) {
	if err := allowed(ctx, auth.SLAWrite); err != nil {
		return nil, err
	}
	var add []Holiday
	var err error
	switch {
	case preset != "" && ics != "":
		return nil, desk.Invalid(desk.Fields{"preset": desk.M("hours.preset_or_ics")})
	case preset == PresetIndiaNational:
		add, err = IndiaNationalHolidays(years)
	case preset != "":
		return nil, desk.Invalid(desk.Fields{"preset": desk.M("invalid.one_of", PresetIndiaNational)})
	case ics != "":
		add, err = ParseICS(ics)
	default:
		return nil, desk.Invalid(desk.Fields{"preset": desk.M("hours.preset_or_ics")})
	}
	if err != nil {
		return nil, err
	}
	return s.UpdateCalendar(ctx, id, ifVersion, func(c *Calendar) { c.Holidays = MergeHolidays(c.Holidays, add) })
}

// --- policies

// Policies lists the SLA policies in the order they are tried.
func (s *Service) Policies(ctx context.Context) ([]*Policy, error) {
	if err := allowed(ctx, auth.SLARead); err != nil {
		return nil, err
	}
	return s.store.Policies(ctx)
}

// Policy returns one policy.
func (s *Service) Policy(ctx context.Context, id int64) (*Policy, error) {
	if err := allowed(ctx, auth.SLARead); err != nil {
		return nil, err
	}
	return s.store.Policy(ctx, id)
}

func (s *Service) validatePolicy(ctx context.Context, p *Policy) error {
	cals, err := s.store.Calendars(ctx)
	if err != nil {
		return err
	}
	if err := p.Validate(func(id int64) bool {
		return slices.ContainsFunc(cals, func(c *Calendar) bool { return c.ID == id })
	}); err != nil {
		return err
	}
	if ids := p.Conditions.TeamIDs; len(ids) > 0 {
		if err := s.checkTeams(ctx, ids); err != nil {
			return desk.Invalid(desk.Fields{"conditions.team_ids": desk.M("invalid.no_team")})
		}
	}
	return nil
}

// CreatePolicy saves a new policy.
func (s *Service) CreatePolicy(ctx context.Context, p Policy) (*Policy, error) {
	if err := allowed(ctx, auth.SLAWrite); err != nil {
		return nil, err
	}
	if err := s.validatePolicy(ctx, &p); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	p.ID, p.CreatedAt, p.UpdatedAt = 0, now, now
	if err := s.store.SavePolicy(ctx, &p, configEvent(ctx, PolicyChanged, 0, now)); err != nil {
		return nil, fmt.Errorf("create sla policy: %w", err)
	}
	s.forget()
	return &p, nil
}

// UpdatePolicy changes a policy with fn, at ifVersion when not 0.
func (s *Service) UpdatePolicy(ctx context.Context, id, ifVersion int64, fn func(p *Policy)) (*Policy, error) {
	if err := allowed(ctx, auth.SLAWrite); err != nil {
		return nil, err
	}
	p, err := versioned(ifVersion, func() (*Policy, error) { return s.store.Policy(ctx, id) },
		func(p *Policy) int64 { return p.Version }, func(p *Policy) error {
			fn(p)
			if err := s.validatePolicy(ctx, p); err != nil {
				return err
			}
			p.UpdatedAt = s.clock.Now()
			return s.store.SavePolicy(ctx, p, configEvent(ctx, PolicyChanged, id, p.UpdatedAt))
		})
	if err != nil {
		return nil, err
	}
	s.forget()
	return p, nil
}

// DeletePolicy removes a policy.
func (s *Service) DeletePolicy(ctx context.Context, id, ifVersion int64) error {
	if err := allowed(ctx, auth.SLAWrite); err != nil {
		return err
	}
	if err := s.store.DeletePolicy(ctx, id, ifVersion, configEvent(ctx, PolicyChanged, id, s.clock.Now())); err != nil {
		return err
	}
	s.forget()
	return nil
}

// --- escalation rules

// Rules lists the escalation rules.
func (s *Service) Rules(ctx context.Context) ([]*Rule, error) {
	if err := allowed(ctx, auth.SLARead); err != nil {
		return nil, err
	}
	return s.store.Rules(ctx)
}

// Rule returns one escalation rule.
func (s *Service) Rule(ctx context.Context, id int64) (*Rule, error) {
	if err := allowed(ctx, auth.SLARead); err != nil {
		return nil, err
	}
	return s.store.Rule(ctx, id)
}

func (s *Service) validateRule(ctx context.Context, r *Rule) error {
	teams, err := s.store.Teams(ctx)
	if err != nil {
		return err
	}
	return r.Validate(func(id int64) bool {
		return slices.ContainsFunc(teams, func(t *people.Team) bool { return t.ID == id })
	}, func(tier int) bool {
		return slices.ContainsFunc(teams, func(t *people.Team) bool { return t.Tier == tier })
	})
}

// CreateRule saves a new escalation rule.
func (s *Service) CreateRule(ctx context.Context, r Rule) (*Rule, error) {
	if err := allowed(ctx, auth.SLAWrite); err != nil {
		return nil, err
	}
	if err := s.validateRule(ctx, &r); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	r.ID, r.CreatedAt, r.UpdatedAt = 0, now, now
	if err := s.store.SaveRule(ctx, &r); err != nil {
		return nil, fmt.Errorf("create escalation rule: %w", err)
	}
	s.forget()
	return &r, nil
}

// UpdateRule changes a rule with fn, at ifVersion when not 0.
func (s *Service) UpdateRule(ctx context.Context, id, ifVersion int64, fn func(r *Rule)) (*Rule, error) {
	if err := allowed(ctx, auth.SLAWrite); err != nil {
		return nil, err
	}
	r, err := versioned(ifVersion, func() (*Rule, error) { return s.store.Rule(ctx, id) },
		func(r *Rule) int64 { return r.Version }, func(r *Rule) error {
			fn(r)
			if err := s.validateRule(ctx, r); err != nil {
				return err
			}
			r.UpdatedAt = s.clock.Now()
			return s.store.SaveRule(ctx, r)
		})
	if err != nil {
		return nil, err
	}
	s.forget()
	return r, nil
}

// DeleteRule removes a rule and its log.
func (s *Service) DeleteRule(ctx context.Context, id, ifVersion int64) error {
	if err := allowed(ctx, auth.SLAWrite); err != nil {
		return err
	}
	if err := s.store.DeleteRule(ctx, id, ifVersion); err != nil {
		return err
	}
	s.forget()
	return nil
}

// Runs returns a rule's execution log, newest first.
func (s *Service) Runs(ctx context.Context, ruleID, before int64, limit int) ([]Run, error) {
	if err := allowed(ctx, auth.SLARead); err != nil {
		return nil, err
	}
	if _, err := s.store.Rule(ctx, ruleID); err != nil {
		return nil, err
	}
	return s.store.Runs(ctx, ruleID, before, limit)
}

// Meters returns how business time is counted for a ticket of each team
// (the team's calendar, else every hour) and the category of each status
// name, from the configuration in force now. Reports count business hours
// with it.
func (s *Service) Meters(ctx context.Context) (meter func(teamID int64) Meter, category func(status string) string, err error) {
	c, err := s.config(ctx)
	if err != nil {
		return nil, nil, err
	}
	return func(teamID int64) Meter { return Meter{Cal: c.teamCal[teamID]} }, c.categoryOf, nil
}
