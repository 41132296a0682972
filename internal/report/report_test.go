package report_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/sla"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

type fixture struct {
	t       *testing.T
	db      *store.DB
	clock   *storetest.Clock
	tickets *ticket.Service
	people  *people.Service
	sla     *sla.Service
	reports *report.Service
	sys     context.Context
}

// monday is 2026-03-02 09:00 UTC, a Monday.
var monday = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, b storetest.Backend) *fixture {
	db := storetest.Open(t, b)
	c := storetest.NewClock(monday)
	bus := event.NewBus()
	log := slog.New(slog.DiscardHandler)
	tickets := ticket.NewService(db, db, bus, c)
	s := sla.New(db, tickets, bus, c, log, sla.Config{})
	return &fixture{t: t, db: db, clock: c, tickets: tickets, people: people.NewService(db, c), sla: s,
		reports: report.New(db, s, bus, c, log), sys: desk.WithActor(context.Background(), desk.System)}
}

func permsOf(role string) []string {
	for _, r := range auth.BuiltinRoles {
		if r.Name == role {
			return r.Permissions
		}
	}
	return nil
}

func (f *fixture) agent(name, role string) desk.Actor {
	f.t.Helper()
	email := name + "@desk.test"
	a, err := f.people.CreateAgent(f.sys, people.AgentInput{Email: &email, Name: &name, Role: &role}, auth.HashPassword)
	if err != nil {
		f.t.Fatalf("agent %s: %v", name, err)
	}
	return desk.Actor{Kind: desk.ActorAgent, ID: a.ID, Name: name, Role: role, Permissions: permsOf(role)}
}

func (f *fixture) team(name string, tier int, members ...*desk.Actor) int64 {
	f.t.Helper()
	ids := []int64{}
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	tm, err := f.people.CreateTeam(f.sys, people.TeamInput{Name: &name, Tier: &tier, MemberIDs: &ids})
	if err != nil {
		f.t.Fatalf("team %s: %v", name, err)
	}
	for _, m := range members {
		m.TeamIDs = append(m.TeamIDs, tm.ID)
	}
	return tm.ID
}

func (f *fixture) as(a desk.Actor) context.Context { return desk.WithActor(context.Background(), a) }

func (f *fixture) at(t time.Time) {
	f.t.Helper()
	if d := t.Sub(f.clock.Now()); d > 0 {
		f.clock.Advance(d)
	}
}

