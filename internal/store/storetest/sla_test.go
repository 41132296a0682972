package storetest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/sla"
	"github.com/sahayak/sahayak/internal/ticket"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// slaDesk is a fixture with the SLA service and an Indian business day:
// Monday to Friday, 09:00-13:00 and 14:00-18:00 in Asia/Kolkata. The
// fixture's clock starts on Friday 14 March 2025, 15:00 IST.
type slaDesk struct {
	*fixture
	sla *sla.Service
	cal *sla.Calendar
}

func newSLADesk(t *testing.T, f *fixture) *slaDesk {
	d := &slaDesk{fixture: f, sla: sla.New(f.db, f.tickets, f.bus, f.clock, quietLog, sla.Config{})}
	day := []sla.Period{{Start: 9 * 60, End: 13 * 60}, {Start: 14 * 60, End: 18 * 60}}
	cal, err := d.sla.CreateCalendar(f.sys, sla.Calendar{Name: "India office", TimeZone: "Asia/Kolkata",
		Hours: map[string][]sla.Period{"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day}})
	if err != nil {
		t.Fatalf("create calendar: %v", err)
	}
	d.cal = cal
	return d
}

func (d *slaDesk) policy(p sla.Policy) *sla.Policy {
	d.t.Helper()
	if p.Name == "" {
		p.Name = "Standard"
	}
	p.Active = true
	if p.CalendarID == nil && p.Time != sla.CalendarTime {
		p.CalendarID = &d.cal.ID
	}
	out, err := d.sla.CreatePolicy(d.sys, p)
	if err != nil {
		d.t.Fatalf("create policy: %v", err)
	}
	return out
}

// settle runs the SLA consumer until it has read every committed event.
// On PostgreSQL an event is readable only once every older transaction on
// the server has ended (other tests' too), so a loaded server can hold it
// back for a while.
func (d *slaDesk) settle() {
	d.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := event.Consume(ctx, d.db, "sla", d.sla.HandleState); err != nil {
			d.t.Fatalf("sla consumer: %v", err)
		}
		if err := event.Consume(ctx, d.db, "escalation", d.sla.HandleRules); err != nil {
			d.t.Fatalf("escalation consumer: %v", err)
		}
		at, _ := d.db.EventCursor(ctx, "escalation")
		at2, _ := d.db.EventCursor(ctx, "sla")
		last, _ := d.db.LastEventID(ctx)
		if at == last && at2 == last {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("consumers stuck at %d/%d, last event %d", at2, at, last)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// advance moves the clock, fires what is due and lets the consumers read.
func (d *slaDesk) advance(dur time.Duration) {
	d.t.Helper()
	d.clock.Advance(dur)
	d.settle()
	if _, err := d.sla.FireDue(context.Background(), 1000); err != nil {
		d.t.Fatalf("fire: %v", err)
	}
	d.settle()
}

// rate records the requester's satisfaction answer as package csat does:
// a ticket.satisfaction_rated event by the contact.
func (d *slaDesk) rate(tk *ticket.Ticket, rating int, previous ...int) {
	d.t.Helper()
	var prev any
	if len(previous) > 0 {
		prev = previous[0]
	}
	ev := event.New(event.SatisfactionRated, tk.ID, map[string]any{"survey_id": 1, "rating": rating, "previous": prev,
		"comment": "", "agent_id": nil, "team_id": tk.TeamID})
	ev.ActorKind, ev.ActorID, ev.CreatedAt = desk.ActorContact, tk.Requester.ID, d.clock.Now()
	if err := d.db.InTx(context.Background(), func(tx ticket.Tx) error { return tx.AppendEvents(context.Background(), []event.Event{ev}) }); err != nil {
		d.t.Fatal(err)
	}
}

func ist(s string) time.Time {
	loc, _ := time.LoadLocation("Asia/Kolkata")
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func slaKinds(evs []event.Event) []string {
	var out []string
	for _, e := range evs {
		if e.Kind == event.SLAWarning || e.Kind == event.SLABreached {
			var d struct{ Metric string }
			_ = json.Unmarshal(e.Data, &d)
			out = append(out, e.Kind+":"+d.Metric)
		}
	}
	return out
}

func wantTime(t *testing.T, what string, got *time.Time, want time.Time) {
	t.Helper()
	if got == nil || !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want.In(time.FixedZone("IST", 5*3600+1800)))
	}
}

func TestSLADueTimesOnBusinessHours(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		d := newSLADesk(t, f)
		d.policy(sla.Policy{WarnPercent: 50, Targets: map[string]sla.Target{
			"urgent": {FirstResponse: 60, NextResponse: 30, Resolution: 8 * 60}}})
		tk := d.open(ticket.NewTicket{Priority: "urgent"})
		d.settle()
		got := d.reload(tk.ID).SLA
		if got == nil {
			t.Fatal("no sla on the ticket")
		}
		// Friday 15:00 IST: an hour of business time is 16:00; eight hours
		// are Friday's three, then Monday 09:00-13:00 and 14:00-15:00.
		wantTime(t, "first response due", got.FirstResponseDueAt, ist("2025-03-14 16:00"))
		wantTime(t, "resolution due", got.ResolutionDueAt, ist("2025-03-17 15:00"))
		if got.NextResponseDueAt != nil || got.Paused || len(got.Breached) != 0 {
			t.Errorf("sla = %+v", got)
		}

		// Waiting on the customer stops the clock: pending from 15:30 to
		// Monday 10:00 holds back two and a half hours of Friday and one
		// of Monday.
		d.advance(30 * time.Minute) // 15:30: the 50% warning of first response fires
		if _, err := d.tickets.Update(d.sys, tk.ID, ticket.Patch{Status: ptr("pending")}); err != nil {
			t.Fatal(err)
		}
		d.settle()
		if s := d.reload(tk.ID).SLA; !s.Paused || s.ResolutionDueAt != nil || s.FirstResponseDueAt != nil {
			t.Fatalf("paused sla = %+v", s)
		}
		d.advance(ist("2025-03-17 10:00").Sub(d.clock.Now()))
		if _, err := d.tickets.Update(d.sys, tk.ID, ticket.Patch{Status: ptr("open")}); err != nil {
			t.Fatal(err)
		}
		d.settle()
		got = d.reload(tk.ID).SLA
		// 30 minutes of first response were used; 30 remain from 10:00.
		wantTime(t, "first response due after the pause", got.FirstResponseDueAt, ist("2025-03-17 10:30"))
		// 7.5 hours of resolution remain from Monday 10:00: 10-13, 14-18
		// is 7 hours, then Tuesday 09:30.
		wantTime(t, "resolution due after the pause", got.ResolutionDueAt, ist("2025-03-18 09:30"))

		// The first response passes its due time: a breach, once.
		d.advance(31 * time.Minute)
		d.advance(time.Minute)
		evs := d.events(tk.ID)
		if k := slaKinds(evs); !slices.Equal(k, []string{"sla.warning:first_response", "sla.breached:first_response"}) {
			t.Fatalf("sla events = %v", k)
		}
		if got := d.reload(tk.ID).SLA; !slices.Equal(got.Breached, []string{"first_response"}) {
			t.Fatalf("breached = %v", got.Breached)
		}

		// An agent's reply meets first response; the customer's next
		// message starts next response, 30 business minutes.
		agent := d.agent("meera@desk.test", auth.RoleAgent)
		if _, err := d.tickets.AddMessage(d.as(agent), tk.ID, ticket.NewMessage{Body: "On it"}); err != nil {
			t.Fatal(err)
		}
		d.advance(10 * time.Minute)
		if _, err := d.tickets.AddMessage(asContact(tk.Requester.ID), tk.ID, ticket.NewMessage{Body: "Still down"}); err != nil {
			t.Fatal(err)
		}
		d.settle()
		got = d.reload(tk.ID).SLA
		if got.FirstResponseDueAt != nil {
			t.Errorf("first response still due: %v", got.FirstResponseDueAt)
		}
		wantTime(t, "next response due", got.NextResponseDueAt, d.clock.Now().Add(30*time.Minute))

		// A priority change recomputes with the new priority's targets
		// (normal has none here).
		if _, err := d.tickets.Update(d.sys, tk.ID, ticket.Patch{Priority: ptr("normal")}); err != nil {
			t.Fatal(err)
		}
		d.settle()
		if got := d.reload(tk.ID).SLA; got.NextResponseDueAt != nil || got.ResolutionDueAt != nil {
			t.Errorf("after priority change: %+v", got)
		}
	})
}

func TestSLATimerFiresOnceAcrossNodes(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		d := newSLADesk(t, f)
		d.policy(sla.Policy{Time: sla.CalendarTime, Targets: map[string]sla.Target{"normal": {FirstResponse: 5}}})
		var tks []*ticket.Ticket
		for i := 0; i < 20; i++ {
			tks = append(tks, d.open(ticket.NewTicket{}))
		}
		d.settle()
		d.clock.Advance(6 * time.Minute)
		// Four nodes race for the same due timers.
		var wg sync.WaitGroup
		for n := 0; n < 4; n++ {
			node := sla.New(f.db, f.tickets, f.bus, f.clock, quietLog, sla.Config{})
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := node.FireDue(context.Background(), 1000); err != nil {
					t.Errorf("fire: %v", err)
				}
			}()
		}
		wg.Wait()
		for _, tk := range tks {
			if k := slaKinds(d.events(tk.ID)); !slices.Equal(k, []string{"sla.breached:first_response"}) {
				t.Errorf("ticket %d: sla events %v", tk.ID, k)
			}
		}
		// The list sorts and filters by SLA.
		page, err := d.tickets.List(d.sys, ticket.Filter{SLA: ptr("breached"), Limit: 100})
		if err != nil || len(page.Tickets) != 20 {
			t.Fatalf("breached list: %d, %v", len(page.Tickets), err)
		}
	})
}

