package account_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

type fixture struct {
	t       testing.TB
	db      *store.DB
	clock   *storetest.Clock
	tickets *ticket.Service
	people  *people.Service
	acc     *account.Service
	sys     context.Context
	n       int
}

func newFixture(t testing.TB, b storetest.Backend) *fixture {
	db := storetest.Open(t, b)
	c := storetest.NewClock(time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC))
	bus := event.NewBus()
	return &fixture{t: t, db: db, clock: c, tickets: ticket.NewService(db, db, bus, c), people: people.NewService(db, c),
		acc: account.New(db, bus, c, slog.New(slog.DiscardHandler)), sys: desk.WithActor(context.Background(), desk.System)}
}

func (f *fixture) agent(name, role string) (*people.Agent, context.Context) {
	f.t.Helper()
	email := name + "@desk.test"
	a, err := f.people.CreateAgent(f.sys, people.AgentInput{Email: &email, Name: &name, Role: &role}, auth.HashPassword)
	if err != nil {
		f.t.Fatalf("agent %s: %v", name, err)
	}
	var perms []string
	for _, r := range auth.BuiltinRoles {
		if r.Name == role {
			perms = r.Permissions
		}
	}
	return a, desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorAgent, ID: a.ID, Name: a.Name,
		Role: role, Permissions: perms})
}

func (f *fixture) org(name, domain string) *people.Organization {
	f.t.Helper()
	d := []string{domain}
	o, err := f.people.CreateOrganization(f.sys, people.OrganizationInput{Name: &name, Domains: &d})
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

func (f *fixture) ticket(domain, priority string) *ticket.Ticket {
	f.t.Helper()
	f.n++
	t, err := f.tickets.Create(f.sys, ticket.NewTicket{Subject: "Export fails", Body: "Since Monday.", Priority: priority,
		Requester: ticket.Person{Email: fmt.Sprintf("c%d@%s", f.n, domain), Name: "Asha Rao"}})
	if err != nil {
		f.t.Fatal(err)
	}
	return t
}

func (f *fixture) catchup() {
	f.t.Helper()
	storetest.CatchUpWith(f.t, f.db, account.Consumer, func(ctx context.Context) error {
		return f.acc.Catchup(desk.WithActor(ctx, desk.System))
	})
}

func ptr[T any](v T) *T { return &v }

// Bad input is refused with a message naming the field: a currency that
// does not exist, a renewal in the past, a circular parent, an owner who is
// not an account executive, money with fractions of a paisa.
func TestAccountRefusesBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ae, _ := f.agent("meera", auth.RoleAccountExecutive)
		ag, _ := f.agent("ravi", auth.RoleAgent)
		a := f.org("Acme", "acme.test")
		c := f.org("Acme India", "acme.in")
		d := f.org("Acme Pune", "pune.acme.in")
		if _, err := f.acc.Update(f.sys, c.ID, account.Input{ParentID: &a.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.acc.Update(f.sys, d.ID, account.Input{ParentID: &c.ID}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			in    account.Input
			field string
		}{
			{"unknown currency", account.Input{Currency: ptr("ABC")}, "currency"},
			{"lower-case currency", account.Input{Currency: ptr("inr")}, "currency"},
			{"money without currency", account.Input{ARR: ptr(1200000.0)}, "currency"},
			{"negative money", account.Input{ARR: ptr(-1.0), Currency: ptr("INR")}, "arr"},
			{"fractions of a paisa", account.Input{MRR: ptr(10.005), Currency: ptr("INR")}, "mrr"},
			{"renewal in the past", account.Input{RenewalDate: ptr("2026-03-13")}, "renewal_date"},
			{"not a date", account.Input{RenewalDate: ptr("2026-02-30")}, "renewal_date"},
			{"circular parent", account.Input{ParentID: &d.ID}, "parent_id"},
			{"itself as parent", account.Input{ParentID: &a.ID}, "parent_id"},
			{"missing parent", account.Input{ParentID: ptr(int64(9999))}, "parent_id"},
			{"owner not an account executive", account.Input{OwnerID: &ag.ID}, "owner_id"},
			{"owner missing", account.Input{OwnerID: ptr(int64(9999))}, "owner_id"},
			{"bad field key", account.Input{CustomFields: &map[string]any{"Seats!": 3.0}}, "custom_fields"},
			{"nested field", account.Input{CustomFields: &map[string]any{"seats": []any{1.0}}}, "custom_fields"},
		}
		for _, tc := range cases {
			_, err := f.acc.Update(f.sys, a.ID, tc.in)
			if desk.ErrorCode(err) != desk.EINVALID || desk.ErrorFields(err)[tc.field].Key == "" {
				t.Errorf("%s: %v (fields %v), want invalid %s", tc.name, err, desk.ErrorFields(err), tc.field)
			}
		}
		got, err := f.acc.Update(f.sys, a.ID, account.Input{OwnerID: &ae.ID, Tier: ptr("Enterprise"), ARR: ptr(1200000.5),
			Currency: ptr("INR"), RenewalDate: ptr("2026-05-01"), Industry: ptr("Logistics"),
			CustomFields: &map[string]any{"seats": 120.0, "region": "West"}})
		if err != nil {
			t.Fatal(err)
		}
		if got.OwnerID == nil || *got.OwnerID != ae.ID || *got.ARR != 120000050 || got.Version != a.Version+1 ||
			got.Health == nil || got.Health.Band != account.BandHealthy {
			t.Errorf("saved: %+v", got)
		}
		// A renewal date already in the past may stay as it is.
		f.clock.Advance(90 * 24 * time.Hour)
		if _, err := f.acc.Update(f.sys, a.ID, account.Input{RenewalDate: ptr("2026-05-01"), Tier: ptr("Gold")}); err != nil {
			t.Errorf("keeping a passed renewal: %v", err)
		}
	})
}

