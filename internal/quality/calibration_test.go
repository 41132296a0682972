package quality_test

import (
	"testing"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

func TestCalibrationIsBlindThenShowsSpreadAndRecordsTheAgreement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		lead, _ := f.agent("lead", auth.RoleTeamLead)
		r1, _ := f.agent("reviewer1", auth.RoleTeamLead)
		r2, _ := f.agent("reviewer2", auth.RoleSupervisor)
		outsider, _ := f.agent("outsider", auth.RoleAgent)
		ravi, _ := f.agent("ravi", auth.RoleAgent)
		tm := f.team("Billing", 1, lead.ID, ravi.ID, r1.ID)
		f.team("Elsewhere", 1, outsider.ID)
		asLead, as1, as2, asRavi, asOut := f.as(lead), f.as(r1), f.as(r2), f.as(ravi), f.as(outsider)
		tk, _ := f.conversation(ravi, tm.ID)
		sc := f.scorecard(asLead)

		// Refusals: nothing is written.
		for _, tc := range []struct {
			name  string
			in    quality.NewCalibration
			field string
		}{
			{"one reviewer", quality.NewCalibration{TicketID: tk.ID, AgentID: ravi.ID, ScorecardID: sc.ID, ReviewerIDs: []int64{r1.ID}}, "reviewer_ids"},
			{"the agent among the reviewers", quality.NewCalibration{TicketID: tk.ID, AgentID: ravi.ID, ScorecardID: sc.ID, ReviewerIDs: []int64{r1.ID, ravi.ID}}, "reviewer_ids"},
			{"a ticket that does not exist", quality.NewCalibration{TicketID: 999, AgentID: ravi.ID, ScorecardID: sc.ID, ReviewerIDs: []int64{r1.ID, r2.ID}}, "ticket_id"},
			{"no scorecard", quality.NewCalibration{TicketID: tk.ID, AgentID: ravi.ID, ReviewerIDs: []int64{r1.ID, r2.ID}}, "scorecard_id"},
		} {
			t.Run(tc.name, func(t *testing.T) { _, err := f.qa.CreateCalibration(asLead, tc.in); field(t, err, tc.field) })
		}
		_, err := f.qa.CreateCalibration(asLead, quality.NewCalibration{TicketID: tk.ID, AgentID: lead.ID, ScorecardID: sc.ID, ReviewerIDs: []int64{r1.ID, r2.ID}})
		code(t, err, desk.EUNPROCESSABLE) // reviewing oneself
		if list, _ := f.qa.Calibrations(asLead, quality.CalibrationFilter{}); len(list) != 0 {
			t.Fatalf("refusals left %d calibrations", len(list))
		}

		c, err := f.qa.CreateCalibration(asLead, quality.NewCalibration{TicketID: tk.ID, AgentID: ravi.ID, ScorecardID: sc.ID,
			ReviewerIDs: []int64{r1.ID, r2.ID, outsider.ID}})
		if err != nil {
			t.Fatal(err)
		}
		// The first reviewer scores; the second cannot see it yet.
		if _, _, err := f.qa.SubmitCalibration(as1, c.ID, good()); err != nil {
			t.Fatal(err)
		}
		_, _, err = f.qa.SubmitCalibration(as1, c.ID, good())
		code(t, err, desk.ECONFLICT) // scoring twice
		seen, _, err := f.qa.Calibration(as2, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range seen.Scores {
			if s.ReviewerID == r1.ID && (!s.Submitted || s.Answers != nil || s.Score != nil) {
				t.Fatalf("blind: reviewer 2 sees %+v", s)
			}
		}
		if len(seen.Spread) != 0 {
			t.Fatalf("blind: spread %+v", seen.Spread)
		}
		// The facilitator sees who scored, not what.
		seen, _, _ = f.qa.Calibration(asLead, c.ID)
		if seen.Scores[0].Answers != nil && seen.Scores[0].ReviewerID == r1.ID {
			t.Fatalf("facilitator sees answers before the reveal")
		}
		// A reviewer who cannot see the ticket is refused.
		_, _, err = f.qa.SubmitCalibration(asOut, c.ID, good())
		code(t, err, desk.EUNPROCESSABLE)
		// The agent reviewed and strangers see nothing.
		_, _, err = f.qa.Calibration(asRavi, c.ID)
		code(t, err, desk.ENOTFOUND)

		weak := map[string]string{"greeting": "no", "empathy": "3", "correct": "10", "privacy": "yes"}
		after, _, err := f.qa.SubmitCalibration(as2, c.ID, weak)
		if err != nil {
			t.Fatal(err)
		}
		// Having scored, reviewer 2 sees both, and where they disagree.
		spread := map[string]quality.CriterionSpread{}
		for _, s := range after.Spread {
			spread[s.Key] = s
		}
		if g := spread["greeting"]; !g.Disagree || *g.Min != 0 || *g.Max != 100 || *g.StdDev != 50 || g.N != 2 {
			t.Fatalf("greeting spread %+v", g)
		}
		if p := spread["privacy"]; p.Disagree || *p.StdDev != 0 {
			t.Fatalf("privacy spread %+v", p)
		}
		// Only the facilitator reveals; agreement waits for the reveal.
		_, err = f.qa.RevealCalibration(as1, c.ID, 0)
		code(t, err, desk.EFORBIDDEN)
		_, err = f.qa.AgreeCalibration(asLead, c.ID, 0, quality.Agreement{Answers: good()})
		code(t, err, desk.EUNPROCESSABLE)
		rev, err := f.qa.RevealCalibration(asLead, c.ID, c.Version)
		if err != nil || rev.State != quality.CalibrationRevealed || len(rev.Spread) != 4 {
			t.Fatalf("reveal %+v %v", rev, err)
		}
		_, _, err = f.qa.SubmitCalibration(asOut, c.ID, good())
		code(t, err, desk.EUNPROCESSABLE)
		_, err = f.qa.AgreeCalibration(asLead, c.ID, 1, quality.Agreement{Answers: good()})
		code(t, err, desk.ESTALE)
		_, err = f.qa.AgreeCalibration(asLead, c.ID, rev.Version, quality.Agreement{Answers: map[string]string{"greeting": "maybe"}})
		code(t, err, desk.EINVALID)
		agreed, err := f.qa.AgreeCalibration(asLead, c.ID, rev.Version, quality.Agreement{Answers: weak, Notes: "Greeting matters", MakeReview: true})
		if err != nil || agreed.State != quality.CalibrationAgreed || agreed.ReviewID == nil || *agreed.AgreedScore != 70 {
			t.Fatalf("agree %+v %v", agreed, err)
		}
		official, err := f.qa.Review(asRavi, *agreed.ReviewID)
		if err != nil || official.ReviewerID != lead.ID || official.Score != 70 {
			t.Fatalf("official review %+v %v", official, err)
		}
	})
}