func TestTicketListSortsByNearestDue(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		d := newSLADesk(t, f)
		d.policy(sla.Policy{Time: sla.CalendarTime, Targets: map[string]sla.Target{
			"low": {Resolution: 600}, "normal": {Resolution: 300}, "high": {Resolution: 100}, "urgent": {Resolution: 10}}})
		var ids []int64
		for _, p := range []string{"low", "urgent", "normal", "high"} {
			ids = append(ids, d.open(ticket.NewTicket{Priority: p}).ID)
			d.clock.Advance(time.Second)
		}
		d.open(ticket.NewTicket{Priority: "low", Status: "pending"}) // paused: no due time, not listed
		d.settle()
		var got []int64
		cursor := ""
		for {
			page, err := d.tickets.List(d.sys, ticket.Filter{Sort: "due", Limit: 1, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range page.Tickets {
				got = append(got, tk.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		// urgent (2), high (4), normal (3), low (1).
		if !slices.Equal(got, []int64{ids[1], ids[3], ids[2], ids[0]}) {
			t.Fatalf("by due = %v", got)
		}
	})
}

func TestEscalationRules(t *testing.T) {
	type setup struct {
		d            *slaDesk
		tier1, tier2 int64
	}
	for _, tc := range []struct {
		name string
		rule sla.Rule
		// act changes a ticket (of the given organization) and says
		// whether the rule should fire.
		act func(s *setup) (ticketID int64, want bool)
	}{
		{"breach of first response", sla.Rule{Trigger: sla.TriggerSLABreach, Metrics: []string{"first_response"}},
			func(s *setup) (int64, bool) {
				tk := s.d.open(ticket.NewTicket{Priority: "urgent", TeamID: &s.tier1})
				s.d.settle()
				s.d.advance(2 * time.Hour)
				return tk.ID, true
			}},
		{"breach of another target does not fire", sla.Rule{Trigger: sla.TriggerSLABreach, Metrics: []string{"resolution"}},
			func(s *setup) (int64, bool) {
				tk := s.d.open(ticket.NewTicket{Priority: "urgent", TeamID: &s.tier1})
				s.d.settle()
				s.d.advance(2 * time.Hour)
				return tk.ID, false
			}},
		{"urgent ticket of a chosen organization", sla.Rule{Trigger: sla.TriggerUrgent},
			func(s *setup) (int64, bool) {
				tk := s.d.open(ticket.NewTicket{Priority: "urgent", TeamID: &s.tier1, Requester: ticket.Person{Email: "a@bigcorp.test"}})
				return tk.ID, true
			}},
		{"urgent ticket of another organization", sla.Rule{Trigger: sla.TriggerUrgent},
			func(s *setup) (int64, bool) {
				tk := s.d.open(ticket.NewTicket{Priority: "urgent", TeamID: &s.tier1, Requester: ticket.Person{Email: "a@small.test"}})
				return tk.ID, false
			}},
		{"becomes urgent", sla.Rule{Trigger: sla.TriggerUrgent},
			func(s *setup) (int64, bool) {
				tk := s.d.open(ticket.NewTicket{TeamID: &s.tier1, Requester: ticket.Person{Email: "a@bigcorp.test"}})
				if _, err := s.d.tickets.Update(s.d.sys, tk.ID, ticket.Patch{Priority: ptr("urgent")}); err != nil {
					s.d.t.Fatal(err)
				}
				return tk.ID, true
			}},
		{"second reopen", sla.Rule{Trigger: sla.TriggerReopened, ReopenCount: 2},
			func(s *setup) (int64, bool) {
				tk := s.d.open(ticket.NewTicket{TeamID: &s.tier1})
				for i := 0; i < 2; i++ {
					if _, err := s.d.tickets.Update(s.d.sys, tk.ID, ticket.Patch{Status: ptr("solved")}); err != nil {
						s.d.t.Fatal(err)
					}
					if _, err := s.d.tickets.Update(s.d.sys, tk.ID, ticket.Patch{Status: ptr("open")}); err != nil {
						s.d.t.Fatal(err)
					}
				}
				return tk.ID, true
			}},
		{"first reopen is not enough", sla.Rule{Trigger: sla.TriggerReopened, ReopenCount: 2},
			func(s *setup) (int64, bool) {
				tk := s.d.open(ticket.NewTicket{TeamID: &s.tier1})
				_, _ = s.d.tickets.Update(s.d.sys, tk.ID, ticket.Patch{Status: ptr("solved")})
				_, _ = s.d.tickets.Update(s.d.sys, tk.ID, ticket.Patch{Status: ptr("open")})
				return tk.ID, false
			}},
		{"keyword in a customer's message", sla.Rule{Trigger: sla.TriggerKeyword, Keywords: []string{"legal action", "वकील"}},
			func(s *setup) (int64, bool) {
				tk := s.d.open(ticket.NewTicket{TeamID: &s.tier1})
				if _, err := s.d.tickets.AddMessage(asContact(tk.Requester.ID), tk.ID, ticket.NewMessage{Body: "मैं अपने वकील से बात करूँगा"}); err != nil {
					s.d.t.Fatal(err)
				}
				return tk.ID, true
			}},
		{"keyword in an internal note does not count", sla.Rule{Trigger: sla.TriggerKeyword, Keywords: []string{"legal action"}},
			func(s *setup) (int64, bool) {
				tk := s.d.open(ticket.NewTicket{TeamID: &s.tier1})
				if _, err := s.d.tickets.AddMessage(s.d.sys, tk.ID, ticket.NewMessage{Body: "They threaten legal action", Internal: true}); err != nil {
					s.d.t.Fatal(err)
				}
				return tk.ID, false
			}},
		{"a rating of 1 of 5", sla.Rule{Trigger: sla.TriggerNegativeCS},
			func(s *setup) (int64, bool) {
				tk := s.d.open(ticket.NewTicket{TeamID: &s.tier1})
				s.d.rate(tk, 1)
				return tk.ID, true
			}},
		{"a rating of 4 of 5", sla.Rule{Trigger: sla.TriggerNegativeCS},
			func(s *setup) (int64, bool) {
				tk := s.d.open(ticket.NewTicket{TeamID: &s.tier1})
				s.d.rate(tk, 4)
				return tk.ID, false
			}},
		{"a negative answer changed to another negative one escalates once", sla.Rule{Trigger: sla.TriggerNegativeCS},
			func(s *setup) (int64, bool) {
				tk := s.d.open(ticket.NewTicket{TeamID: &s.tier1})
				s.d.rate(tk, 2)
				s.d.rate(tk, 1, 2)
				return tk.ID, true
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run(t, func(t *testing.T, f *fixture) {
				d := newSLADesk(t, f)
				lead := d.agent("lead@desk.test", auth.RoleTeamLead)
				t1 := d.team("Tier 1", 1, nil)
				t2 := d.team("Tier 2", 2, lead)
				org, err := d.people.CreateOrganization(d.sys, people.OrganizationInput{Name: ptr("BigCorp"), Domains: &[]string{"bigcorp.test"}})
				if err != nil {
					t.Fatal(err)
				}
				d.policy(sla.Policy{Time: sla.CalendarTime, Targets: map[string]sla.Target{"urgent": {FirstResponse: 60, Resolution: 600}}})
				r := tc.rule
				r.Name, r.Active, r.Tier = "Rule under test", true, ptr(2)
				if r.Trigger == sla.TriggerUrgent {
					r.OrganizationIDs = []int64{org.ID}
				}
				rule, err := d.sla.CreateRule(d.sys, r)
				if err != nil {
					t.Fatalf("create rule: %v", err)
				}
				s := &setup{d: d, tier1: t1.ID, tier2: t2.ID}
				id, want := tc.act(s)
				d.settle()
				var esc []event.Event
				for _, e := range d.events(id) {
					if e.Kind == event.Escalated {
						esc = append(esc, e)
					}
				}
				if !want {
					if len(esc) != 0 {
						t.Fatalf("escalated: %s", esc[0].Data)
					}
					return
				}
				if len(esc) != 1 {
					t.Fatalf("%d escalations, want 1", len(esc))
				}
				var data struct {
					ToTeamID int64       `json:"to_team_id"`
					LeadID   int64       `json:"lead_id"`
					Rule     ticket.Rule `json:"rule"`
				}
				_ = json.Unmarshal(esc[0].Data, &data)
				if data.ToTeamID != t2.ID || data.LeadID != lead.ID || data.Rule.ID != rule.ID || data.Rule.Name != "Rule under test" {
					t.Fatalf("escalation data %s", esc[0].Data)
				}
				if tk := d.reload(id); tk.TeamID == nil || *tk.TeamID != t2.ID || tk.EscalationLevel != 1 {
					t.Fatalf("ticket after escalation: team %v level %d", tk.TeamID, tk.EscalationLevel)
				}
				runs, err := d.sla.Runs(d.sys, rule.ID, 0, 10)
				if err != nil || len(runs) != 1 || runs[0].Outcome != sla.RunEscalated {
					t.Fatalf("runs = %+v, %v", runs, err)
				}
			})
		})
	}
}

// A rule that cannot act (the ticket is already above the rule's tier) is
// written in its log as failed; the change that set it off stands.
func TestFailingRuleIsLoggedAndBlocksNothing(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		d := newSLADesk(t, f)
		t1 := d.team("Tier 1", 1, nil)
		t3 := d.team("Tier 3", 3, nil)
		rule, err := d.sla.CreateRule(d.sys, sla.Rule{Name: "Urgent to tier 1", Active: true, Trigger: sla.TriggerUrgent, TeamID: &t1.ID})
		if err != nil {
			t.Fatal(err)
		}
		tk := d.open(ticket.NewTicket{TeamID: &t3.ID})
		if _, err := d.tickets.Update(d.sys, tk.ID, ticket.Patch{Priority: ptr("urgent")}); err != nil {
			t.Fatalf("the change itself failed: %v", err)
		}
		d.settle()
		if got := d.reload(tk.ID); got.Priority != "urgent" || *got.TeamID != t3.ID {
			t.Fatalf("ticket = %+v", got)
		}
		runs, err := d.sla.Runs(d.sys, rule.ID, 0, 10)
		if err != nil || len(runs) != 1 || runs[0].Outcome != sla.RunFailed || runs[0].Error == "" {
			t.Fatalf("runs = %+v, %v", runs, err)
		}
	})
}

func TestSLABadInputIsRefusedAtSave(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		d := newSLADesk(t, f)
		_, errs := sla.ParseConditions(json.RawMessage(`{"priorities":["urgent"],"colour":["red"]}`), "conditions")
		if errs["conditions.colour"].Key != "sla.unknown_condition" {
			t.Errorf("unknown condition field: %v", errs)
		}
		_, err := d.sla.CreatePolicy(d.sys, sla.Policy{Name: "x", Targets: map[string]sla.Target{"critical": {FirstResponse: 5}}})
		wantField(t, err, "targets.critical")
		_, err = d.sla.CreatePolicy(d.sys, sla.Policy{Name: "x", CalendarID: ptr(int64(999))})
		wantField(t, err, "calendar_id")
		_, err = d.sla.CreateCalendar(d.sys, sla.Calendar{Name: "x", TimeZone: "Asia/Calcutta_Typo",
			Hours: map[string][]sla.Period{"monday": {{Start: 600, End: 540}}}})
		wantField(t, err, "time_zone")
		wantField(t, err, "hours.monday")
		_, err = d.sla.CreateRule(d.sys, sla.Rule{Name: "x", Trigger: "moon_phase", TeamID: ptr(int64(1))})
		wantField(t, err, "trigger")
		_, err = d.sla.CreateRule(d.sys, sla.Rule{Name: "x", Trigger: sla.TriggerUrgent, Tier: ptr(7)})
		wantField(t, err, "tier")
		// Editing a calendar with a stale version is refused.
		_, err = d.sla.UpdateCalendar(d.sys, d.cal.ID, d.cal.Version+5, func(c *sla.Calendar) { c.Name = "y" })
		wantCode(t, err, desk.ESTALE)
		// A calendar a policy names cannot go.
		d.policy(sla.Policy{})
		wantCode(t, d.sla.DeleteCalendar(d.sys, d.cal.ID, 0), desk.ECONFLICT)
	})
}