// An account executive changes only their own book (and unowned
// accounts), and may not give an account to someone else; a supervisor may.
func TestAccountOwnership(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		meera, asMeera := f.agent("meera", auth.RoleAccountExecutive)
		arjun, asArjun := f.agent("arjun", auth.RoleAccountExecutive)
		_, asSup := f.agent("sunita", auth.RoleSupervisor)
		_, asAgent := f.agent("ravi", auth.RoleAgent)
		a := f.org("Acme", "acme.test")
		if _, err := f.acc.Update(asMeera, a.ID, account.Input{OwnerID: &arjun.ID}); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("giving an account away: %v", err)
		}
		if _, err := f.acc.Update(asMeera, a.ID, account.Input{OwnerID: &meera.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.acc.Update(asArjun, a.ID, account.Input{Tier: ptr("Gold")}); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("another's account: %v", err)
		}
		if _, err := f.acc.Update(asAgent, a.ID, account.Input{Tier: ptr("Gold")}); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("an agent: %v", err)
		}
		if _, err := f.acc.Update(asSup, a.ID, account.Input{OwnerID: &arjun.ID}); err != nil {
			t.Errorf("a supervisor: %v", err)
		}
		if _, err := f.acc.Get(asAgent, a.ID); err != nil {
			t.Errorf("an agent reads: %v", err)
		}
		list, err := f.acc.List(asSup, account.Filter{OwnerID: &arjun.ID})
		if err != nil || len(list) != 1 || list[0].OrganizationID != a.ID {
			t.Errorf("by owner: %v %v", list, err)
		}
		if _, err := f.acc.List(asSup, account.Filter{Band: "doomed"}); desk.ErrorCode(err) != desk.EINVALID {
			t.Errorf("unknown band: %v", err)
		}
	})
}