// must returns v, or panics with err (a fixture that cannot be written).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// story writes the hand-computed fixture of docs/METRICS.md's definitions:
//
//	t1 Mon 09:00 team A, email, high, tags billing; Ravi replies 09:30, solves 10:00.
//	t2 Mon 09:00 team A, web, low, tags billing+refund, assigned Meena; she replies 10:30, notes,
//	   replies 11:00 and solves; Ravi reopens it 12:00.
//	t3 Mon 16:00 team A, email, high; Ravi replies Tue 10:00 (business hours Mon–Fri 09–17 UTC:
//	   one hour Monday, one Tuesday), escalates it to team B at 10:30.
func (f *fixture) story() (ravi, meena desk.Actor, teamA, teamB int64) {
	_ = f.t
	ravi, meena = f.agent("ravi", auth.RoleAgent), f.agent("meena", auth.RoleAgent)
	lead := f.agent("lata", auth.RoleTeamLead)
	teamA = f.team("A", 1, &ravi, &meena, &lead)
	teamB = f.team("B", 2)
	nine, five := sla.Minute(9*60), sla.Minute(17*60)
	week := map[string][]sla.Period{}
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		week[d] = []sla.Period{{Start: nine, End: five}}
	}
	must(f.sla.CreateCalendar(f.sys, sla.Calendar{Name: "Office", TimeZone: "UTC", Hours: week, TeamIDs: []int64{teamA}}))
	solved, open := "solved", "open"
	reply := func(a desk.Actor, id int64, internal bool) {
		must(f.tickets.AddMessage(f.as(a), id, ticket.NewMessage{Body: "hello", Internal: internal}))
	}
	f.at(monday)
	t1 := must(f.tickets.Create(f.as(ravi), ticket.NewTicket{Subject: "one", Body: "b", Requester: ticket.Person{Email: "c1@x.test"},
		Priority: "high", Channel: "email", Type: "question", Tags: []string{"billing"}, TeamID: &teamA}))
	t2 := must(f.tickets.Create(f.as(meena), ticket.NewTicket{Subject: "two", Body: "b", Requester: ticket.Person{Email: "c2@x.test"},
		Priority: "low", Channel: "web", Type: "problem", Tags: []string{"billing", "refund"}, TeamID: &teamA, AssigneeID: &meena.ID}))
	f.at(monday.Add(30 * time.Minute))
	reply(ravi, t1.ID, false)
	f.at(monday.Add(time.Hour))
	must(f.tickets.Update(f.as(ravi), t1.ID, ticket.Patch{Status: &solved}))
	f.at(monday.Add(90 * time.Minute))
	reply(meena, t2.ID, false)
	reply(meena, t2.ID, true)
	f.at(monday.Add(2 * time.Hour))
	reply(meena, t2.ID, false)
	must(f.tickets.Update(f.as(meena), t2.ID, ticket.Patch{Status: &solved}))
	f.at(monday.Add(3 * time.Hour))
	must(f.tickets.Update(f.as(ravi), t2.ID, ticket.Patch{Status: &open}))
	f.at(monday.Add(7 * time.Hour))
	t3 := must(f.tickets.Create(f.as(ravi), ticket.NewTicket{Subject: "three", Body: "b", Requester: ticket.Person{Email: "c3@x.test"},
		Priority: "high", Channel: "email", Type: "question", TeamID: &teamA}))
	f.at(monday.Add(25 * time.Hour))
	reply(ravi, t3.ID, false)
	f.at(monday.Add(25*time.Hour + 30*time.Minute))
	must(f.tickets.Escalate(f.as(ravi), t3.ID, teamB, "needs billing"))
	return ravi, meena, teamA, teamB
}

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = null, want %v", what, want)
		return
	}
	if math.Abs(*got-want) > want*0.045+1e-9 {
		t.Errorf("%s = %v, want %v (within 4.5%%)", what, *got, want)
	}
}

