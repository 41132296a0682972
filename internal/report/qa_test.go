package report_test

import (
	"strconv"
	"testing"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// QA reviews feed qa_score through the same consumer: per agent, per team,
// corrected when a dispute re-scores a review.
func TestQAScoreInTheKPIs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ravi, meena, teamA, _ := f.story()
		boss := f.agent("boss", auth.RoleSupervisor)
		lead := f.agent("lead2", auth.RoleTeamLead)
		qa := quality.NewService(f.db, f.tickets, f.clock)
		sc := must(qa.CreateScorecard(f.as(boss), quality.Scorecard{Name: "Card", Active: true, Sections: []quality.Section{
			{Title: "All", Weight: 100, Criteria: []quality.Criterion{{Key: "ok", Title: "OK", Weight: 100, Scale: quality.ScaleFive}}}}}))
		// t1 (ticket 1) is Ravi's, t2 (ticket 2) Meena's, both in team A.
		review := func(ticketID, agent int64, answer string) *quality.Review {
			return must(qa.CreateReview(f.as(boss), quality.NewReview{TicketID: ticketID, AgentID: agent, ScorecardID: sc.ID,
				Answers: map[string]string{"ok": answer}}))
		}
		review(1, ravi.ID, "5")              // 100
		disputed := review(2, meena.ID, "3") // 50
		must(qa.Dispute(f.as(meena), disputed.ID, 0, "unfair"))
		must(qa.Resolve(f.as(lead), disputed.ID, 0, quality.Resolution{Resolution: "fair point", Answers: map[string]string{"ok": "4"}})) // 75
		storetest.CatchUpWith(t, f.db, report.Consumer, f.reports.CatchUp)
		rep, err := f.reports.KPIs(f.as(boss), report.Query{From: monday, To: f.clock.Now().Add(48 * 3600e9), GroupBy: report.DimAgent})
		if err != nil {
			t.Fatal(err)
		}
		exact(t, "qa_score", rep.KPIs.QAScore, 87.5)
		if rep.KPIs.QAReviews != 2 {
			t.Errorf("qa_reviews = %d, want 2", rep.KPIs.QAReviews)
		}
		for _, g := range rep.Groups {
			switch g.Key {
			case strconv.FormatInt(ravi.ID, 10):
				exact(t, "ravi's qa_score", g.KPIs.QAScore, 100)
			case strconv.FormatInt(meena.ID, 10):
				exact(t, "meena's qa_score", g.KPIs.QAScore, 75)
			}
		}
		team, err := f.reports.KPIs(f.as(boss), report.Query{From: monday, To: f.clock.Now().Add(48 * 3600e9), TeamID: teamA})
		if err != nil {
			t.Fatal(err)
		}
		exact(t, "team A qa_score", team.KPIs.QAScore, 87.5)
	})
}
