package report

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/sla"
)

// Consumer is the name of the durable consumer that keeps the rollups.
const Consumer = "report"

// batchSize is how many events one transaction of the live consumer
// counts; bulkBatch is how many a rebuild or a seed counts at once: a big
// batch merges far more increments into each bucket before it is written
// (a ticket's creation, reply and solve mostly fall in the same batch), at
// the price of holding the writer for a few seconds, which only a rebuild
// or a load may do.
const (
	batchSize = 500
	bulkBatch = 20000
)

// Tx is what counting a batch of events does inside its transaction.
type Tx interface {
	// TicketStates returns the states of those tickets that have one.
	TicketStates(ctx context.Context, ids []int64) (map[int64]*TicketState, error)
	// TicketFacts returns the facts of those tickets that exist.
	TicketFacts(ctx context.Context, ids []int64) (map[int64]Facts, error)
	// SLACovered returns which of those tickets an SLA policy covers.
	SLACovered(ctx context.Context, ids []int64) (map[int64]bool, error)
	SaveTicketStates(ctx context.Context, sts []*TicketState) error
	// AgentStates returns the states of those agents that have one.
	AgentStates(ctx context.Context, ids []int64) (map[int64]*AgentState, error)
	SaveAgentStates(ctx context.Context, sts []*AgentState) error
	AddRollup(ctx context.Context, r Rollup) error
	// AddBacklog adds the changes to the counts of open tickets.
	AddBacklog(ctx context.Context, b Backlog) error
}

// Store is the part of the store the consumer and the KPIs use.
type Store interface {
	EventsAfter(ctx context.Context, afterID int64, limit int) ([]event.Event, error)
	EventCursor(ctx context.Context, consumer string) (int64, error)
	// CountEvents runs fn in one transaction that also moves the consumer's
	// cursor from `from` to `to`; ECONFLICT (and nothing written) when the
	// cursor no longer stands at from.
	CountEvents(ctx context.Context, consumer string, from, to int64, fn func(Tx) error) error
	// OnlineAgents returns the states of the agents online now.
	OnlineAgents(ctx context.Context) ([]*AgentState, error)
	// ResetReports empties the rollups and the ticket and agent states and sets the
	// cursor back to the start, in one transaction.
	ResetReports(ctx context.Context, consumer string) error
	Rollups(ctx context.Context, q RollupQuery) ([]Row, error)
	// RollupGroups counts the values of the query's dimension that have
	// buckets in its range or open tickets now, reading no further than
	// limit values of either.
	RollupGroups(ctx context.Context, q RollupQuery, limit int) (int, error)
	Backlog(ctx context.Context, q RollupQuery) ([]Row, error)
	BacklogAges(ctx context.Context, q RollupQuery, now time.Time) ([]AgeRow, error)
	DrillTickets(ctx context.Context, q DrillQuery) ([]int64, error)
	// ComplaintNotes returns the latest record of each key of a dimension's
	// week, by key.
	ComplaintNotes(ctx context.Context, dim string, week time.Time) (map[string]*ComplaintNote, error)
	// SaveComplaintNote adds the next version of a record (setting its
	// Version); ESTALE when the latest is not ifVersion (0: any).
	SaveComplaintNote(ctx context.Context, n *ComplaintNote, ifVersion int64) error
	// ComplaintNoteVersions lists a record's versions, newest first.
	ComplaintNoteVersions(ctx context.Context, dim, key string, week time.Time) ([]*ComplaintNote, error)
	GoalStore
}

// Meters gives business time and status categories (sla.Service).
type Meters interface {
	Meters(ctx context.Context) (func(teamID int64) sla.Meter, func(status string) string, error)
}

// Service keeps the rollups and answers reports.
type Service struct {
	store  Store
	meters Meters
	bus    *event.Bus
	clock  desk.Clock
	log    *slog.Logger
	// goalMail, when set, mails off-track alerts too.
	goalMail GoalMailer
	// Gather and Poll tune the consumer (as the other consumers').
	Gather, Poll time.Duration
	// GroupLimit is the most groups a report gives (MaxGroups).
	GroupLimit int
}

// New returns the service.
func New(s Store, m Meters, bus *event.Bus, clock desk.Clock, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: s, meters: m, bus: bus, clock: clock, log: log, Gather: 200 * time.Millisecond, Poll: 2 * time.Second,
		GroupLimit: MaxGroups}
}

// Run keeps the rollups up to date until ctx ends. Every node may run it:
// a batch counts only if its transaction moves the cursor from where the
// batch was read.
func (s *Service) Run(ctx context.Context) {
	event.Loop(ctx, s.bus, Consumer, s.Gather, s.Poll, s.CatchUp, s.log)
}

// CatchUp counts every event after the cursor.
func (s *Service) CatchUp(ctx context.Context) error { return s.catchUp(ctx, batchSize) }

// CatchUpBulk counts every event after the cursor in big batches: for a
// rebuild and after a bulk load (seed), not beside live traffic.
func (s *Service) CatchUpBulk(ctx context.Context) error { return s.catchUp(ctx, bulkBatch) }

