package report_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// The rise test against values worked out by hand from the Poisson sum
// P(X ≥ k) = 1 − Σ_{i<k} e^−λ λ^i / i!, e.g. λ = 2, k = 6:
// 1 − e^−2 (1 + 2 + 2 + 4/3 + 2/3 + 4/15) = 1 − 7.26667 × 0.135335 = 0.016564.
func TestPoissonRiseTest(t *testing.T) {
	for _, c := range []struct {
		count      int64
		baseline   float64
		wantP      float64
		wantRising bool
	}{
		{6, 2, 0.016564, false},      // p above 0.01
		{7, 2, 0.0045338, true},      // p = 0.016564 − e^−2·2^6/6! = 0.016564 − 0.012030
		{18, 10, 0.014278, false},    // a doubling of a busy tag is not yet significant
		{20, 10, 0.0034543, true},    // ... at twice its mean it is
		{3, 3, 0.57681, false},       // as usual
		{1, 0.5, 0.39347, false},     // 1 − e^−0.5
		{5, 0, 0, true},              // new complaints, at the minimum count
		{4, 0, 0, false},             // new, under the minimum count
		{4, 0.25, 0.00013338, false}, // significant but under the minimum count
		{40, 20, 0.0000532, true},    // far into the tail
		{0, 5, 1, false},             // nothing this week
	} {
		t.Run(fmt.Sprintf("%d against %v", c.count, c.baseline), func(t *testing.T) {
			p, rising := report.Rising(c.count, c.baseline)
			if math.Abs(p-c.wantP) > c.wantP*0.001+1e-6 || rising != c.wantRising {
				t.Errorf("p = %.7f rising %v, want %.7f %v", p, rising, c.wantP, c.wantRising)
			}
		})
	}
}

func TestTopicsAndWeeks(t *testing.T) {
	for tag, want := range map[string]string{"billing:refund": "billing", "billing/card": "billing", "billing": "billing",
		":odd": ":odd", "भुगतान:वापसी": "भुगतान"} {
		if got := report.TopicOf(tag); got != want {
			t.Errorf("topic of %q = %q, want %q", tag, got, want)
		}
	}
	sunday := time.Date(2026, 3, 8, 23, 59, 0, 0, time.UTC)
	if got := report.WeekOf(sunday); !got.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("week of a Sunday = %v", got)
	}
	if got := report.WeekOf(monday); !got.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("week of a Monday = %v", got)
	}
}

