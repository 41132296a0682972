package sla

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Names of the durable consumers (their cursors are shared by all nodes).
const (
	stateConsumer = "sla"
	rulesConsumer = "escalation"
)

// Run keeps SLA clocks, fires timers and runs escalation rules until ctx
// ends. Every node may run it: state updates are idempotent, a timer fires
// once (its row is the claim), and a rule acts once per event (its run row
// is the claim).
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		event.Follow(ctx, s.store, s.bus, stateConsumer, s.cfg.Gather, s.cfg.Poll, s.HandleState, s.log)
	}()
	go func() {
		defer wg.Done()
		s.runTimers(ctx)
	}()
	go func() {
		defer wg.Done()
		event.Follow(ctx, s.store, s.bus, rulesConsumer, s.cfg.Gather, s.cfg.Poll, s.HandleRules, s.log)
	}()
	wg.Wait()
}

// HandleState works out the SLA of every ticket a batch of events touched;
// a configuration event works out every clock still running.
func (s *Service) HandleState(ctx context.Context, evs []event.Event) error {
	var ids []int64
	everything := false
	for _, e := range evs {
		switch {
		case e.Kind == CalendarChanged || e.Kind == PolicyChanged || e.Kind == event.TeamUpdated || e.Kind == event.TeamDeleted:
			everything = true
		case e.TicketID != 0 && strings.HasPrefix(e.Kind, "ticket.") && !slices.Contains(ids, e.TicketID):
			ids = append(ids, e.TicketID)
		}
	}
	if everything {
		s.forget()
	}
	if err := s.refreshAll(ctx, ids); err != nil || !everything {
		return err
	}
	var after int64
	for {
		batch, err := s.store.SLATickets(ctx, after, 500)
		if err != nil || len(batch) == 0 {
			return err
		}
		if err := s.refreshAll(ctx, batch); err != nil {
			return err
		}
		after = batch[len(batch)-1]
	}
}

// refreshGroup is how many tickets' SLA one transaction works out: on
// PostgreSQL a transaction per ticket made the consumer's commits most of
// what a create cost the database; a bounded group keeps each transaction's
// row locks short.
const refreshGroup = 100

// refreshAll works out the SLA of the tickets, refreshGroup to a
// transaction. Tickets deleted meanwhile are skipped.
func (s *Service) refreshAll(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	conf, err := s.config(ctx)
	if err != nil {
		return err
	}
	for len(ids) > 0 {
		n := min(len(ids), refreshGroup)
		if err := s.store.RefreshTickets(ctx, ids[:n], func(t *ticket.Ticket, st *State, evs []event.Event) ([]Timer, error) {
			_, timers, err := s.work(conf, t, st, evs)
			return timers, err
		}); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// Refresh works out one ticket's SLA: its clock moved through the events
// it has not seen, the policy and calendar that cover it now, its due times
// and its timers.
func (s *Service) Refresh(ctx context.Context, id int64) error {
	conf, err := s.config(ctx)
	if err != nil {
		return err
	}
	_, err = s.refresh(ctx, conf, id)
	return err
}

// KeepSLA works out the SLA of a ticket whose change has just committed and
// puts it in t (ticket.SLAKeeper), so that the answer to a create or a PATCH
// carries it. The consumer still reads the change's events; the state has
// seen them already, so it only confirms the due times and timers. While no
// active policy exists no ticket has an SLA, and nothing is read or written.
// A failure is logged: the change stands, and the consumer retries.
func (s *Service) KeepSLA(ctx context.Context, t *ticket.Ticket) {
	conf, err := s.config(ctx)
	if err == nil && !slices.ContainsFunc(conf.policies, func(p *Policy) bool { return p.Active }) {
		return
	}
	var st *State
	if err == nil {
		st, err = s.refresh(ctx, conf, t.ID)
	}
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("sla: after a change", slog.Int64("ticket", t.ID), slog.Any("err", err))
		}
		return
	}
	t.SLA = st.Summary()
}

func (s *Service) refresh(ctx context.Context, conf *configuration, id int64) (*State, error) {
	var out *State
	err := s.store.RefreshTicket(ctx, id, func(t *ticket.Ticket, st *State, evs []event.Event) ([]Timer, error) {
		var timers []Timer
		var err error
		out, timers, err = s.work(conf, t, st, evs)
		return timers, err
	})
	return out, err
}

// work moves a ticket's state through the events it has not seen and
// answers it with the ticket's timers.
func (s *Service) work(conf *configuration, t *ticket.Ticket, st *State, evs []event.Event) (*State, []Timer, error) {
	u := conf.setup(t)
	if st.PolicyID != nil && (u.Policy == nil || *st.PolicyID != u.Policy.ID) {
		// Another policy (or none) covers the ticket now: its warnings
		// and breaches are those of the new promise.
		st.Warned, st.Breached = nil, nil
	}
	st.Apply(u, evs)
	st.Resolved = t.StatusCategory == ticket.CategorySolved || t.StatusCategory == ticket.CategoryClosed
	timers, err := st.Schedule(u, t, s.clock.Now())
	return st, timers, err
}