func (s *Service) catchUp(ctx context.Context, batch int) error {
	for {
		from, err := s.store.EventCursor(ctx, Consumer)
		if err != nil {
			return err
		}
		evs, err := s.store.EventsAfter(ctx, from, batch)
		if err != nil || len(evs) == 0 {
			return err
		}
		err = s.store.CountEvents(ctx, Consumer, from, evs[len(evs)-1].ID, func(tx Tx) error {
			return s.count(ctx, tx, evs)
		})
		if err != nil && desk.ErrorCode(err) != desk.ECONFLICT {
			return err
		}
		// ECONFLICT: another node counted this batch; read on from where it
		// left the cursor.
	}
}

// Rebuild counts every event again from the start.
func (s *Service) Rebuild(ctx context.Context) error {
	if err := s.store.ResetReports(ctx, Consumer); err != nil {
		return err
	}
	return s.CatchUpBulk(ctx)
}

// count applies a batch of events to the states of their tickets and
// writes the states and the bucket increments.
func (s *Service) count(ctx context.Context, tx Tx, evs []event.Event) error {
	meter, category, err := s.meters.Meters(ctx)
	if err != nil {
		return err
	}
	var ids, born, covered, agentIDs []int64
	seen := make(map[int64]bool, len(evs))
	for i := range evs {
		e := &evs[i]
		switch e.Kind {
		case event.PresenceChanged, event.Assigned, event.TicketCreated:
			agentIDs = append(agentIDs, agentOf(*e))
		}
		if e.TicketID == 0 {
			// A QA review's events stay out of the ticket's history (no
			// ticket_id) but count for its ticket here.
			if e.TicketID = qaTicket(*e); e.TicketID == 0 {
				continue
			}
		}
		if !seen[e.TicketID] {
			seen[e.TicketID] = true
			ids = append(ids, e.TicketID)
		}
		switch e.Kind {
		case event.TicketCreated:
			born = append(born, e.TicketID)
		case event.MessageAdded, event.FieldChanged:
			covered = append(covered, e.TicketID)
		}
	}
	if len(ids) == 0 && len(agentIDs) == 0 {
		return nil
	}
	states, err := tx.TicketStates(ctx, ids)
	if err != nil {
		return err
	}
	// Where each ticket counted in the backlog before the batch.
	before := make(map[int64]backlogSlot, len(states))
	for id, st := range states {
		before[id] = st.slot()
		agentIDs = append(agentIDs, st.AgentID)
	}
	ag, err := s.agents(ctx, tx, agentIDs)
	if err != nil {
		return err
	}
	env := Env{Category: category, Meter: meter}
	if env.Facts, err = tx.TicketFacts(ctx, born); err != nil {
		return err
	}
	cov, err := tx.SLACovered(ctx, covered)
	if err != nil {
		return err
	}
	env.Covered = func(id int64) bool { return cov[id] }
	r := Rollup{}
	var changed []*TicketState
	isChanged := make(map[*TicketState]bool, len(ids))
	for _, e := range evs {
		if e.Kind == event.PresenceChanged {
			ag.of(agentOf(e)).presence(r, e)
			continue
		}
		if e.TicketID == 0 {
			continue
		}
		st := states[e.TicketID]
		var worker int64 // who worked the ticket before the event
		if e.Kind == event.TicketCreated && st == nil {
			st = Born(e, env)
			states[e.TicketID] = st
		} else if st != nil {
			worker = st.holder()
		}
		if st == nil {
			continue // a ticket whose creation is not in the log
		}
		st.Apply(r, e, env)
		if after := st.holder(); after != worker {
			if worker != 0 {
				ag.of(worker).hold(r, e.CreatedAt, -1)
			}
			if after != 0 {
				ag.of(after).hold(r, e.CreatedAt, 1)
			}
		}
		if !isChanged[st] {
			isChanged[st] = true
			changed = append(changed, st)
		}
	}
	if err := tx.SaveTicketStates(ctx, changed); err != nil {
		return err
	}
	bl := Backlog{}
	for _, st := range changed {
		was, had := before[st.TicketID]
		bl.move(was, had, st.slot())
	}
	if err := tx.AddBacklog(ctx, bl); err != nil {
		return err
	}
	if err := tx.SaveAgentStates(ctx, ag.changed); err != nil {
		return err
	}
	return tx.AddRollup(ctx, r)
}

// agentSet is the agent states a batch reads and moves.
type agentSet struct {
	states  map[int64]*AgentState
	changed []*AgentState
	marked  map[*AgentState]bool
}

// agents reads the states of the agents a batch may concern (every agent
// it may move is among ids).
func (s *Service) agents(ctx context.Context, tx Tx, ids []int64) (*agentSet, error) {
	ids = slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(ids))), func(v int64) bool { return v == 0 })
	states, err := tx.AgentStates(ctx, ids)
	if err != nil {
		return nil, err
	}
	return &agentSet{states: states, marked: map[*AgentState]bool{}}, nil
}

// of is an agent's state, new (offline, holding nothing) when they have
// none; it will be saved.
func (as *agentSet) of(agentID int64) *AgentState {
	a, ok := as.states[agentID]
	if !ok {
		a = &AgentState{AgentID: agentID}
		as.states[agentID] = a
	}
	if !as.marked[a] {
		as.marked[a] = true
		as.changed = append(as.changed, a)
	}
	return a
}
