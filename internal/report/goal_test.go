package report_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/notify"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

func num(v float64) *float64 { return &v }

// Hand-computed states: counts are projected linearly (actual ÷ share of the
// period gone); levels are compared as they are; within 10% of the target
// on the wrong side is at risk; in the first tenth of the period a count
// goal is at most at risk.
func TestAssessGoals(t *testing.T) {
	for _, c := range []struct {
		name          string
		metric, op    string
		target        float64
		actual        *float64
		elapsed       float64
		wantProjected float64
		wantState     string
	}{
		{"solved 100 of 200 at half time", "solved", report.AtLeast, 200, num(100), 0.5, 200, report.OnTrack},
		{"solved 95 of 200 at half time: 190, within 10%", "solved", report.AtLeast, 200, num(95), 0.5, 190, report.AtRisk},
		{"solved 80 of 200 at half time: 160", "solved", report.AtLeast, 200, num(80), 0.5, 160, report.OffTrack},
		{"solved 3 of 200 on the first morning: too early", "solved", report.AtLeast, 200, num(3), 0.05, 60, report.AtRisk},
		{"met already", "solved", report.AtLeast, 200, num(210), 0.9, 233.33333333333334, report.OnTrack},
		{"escalated at most 10, 6 at half time: 12, 20% over", "escalated", report.AtMost, 10, num(6), 0.5, 12, report.OffTrack},
		{"escalated at most 10, 5.25 at half time: 10.5", "escalated", report.AtMost, 10, num(5.25), 0.5, 10.5, report.AtRisk},
		{"escalated at most 10, 11 already, early", "escalated", report.AtMost, 10, num(11), 0.05, 220, report.OffTrack},
		{"median first response at most 1h: 50 min", "first_response_median", report.AtMost, 3600, num(3000), 0.3, 3000, report.OnTrack},
		{"median first response at most 1h: 65 min", "first_response_median", report.AtMost, 3600, num(3900), 0.3, 3900, report.AtRisk},
		{"median first response at most 1h: 80 min", "first_response_median", report.AtMost, 3600, num(4800), 0.3, 4800, report.OffTrack},
		{"CSAT at least 90%: 85%", "csat", report.AtLeast, 0.9, num(0.85), 0.5, 0.85, report.AtRisk},
		{"CSAT at least 90%: 75%", "csat", report.AtLeast, 0.9, num(0.75), 0.5, 0.75, report.OffTrack},
		{"no answers yet", "csat", report.AtLeast, 0.9, nil, 0.5, 0, report.NoData},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, state := report.Assess(c.metric, c.op, c.target, c.actual, c.elapsed)
			if state != c.wantState || (p == nil) != (c.wantState == report.NoData) || (p != nil && fmt.Sprintf("%.6f", *p) != fmt.Sprintf("%.6f", c.wantProjected)) {
				got := "nil"
				if p != nil {
					got = fmt.Sprint(*p)
				}
				t.Errorf("projected %s state %s, want %v %s", got, state, c.wantProjected, c.wantState)
			}
		})
	}
}

func TestPeriodBounds(t *testing.T) {
	at := time.Date(2026, 8, 19, 15, 0, 0, 0, time.UTC) // a Wednesday
	for period, want := range map[string][2]string{
		report.PeriodWeek:    {"2026-08-17", "2026-08-24"},
		report.PeriodMonth:   {"2026-08-01", "2026-09-01"},
		report.PeriodQuarter: {"2026-07-01", "2026-10-01"},
	} {
		s, e := report.PeriodBounds(period, at)
		if s.Format(time.DateOnly) != want[0] || e.Format(time.DateOnly) != want[1] {
			t.Errorf("%s: %v – %v, want %v", period, s, e, want)
		}
	}
}