func exact(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-9 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestKPIsMatchTheHandComputedFixture(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ravi, meena, teamA, _ := f.story()
		storetest.CatchUpWith(t, f.db, report.Consumer, f.reports.CatchUp)
		q := report.Query{From: monday.Add(-9 * time.Hour), To: monday.Add(39 * time.Hour)}
		rep := must(f.reports.KPIs(f.sys, q))
		k := rep.KPIs
		if k.Created != 3 || k.Solved != 2 || k.Reopened != 1 || k.Escalated != 1 || k.Replies != 4 || k.Backlog != 2 {
			t.Errorf("counts: created %d solved %d reopened %d escalated %d replies %d backlog %d; want 3 2 1 1 4 2",
				k.Created, k.Solved, k.Reopened, k.Escalated, k.Replies, k.Backlog)
		}
		exact(t, "first response mean", k.FirstResponse.Calendar.Mean, (1800+5400+64800)/3.0)
		near(t, "first response median", k.FirstResponse.Calendar.Median, 5400)
		near(t, "first response p90", k.FirstResponse.Calendar.P90, 64800)
		exact(t, "first response business mean", k.FirstResponse.Business.Mean, (1800+5400+7200)/3.0)
		near(t, "first response business p90", k.FirstResponse.Business.P90, 7200)
		exact(t, "resolution mean", k.Resolution.Calendar.Mean, 5400)
		near(t, "resolution median", k.Resolution.Calendar.Median, 3600)
		exact(t, "fcr", k.FCRRate, 0.5)
		exact(t, "reopen rate", k.ReopenRate, 0.5)
		exact(t, "escalation rate", k.EscalationRate, 1/3.0)
		exact(t, "replies per ticket", k.RepliesPerTicket, 1.5)
		if k.BacklogAge == nil || k.BacklogAge.UnderDay+k.BacklogAge.OneToThree != 2 {
			t.Errorf("backlog age = %+v, want 2 open tickets under 3 days", k.BacklogAge)
		}
		// By agent: first responses go to their authors, solves to the assignee.
		q.GroupBy = report.DimAgent
		rep = must(f.reports.KPIs(f.sys, q))
		by := map[string]report.KPIs{}
		for _, g := range rep.Groups {
			by[g.Key] = g.KPIs
		}
		r, m := by[strconv.FormatInt(ravi.ID, 10)], by[strconv.FormatInt(meena.ID, 10)]
		if r.FirstResponse.Calendar.Count != 2 || m.FirstResponse.Calendar.Count != 1 || r.Replies != 2 || m.Replies != 2 {
			t.Errorf("by agent: ravi %+v meena %+v", r, m)
		}
		if m.Created != 1 || by[""].Created != 2 || m.Solved != 1 {
			t.Errorf("created by assignee: meena %d unassigned %d, meena solved %d", m.Created, by[""].Created, m.Solved)
		}
		if rep.KPIs.Created != 3 {
			t.Errorf("the whole beside the groups: created %d, want 3", rep.KPIs.Created)
		}
		// By tag, filtered: billing has t1 and t2.
		q.GroupBy, q.Filter = report.DimTag, map[string]string{report.DimTag: "billing"}
		rep = must(f.reports.KPIs(f.sys, q))
		if len(rep.Groups) != 1 || rep.Groups[0].KPIs.Created != 2 || rep.KPIs.Created != 2 {
			t.Errorf("billing: %+v", rep.Groups)
		}
		// By team: t3's escalation counts for team A (it was there when it happened).
		q.GroupBy, q.Filter = report.DimTeam, nil
		rep = must(f.reports.KPIs(f.sys, q))
		// Team B has no flow in the range but holds t3 open now.
		if len(rep.Groups) != 2 || rep.Groups[0].Key != strconv.FormatInt(teamA, 10) || rep.Groups[0].KPIs.Escalated != 1 ||
			rep.Groups[1].KPIs.BacklogAge == nil || rep.Groups[1].KPIs.BacklogAge.UnderDay != 1 {
			t.Errorf("by team: %+v", rep.Groups)
		}
		// An agent sees their own figures only.
		rep = must(f.reports.KPIs(f.as(meena), report.Query{From: q.From, To: q.To}))
		if rep.KPIs.Replies != 2 || rep.KPIs.Created != 1 {
			t.Errorf("meena's own: %+v", rep.KPIs)
		}
		if _, err := f.reports.KPIs(f.as(meena), report.Query{From: q.From, To: q.To,
			Filter: map[string]string{report.DimAgent: strconv.FormatInt(ravi.ID, 10)}}); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("meena asking for ravi's figures: %v, want forbidden", err)
		}
	})
}

func TestKPIsRefuseBadQueries(t *testing.T) {
	f := newFixture(t, storetest.Backends()[0])
	boss := f.agent("boss", auth.RoleSupervisor)
	ctx := f.as(boss)
	cases := []struct {
		name  string
		q     report.Query
		field string
	}{
		{"inverted", report.Query{From: monday, To: monday.Add(-time.Hour)}, "to"},
		{"year 9999", report.Query{From: monday, To: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, "to"},
		{"before 2000", report.Query{From: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), To: monday}, "from"},
		{"too long", report.Query{From: monday.AddDate(-2, 0, 0), To: monday}, "to"},
		{"unknown dimension", report.Query{GroupBy: "moon"}, "group_by"},
		{"two filters", report.Query{Filter: map[string]string{"channel": "email", "priority": "high"}}, "filter"},
		{"filter beside another grouping", report.Query{GroupBy: "channel", Filter: map[string]string{"priority": "high"}}, "group_by"},
	}
	for _, c := range cases {
		_, err := f.reports.KPIs(ctx, c.q)
		var de *desk.Error
		if desk.ErrorCode(err) != desk.EINVALID || !errorsAs(err, &de) || de.Fields[c.field].Key == "" {
			t.Errorf("%s: %v, want invalid naming %s", c.name, err, c.field)
		}
	}
}

