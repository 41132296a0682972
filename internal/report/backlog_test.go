package report_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// TestBacklogCountsFollowTheStory checks the maintained open counts
// against the story worked by hand: at its end t1 is solved, t2 (created
// Mon 09:00 in team A, Meena's, web, low, a problem) was reopened, and t3
// (created Mon 16:00 in team A, high, email, a question) went to team B
// with its escalation. Then the age bands, read from the counts and the
// edge hours, against the ages of those two tickets at every ten minutes
// of nine days; and a solve takes t2's rows away.
func TestBacklogCountsFollowTheStory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		_, meena, teamA, teamB := f.story()
		storetest.CatchUpWith(t, f.db, report.Consumer, f.reports.CatchUp)
		nine, four := monday.Unix(), monday.Add(7*time.Hour).Unix()
		m := strconv.FormatInt(meena.ID, 10)
		want := report.Backlog{
			{report.DimAll, "", teamA, nine}: 1, {report.DimAll, "", teamB, four}: 1,
			{report.DimAgent, m, teamA, nine}: 1, {report.DimAgent, "", teamB, four}: 1,
			{report.DimChannel, "web", teamA, nine}: 1, {report.DimChannel, "email", teamB, four}: 1,
			{report.DimPriority, "low", teamA, nine}: 1, {report.DimPriority, "high", teamB, four}: 1,
			{report.DimType, "problem", teamA, nine}: 1, {report.DimType, "question", teamB, four}: 1,
			{report.DimOrganization, "", teamA, nine}: 1, {report.DimOrganization, "", teamB, four}: 1,
		}
		got := must(f.db.BacklogCounts(f.sys))
		if len(got) != len(want) {
			t.Errorf("backlog counts %v, want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("backlog %+v = %d, want %d", k, got[k], v)
			}
		}
		// Ages: a ticket is in the first band whose bound its age is
		// under (strictly, to the microsecond).
		created := []time.Time{monday, monday.Add(7 * time.Hour)}
		band := func(age time.Duration) int {
			for i, b := range report.AgeBands {
				if age < b {
					return i
				}
			}
			return len(report.AgeBands)
		}
		for now := monday.Add(7 * time.Hour); now.Before(monday.Add(9 * 24 * time.Hour)); now = now.Add(10 * time.Minute) {
			var wantBands, gotBands [4]int64
			for _, c := range created {
				wantBands[band(now.Sub(c))]++
			}
			for _, r := range must(f.db.BacklogAges(f.sys, report.RollupQuery{Dim: report.DimAll}, now)) {
				gotBands[r.Band] += r.N
			}
			if gotBands != wantBands {
				t.Fatalf("at %s: bands %v, want %v", now, gotBands, wantBands)
			}
		}
		// By channel, filtered to web, at Tue 09:00 exactly (t2's edge).
		web := "web"
		rows := must(f.db.BacklogAges(f.sys, report.RollupQuery{Dim: report.DimChannel, Val: &web, Group: "val"},
			monday.Add(24*time.Hour)))
		if len(rows) != 1 || rows[0].Group != "web" || rows[0].Band != 1 || rows[0].N != 1 {
			t.Errorf("web at Tue 09:00: %+v, want t2 in the 1-3 day band", rows)
		}
		solved := "solved"
		mine := must(f.tickets.List(f.sys, ticket.Filter{AssigneeID: &meena.ID, Limit: 10}))
		if len(mine.Tickets) != 1 {
			t.Fatalf("meena's tickets: %d, want t2", len(mine.Tickets))
		}
		must(f.tickets.Update(f.as(meena), mine.Tickets[0].ID, ticket.Patch{Status: &solved}))
		storetest.CatchUpWith(t, f.db, report.Consumer, f.reports.CatchUp)
		got = must(f.db.BacklogCounts(f.sys))
		if len(got) != 6 || got[report.BacklogKey{report.DimAll, "", teamA, nine}] != 0 {
			t.Errorf("after t2's solve: %v, want t3's six rows only", got)
		}
	})
}

// TestKPIsRefuseTooManyGroups: a grouping by agents, organizations or tags
// with more values than the limit is refused, naming the limit, before the
// groups are summed; one within it is answered.
func TestKPIsRefuseTooManyGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.story()
		storetest.CatchUpWith(t, f.db, report.Consumer, f.reports.CatchUp)
		q := report.Query{From: monday.Add(-9 * time.Hour), To: monday.Add(39 * time.Hour)}
		// The story's agents: Ravi, Meena and none; its tags: billing, refund.
		f.reports.GroupLimit = 2
		for _, dim := range []string{report.DimAgent} {
			q.GroupBy = dim
			_, err := f.reports.KPIs(f.sys, q)
			var de *desk.Error
			if desk.ErrorCode(err) != desk.EINVALID || !errorsAs(err, &de) || de.Fields["group_by"].Key != "invalid.report_too_many_groups" ||
				len(de.Fields["group_by"].Args) != 1 || de.Fields["group_by"].Args[0] != 2 {
				t.Errorf("group by %s over 2 groups: %v, want invalid group_by naming 2", dim, err)
			}
		}
		for _, dim := range []string{report.DimTag, report.DimChannel} {
			q.GroupBy = dim
			if rep, err := f.reports.KPIs(f.sys, q); err != nil || len(rep.Groups) != 2 {
				t.Errorf("group by %s: %v, %+v; want 2 groups", dim, err, rep)
			}
		}
		f.reports.GroupLimit = 3
		q.GroupBy = report.DimAgent
		if rep, err := f.reports.KPIs(f.sys, q); err != nil || len(rep.Groups) != 3 {
			t.Errorf("group by agent within the limit: %v, %+v", err, rep)
		}
	})
}
