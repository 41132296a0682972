package report_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/assign"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// occupancyStory writes the hand-computed occupancy fixture of
// docs/METRICS.md on the day of base (whose clock must not be past 10:00):
//
//	Asha (team A) is online 10:00–12:00. X, hers, is created 10:15 and
//	solved 11:00; Y, hers, is created 10:45, waits on the customer
//	(pending) 11:20–11:40 and is solved 11:50. She works 10:15–11:20 and
//	11:40–11:50: 65 + 10 = 75 of 120 minutes, 0.625 (10:00 hour: 2700 of
//	3600 s; 11:00 hour: 1800 of 3600 s).
//	Bina (team A) comes online 11:30 and stays, holding nothing.
func (f *fixture) occupancyStory(base time.Time) (asha, bina desk.Actor, teamA int64) {
	asha, bina = f.agent("asha", auth.RoleAgent), f.agent("bina", auth.RoleAgent)
	teamA = f.team("A-occ", 1, &asha, &bina)
	day := time.Date(base.Year(), base.Month(), base.Day(), 0, 0, 0, 0, time.UTC)
	at := func(h, m int) { f.at(day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)) }
	presence := func(a desk.Actor, status string) {
		must(f.db.SetPresence(f.sys, a.ID, status, false, a, f.clock.Now()))
	}
	create := func(subject string) int64 {
		return must(f.tickets.Create(f.as(asha), ticket.NewTicket{Subject: subject, Body: "b",
			Requester: ticket.Person{Email: subject + "@x.test"}, Channel: "email", TeamID: &teamA,
			AssigneeID: &asha.ID})).ID
	}
	status := func(id int64, s string) {
		must(f.tickets.Update(f.as(asha), id, ticket.Patch{Status: &s}))
	}
	at(10, 0)
	presence(asha, assign.Online)
	at(10, 15)
	x := create("x")
	at(10, 45)
	y := create("y")
	at(11, 0)
	status(x, "solved")
	at(11, 20)
	status(y, "pending")
	at(11, 30)
	presence(bina, assign.Online)
	at(11, 40)
	status(y, "open")
	at(11, 50)
	status(y, "solved")
	at(12, 0)
	presence(asha, assign.Offline)
	return asha, bina, teamA
}

func TestOccupancyMatchesTheHandComputedFixture(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		asha, bina, teamA := f.occupancyStory(monday)
		f.at(monday.Add(3*time.Hour + 30*time.Minute)) // 12:30: Bina is still online
		storetest.CatchUpWith(t, f.db, report.Consumer, f.reports.CatchUp)
		ten := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		q := report.Query{From: ten, To: ten.Add(3 * time.Hour), GroupBy: report.DimAgent}
		rep := must(f.reports.KPIs(f.sys, q))
		by := map[string]report.KPIs{}
		for _, g := range rep.Groups {
			by[g.Key] = g.KPIs
		}
		a, bi := by[strconv.FormatInt(asha.ID, 10)], by[strconv.FormatInt(bina.ID, 10)]
		exact(t, "asha's occupancy", a.Occupancy, 0.625)
		if a.OnlineSeconds != 7200 || a.OccupiedSeconds != 4500 {
			t.Errorf("asha: online %d occupied %d, want 7200 4500", a.OnlineSeconds, a.OccupiedSeconds)
		}
		// Bina's hour online is not in a bucket yet (no event since): the
		// report adds it up to now.
		exact(t, "bina's occupancy", bi.Occupancy, 0)
		if bi.OnlineSeconds != 3600 {
			t.Errorf("bina online %d s, want 3600 (11:30 to now, 12:30)", bi.OnlineSeconds)
		}
		exact(t, "the whole", rep.KPIs.Occupancy, 4500.0/10800)
		// One hour of Asha's: the 11:00 bucket alone.
		one := must(f.reports.KPIs(f.sys, report.Query{From: ten.Add(time.Hour), To: ten.Add(2 * time.Hour),
			Filter: map[string]string{report.DimAgent: strconv.FormatInt(asha.ID, 10)}}))
		exact(t, "asha 11:00-12:00", one.KPIs.Occupancy, 0.5)
		// By team: both work in team A; no one's time is outside it.
		rep = must(f.reports.KPIs(f.sys, report.Query{From: ten, To: ten.Add(3 * time.Hour), GroupBy: report.DimTeam}))
		if len(rep.Groups) != 1 || rep.Groups[0].Key != strconv.FormatInt(teamA, 10) ||
			rep.Groups[0].KPIs.OnlineSeconds != 10800 || rep.Groups[0].KPIs.OccupiedSeconds != 4500 {
			t.Errorf("by team: %+v", rep.Groups)
		}
		// Asha sees her own; a slice occupancy does not apply to has none.
		own := must(f.reports.KPIs(f.as(asha), report.Query{From: ten, To: ten.Add(3 * time.Hour)}))
		exact(t, "asha's own", own.KPIs.Occupancy, 0.625)
		email := must(f.reports.KPIs(f.sys, report.Query{From: ten, To: ten.Add(3 * time.Hour),
			Filter: map[string]string{report.DimChannel: "email"}}))
		if email.KPIs.Occupancy != nil {
			t.Errorf("occupancy by channel = %v, want null", *email.KPIs.Occupancy)
		}
	})
}