// Four quiet weeks of one "billing:refund" ticket a week, then eight: the
// tag and its topic rise, "billing:card" (steady) does not; the week's
// complaint record takes a note, refuses a stale one and keeps versions.
func TestComplaintTrendsFromRollups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ravi := f.agent("ravi", auth.RoleAgent)
		lead := f.agent("lata", auth.RoleTeamLead)
		sup := f.agent("sunil", auth.RoleSupervisor)
		team := f.team("A", 1, &ravi, &lead)
		week0 := report.WeekOf(monday)
		create := func(at time.Time, typ string, tags ...string) {
			f.at(at)
			must(f.tickets.Create(f.as(ravi), ticket.NewTicket{Subject: "s", Body: "b", Requester: ticket.Person{Email: "c@x.test"},
				Type: typ, Tags: tags, TeamID: &team}))
		}
		for w := 0; w < 4; w++ {
			at := week0.AddDate(0, 0, 7*w).Add(10 * time.Hour)
			create(at, "problem", "billing:refund")
			create(at, "question", "billing:card")
			create(at, "question", "billing:card")
		}
		this := week0.AddDate(0, 0, 28)
		for i := 0; i < 8; i++ {
			create(this.Add(time.Duration(10+i)*time.Hour), "problem", "billing:refund")
		}
		create(this.Add(20*time.Hour), "question", "billing:card")
		create(this.Add(20*time.Hour), "question", "billing:card")
		f.at(this.AddDate(0, 0, 8))
		storetest.CatchUpWith(t, f.db, report.Consumer, f.reports.CatchUp)

		read := func(ctx desk.Actor, dim string) map[string]report.TrendRow {
			t.Helper()
			tr := must(f.reports.Trends(f.as(ctx), report.TrendQuery{Dim: dim}))
			if !tr.Week.Equal(this) {
				t.Errorf("default week %v, want the last whole week %v", tr.Week, this)
			}
			out := map[string]report.TrendRow{}
			for _, r := range tr.Rows {
				out[r.Key] = r
			}
			return out
		}
		// λ = 1, k = 8: p = 1 − e^−1 Σ_{i<8} 1/i! = 0.0000102.
		tags := read(sup, report.TrendTag)
		if r := tags["billing:refund"]; r.Count != 8 || r.Baseline != 1 || !r.Rising || fmt.Sprint(r.Weeks) != "[1 1 1 1 8]" ||
			math.Abs(r.P-0.0000102) > 1e-6 {
			t.Errorf("billing:refund = %+v, want 8 against 1, rising", r)
		}
		if r := tags["billing:card"]; r.Count != 2 || r.Baseline != 2 || r.Rising {
			t.Errorf("billing:card = %+v, want steady at 2", r)
		}
		// The topic sums its tags: 1+2 a week, then 10 (λ = 3: p ≈ 0.0011).
		topics := read(lead, report.TrendTopic)
		if r := topics["billing"]; r.Count != 10 || r.Baseline != 3 || !r.Rising || len(topics) != 1 {
			t.Errorf("topics = %+v, want billing 10 against 3, rising", topics)
		}
		types := read(sup, report.TrendType)
		if r := types["problem"]; r.Count != 8 || !r.Rising {
			t.Errorf("type problem = %+v", r)
		}
		if _, err := f.reports.Trends(f.as(ravi), report.TrendQuery{Dim: report.TrendTag}); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("an agent reading complaint trends: %v", err)
		}
		if _, err := f.reports.Trends(f.as(sup), report.TrendQuery{Dim: "colour"}); desk.ErrorCode(err) != desk.EINVALID {
			t.Errorf("an unknown dimension: %v", err)
		}

		// The complaint record.
		n1 := must(f.reports.SetComplaintNote(f.as(lead), report.TrendTag, "billing:refund", this.Add(50*time.Hour),
			"Refund form broke on Tuesday; fixed", 0))
		if n1.Version != 1 || !n1.Week.Equal(this) {
			t.Errorf("first note: %+v", n1)
		}
		if _, err := f.reports.SetComplaintNote(f.as(sup), report.TrendTag, "billing:refund", this, "stale", 0+2); desk.ErrorCode(err) != desk.ESTALE {
			t.Errorf("a stale note: %v", err)
		}
		must(f.reports.SetComplaintNote(f.as(sup), report.TrendTag, "billing:refund", this, "Fixed; told the customers", 1))
		if r := read(sup, report.TrendTag)["billing:refund"]; r.Note == nil || r.Note.Version != 2 || r.Note.Note != "Fixed; told the customers" {
			t.Errorf("the record on the trend: %+v", r.Note)
		}
		hist := must(f.reports.ComplaintNoteHistory(f.as(sup), report.TrendTag, "billing:refund", this))
		if len(hist) != 2 || hist[1].Note != "Refund form broke on Tuesday; fixed" || hist[0].AuthorID != sup.ID {
			t.Errorf("history: %+v", hist)
		}
		if _, err := f.reports.SetComplaintNote(f.as(ravi), report.TrendTag, "billing:refund", this, "x", 0); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("an agent writing the record: %v", err)
		}
		if _, err := f.reports.SetComplaintNote(f.as(sup), "colour", "", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), "x", 0); desk.ErrorCode(err) != desk.EINVALID {
			t.Errorf("a bad record: %v", err)
		}
	})
}