// Health follows events: escalations, breaches and urgent tickets push an
// account into the risk band once, and the owner is told by an event; the
// consumer's cursor moves with the health, so a batch counts once.
func TestHealthFromEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ae, _ := f.agent("meera", auth.RoleAccountExecutive)
		a := f.org("Acme", "acme.test")
		other := f.org("Globex", "globex.test")
		if _, err := f.acc.Update(f.sys, a.ID, account.Input{OwnerID: &ae.ID}); err != nil {
			t.Fatal(err)
		}
		f.ticket("globex.test", "low")
		var urgent []*ticket.Ticket
		for range 3 {
			urgent = append(urgent, f.ticket("acme.test", "urgent"))
		}
		f.catchup()
		got, err := f.acc.Get(f.sys, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == nil || got.State.Urgent != 3 || got.State.Open != 3 || got.Health.Band == account.BandAtRisk {
			t.Fatalf("after three urgent tickets: %+v %+v", got.State, got.Health)
		}
		// Breaches and escalations, written as the SLA and ticket services do.
		err = f.db.InTx(f.sys, func(tx ticket.Tx) error {
			var evs []event.Event
			for _, u := range urgent {
				for _, k := range []string{event.SLABreached, event.Escalated, event.SLABreached} {
					e := event.New(k, u.ID, map[string]any{"metric": "first_response"})
					e.ActorKind, e.CreatedAt = desk.ActorSystem, f.clock.Now()
					evs = append(evs, e)
				}
			}
			// A customer rates 5, then changes it to 1.
			for _, d := range []map[string]any{{"rating": 5, "previous": nil}, {"rating": 1, "previous": 5}} {
				e := event.New(event.SatisfactionRated, urgent[0].ID, d)
				e.ActorKind, e.CreatedAt = desk.ActorContact, f.clock.Now()
				evs = append(evs, e)
			}
			return tx.AppendEvents(f.sys, evs)
		})
		if err != nil {
			t.Fatal(err)
		}
		f.catchup()
		f.catchup() // nothing new: nothing counted twice
		got, _ = f.acc.Get(f.sys, a.ID)
		if got.Health.Band != account.BandAtRisk || got.State.Breaches < 5.99 || got.State.Escalations < 2.99 {
			t.Fatalf("after breaches: %+v %+v", got.State, got.Health)
		}
		comps := map[string]account.Component{}
		for _, c := range got.Health.Components {
			comps[c.Name] = c
		}
		if comps[account.CompSLA].Score != 0 || comps[account.CompUrgent].Score != 0 || comps[account.CompVolume].Weight != 15 ||
			comps[account.CompSatisfaction].Value != 0 || got.State.Bad != 1 || got.State.Good != 0 {
			t.Errorf("components: %+v", got.Health.Components)
		}
		evs, err := f.db.EventsAfter(f.sys, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var told []map[string]any
		for _, e := range evs {
			if e.Kind == account.AtRisk {
				var d map[string]any
				_ = json.Unmarshal(e.Data, &d)
				told = append(told, d)
			}
		}
		if len(told) != 1 || told[0]["owner_id"].(float64) != float64(ae.ID) || told[0]["organization_id"].(float64) != float64(a.ID) {
			t.Errorf("at-risk events: %v", told)
		}
		g, _ := f.acc.Get(f.sys, other.ID)
		if g.State == nil || g.State.Open != 1 || g.Health.Band != account.BandHealthy {
			t.Errorf("the other account: %+v %+v", g.State, g.Health)
		}
		hist, err := f.acc.History(f.sys, a.ID, 30)
		if err != nil || len(hist) != 1 || hist[0].Day != "2026-03-14" || hist[0].Score != got.Health.Score {
			t.Errorf("history: %v %v (score %d)", hist, err, got.Health.Score)
		}
		// Time heals what decays: four months later breaches and
		// escalations have faded (the urgent tickets and the silence
		// have not), and the refresh moves the band without a new event.
		list, _ := f.acc.List(f.sys, account.Filter{Band: account.BandAtRisk})
		if len(list) != 1 {
			t.Errorf("at risk: %d accounts", len(list))
		}
		f.clock.Advance(120 * 24 * time.Hour)
		if err := f.acc.Refresh(f.sys); err != nil {
			t.Fatal(err)
		}
		if list, _ := f.acc.List(f.sys, account.Filter{Band: account.BandWatch}); len(list) != 1 {
			t.Errorf("four months on: %d accounts in watch", len(list))
		}
	})
}

