package quality_test

import (
	"testing"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// solved opens n conversations of agent and solves them now.
func (f *fixture) solved(agent *people.Agent, team int64, n int) []*ticket.Ticket {
	f.t.Helper()
	var out []*ticket.Ticket
	st := "solved"
	for i := 0; i < n; i++ {
		tk, _ := f.conversation(agent, team)
		tk, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{Status: &st})
		if err != nil {
			f.t.Fatal(err)
		}
		out = append(out, tk)
	}
	return out
}

func TestReviewQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		lead, asLead := f.agent("lead", auth.RoleTeamLead)
		boss, asBoss := f.agent("boss", auth.RoleSupervisor)
		ravi, _ := f.agent("ravi", auth.RoleAgent)
		meera, _ := f.agent("meera", auth.RoleAgent)
		tm := f.team("Billing", 1, lead.ID, ravi.ID, meera.ID)
		experts := f.team("Experts", 2, boss.ID, meera.ID)
		f.solved(ravi, tm.ID, 5)
		f.solved(meera, tm.ID, 2)
		f.solved(lead, tm.ID, 1)
		// An escalated conversation is queued whatever the sample says.
		esc, _ := f.conversation(meera, tm.ID)
		if _, err := f.tickets.Escalate(f.sys, esc.ID, experts.ID, "needs an expert"); err != nil {
			t.Fatal(err)
		}
		st := "solved"
		if _, err := f.tickets.Update(f.sys, esc.ID, ticket.Patch{AssigneeID: &meera.ID, Status: &st}); err != nil {
			t.Fatal(err)
		}
		// Last week's and unsolved conversations are not.
		f.conversation(ravi, tm.ID)

		_, err := f.qa.SaveRules(asLead, 0, func(r *quality.SamplingRules) { r.PerAgent = 2; r.DueDays = 3; r.ReviewerIDs = []int64{lead.ID, 9999} })
		code(t, err, desk.EINVALID)
		rules, err := f.qa.SaveRules(asLead, 0, func(r *quality.SamplingRules) {
			r.PerAgent = 2
			r.DueDays = 3
			r.ReviewerIDs = []int64{lead.ID, boss.ID}
		})
		if err != nil || rules.Version != 1 {
			t.Fatalf("rules: %+v %v", rules, err)
		}
		_, err = f.qa.SaveRules(asLead, 7, func(r *quality.SamplingRules) {})
		code(t, err, desk.ESTALE)

		res, err := f.qa.BuildQueue(asLead, f.clock.Now())
		// ravi 2 of 5, meera 2 of 2 plus the escalated one, lead 1.
		if err != nil || res.Added != 6 || res.Assigned != 6 {
			t.Fatalf("build: %+v %v", res, err)
		}
		again, err := f.qa.BuildQueue(asLead, f.clock.Now())
		if err != nil || again.Added != 0 {
			t.Fatalf("a second build: %+v %v", again, err)
		}
		items, err := f.qa.Queue(asLead, quality.QueueFilter{WeekStart: &res.WeekStart})
		if err != nil || len(items) != 6 {
			t.Fatalf("queue: %v %v", items, err)
		}
		reasons := map[string]int{}
		for _, it := range items {
			reasons[it.Reason]++
			if it.ReviewerID == nil || *it.ReviewerID == it.AgentID {
				t.Errorf("item %+v: no reviewer, or its own agent", it)
			}
			if want := res.WeekStart.AddDate(0, 0, 10); it.DueAt == nil || !it.DueAt.Equal(want) {
				t.Errorf("item %d due %v, want %v", it.ID, it.DueAt, want)
			}
		}
		if reasons[quality.ReasonSample] != 5 || reasons[quality.ReasonEscalated] != 1 {
			t.Errorf("reasons %v", reasons)
		}

		// One reviewer per item: the other's claim is refused, and so is a
		// review of it by someone else.
		var mine, theirs *quality.QueueItem
		for _, it := range items {
			if *it.ReviewerID == lead.ID && mine == nil {
				mine = it
			}
			if *it.ReviewerID == boss.ID && theirs == nil && it.AgentID != lead.ID {
				theirs = it
			}
		}
		_, err = f.qa.Claim(asLead, theirs.ID)
		code(t, err, desk.ECONFLICT)
		if _, err := f.qa.Claim(asLead, mine.ID); err != nil {
			t.Fatal(err)
		}
		sc := f.scorecard(asLead)
		_, err = f.qa.CreateReview(asLead, quality.NewReview{TicketID: theirs.TicketID, AgentID: theirs.AgentID, ScorecardID: sc.ID,
			Answers: good(), QueueItemID: &theirs.ID})
		code(t, err, desk.ECONFLICT)
		r, err := f.qa.CreateReview(asLead, quality.NewReview{TicketID: mine.TicketID, AgentID: mine.AgentID, ScorecardID: sc.ID,
			Answers: good(), QueueItemID: &mine.ID})
		if err != nil || r.QueueItemID == nil || *r.QueueItemID != mine.ID {
			t.Fatalf("review of the item: %+v %v", r, err)
		}
		_, err = f.qa.CreateReview(asBoss, quality.NewReview{TicketID: mine.TicketID, AgentID: mine.AgentID, ScorecardID: sc.ID,
			Answers: good(), QueueItemID: &mine.ID})
		code(t, err, desk.ECONFLICT)
		open, err := f.qa.Queue(asLead, quality.QueueFilter{WeekStart: &res.WeekStart, Open: true})
		if err != nil || len(open) != 5 {
			t.Fatalf("open items: %d %v", len(open), err)
		}
		// Nothing half-written: the refused reviews left no row.
		all, _ := f.qa.Reviews(asLead, quality.ReviewFilter{})
		if len(all) != 1 {
			t.Errorf("reviews: %d", len(all))
		}
	})
}