// A team goal of 10 solved a week: on Thursday with one solved it is off
// track, and the periodic check — run twice, and by two nodes at once —
// appends one alert for the lead; the lead sees the goal, the agent sees
// only their own; stale changes are refused.
func TestGoalsAlertOncePerCrossing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ravi := f.agent("ravi", auth.RoleAgent)
		lead := f.agent("lata", auth.RoleTeamLead)
		sup := f.agent("sunil", auth.RoleSupervisor)
		team := f.team("A", 1, &ravi, &lead)
		must(f.people.UpdateTeam(f.sys, team, people.TeamInput{LeadID: &lead.ID}))

		solved := "solved"
		str := func(s string) *string { return &s }
		goal := must(f.reports.CreateGoal(f.as(lead), report.GoalInput{TeamID: &team, Metric: str("solved"), Op: str(report.AtLeast),
			Target: num(10), Period: str(report.PeriodWeek)}))
		own := must(f.reports.CreateGoal(f.as(lead), report.GoalInput{TeamID: &team, AgentID: &ravi.ID, Metric: str("first_response_median"),
			Op: str(report.AtMost), Target: num(3600), Period: str(report.PeriodMonth)}))
		if _, err := f.reports.CreateGoal(f.as(ravi), report.GoalInput{AgentID: &ravi.ID, Metric: str("solved"), Op: str(report.AtLeast),
			Target: num(1), Period: str(report.PeriodWeek)}); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("an agent setting a goal: %v", err)
		}
		for name, in := range map[string]report.GoalInput{
			"no subject":   {Metric: str("solved"), Op: str(report.AtLeast), Target: num(1), Period: str(report.PeriodWeek)},
			"bad metric":   {TeamID: &team, Metric: str("happiness"), Op: str(report.AtLeast), Target: num(1), Period: str(report.PeriodWeek)},
			"rate over 1":  {TeamID: &team, Metric: str("csat"), Op: str(report.AtLeast), Target: num(90), Period: str(report.PeriodWeek)},
			"bad period":   {TeamID: &team, Metric: str("solved"), Op: str(report.AtLeast), Target: num(1), Period: str("decade")},
			"negative":     {TeamID: &team, Metric: str("solved"), Op: str(report.AtLeast), Target: num(-1), Period: str(report.PeriodWeek)},
			"no direction": {TeamID: &team, Metric: str("solved"), Target: num(1), Period: str(report.PeriodWeek)},
		} {
			if _, err := f.reports.CreateGoal(f.as(sup), in); desk.ErrorCode(err) != desk.EINVALID {
				t.Errorf("%s: %v", name, err)
			}
		}

		tk := must(f.tickets.Create(f.as(ravi), ticket.NewTicket{Subject: "s", Body: "b", Requester: ticket.Person{Email: "c@x.test"}, TeamID: &team}))
		f.at(monday.Add(2 * time.Hour))
		must(f.tickets.Update(f.as(ravi), tk.ID, ticket.Patch{Status: &solved}))
		storetest.CatchUpWith(t, f.db, report.Consumer, f.reports.CatchUp)

		// The events are committed when CheckGoals returns, but PostgreSQL
		// shows them to readers of the log only once no older transaction
		// in the cluster is open: wait until the alerts expected are seen
		// (or a minute), then count them all.
		alerts := func(want int) int {
			t.Helper()
			deadline := time.Now().Add(time.Minute)
			for {
				evs := must(f.db.EventsAfter(context.Background(), 0, 10000))
				n := 0
				for _, e := range evs {
					if e.Kind == report.GoalOffTrack {
						n++
					}
				}
				if n >= want || time.Now().After(deadline) {
					return n
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		// Monday 11:00: one solved, 1.2% of the week gone: too early to say.
		must(f.reports.CheckGoals(f.sys))
		if n := alerts(0); n != 0 {
			t.Fatalf("%d alerts on Monday", n)
		}
		// Thursday 09:00: 3/7 of the week gone, 1 solved projects to 2.3.
		f.at(monday.AddDate(0, 0, 3))
		other := report.New(f.db, f.sla, nil, f.clock, nil)
		var wg sync.WaitGroup
		for _, node := range []*report.Service{f.reports, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := node.CheckGoals(f.sys); err != nil {
					t.Errorf("check: %v", err)
				}
			}()
		}
		wg.Wait()
		must(f.reports.CheckGoals(f.sys))
		if n := alerts(1); n != 1 {
			t.Errorf("%d alerts after the crossing, want 1", n)
		}
		list := must(f.reports.Goals(f.as(lead)))
		if len(list) != 2 || list[0].State != report.OffTrack || list[0].Actual == nil || *list[0].Actual != 1 {
			t.Errorf("the lead's goals: %+v", list)
		}
		mine := must(f.reports.Goals(f.as(ravi)))
		if len(mine) != 1 || mine[0].Goal.ID != own.ID {
			t.Errorf("the agent's goals: %+v", mine)
		}
		// A new week is a new crossing.
		f.at(monday.AddDate(0, 0, 10))
		must(f.reports.CheckGoals(f.sys))
		if n := alerts(2); n != 2 {
			t.Errorf("%d alerts after next week's crossing, want 2", n)
		}

		if _, err := f.reports.UpdateGoal(f.as(lead), goal.ID, goal.Version+5, report.GoalInput{Target: num(5)}); desk.ErrorCode(err) != desk.ESTALE {
			t.Errorf("a stale change: %v", err)
		}
		g := must(f.reports.UpdateGoal(f.as(lead), goal.ID, goal.Version, report.GoalInput{Target: num(5)}))
		if g.Version != goal.Version+1 || g.Target != 5 {
			t.Errorf("changed: %+v", g)
		}
		if err := f.reports.DeleteGoal(f.as(ravi), goal.ID, 0); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("an agent deleting: %v", err)
		}
		if err := f.reports.DeleteGoal(f.as(lead), goal.ID, g.Version); err != nil {
			t.Errorf("delete: %v", err)
		}
		if _, err := f.reports.Goal(f.as(lead), goal.ID); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Errorf("a deleted goal: %v", err)
		}
	})
}

func TestGoalEventIsTheOneNotifyHears(t *testing.T) {
	if report.GoalOffTrack != notify.GoalOffTrackEvent {
		t.Errorf("report says %q, notify listens for %q", report.GoalOffTrack, notify.GoalOffTrackEvent)
	}
}
