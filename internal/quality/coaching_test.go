package quality_test

import (
	"context"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

func TestCoachingSessionIsPrivateToAgentLeadsAndSupervisors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		lead, _ := f.agent("lead", auth.RoleTeamLead)
		otherLead, _ := f.agent("otherlead", auth.RoleTeamLead)
		boss, _ := f.agent("boss", auth.RoleSupervisor)
		ravi, _ := f.agent("ravi", auth.RoleAgent)
		mina, _ := f.agent("mina", auth.RoleAgent)
		tm := f.team("Billing", 1, lead.ID, ravi.ID)
		f.team("Returns", 1, otherLead.ID, mina.ID)
		asLead, asRavi, asMina, asBoss, asOther := f.as(lead), f.as(ravi), f.as(mina), f.as(boss), f.as(otherLead)
		tk, _ := f.conversation(ravi, tm.ID)
		sc := f.scorecard(asLead)
		rv, err := f.qa.CreateReview(asLead, quality.NewReview{TicketID: tk.ID, AgentID: ravi.ID, ScorecardID: sc.ID, Answers: good()})
		if err != nil {
			t.Fatal(err)
		}
		due := f.clock.Now().Add(72 * time.Hour)
		c, err := f.qa.CreateCoachingSession(asLead, quality.NewCoachingSession{AgentID: ravi.ID, Notes: "Talked about **tone**.\n<script>x</script>",
			ReviewIDs: []int64{rv.ID}, TicketIDs: []int64{tk.ID},
			Actions: []quality.NewActionItem{{Title: "Re-read the refund macro", OwnerID: ravi.ID, DueAt: &due}}})
		if err != nil {
			t.Fatal(err)
		}
		if c.CoachID != lead.ID || len(c.Actions) != 1 || c.Actions[0].ID == 0 || len(c.ReviewIDs) != 1 {
			t.Fatalf("session %+v", c)
		}
		ns, err := f.db.Notifications(context.Background(), ravi.ID, 10)
		if err != nil || len(ns) < 2 || ns[0].Kind != "coaching_session" {
			t.Fatalf("agent told %+v %v", ns, err)
		}

		for _, tc := range []struct {
			name string
			ctx  context.Context
			want string
		}{
			{"the agent", asRavi, ""},
			{"the coach", asLead, ""},
			{"a supervisor", asBoss, ""},
			{"another agent", asMina, desk.ENOTFOUND},
			{"another team's lead", asOther, desk.ENOTFOUND},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.qa.CoachingSession(tc.ctx, c.ID)
				if desk.ErrorCode(err) != tc.want {
					t.Fatalf("read: %v, want %q", err, tc.want)
				}
				list, err := f.qa.CoachingSessions(tc.ctx, quality.CoachingFilter{AgentID: &ravi.ID})
				if err != nil || (len(list) == 1) != (tc.want == "") {
					t.Fatalf("history %d %v", len(list), err)
				}
			})
		}

		// The owner ticks the item off; a stale version is refused.
		x, err := f.qa.SetActionDone(asRavi, c.Actions[0].ID, c.Actions[0].Version, true)
		if err != nil || x.DoneAt == nil {
			t.Fatalf("done: %+v %v", x, err)
		}
		_, err = f.qa.SetActionDone(asRavi, x.ID, 1, false)
		code(t, err, desk.ESTALE)
		_, err = f.qa.SetActionDone(asMina, x.ID, 0, false)
		code(t, err, desk.ENOTFOUND)
		// Notes at a stale version are refused; at the current one kept.
		_, err = f.qa.UpdateCoachingSession(asLead, c.ID, c.Version+5, quality.CoachingPatch{})
		code(t, err, desk.ESTALE)
		notes := "Follow-up next week"
		c2, err := f.qa.UpdateCoachingSession(asLead, c.ID, c.Version, quality.CoachingPatch{Notes: &notes})
		if err != nil || c2.Notes != notes || c2.Version != 2 {
			t.Fatalf("update %+v %v", c2, err)
		}
	})
}

func TestCoachingRefusesBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		lead, _ := f.agent("lead", auth.RoleTeamLead)
		ravi, _ := f.agent("ravi", auth.RoleAgent)
		mina, _ := f.agent("mina", auth.RoleAgent)
		f.team("Billing", 1, lead.ID, ravi.ID)
		asLead, asRavi := f.as(lead), f.as(ravi)
		soon := f.clock.Now().Add(48 * time.Hour)
		nonsense := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, tc := range []struct {
			name  string
			ctx   context.Context
			in    quality.NewCoachingSession
			code  string
			field string
		}{
			{"an action item without owner", asLead, quality.NewCoachingSession{AgentID: ravi.ID,
				Actions: []quality.NewActionItem{{Title: "Read", DueAt: &soon}}}, desk.EINVALID, "actions[0].owner_id"},
			{"an action item without due date", asLead, quality.NewCoachingSession{AgentID: ravi.ID,
				Actions: []quality.NewActionItem{{Title: "Read", OwnerID: ravi.ID}}}, desk.EINVALID, "actions[0].due_at"},
			{"a due date of 1900", asLead, quality.NewCoachingSession{AgentID: ravi.ID,
				Actions: []quality.NewActionItem{{Title: "Read", OwnerID: ravi.ID, DueAt: &nonsense}}}, desk.EINVALID, "actions[0].due_at"},
			{"an action item without title", asLead, quality.NewCoachingSession{AgentID: ravi.ID,
				Actions: []quality.NewActionItem{{OwnerID: ravi.ID, DueAt: &soon}}}, desk.EINVALID, "actions[0].title"},
			{"a ticket nobody has", asLead, quality.NewCoachingSession{AgentID: ravi.ID, TicketIDs: []int64{999}}, desk.EINVALID, "ticket_ids"},
			{"coaching oneself", asLead, quality.NewCoachingSession{AgentID: lead.ID}, desk.EUNPROCESSABLE, ""},
			{"an agent outside the lead's teams", asLead, quality.NewCoachingSession{AgentID: mina.ID}, desk.EFORBIDDEN, ""},
			{"an agent without coaching:write", asRavi, quality.NewCoachingSession{AgentID: mina.ID}, desk.EFORBIDDEN, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.qa.CreateCoachingSession(tc.ctx, tc.in)
				if tc.field != "" {
					field(t, err, tc.field)
				} else {
					code(t, err, tc.code)
				}
			})
		}
		// Nothing was half-written.
		list, err := f.qa.CoachingSessions(asLead, quality.CoachingFilter{})
		if err != nil || len(list) != 0 {
			t.Fatalf("sessions after refusals: %d %v", len(list), err)
		}
	})
}

func TestActionItemReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		lead, _ := f.agent("lead", auth.RoleTeamLead)
		ravi, _ := f.agent("ravi", auth.RoleAgent)
		f.team("Billing", 1, lead.ID, ravi.ID)
		asLead := f.as(lead)
		due := f.clock.Now().Add(30 * time.Hour)
		later := f.clock.Now().Add(10 * 24 * time.Hour)
		_, err := f.qa.CreateCoachingSession(asLead, quality.NewCoachingSession{AgentID: ravi.ID, Actions: []quality.NewActionItem{
			{Title: "Shadow a senior", OwnerID: ravi.ID, DueAt: &due}, {Title: "Later", OwnerID: ravi.ID, DueAt: &later}}})
		if err != nil {
			t.Fatal(err)
		}
		count := func(kind string) int {
			ns, err := f.db.Notifications(context.Background(), ravi.ID, 50)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, x := range ns {
				if x.Kind == kind {
					n++
				}
			}
			return n
		}
		for _, step := range []struct {
			advance          time.Duration
			sent, soon, late int
		}{
			{0, 0, 0, 0},              // due in 30 h: not yet
			{8 * time.Hour, 1, 1, 0},  // due in 22 h: due soon
			{time.Hour, 0, 1, 0},      // reminded once only
			{22 * time.Hour, 1, 1, 1}, // overdue
			{time.Hour, 0, 1, 1},
		} {
			f.clock.Advance(step.advance)
			n, err := f.qa.RemindActions(f.sys)
			if err != nil || n != step.sent || count("coaching_action_due_soon") != step.soon || count("coaching_action_overdue") != step.late {
				t.Fatalf("after %v: sent %d %v, soon %d overdue %d; want %+v", step.advance, n, err,
					count("coaching_action_due_soon"), count("coaching_action_overdue"), step)
			}
		}
	})
}