// Editing the calendar recomputes running clocks: a new holiday on the
// due day moves the due time to the next working day.
func TestCalendarEditRecomputesDueTimes(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		d := newSLADesk(t, f)
		d.policy(sla.Policy{Targets: map[string]sla.Target{"normal": {Resolution: 4 * 60}}})
		tk := d.open(ticket.NewTicket{})
		d.settle()
		// Friday 15:00 + 4 business hours: 15-18 Friday, Monday 09:00-10:00.
		wantTime(t, "due", d.reload(tk.ID).SLA.ResolutionDueAt, ist("2025-03-17 10:00"))
		if _, err := d.sla.ImportHolidays(d.sys, d.cal.ID, 0, "", nil,
			"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20250317\nSUMMARY:Office closed\nEND:VEVENT\nEND:VCALENDAR\n"); err != nil {
			t.Fatal(err)
		}
		d.settle()
		wantTime(t, "due after the holiday", d.reload(tk.ID).SLA.ResolutionDueAt, ist("2025-03-18 10:00"))
	})
}

// The answer to a create or a change already carries the SLA the consumer
// would work out a moment later: the ticket service asks package sla right
// after the commit. The consumer, reading the same events after, agrees.
func TestAnswerToAChangeCarriesItsSLA(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		d := newSLADesk(t, f)
		f.tickets.KeepSLA(d.sla)
		p := d.policy(sla.Policy{WarnPercent: 50, Conditions: sla.Conditions{Priorities: []string{"urgent", "high"}}, Targets: map[string]sla.Target{
			"urgent": {FirstResponse: 60, Resolution: 8 * 60}, "high": {FirstResponse: 120, Resolution: 16 * 60}}})
		same := func(what string, answer *ticket.SLA, id int64) {
			t.Helper()
			d.settle()
			if a, r := jsonOf(t, answer), jsonOf(t, d.reload(id).SLA); a != r {
				t.Errorf("%s: answer sla %s, consumer's %s", what, a, r)
			}
		}
		// A person's changes; the system's own answer nobody and leave the
		// SLA to the consumer (checked last).
		sup := d.as(d.agent("sunita@desk.test", auth.RoleSupervisor))
		open := func(in ticket.NewTicket) *ticket.Ticket {
			t.Helper()
			in.Subject, in.Body, in.Requester.Email = "Printer on fire", "Since the morning.", "asha@customer.test"
			tk, err := d.tickets.Create(sup, in)
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		tk := open(ticket.NewTicket{Priority: "urgent"})
		if tk.SLA == nil || tk.SLA.PolicyID != p.ID {
			t.Fatalf("create answered sla %+v", tk.SLA)
		}
		wantTime(t, "first response due", tk.SLA.FirstResponseDueAt, ist("2025-03-14 16:00"))
		same("create", tk.SLA, tk.ID)

		up, err := d.tickets.Update(sup, tk.ID, ticket.Patch{Priority: ptr("high")})
		if err != nil {
			t.Fatal(err)
		}
		wantTime(t, "first response due at high", up.SLA.FirstResponseDueAt, ist("2025-03-14 17:00"))
		same("priority change", up.SLA, tk.ID)

		up, err = d.tickets.Update(sup, tk.ID, ticket.Patch{Status: ptr("pending")})
		if err != nil {
			t.Fatal(err)
		}
		if up.SLA == nil || !up.SLA.Paused || up.SLA.FirstResponseDueAt != nil {
			t.Errorf("pending answered sla %+v", up.SLA)
		}
		same("pending", up.SLA, tk.ID)

		// A ticket no policy covers answers null.
		low := open(ticket.NewTicket{Priority: "low"})
		if low.SLA != nil {
			t.Errorf("uncovered ticket answered sla %+v", low.SLA)
		}
		same("uncovered", low.SLA, low.ID)

		if sys := d.open(ticket.NewTicket{Priority: "urgent"}); sys.SLA != nil {
			t.Errorf("a change by the system worked its SLA out in the answer: %+v", sys.SLA)
		}
	})
}

// The consumer works out many tickets per transaction (RefreshTickets); a
// policy added later reaches every open ticket, past the group size, and
// tickets the consumer never saw get their state on the way.
func TestSLAPolicyAddedLaterReachesEveryOpenTicket(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		d := newSLADesk(t, f)
		var tks []*ticket.Ticket
		for i := 0; i < 130; i++ {
			tks = append(tks, d.open(ticket.NewTicket{}))
		}
		d.settle()
		if got := d.reload(tks[0].ID).SLA; got != nil && got.FirstResponseDueAt != nil {
			t.Fatalf("sla before any policy: %+v", got)
		}
		d.policy(sla.Policy{Time: sla.CalendarTime, Targets: map[string]sla.Target{"normal": {FirstResponse: 60}}})
		d.settle()
		for _, tk := range tks {
			got := d.reload(tk.ID).SLA
			if got == nil {
				t.Fatalf("ticket %d: no sla", tk.ID)
			}
			wantTime(t, "first response due", got.FirstResponseDueAt, tk.CreatedAt.Add(time.Hour))
		}
	})
}