// The score is pure and explainable: components without data are left out,
// weights are shares.
func TestScore(t *testing.T) {
	now := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	h := account.Score(account.State{}, "", account.DefaultWeights(), now)
	if h.Score != 100 || h.Band != account.BandHealthy || len(h.Components) != 4 {
		t.Errorf("no data: %+v", h)
	}
	h = account.Score(account.State{Urgent: 3, Breaches: 4, Escalations: 3, At: now, Since: now}, "2026-03-14",
		account.Weights{account.CompUrgent: 1, account.CompSLA: 1, account.CompEscalations: 1, account.CompRenewal: 1}, now)
	if h.Score != 0 || h.Band != account.BandAtRisk {
		t.Errorf("everything wrong: %+v", h)
	}
	st := account.State{}
	st.Observe(account.ObserveBreach, now)
	later := account.Score(st, "", account.DefaultWeights(), now.Add(60*24*time.Hour))
	if c := later.Components[1]; c.Name != account.CompSLA || c.Value > 0.14 || c.Value < 0.13 {
		t.Errorf("a breach decays over months: %+v", c)
	}
}

func TestWeights(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		_, asAE := f.agent("meera", auth.RoleAccountExecutive)
		if _, err := f.acc.SetWeights(asAE, account.Weights{account.CompSLA: 10}); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("an account executive: %v", err)
		}
		for _, w := range []account.Weights{{"luck": 5}, {account.CompSLA: -1}, {account.CompSLA: 0}} {
			if _, err := f.acc.SetWeights(f.sys, w); desk.ErrorCode(err) != desk.EINVALID {
				t.Errorf("%v: %v", w, err)
			}
		}
		w, err := f.acc.SetWeights(f.sys, account.Weights{account.CompSLA: 50, account.CompUrgent: 50})
		if err != nil || w[account.CompVolume] != 0 || len(w) != len(account.ComponentNames) {
			t.Fatal(w, err)
		}
		if got, _ := f.acc.Weights(asAE); got[account.CompSLA] != 50 {
			t.Errorf("read back: %v", got)
		}
	})
}

// Satisfaction answers (package csat's ticket.satisfaction_rated events)
// count into the account of the ticket: 4 or 5 of 5 as good, 1 or 2 as bad,
// 3 as neither; the satisfaction component then shows the share of good.
func TestSatisfactionAnswersCountIntoHealth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		a := f.org("Acme", "acme.test")
		tk := f.ticket("acme.test", "normal")
		f.catchup()
		err := f.db.InTx(f.sys, func(tx ticket.Tx) error {
			var evs []event.Event
			for _, rating := range []int{1, 2, 3, 5} {
				e := event.New(event.SatisfactionRated, tk.ID, map[string]any{"survey_id": 1, "rating": rating})
				e.ActorKind, e.ActorID, e.CreatedAt = desk.ActorContact, tk.Requester.ID, f.clock.Now()
				evs = append(evs, e)
			}
			return tx.AppendEvents(f.sys, evs)
		})
		if err != nil {
			t.Fatal(err)
		}
		f.catchup()
		got, err := f.acc.Get(f.sys, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State.Good < 0.99 || got.State.Good > 1.01 || got.State.Bad < 1.99 || got.State.Bad > 2.01 {
			t.Fatalf("good %.2f bad %.2f, want 1 and 2", got.State.Good, got.State.Bad)
		}
		var sat *account.Component
		for i, c := range got.Health.Components {
			if c.Name == account.CompSatisfaction {
				sat = &got.Health.Components[i]
			}
		}
		if sat == nil || sat.Value < 0.33 || sat.Value > 0.34 {
			t.Fatalf("satisfaction component %+v, want a third good", sat)
		}
	})
}