func TestQAScoresByAgentTeamCriterionAndWeek(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		lead, _ := f.agent("lead", auth.RoleTeamLead)
		boss, _ := f.agent("boss", auth.RoleSupervisor)
		ravi, _ := f.agent("ravi", auth.RoleAgent)
		mina, _ := f.agent("mina", auth.RoleAgent)
		tm := f.team("Billing", 1, lead.ID, ravi.ID, mina.ID)
		asLead, asBoss, asRavi, asMina := f.as(lead), f.as(boss), f.as(ravi), f.as(mina)
		sc := f.scorecard(asLead)
		review := func(agent int64, ans map[string]string) *quality.Review {
			t.Helper()
			a := ravi
			if agent == mina.ID {
				a = mina
			}
			tk, _ := f.conversation(a, tm.ID)
			r, err := f.qa.CreateReview(asLead, quality.NewReview{TicketID: tk.ID, AgentID: agent, ScorecardID: sc.ID, Answers: ans})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		weak := map[string]string{"greeting": "no", "empathy": "3", "correct": "6", "privacy": "yes"} // 52
		start := f.clock.Now()
		review(ravi.ID, good()) // 100
		f.clock.Advance(7 * 24 * time.Hour)
		disputed := review(ravi.ID, weak) // 52
		review(mina.ID, weak)             // 52

		sum, err := f.qa.ScoresFor(asBoss, ravi.ID, start, f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if sum.Overall.Reviews != 2 || *sum.Overall.Score != 76 || len(sum.Weeks) != 2 ||
			*sum.Weeks[0].Score != 100 || *sum.Weeks[1].Score != 52 {
			t.Fatalf("ravi %+v weeks %+v", sum.Overall, sum.Weeks)
		}
		if sum.Criteria[0].Key != "greeting" || *sum.Criteria[0].Score != 50 || sum.Criteria[0].Title != "Greets by name" {
			t.Fatalf("worst criterion first: %+v", sum.Criteria)
		}
		// A dispute resolved with new answers moves the buckets.
		if _, err := f.qa.Dispute(asRavi, disputed.ID, 0, "I did greet"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.qa.Resolve(asBoss, disputed.ID, 0, quality.Resolution{Resolution: "Agreed", Answers: good()}); err != nil {
			t.Fatal(err)
		}
		sum, err = f.qa.ScoresFor(asRavi, ravi.ID, start, f.clock.Now())
		if err != nil || sum.Overall.Reviews != 2 || *sum.Overall.Score != 100 {
			t.Fatalf("after resolution %+v %v", sum.Overall, err)
		}
		// Scope: an agent sees only their own; another agent's is refused.
		_, err = f.qa.ScoresFor(asMina, ravi.ID, start, f.clock.Now())
		code(t, err, desk.EFORBIDDEN)
		d, err := f.qa.Dashboard(asMina, quality.DashboardQuery{From: start})
		if err != nil || len(d.Agents) != 1 || d.Agents[0].AgentID != mina.ID {
			t.Fatalf("mina's dashboard %+v %v", d, err)
		}
		d, err = f.qa.Dashboard(asLead, quality.DashboardQuery{From: start})
		if err != nil || len(d.Agents) != 2 || d.Agents[0].AgentID != mina.ID || len(d.Teams) != 1 || d.Teams[0].TeamID != tm.ID {
			t.Fatalf("lead's dashboard %+v %v", d, err)
		}
		_, err = f.qa.Dashboard(asBoss, quality.DashboardQuery{From: f.clock.Now(), To: start})
		field(t, err, "to")
	})
}
