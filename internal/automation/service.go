package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/notify"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Store is what automations and macros keep. Missing rules and macros are
// ENOTFOUND; writes with a stale version are ESTALE.
type Store interface {
	event.Cursor
	Automations(ctx context.Context) ([]*Rule, error) // by position, then id
	Automation(ctx context.Context, id int64) (*Rule, error)
	CreateAutomation(ctx context.Context, r *Rule) error
	UpdateAutomation(ctx context.Context, r *Rule) error
	DeleteAutomation(ctx context.Context, id, ifVersion int64) error
	// ClaimRun writes a run unless one with its rule and fire key exists
	// (then false: it fired already).
	AutomationClaimRun(ctx context.Context, r *Run) (bool, error)
	AutomationFinishRun(ctx context.Context, r *Run) error
	AutomationRuns(ctx context.Context, ruleID, beforeID int64, limit int) ([]*Run, error)
	// RecentRuns counts the runs of every rule on a ticket since a moment.
	AutomationRecentRuns(ctx context.Context, ticketID int64, since time.Time) (int, error)
	// ScheduleTimers sets, for every active rule timed from since, the
	// ticket's timer to anchor plus the rule's hours.
	AutomationScheduleTimers(ctx context.Context, ticketID int64, since string, anchor time.Time) error
	// BackfillTimers sets a rule's timers for every open ticket (solved
	// ones for SinceSolved), when a time rule is saved.
	AutomationBackfillTimers(ctx context.Context, ruleID int64) error
	AutomationDueTimers(ctx context.Context, now time.Time, limit int) ([]Timer, error)
	AutomationDeleteTimer(ctx context.Context, t Timer) error
	AutomationLastCustomerReply(ctx context.Context, ticketID int64) (*time.Time, error)
	AutomationLastTicketEvent(ctx context.Context, ticketID int64) (int64, error)
	AddNotification(ctx context.Context, n *notify.Notification) (bool, error)
	Team(ctx context.Context, id int64) (*people.Team, error)
	MacroStore
}

// Webhooks sends one event to one webhook (package webhook).
type Webhooks interface {
	Send(ctx context.Context, webhookID, eventID int64) error
}

// Loop guard: a ticket on which rules fired this often lately gets no more
// runs for a while; each refusal is logged.
const (
	loopWindow = 10 * time.Minute
	loopLimit  = 30
)

// Service runs automations and macros.
type Service struct {
	store    Store
	tickets  *ticket.Service
	webhooks Webhooks
	bus      *event.Bus
	clock    desk.Clock
	log      *slog.Logger
}

// NewService returns the automation service; webhooks may be nil.
func NewService(s Store, tickets *ticket.Service, webhooks Webhooks, bus *event.Bus, clock desk.Clock, log *slog.Logger) *Service {
	return &Service{store: s, tickets: tickets, webhooks: webhooks, bus: bus, clock: clock, log: log}
}

// actor is the acting user, refused without the permission.
func actor(ctx context.Context, permission string) (desk.Actor, error) {
	return desk.Require(ctx, permission)
}

// Schema reads what rules may name now.
func (s *Service) Schema(ctx context.Context) (Schema, error) {
	sys := desk.WithActor(ctx, desk.System)
	st, err := s.tickets.Statuses(sys)
	if err != nil {
		return Schema{}, err
	}
	fs, err := s.tickets.Fields(sys)
	if err != nil {
		return Schema{}, err
	}
	return Schema{Statuses: st, Fields: fs}, nil
}

// List returns every rule in order.
func (s *Service) List(ctx context.Context) ([]*Rule, error) {
	if _, err := actor(ctx, auth.AutomationsWrite); err != nil {
		return nil, err
	}
	return s.store.Automations(ctx)
}

// Get returns one rule.
func (s *Service) Get(ctx context.Context, id int64) (*Rule, error) {
	if _, err := actor(ctx, auth.AutomationsWrite); err != nil {
		return nil, err
	}
	return s.store.Automation(ctx, id)
}