// Cadences are RRULEs: one that never recurs, or recurs more often than
// daily, is refused; logging a check-in moves the next one along and puts
// it on the timeline; due check-ins remind their owner once.
func TestCheckins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ae, asAE := f.agent("meera", auth.RoleAccountExecutive)
		_, asOther := f.agent("arjun", auth.RoleAccountExecutive)
		a := f.org("Acme", "acme.test")
		for rule, field := range map[string]string{
			"FREQ=MINUTELY":                               "checkin_rule",
			"FREQ=DAILY;BYHOUR=9,10":                      "checkin_rule",
			"FREQ=DAILY;COUNT=1;DTSTART=20200101T000000Z": "checkin_rule",
			"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30":         "checkin_rule",
			"every now and then":                          "checkin_rule",
			"FREQ=DAILY;UNTIL=20200101T000000Z":           "checkin_rule",
		} {
			if _, err := f.acc.Update(f.sys, a.ID, account.Input{CheckinRule: ptr(rule)}); desk.ErrorFields(err)[field].Key == "" {
				t.Errorf("%s: %v", rule, err)
			}
		}
		got, err := f.acc.Update(asAE, a.ID, account.Input{OwnerID: &ae.ID, CheckinRule: ptr("FREQ=DAILY;INTERVAL=30")})
		if err != nil {
			t.Fatal(err)
		}
		first := f.clock.Now().Truncate(time.Minute).Add(30 * 24 * time.Hour)
		if got.NextCheckinAt == nil || !got.NextCheckinAt.Equal(first) {
			t.Fatalf("next check-in %v, want %v", got.NextCheckinAt, first)
		}
		if _, err := f.acc.LogCheckin(asOther, account.CheckinInput{OrganizationID: a.ID, Notes: "hi"}); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("another's account: %v", err)
		}
		if _, err := f.acc.LogCheckin(asAE, account.CheckinInput{OrganizationID: a.ID, Outcome: "ecstatic"}); desk.ErrorCode(err) != desk.EINVALID {
			t.Errorf("unknown outcome: %v", err)
		}
		// Nothing due yet; thirty-one days on, the check-in is overdue and
		// its reminder goes out once.
		if due, _ := f.acc.DueCheckins(asAE, &ae.ID, 7*24*time.Hour, 50); len(due) != 0 {
			t.Errorf("due too early: %v", due)
		}
		f.clock.Advance(31 * 24 * time.Hour)
		due, err := f.acc.DueCheckins(asAE, &ae.ID, 0, 50)
		if err != nil || len(due) != 1 || !due[0].Overdue {
			t.Fatalf("due: %v %v", due, err)
		}
		for want := 1; want >= 0; want-- {
			if n, err := f.acc.RemindDue(f.sys); err != nil || n != want {
				t.Errorf("reminders: %d %v, want %d", n, err, want)
			}
		}
		c, err := f.acc.LogCheckin(asAE, account.CheckinInput{OrganizationID: a.ID, Notes: account.CheckinTemplate + "Wants 20 more seats.",
			Attendees: []string{"Kavya (CTO)", " "}, Outcome: "positive", FollowUps: []string{"Send the seat quote"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Attendees) != 1 || c.ID == 0 {
			t.Errorf("check-in: %+v", c)
		}
		got, _ = f.acc.Get(f.sys, a.ID)
		if want := first.Add(30 * 24 * time.Hour); got.NextCheckinAt == nil || !got.NextCheckinAt.Equal(want) {
			t.Errorf("next after logging: %v, want %v", got.NextCheckinAt, want)
		}
		f.ticket("acme.test", "normal")
		f.catchup()
		items, err := f.acc.Timeline(f.sys, a.ID, account.TimelineFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, it := range items {
			kinds[it.Kind]++
		}
		if kinds["checkin"] != 1 || kinds["ticket"] != 1 || kinds["message"] != 1 {
			t.Errorf("timeline: %+v", items)
		}
		page1, _ := f.acc.Timeline(f.sys, a.ID, account.TimelineFilter{Limit: 1})
		k := page1[0].Key()
		page2, _ := f.acc.Timeline(f.sys, a.ID, account.TimelineFilter{Limit: 5, Before: &k})
		if len(page2) != len(items)-1 {
			t.Errorf("second page: %d items of %d", len(page2), len(items))
		}
		only, _ := f.acc.Timeline(f.sys, a.ID, account.TimelineFilter{Kinds: []string{"checkin"}})
		if len(only) != 1 || only[0].Kind != "checkin" {
			t.Errorf("check-ins only: %+v", only)
		}
		if _, err := f.acc.Timeline(f.sys, a.ID, account.TimelineFilter{Kinds: []string{"gossip"}}); desk.ErrorCode(err) != desk.EINVALID {
			t.Errorf("unknown kind: %v", err)
		}
		book, err := f.acc.Book(asAE, ae.ID)
		if err != nil || len(book) != 1 || book[0].Open != 1 || book[0].LastContact == nil {
			t.Errorf("book: %+v %v", book, err)
		}
	})
}