// runTimers fires due timers, reading them in due order from an index.
func (s *Service) runTimers(ctx context.Context) {
	tick := time.NewTicker(s.cfg.TimerPoll)
	defer tick.Stop()
	for {
		for {
			n, err := s.FireDue(ctx, 200)
			if err != nil && ctx.Err() == nil {
				s.log.Error("sla: timers", slog.Any("err", err))
			}
			if err != nil || n < 200 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// FireDue fires up to limit timers that are due and returns how many it
// read.
func (s *Service) FireDue(ctx context.Context, limit int) (int, error) {
	now := s.clock.Now()
	timers, err := s.store.DueTimers(ctx, now, limit)
	if err != nil {
		return 0, err
	}
	for _, tm := range timers {
		if err := s.fire(ctx, tm, now); err != nil {
			return len(timers), err
		}
	}
	return len(timers), nil
}

func (s *Service) fire(ctx context.Context, tm Timer, now time.Time) error {
	evs, t, err := s.store.FireTimer(ctx, tm, func(t *ticket.Ticket, st *State) ([]event.Event, error) {
		if st.TicketVersion != t.Version {
			return nil, ErrNotNow
		}
		list := &st.Warned
		if tm.Kind == event.SLABreached {
			list = &st.Breached
		}
		if slices.Contains(*list, tm.Metric) || st.PolicyID == nil {
			return nil, nil
		}
		*list = append(*list, tm.Metric)
		ev := event.New(tm.Kind, t.ID, map[string]any{"policy_id": *st.PolicyID, "metric": tm.Metric, "due_at": tm.DueAt})
		ev.ActorKind, ev.CreatedAt = desk.ActorSystem, now
		return []event.Event{ev}, nil
	})
	if err != nil {
		return err
	}
	if len(evs) > 0 {
		for i := range evs {
			evs[i].To = t.Audience()
		}
		s.bus.Publish(evs...)
	}
	return nil
}

// HandleRules runs the escalation rules over a batch of events. A rule that
// fails is written in its execution log and logged; it never holds the
// batch up (the change that set it off is committed already).
func (s *Service) HandleRules(ctx context.Context, evs []event.Event) error {
	conf, err := s.config(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(conf.rules, func(r *Rule) bool { return r.Active }) {
		return nil
	}
	for _, e := range evs {
		if e.TicketID == 0 {
			continue
		}
		var t *ticket.Ticket
		var facts *Facts
		for _, r := range conf.rules {
			if !r.Active || !mayFire(r, e) {
				continue
			}
			if t == nil {
				if t, err = s.store.Ticket(ctx, e.TicketID); desk.ErrorCode(err) == desk.ENOTFOUND {
					break
				} else if err != nil {
					return err
				}
			}
			if facts == nil {
				if facts, err = s.facts(ctx, conf, e); err != nil {
					return err
				}
			}
			if r.Fires(e, t, *facts) {
				if err := s.escalate(ctx, conf, r, e, t); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// mayFire says cheaply whether the event is of a kind the rule listens to.
func mayFire(r *Rule, e event.Event) bool {
	switch r.Trigger {
	case TriggerSLAWarning:
		return e.Kind == event.SLAWarning
	case TriggerSLABreach:
		return e.Kind == event.SLABreached
	case TriggerUrgent:
		return e.Kind == event.TicketCreated || e.Kind == event.FieldChanged
	case TriggerReopened:
		return e.Kind == event.FieldChanged
	case TriggerKeyword:
		return e.Kind == event.MessageAdded
	case TriggerNegativeCS:
		return e.Kind == SurveyAnswered
	}
	return false
}

func (s *Service) facts(ctx context.Context, conf *configuration, e event.Event) (*Facts, error) {
	f := &Facts{}
	switch {
	case IsCustomerMessage(e):
		var d struct {
			MessageID int64 `json:"message_id"`
		}
		_ = json.Unmarshal(e.Data, &d)
		text, err := s.store.MessageText(ctx, d.MessageID)
		if err != nil && desk.ErrorCode(err) != desk.ENOTFOUND {
			return nil, err
		}
		f.MessageText = text
	case IsReopen(e, conf.categoryOf):
		f.Reopened = true
		evs, err := s.store.TicketEvents(ctx, e.TicketID)
		if err != nil {
			return nil, err
		}
		for _, x := range evs {
			if x.ID <= e.ID && IsReopen(x, conf.categoryOf) {
				f.Reopens++
			}
		}
	}
	return f, nil
}

// escalate acts on a rule that fired, once per (rule, event).
func (s *Service) escalate(ctx context.Context, conf *configuration, r *Rule, e event.Event, t *ticket.Ticket) error {
	run := &Run{RuleID: r.ID, TicketID: t.ID, EventID: e.ID, Outcome: RunFailed, CreatedAt: s.clock.Now()}
	claimed, err := s.store.ClaimRun(ctx, run)
	if err != nil || !claimed {
		return err
	}
	teamID := int64(0)
	if r.TeamID != nil {
		teamID = *r.TeamID
	} else if r.Tier != nil {
		for _, team := range conf.teams {
			if team.Tier == *r.Tier && (teamID == 0 || team.ID < teamID) {
				teamID = team.ID
			}
		}
	}
	_, err = s.tickets.EscalateByRule(desk.WithActor(ctx, desk.System), t.ID, teamID, r.Name, ticket.Rule{ID: r.ID, Name: r.Name})
	run.Outcome = RunEscalated
	if err != nil {
		run.Outcome, run.Error = RunFailed, desk.ErrorMessage(err)
		if desk.ErrorCode(err) == desk.EINTERNAL {
			run.Error = err.Error()
		}
		s.log.Warn("escalation rule failed", slog.Int64("rule", r.ID), slog.Int64("ticket", t.ID), slog.Any("err", err))
	}
	return s.store.FinishRun(ctx, run)
}
