package sla

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Meter counts SLA time: the working time of a calendar, or, without one,
// all time.
type Meter struct{ Cal *Calendar }

// Add returns when d of counted time will have passed after t.
func (m Meter) Add(t time.Time, d time.Duration) (time.Time, error) {
	if m.Cal == nil {
		return t.Add(d), nil
	}
	return m.Cal.AddWorking(t, d)
}

// Between returns the counted time from a to b.
func (m Meter) Between(a, b time.Time) time.Duration {
	if m.Cal == nil {
		if b.After(a) {
			return b.Sub(a)
		}
		return 0
	}
	return m.Cal.Working(a, b)
}

// State is a ticket's SLA clock. Every target counts on one clock per
// ticket — SLA time, which stops while the ticket waits on the customer
// (the policy's pause categories) and once it is solved — so a deadline is
// "when the clock will read start + target": Counted is the clock's reading
// at Mark, and the rest is arithmetic on the calendar.
type State struct {
	TicketID int64
	PolicyID *int64
	Counted  time.Duration
	Mark     time.Time
	Paused   bool
	// NextStart is the clock's reading when the customer began waiting for
	// the next reply (nil: nobody is waiting on us for one).
	NextStart      *time.Duration
	FirstResponded bool
	Resolved       bool
	Warned         []string
	Breached       []string
	// Due times of the running targets, nil when met, paused or none.
	FirstResponseDue *time.Time
	NextResponseDue  *time.Time
	ResolutionDue    *time.Time
	TicketVersion    int64
	LastEventID      int64
}

// DueAt is the nearest running due time, nil when none runs.
func (s *State) DueAt() *time.Time {
	var min *time.Time
	for _, d := range []*time.Time{s.FirstResponseDue, s.NextResponseDue, s.ResolutionDue} {
		if d != nil && (min == nil || d.Before(*min)) {
			min = d
		}
	}
	return min
}

// Summary is the state as ticket JSON shows it (what store reads join in):
// nil while no policy covers the ticket.
func (s *State) Summary() *ticket.SLA {
	if s.PolicyID == nil {
		return nil
	}
	return &ticket.SLA{PolicyID: *s.PolicyID, FirstResponseDueAt: stored(s.FirstResponseDue), NextResponseDueAt: stored(s.NextResponseDue),
		ResolutionDueAt: stored(s.ResolutionDue), Paused: s.Paused, Breached: slices.Clone(nonNil(s.Breached))}
}

// stored is a due time as a read gives it back: UTC, in microseconds (a
// calendar's arithmetic runs in its zone, in nanoseconds).
func stored(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	x := time.UnixMicro(t.UnixMicro()).UTC()
	return &x
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// Timer is a moment an SLA event is due for a ticket.
type Timer struct {
	TicketID int64
	Metric   string
	Kind     string // event.SLAWarning or event.SLABreached
	DueAt    time.Time
}

// Setup is what one ticket's SLA is computed against.
type Setup struct {
	Policy *Policy
	Meter  Meter
	// Category maps a status name to its category.
	Category func(status string) string
}

func (u Setup) pauses(category string) bool {
	if category == ticket.CategorySolved || category == ticket.CategoryClosed {
		return true
	}
	pauseOn := DefaultPauseOn
	if u.Policy != nil {
		pauseOn = u.Policy.PauseOn
	}
	return slices.Contains(pauseOn, category)
}

// advance moves the clock to t.
func (s *State) advance(m Meter, t time.Time) {
	if !t.After(s.Mark) {
		return
	}
	if !s.Paused {
		s.Counted += m.Between(s.Mark, t)
	}
	s.Mark = t
}

// Apply moves the state through a ticket's events, oldest first, each at
// the time it happened (so a consumer that runs late still counts right).
// Events already applied (by id) are skipped, which makes it idempotent.
func (s *State) Apply(u Setup, evs []event.Event) {
	for _, e := range evs {
		if e.ID != 0 && e.ID <= s.LastEventID {
			continue
		}
		if e.ID > s.LastEventID {
			s.LastEventID = e.ID
		}
		switch e.Kind {
		case event.TicketCreated:
			var d struct {
				Status string `json:"status"`
			}
			_ = json.Unmarshal(e.Data, &d)
			s.Counted, s.Mark, s.NextStart = 0, e.CreatedAt, nil
			s.Paused = u.pauses(u.Category(d.Status))
			continue
		case event.FieldChanged, event.MessageAdded:
		default:
			continue
		}
		s.advance(u.Meter, e.CreatedAt)
		if e.Kind == event.MessageAdded {
			var d struct {
				Internal   bool   `json:"internal"`
				AuthorKind string `json:"author_kind"`
			}
			_ = json.Unmarshal(e.Data, &d)
			switch {
			case d.Internal:
			case d.AuthorKind == desk.ActorContact && s.FirstResponded && s.NextStart == nil:
				c := s.Counted
				s.NextStart = &c
				s.Warned, s.Breached = remove(s.Warned, NextResponse), remove(s.Breached, NextResponse)
			case d.AuthorKind == desk.ActorAgent:
				s.NextStart = nil
			}
			continue
		}
		var ch event.Change
		_ = json.Unmarshal(e.Data, &ch)
		switch ch.Field {
		case "first_responded_at":
			s.FirstResponded = true
		case "status":
			name, _ := ch.New.(string)
			cat := u.Category(name)
			s.Paused = u.pauses(cat)
			s.Resolved = cat == ticket.CategorySolved || cat == ticket.CategoryClosed
		}
	}
}

func remove(list []string, v string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(x string) bool { return x == v })
}