// An account's open and urgent tickets move with each ticket changed (one
// row per ticket, not a recount of the account): priority changes, solves
// and reopens; the account's first count (a new state, or one from before
// the per-ticket counts) is in full.
func TestOpenTicketCountsMoveWithTickets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		a := f.org("Acme", "acme.test")
		u1, u2, low := f.ticket("acme.test", "urgent"), f.ticket("acme.test", "urgent"), f.ticket("acme.test", "low")
		f.catchup()
		want := func(step string, open, urgent int) {
			t.Helper()
			got, err := f.acc.Get(f.sys, a.ID)
			if err != nil || got.State == nil || got.State.Open != open || got.State.Urgent != urgent || !got.State.Counted {
				t.Fatalf("%s: %+v %v, want open %d urgent %d", step, got.State, err, open, urgent)
			}
		}
		want("three tickets, two urgent", 3, 2)
		steps := []struct {
			name         string
			id           int64
			patch        ticket.Patch
			open, urgent int
		}{
			{"an urgent one made normal", u1.ID, ticket.Patch{Priority: ptr("normal")}, 3, 1},
			{"the low one solved", low.ID, ticket.Patch{Status: ptr("solved")}, 2, 1},
			{"the other urgent one solved", u2.ID, ticket.Patch{Status: ptr("solved")}, 1, 0},
			{"it reopened", u2.ID, ticket.Patch{Status: ptr("open")}, 2, 1},
			{"the normal one made urgent again", u1.ID, ticket.Patch{Priority: ptr("urgent")}, 2, 2},
		}
		for _, s := range steps {
			if _, err := f.tickets.Update(f.sys, s.id, s.patch); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			f.catchup()
			want(s.name, s.open, s.urgent)
		}
		// A new ticket of the account: its first count was in full, this
		// one moves it by one.
		f.ticket("acme.test", "low")
		f.catchup()
		want("a fourth ticket", 3, 2)
	})
}

// The consumer and the periodic refresh write the same accounts, in one
// transaction each; they must wait for each other, never deadlock. Events
// that name accounts in descending order race refreshes that walk them in
// ascending order.
func TestConsumerAndRefreshNeverDeadlock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		const accounts = 40
		for i := range accounts {
			f.org(fmt.Sprintf("Account %d", i), fmt.Sprintf("a%d.test", i))
		}
		for i := range accounts {
			f.ticket(fmt.Sprintf("a%d.test", i), "normal")
		}
		f.catchup() // every account has health, so a refresh writes each
		for round := range 5 {
			for i := accounts - 1; i >= 0; i-- {
				f.ticket(fmt.Sprintf("a%d.test", i), "urgent")
			}
			errs := make(chan error, 2)
			go func() { errs <- f.acc.Catchup(f.sys) }()
			go func() { errs <- f.acc.Refresh(f.sys) }()
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
		}
		f.catchup()
		list, err := f.acc.List(f.sys, account.Filter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range list {
			if a.State == nil || a.State.Open != 6 || a.State.Urgent != 5 {
				t.Errorf("%s: %+v", a.Name, a.State)
			}
		}
	})
}