// TestRebuildGivesIdenticalRollups counts the story live (two consumers
// racing, as two nodes would), then rebuilds from the events and compares
// every bucket.
func TestRebuildGivesIdenticalRollups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.story()
		f.occupancyStory(monday.Add(48 * time.Hour))
		other := report.New(f.db, f.sla, event.NewBus(), f.clock, slog.New(slog.DiscardHandler))
		var wg sync.WaitGroup
		for _, s := range []*report.Service{f.reports, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.CatchUp(f.sys); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		storetest.CatchUpWith(t, f.db, report.Consumer, f.reports.CatchUp)
		before := dump(t, f.db)
		if len(before) == 0 {
			t.Fatal("no buckets")
		}
		backlog := must(f.db.BacklogCounts(f.sys))
		if len(backlog) == 0 {
			t.Fatal("no backlog counts")
		}
		if n := len(filterMetric(before, report.MOccupied)); n == 0 {
			t.Fatal("no occupancy buckets")
		}
		if err := f.reports.Rebuild(f.sys); err != nil {
			t.Fatal(err)
		}
		storetest.CatchUpWith(t, f.db, report.Consumer, f.reports.CatchUp)
		after := dump(t, f.db)
		if len(after) != len(before) {
			t.Fatalf("%d buckets after the rebuild, %d before", len(after), len(before))
		}
		for k, v := range before {
			if after[k] != v {
				t.Errorf("bucket %s: %v after the rebuild, %v before", k, after[k], v)
			}
		}
		rebuilt := must(f.db.BacklogCounts(f.sys))
		if len(rebuilt) != len(backlog) {
			t.Errorf("%d backlog counts after the rebuild, %d before", len(rebuilt), len(backlog))
		}
		for k, v := range backlog {
			if rebuilt[k] != v {
				t.Errorf("backlog %+v: %d after the rebuild, %d before", k, rebuilt[k], v)
			}
		}
	})
}

func dump(t *testing.T, db *store.DB) map[string]report.Row {
	out := map[string]report.Row{}
	for _, dim := range []string{report.DimAll, report.DimAgent, report.DimChannel, report.DimPriority, report.DimType,
		report.DimTag, report.DimOrganization} {
		rows := must(db.Rollups(context.Background(), report.RollupQuery{Dim: dim, Group: "val",
			From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), To: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix(),
			Metrics: report.Metrics()}))
		for _, r := range rows {
			out[dim+"/"+r.Group+"/"+r.Metric+"/"+strconv.Itoa(r.Bin)] = r
		}
	}
	return out
}

// filterMetric is the buckets of one metric.
func filterMetric(rows map[string]report.Row, metric string) []report.Row {
	var out []report.Row
	for _, r := range rows {
		if r.Metric == metric {
			out = append(out, r)
		}
	}
	return out
}

func errorsAs(err error, target **desk.Error) bool { return errors.As(err, target) }

// A first answer counts; a changed answer corrects the good count.
func TestCSATCountsAnswersAndCorrections(t *testing.T) {
	at := monday
	st := &report.TicketState{TicketID: 1, CreatedAt: at, TeamID: 2, Channel: "email"}
	r := report.Rollup{}
	env := report.Env{}
	rated := func(rating int, previous string) event.Event {
		return event.Event{TicketID: 1, Kind: event.SatisfactionRated, CreatedAt: at,
			Data: []byte(`{"survey_id":1,"rating":` + strconv.Itoa(rating) + `,"previous":` + previous + `,"agent_id":7,"team_id":2}`)}
	}
	st.Apply(r, rated(5, "null"), env)
	st.Apply(r, rated(2, "5"), env)
	st.Apply(r, rated(3, "2"), env) // still not good: nothing changes
	k := report.Key{Dim: report.DimAgent, Val: "7", Metric: report.MCSAT, TeamID: 2, Hour: report.HourOf(at)}
	if c := r[k]; c.N != 1 || c.Total != 0 {
		t.Errorf("csat bucket = %+v, want one answer, none good", c)
	}
}