// Create validates and saves a rule; a time rule gets its timers for the
// tickets open now.
func (s *Service) Create(ctx context.Context, r Rule) (*Rule, error) {
	if _, err := actor(ctx, auth.AutomationsWrite); err != nil {
		return nil, err
	}
	schema, err := s.Schema(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.Validate(schema); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	r.CreatedAt, r.UpdatedAt = now, now
	if err := s.store.CreateAutomation(ctx, &r); err != nil {
		return nil, fmt.Errorf("create automation: %w", err)
	}
	return &r, s.backfill(ctx, &r)
}

func (s *Service) backfill(ctx context.Context, r *Rule) error {
	if r.Trigger.Since == "" || !r.Active {
		return nil
	}
	if err := s.store.AutomationBackfillTimers(ctx, r.ID); err != nil {
		return fmt.Errorf("schedule automation %d: %w", r.ID, err)
	}
	return nil
}

// Update changes a rule by fn and saves it if valid; ifVersion 0 applies
// to any version.
func (s *Service) Update(ctx context.Context, id, ifVersion int64, fn func(r *Rule)) (*Rule, error) {
	if _, err := actor(ctx, auth.AutomationsWrite); err != nil {
		return nil, err
	}
	schema, err := s.Schema(ctx)
	if err != nil {
		return nil, err
	}
	var out *Rule
	err = desk.Optimistic(ifVersion, func() error {
		r, err := s.store.Automation(ctx, id)
		if err != nil {
			return err
		}
		if err := desk.CheckVersion(ifVersion, r.Version); err != nil {
			return err
		}
		fn(r)
		r.ID = id
		if err := r.Validate(schema); err != nil {
			return err
		}
		r.UpdatedAt = s.clock.Now()
		out = r
		return s.store.UpdateAutomation(ctx, r)
	})
	if err != nil {
		return nil, err
	}
	return out, s.backfill(ctx, out)
}

// Delete removes a rule, its log and its timers.
func (s *Service) Delete(ctx context.Context, id, ifVersion int64) error {
	if _, err := actor(ctx, auth.AutomationsWrite); err != nil {
		return err
	}
	return s.store.DeleteAutomation(ctx, id, ifVersion)
}

// Runs returns a page of a rule's execution log, newest first.
func (s *Service) Runs(ctx context.Context, id, beforeID int64, limit int) ([]*Run, error) {
	if _, err := actor(ctx, auth.AutomationsWrite); err != nil {
		return nil, err
	}
	if _, err := s.store.Automation(ctx, id); err != nil {
		return nil, err
	}
	return s.store.AutomationRuns(ctx, id, beforeID, limit)
}

// DryRunLimit bounds the tickets a dry run reads and lists.
const (
	DryRunScan = 5000
	DryRunList = 100
)

// DryRun validates a rule (saved or not) and lists the open tickets it
// would act on now: those its conditions hold for and, for a time rule,
// whose moment plus its hours has passed. Nothing changes.
func (s *Service) DryRun(ctx context.Context, r Rule) ([]*ticket.Ticket, error) {
	if _, err := actor(ctx, auth.AutomationsWrite); err != nil {
		return nil, err
	}
	schema, err := s.Schema(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.Validate(schema); err != nil {
		return nil, err
	}
	sys := desk.WithActor(ctx, desk.System)
	now := s.clock.Now()
	out := []*ticket.Ticket{}
	f := ticket.Filter{Open: r.Trigger.Since != SinceSolved, Limit: 100, Sort: "oldest"}
	if r.Trigger.Since == SinceSolved {
		f.Categories = []string{ticket.CategorySolved}
	}
	for scanned := 0; scanned < DryRunScan && len(out) < DryRunList; {
		page, err := s.tickets.List(sys, f)
		if err != nil {
			return nil, err
		}
		for _, t := range page.Tickets {
			scanned++
			if !r.Matches(t, now) {
				continue
			}
			if r.Trigger.Since != "" {
				due, ok, err := s.dueAt(ctx, &r, t)
				if err != nil {
					return nil, err
				}
				if !ok || due.After(now) {
					continue
				}
			}
			if out = append(out, t); len(out) == DryRunList {
				break
			}
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	return out, nil
}

// dueAt is when a time rule is due for a ticket as it is now; false when
// its moment has not happened (not solved, no customer reply).
func (s *Service) dueAt(ctx context.Context, r *Rule, t *ticket.Ticket) (time.Time, bool, error) {
	var anchor *time.Time
	switch r.Trigger.Since {
	case SinceCreated:
		anchor = &t.CreatedAt
	case SinceUpdated:
		anchor = &t.UpdatedAt
	case SinceSolved:
		anchor = t.SolvedAt
	case SinceCustomerReply:
		var err error
		if anchor, err = s.store.AutomationLastCustomerReply(ctx, t.ID); err != nil {
			return time.Time{}, false, err
		}
	}
	if anchor == nil {
		return time.Time{}, false, nil
	}
	return anchor.Add(time.Duration(r.Trigger.Hours * float64(time.Hour))), true, nil
}

const consumer = "automation"

// Run consumes events until ctx ends.
func (s *Service) Run(ctx context.Context) {
	event.Follow(ctx, s.store, s.bus, consumer, 100*time.Millisecond, 2*time.Second, s.Handle, s.log)
}

// firing is one trigger of one ticket in a batch of events.
type firing struct {
	ticketID int64
	trigger  string
	eventID  int64
	actor    desk.Actor
}

// Handle runs the rules for a batch of events and moves time rules' timers.
// The events of one change (a PATCH of three fields) fire "updated" once.
// A rule's failure is written to its log and never stops the batch.
func (s *Service) Handle(ctx context.Context, evs []event.Event) error {
	// The rules are read after the events: a time rule saved since sets
	// its timers by itself (AutomationBackfillTimers).
	rules, err := s.store.Automations(ctx)
	if err != nil {
		return err
	}
	timed := map[string]bool{}
	for _, r := range rules {
		if r.Active && r.Trigger.Since != "" {
			timed[r.Trigger.Since] = true
		}
	}
	var fs []firing
	seen := map[string]bool{}
	for _, e := range evs {
		if e.TicketID == 0 {
			continue
		}
		var d struct {
			Field string `json:"field"`
		}
		_ = json.Unmarshal(e.Data, &d)
		byContact := e.ActorKind == desk.ActorContact
		for _, tr := range Triggers(e.Kind, d.Field, byContact) {
			key := fmt.Sprintf("%d|%s|%d|%s|%d", e.TicketID, tr, e.CreatedAt.UnixMicro(), e.ActorKind, e.ActorID)
			if !seen[key] {
				seen[key] = true
				fs = append(fs, firing{e.TicketID, tr, e.ID, desk.Actor{Kind: e.ActorKind, ID: e.ActorID}})
			}
		}
		if err := s.schedule(ctx, e, byContact, timed); err != nil {
			return err
		}
	}
	if len(fs) == 0 {
		return nil
	}
	for _, f := range fs {
		for _, r := range rules {
			if !r.Active || r.Trigger.Event != f.trigger {
				continue
			}
			// A rule does not answer its own changes.
			if f.actor.Kind == desk.ActorSystem && f.actor.ID == r.ID {
				continue
			}
			if err := s.fire(ctx, r, f.ticketID, "e"+strconv.FormatInt(f.eventID, 10), f.eventID); err != nil {
				return err
			}
		}
	}
	return nil
}

// schedule moves the timers an event concerns, of the kinds timed holds
// (those of the active time rules): a statement per event and kind cost
// every create two round trips with no time rule at all.
func (s *Service) schedule(ctx context.Context, e event.Event, byContact bool, timed map[string]bool) error {
	var since []string
	switch {
	case e.Kind == event.TicketCreated:
		since = []string{SinceCreated, SinceUpdated}
	case e.Kind == event.MessageAdded && byContact:
		since = []string{SinceCustomerReply, SinceUpdated}
	case strings.HasPrefix(e.Kind, "ticket."):
		since = []string{SinceUpdated}
		var d struct {
			Field string `json:"field"`
			New   any    `json:"new"`
		}
		_ = json.Unmarshal(e.Data, &d)
		if e.Kind == event.FieldChanged && d.Field == "status" {
			since = append(since, SinceSolved)
		}
	}
	for _, x := range since {
		if !timed[x] {
			continue
		}
		if err := s.store.AutomationScheduleTimers(ctx, e.TicketID, x, e.CreatedAt); err != nil {
			return fmt.Errorf("schedule timers: %w", err)
		}
	}
	return nil
}

// RunDue fires the time rules whose timers are due, in due order, and
// answers how many it looked at. Only due timers are read: the cost is per
// due timer, not per open ticket.
func (s *Service) RunDue(ctx context.Context) (int, error) {
	now := s.clock.Now()
	timers, err := s.store.AutomationDueTimers(ctx, now, 500)
	if err != nil {
		return 0, err
	}
	byID := map[int64]*Rule{}
	for _, tm := range timers {
		r, ok := byID[tm.RuleID]
		if !ok {
			r, err = s.store.Automation(ctx, tm.RuleID)
			if desk.ErrorCode(err) == desk.ENOTFOUND {
				continue
			}
			if err != nil {
				return 0, err
			}
			byID[tm.RuleID] = r
		}
		if err := s.fireTimer(ctx, r, tm, now); err != nil {
			return 0, err
		}
	}
	return len(timers), nil
}

func (s *Service) fireTimer(ctx context.Context, r *Rule, tm Timer, now time.Time) error {
	t, err := s.tickets.Get(desk.WithActor(ctx, desk.System), tm.TicketID)
	if err != nil && desk.ErrorCode(err) != desk.ENOTFOUND {
		return err
	}
	if err == nil && r.Active && r.Trigger.Since != "" {
		due, ok, err := s.dueAt(ctx, r, t)
		if err != nil {
			return err
		}
		switch {
		case !ok:
		case due.After(now):
			// The moment moved since the timer was set: wait for the new one.
			return s.store.AutomationScheduleTimers(ctx, t.ID, r.Trigger.Since, due.Add(-time.Duration(r.Trigger.Hours*float64(time.Hour))))
		default:
			key := "t" + strconv.FormatInt(due.UnixMicro(), 10)
			eventID, err := s.store.AutomationLastTicketEvent(ctx, t.ID)
			if err != nil {
				return err
			}
			if err := s.fire(ctx, r, t.ID, key, eventID); err != nil {
				return err
			}
		}
	}
	return s.store.AutomationDeleteTimer(ctx, tm)
}

// fire evaluates a rule on a ticket as it is now and, if it matches,
// applies its actions. The run is claimed first (rule, fire key), so a
// batch read again does not act twice.
func (s *Service) fire(ctx context.Context, r *Rule, ticketID int64, key string, eventID int64) error {
	sys := desk.WithActor(ctx, desk.System)
	t, err := s.tickets.Get(sys, ticketID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.clock.Now()
	if t.StatusCategory == ticket.CategoryClosed || t.MergedIntoID != nil || !r.Matches(t, now) {
		return nil
	}
	run := &Run{RuleID: r.ID, TicketID: t.ID, FireKey: key, Outcome: Applied, CreatedAt: now}
	recent, err := s.store.AutomationRecentRuns(ctx, t.ID, now.Add(-loopWindow))
	if err != nil {
		return err
	}
	if recent >= loopLimit {
		run.Outcome, run.Detail = Stopped, fmt.Sprintf("%d rule runs on this ticket in %s", recent, loopWindow)
	}
	claimed, err := s.store.AutomationClaimRun(ctx, run)
	if err != nil || !claimed || run.Outcome == Stopped {
		return err
	}
	as := desk.WithActor(ctx, desk.Actor{Kind: desk.ActorSystem, ID: r.ID, Name: r.Name})
	for i, a := range r.Actions {
		if err := s.apply(as, a, t, eventID, Data{Ticket: t, Agent: desk.Actor{Name: r.Name}}); err != nil {
			run.Outcome, run.Detail = Failed, fmt.Sprintf("action %d (%s): %v", i+1, a.Type, err)
			s.log.Info("automation failed", slog.Int64("automation", r.ID), slog.Int64("ticket", t.ID), slog.Any("err", err))
			break
		}
		if t, err = s.tickets.Get(sys, ticketID); err != nil {
			run.Outcome, run.Detail = Failed, err.Error()
			break
		}
	}
	return s.store.AutomationFinishRun(ctx, run)
}

// apply performs one action on a ticket through the ticket service, as
// the actor in ctx.
func (s *Service) apply(ctx context.Context, a Action, t *ticket.Ticket, eventID int64, data Data) error {
	switch a.Type {
	case ActSet:
		p := ticket.Patch{}
		str, _ := a.Value.(string)
		switch a.Field {
		case "status":
			p.Status = &str
		case "priority":
			p.Priority = &str
		case "type":
			p.Type = &str
		case "subject":
			p.Subject = &str
		default:
			key := strings.TrimPrefix(a.Field, "custom_fields.")
			p.CustomFields = map[string]any{key: a.Value}
		}
		_, err := s.tickets.Update(ctx, t.ID, p)
		return err
	case ActAssign:
		_, err := s.tickets.Update(ctx, t.ID, ticket.Patch{AssigneeID: a.AgentID, TeamID: a.TeamID})
		return err
	case ActAddTags, ActRemoveTags:
		tags := slices.Clone(t.Tags)
		for _, tag := range a.Tags {
			if a.Type == ActAddTags && !slices.Contains(tags, tag) {
				tags = append(tags, tag)
			}
			if a.Type == ActRemoveTags {
				tags = slices.DeleteFunc(tags, func(x string) bool { return x == tag })
			}
		}
		_, err := s.tickets.Update(ctx, t.ID, ticket.Patch{Tags: &tags})
		return err
	case ActNote, ActReply:
		tpl, msg := ParseTemplate(a.Text, Schema{Fields: fieldsOf(t)})
		if msg.Key != "" {
			return desk.Invalid(desk.Fields{"text": msg})
		}
		_, err := s.tickets.AddMessage(ctx, t.ID, ticket.NewMessage{Body: tpl.Render(data), Internal: a.Type == ActNote})
		return err
	case ActEscalate:
		_, err := s.tickets.Escalate(ctx, t.ID, *a.TeamID, "automation: "+data.Agent.Name)
		return err
	case ActNotify:
		return s.notify(ctx, a, t, eventID, data)
	case ActWebhook:
		if s.webhooks == nil {
			return fmt.Errorf("webhooks are not available")
		}
		return s.webhooks.Send(ctx, a.WebhookID, eventID)
	}
	return fmt.Errorf("unknown action %q", a.Type)
}

// fieldsOf lets a template name the custom fields the ticket holds (the
// rule was checked against the desk's fields when it was saved).
func fieldsOf(t *ticket.Ticket) []ticket.Field {
	var fs []ticket.Field
	for k := range t.CustomFields {
		fs = append(fs, ticket.Field{Key: k})
	}
	return fs
}

func (s *Service) notify(ctx context.Context, a Action, t *ticket.Ticket, eventID int64, data Data) error {
	var to *int64
	switch a.To {
	case "assignee":
		to = t.AssigneeID
	case "team_lead":
		if t.TeamID != nil {
			team, err := s.store.Team(ctx, *t.TeamID)
			if err != nil {
				return err
			}
			to = team.LeadID
		}
	default:
		to = a.AgentID
	}
	if to == nil {
		return nil // nobody holds that place on this ticket
	}
	tpl, msg := ParseTemplate(a.Text, Schema{Fields: fieldsOf(t)})
	if msg.Key != "" {
		return desk.Invalid(desk.Fields{"text": msg})
	}
	_, err := s.store.AddNotification(ctx, &notify.Notification{AgentID: *to, Kind: "automation", TicketID: t.ID,
		EventID: eventID, Body: tpl.Render(data), CreatedAt: s.clock.Now()})
	return err
}