// Schedule works out the due times at now and the timers still to fire.
// A ticket's priority picks the targets; a target met, without a promise,
// or already breached schedules nothing further.
func (s *State) Schedule(u Setup, t *ticket.Ticket, now time.Time) ([]Timer, error) {
	s.advance(u.Meter, now)
	s.FirstResponseDue, s.NextResponseDue, s.ResolutionDue = nil, nil, nil
	if u.Policy == nil {
		s.PolicyID = nil
		return nil, nil
	}
	s.PolicyID = &u.Policy.ID
	target := u.Policy.Targets[t.Priority]
	s.FirstResponded = s.FirstResponded || t.FirstRespondedAt != nil
	var timers []Timer
	plan := func(metric string, start time.Duration, running bool, due **time.Time) error {
		d := target.of(metric)
		if d <= 0 || !running {
			return nil
		}
		if s.Paused {
			return nil
		}
		at, err := s.when(u.Meter, start+d)
		if err != nil {
			return err
		}
		*due = &at
		if !slices.Contains(s.Breached, metric) {
			timers = append(timers, Timer{TicketID: t.ID, Metric: metric, Kind: event.SLABreached, DueAt: at})
			if p := u.Policy.WarnPercent; p > 0 && !slices.Contains(s.Warned, metric) {
				w, err := s.when(u.Meter, start+d*time.Duration(p)/100)
				if err != nil {
					return err
				}
				timers = append(timers, Timer{TicketID: t.ID, Metric: metric, Kind: event.SLAWarning, DueAt: w})
			}
		}
		return nil
	}
	if err := plan(FirstResponse, 0, !s.FirstResponded, &s.FirstResponseDue); err != nil {
		return nil, err
	}
	var next time.Duration
	if s.NextStart != nil {
		next = *s.NextStart
	}
	if err := plan(NextResponse, next, s.NextStart != nil && !s.Resolved, &s.NextResponseDue); err != nil {
		return nil, err
	}
	if err := plan(Resolution, 0, !s.Resolved, &s.ResolutionDue); err != nil {
		return nil, err
	}
	return timers, nil
}

// when is the moment the clock reads c (at Mark if it read c already).
func (s *State) when(m Meter, c time.Duration) (time.Time, error) {
	if c <= s.Counted {
		return s.Mark, nil
	}
	return m.Add(s.Mark, c-s.Counted)
}

// Remaining returns, for a paused clock, how much of each running target is
// left; pages show it instead of a countdown.
func (s *State) Remaining(u Setup, priority, metric string) time.Duration {
	if u.Policy == nil {
		return 0
	}
	d := u.Policy.Targets[priority].of(metric)
	if metric == NextResponse && s.NextStart != nil {
		d += *s.NextStart
	}
	return d - s.Counted
}
