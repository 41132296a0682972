package training_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
	"github.com/sahayak/sahayak/internal/training"
)

type fixture struct {
	t      testing.TB
	db     *store.DB
	clock  *storetest.Clock
	people *people.Service
	svc    *training.Service
	sys    context.Context
	qa     *quality.Service
	n      int
}

func newFixture(t testing.TB, b storetest.Backend) *fixture {
	db := storetest.Open(t, b)
	c := storetest.NewClock(time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC))
	qa := quality.NewService(db, ticket.NewService(db, db, event.NewBus(), c), c)
	facts := training.FactSources{QA: db.QAScores, Coaching: training.QualityCoaching(qa)}
	return &fixture{t: t, db: db, clock: c, people: people.NewService(db, c), qa: qa,
		svc: training.NewService(db, facts, c), sys: desk.WithActor(context.Background(), desk.System)}
}

func (f *fixture) agent(name, role string) (*people.Agent, context.Context) {
	f.t.Helper()
	email := name + "@desk.test"
	a, err := f.people.CreateAgent(f.sys, people.AgentInput{Email: &email, Name: &name, Role: &role}, auth.HashPassword)
	if err != nil {
		f.t.Fatalf("agent %s: %v", name, err)
	}
	return a, f.as(a)
}

func (f *fixture) as(a *people.Agent) context.Context {
	fresh, err := f.db.Agent(context.Background(), a.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	var perms []string
	for _, r := range auth.BuiltinRoles {
		if r.Name == fresh.Role {
			perms = r.Permissions
		}
	}
	return desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorAgent, ID: a.ID, Name: a.Name,
		Role: fresh.Role, Permissions: perms, TeamIDs: fresh.TeamIDs})
}

func (f *fixture) team(name string, lead int64, members ...int64) *people.Team {
	f.t.Helper()
	ms := append([]int64{lead}, members...)
	tier := 1
	tm, err := f.people.CreateTeam(f.sys, people.TeamInput{Name: &name, Tier: &tier, LeadID: &lead, MemberIDs: &ms})
	if err != nil {
		f.t.Fatal(err)
	}
	return tm
}

// course is a two-module course: a reading and a quiz of one single- and
// one multiple-answer question.
func course() training.Course {
	return training.Course{Title: "Refund policy", PassMark: 80, ValidDays: 30, Active: true, Criteria: []string{"correct"},
		Modules: []training.Module{
			{Title: "Read the policy", Body: "# Refunds\nWithin **14 days**.<script>alert(1)</script>",
				Links: []training.Link{{Title: "Policy", URL: "https://example.com/refunds"}}},
			{Title: "Check", Questions: []training.Question{
				{Text: "How many days?", Options: []string{"7", "14", "30"}, Correct: []int{1}},
				{Text: "Which need a receipt?", Options: []string{"Cards", "Cash", "Vouchers"}, Correct: []int{0, 1}},
			}},
		}}
}

func code(t *testing.T, err error, want string) {
	t.Helper()
	if got := desk.ErrorCode(err); got != want {
		t.Fatalf("error %v: code %q, want %q", err, got, want)
	}
}

func field(t *testing.T, err error, name string) {
	t.Helper()
	code(t, err, desk.EINVALID)
	if _, ok := desk.ErrorFields(err)[name]; !ok {
		t.Fatalf("error %v: no field %q in %v", err, name, desk.ErrorFields(err))
	}
}

func TestCourseRefusesBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		_, lead := f.agent("lata", auth.RoleTeamLead)
		_, agent := f.agent("ravi", auth.RoleAgent)
		cases := []struct {
			name   string
			change func(*training.Course)
			field  string
		}{
			{"a quiz question with no correct answer", func(c *training.Course) { c.Modules[1].Questions[0].Correct = nil }, "modules[1].questions[0].correct"},
			{"a correct answer that is not an option", func(c *training.Course) { c.Modules[1].Questions[0].Correct = []int{5} }, "modules[1].questions[0].correct"},
			{"one option", func(c *training.Course) { c.Modules[1].Questions[0].Options = []string{"7"} }, "modules[1].questions[0].options"},
			{"no title", func(c *training.Course) { c.Title = " " }, "title"},
			{"a pass mark over 100", func(c *training.Course) { c.PassMark = 120 }, "pass_mark"},
			{"a javascript link", func(c *training.Course) { c.Modules[0].Links[0].URL = "javascript:alert(1)" }, "modules[0].links[0].url"},
		}
		for _, tc := range cases {
			c := course()
			tc.change(&c)
			_, err := f.svc.CreateCourse(lead, c)
			field(t, err, tc.field)
		}
		_, err := f.svc.CreateCourse(agent, course())
		code(t, err, desk.EFORBIDDEN)
		if list, _ := f.svc.Courses(lead); len(list) != 0 {
			t.Fatalf("refused courses were written: %d", len(list))
		}
		made, err := f.svc.CreateCourse(lead, course())
		if err != nil {
			t.Fatal(err)
		}
		if made.Modules[0].Key != "m1" || made.Modules[1].Key != "m2" {
			t.Fatalf("module keys %q %q", made.Modules[0].Key, made.Modules[1].Key)
		}
		html := f.svc.Markdown(made.Modules[0].Body)
		if !strings.Contains(html, "<strong>14 days</strong>") || strings.Contains(html, "<script") {
			t.Fatalf("markdown: %s", html)
		}
	})
}

func TestQuizFormatRoundTrips(t *testing.T) {
	src := "? How many days?\n- 7\n* 14\n\n? Which need a receipt?\n* Cards\n* Cash\n- Vouchers\n"
	qs, err := training.ParseQuiz(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 2 || !qs[1].Multiple() || qs[0].Correct[0] != 1 {
		t.Fatalf("parsed %+v", qs)
	}
	if got := training.QuizText(qs); got != src {
		t.Fatalf("round trip:\n%s\nwant\n%s", got, src)
	}
	if _, err := training.ParseQuiz("- an option before any question"); desk.ErrorCode(err) != desk.EINVALID {
		t.Fatalf("stray option: %v", err)
	}
}

func TestAssignTakeAndRenew(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		leadA, lead := f.agent("lata", auth.RoleTeamLead)
		ravi, asRavi := f.agent("ravi", auth.RoleAgent)
		gone, _ := f.agent("gopal", auth.RoleAgent)
		off := false
		if _, err := f.people.UpdateAgent(f.sys, gone.ID, people.AgentInput{Active: &off}, auth.HashPassword); err != nil {
			t.Fatal(err)
		}
		tm := f.team("Billing", leadA.ID, ravi.ID)
		c, err := f.svc.CreateCourse(lead, course())
		if err != nil {
			t.Fatal(err)
		}
		now := f.clock.Now()
		due := now.Add(7 * 24 * time.Hour)
		_, err = f.svc.Assign(lead, training.NewAssignment{CourseID: c.ID, AgentIDs: []int64{ravi.ID}, DueAt: now.Add(-time.Hour)})
		field(t, err, "due_at")
		_, err = f.svc.Assign(lead, training.NewAssignment{CourseID: c.ID, AgentIDs: []int64{ravi.ID, gone.ID}, DueAt: due})
		field(t, err, "agent_ids[1]")
		if list, _ := f.svc.Assignments(lead, training.AssignmentFilter{}); len(list) != 0 {
			t.Fatalf("a refused assignment wrote %d rows", len(list))
		}
		res, err := f.svc.Assign(lead, training.NewAssignment{CourseID: c.ID, TeamIDs: []int64{tm.ID}, DueAt: due})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Assigned) != 2 { // the lead is a member too
			t.Fatalf("assigned %d, want 2", len(res.Assigned))
		}
		again, err := f.svc.Assign(lead, training.NewAssignment{CourseID: c.ID, AgentIDs: []int64{ravi.ID}, DueAt: due})
		if err != nil || len(again.Assigned) != 0 || len(again.Skipped) != 1 {
			t.Fatalf("assigning again: %+v %v", again, err)
		}
		mine, err := f.svc.Assignments(asRavi, training.AssignmentFilter{})
		if err != nil || len(mine) != 1 {
			t.Fatalf("my training: %d %v", len(mine), err)
		}
		x := mine[0]
		view, err := f.svc.CourseOf(asRavi, x)
		if err != nil || view.Modules[1].Questions[0].Correct != nil {
			t.Fatalf("the learner's course shows answers: %+v %v", view.Modules[1].Questions, err)
		}
		_, _, err = f.svc.SubmitQuiz(lead, x.ID, 0, "m2", [][]int{{1}, {0, 1}})
		code(t, err, desk.EFORBIDDEN) // nobody takes another's quiz
		_, err = f.svc.MarkRead(asRavi, x.ID, 0, "m2")
		code(t, err, desk.EUNPROCESSABLE) // a quiz module is passed, not read
		x, err = f.svc.MarkRead(asRavi, x.ID, x.Version, "m1")
		if err != nil || x.State != training.StateInProgress {
			t.Fatalf("read: %+v %v", x, err)
		}
		_, _, err = f.svc.SubmitQuiz(asRavi, x.ID, x.Version, "m2", [][]int{{1}, {0, 1, 5}})
		field(t, err, "answers[1]")
		x, at, err := f.svc.SubmitQuiz(asRavi, x.ID, x.Version, "m2", [][]int{{1}, {0}})
		if err != nil || at.Score != 50 || at.Passed || x.State != training.StateInProgress {
			t.Fatalf("half right: %+v %+v %v", at, x, err)
		}
		_, _, err = f.svc.SubmitQuiz(asRavi, x.ID, x.Version-1, "m2", [][]int{{1}, {0, 1}})
		code(t, err, desk.ESTALE)
		x, at, err = f.svc.SubmitQuiz(asRavi, x.ID, x.Version, "m2", [][]int{{1}, {1, 0}})
		if err != nil || at.Score != 100 || !at.Passed || x.State != training.StateCompleted || x.Attempts != 2 {
			t.Fatalf("all right: %+v %+v %v", at, x, err)
		}
		if x.Score == nil || *x.Score != 100 || x.ExpiresAt == nil || !x.ExpiresAt.Equal(f.clock.Now().AddDate(0, 0, 30)) {
			t.Fatalf("completion: score %v expires %v", x.Score, x.ExpiresAt)
		}
		_, _, err = f.svc.SubmitQuiz(asRavi, x.ID, 0, "m2", [][]int{{1}, {0, 1}})
		code(t, err, desk.EUNPROCESSABLE)

		// A member who joins later gets the team's course from the sweep.
		late, asLate := f.agent("lakshmi", auth.RoleAgent)
		members := []int64{leadA.ID, ravi.ID, late.ID}
		if _, err := f.people.UpdateTeam(f.sys, tm.ID, people.TeamInput{MemberIDs: &members}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(24 * time.Hour)
		sw, err := f.svc.Sweep(f.sys)
		if err != nil || sw.Expanded != 1 {
			t.Fatalf("sweep: %+v %v", sw, err)
		}
		lates, _ := f.svc.Assignments(asLate, training.AssignmentFilter{})
		if len(lates) != 1 || lates[0].TeamID == nil || !lates[0].DueAt.Equal(f.clock.Now().Add(due.Sub(now))) {
			t.Fatalf("late joiner: %+v", lates)
		}

		// Reminders come once: due soon, then overdue.
		f.clock.Advance(6 * 24 * time.Hour)
		sw, _ = f.svc.Sweep(f.sys)
		if sw.Reminded != 2 { // the lead's is overdue, lakshmi's due within two days
			t.Fatalf("reminded %d, want 2", sw.Reminded)
		}
		if n := notifications(t, f, late.ID); n[training.KindDueSoon] != 1 {
			t.Fatalf("lakshmi's notifications: %v", n)
		}
		if n := notifications(t, f, leadA.ID); n[training.KindOverdue] != 1 {
			t.Fatalf("the lead's notifications: %v", n)
		}
		sw2, _ := f.svc.Sweep(f.sys)
		if sw2.Reminded != 0 {
			t.Fatalf("reminded twice: %+v", sw2)
		}

		// The certification runs out and is assigned again.
		f.clock.Advance(30 * 24 * time.Hour)
		sw, err = f.svc.Sweep(f.sys)
		if err != nil || sw.Renewed != 1 {
			t.Fatalf("renew: %+v %v", sw, err)
		}
		mine, _ = f.svc.Assignments(asRavi, training.AssignmentFilter{})
		if len(mine) != 2 || mine[0].State != training.StateAssigned || mine[1].State != training.StateExpired {
			t.Fatalf("after expiry: %v %v", mine[0].State, mine[1].State)
		}
		if n := notifications(t, f, ravi.ID); n[training.KindAssigned] != 2 {
			t.Fatalf("ravi's notifications: %v", n)
		}
	})
}

func notifications(t *testing.T, f *fixture, agent int64) map[string]int {
	t.Helper()
	list, err := f.db.Notifications(context.Background(), agent, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, n := range list {
		out[n.Kind]++
	}
	return out
}

func TestSuggestCoursesForFailedCriteria(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		_, lead := f.agent("lata", auth.RoleTeamLead)
		ravi, asRavi := f.agent("ravi", auth.RoleAgent)
		_, asOther := f.agent("om", auth.RoleAgent)
		c, _ := f.svc.CreateCourse(lead, course())
		other := course()
		other.Title, other.Criteria = "Greetings", []string{"greeting"}
		if _, err := f.svc.CreateCourse(lead, other); err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.Suggest(asRavi, ravi.ID)
		if err != nil || len(got) != 0 {
			t.Fatalf("no reviews, suggestions %v %v", got, err)
		}
		f.reviews(t, ravi, map[string]string{"correct": "2", "greeting": "yes"}, map[string]string{"correct": "0", "greeting": "no"},
			map[string]string{"correct": "3", "greeting": "yes"})
		got, err = f.svc.Suggest(lead, ravi.ID)
		if err != nil || len(got) != 2 || got[0].Course.ID != c.ID || got[0].Fails != 3 || got[1].Fails != 1 {
			t.Fatalf("suggestions %+v %v", got, err)
		}
		_, err = f.svc.Suggest(asOther, ravi.ID)
		code(t, err, desk.EFORBIDDEN)
	})
}

// reviews has a QA reviewer score agent's conversations with the answers
// given (criteria "correct", points out of 10, and "greeting", yes/no).
func (f *fixture) reviews(t *testing.T, agent *people.Agent, answers ...map[string]string) {
	t.Helper()
	_, qa := f.agent(fmt.Sprintf("reviewer%d", f.n), auth.RoleSupervisor)
	f.n++
	tickets := ticket.NewService(f.db, f.db, event.NewBus(), f.clock)
	q := quality.NewService(f.db, tickets, f.clock)
	sc, err := q.CreateScorecard(qa, quality.Scorecard{Name: fmt.Sprintf("Card %d", f.n), Active: true, Sections: []quality.Section{
		{Title: "All", Weight: 100, Criteria: []quality.Criterion{
			{Key: "correct", Title: "Correct", Weight: 50, Scale: quality.ScalePoints, MaxPoints: 10},
			{Key: "greeting", Title: "Greets", Weight: 50, Scale: quality.ScaleYesNo}}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range answers {
		tk, err := tickets.Create(f.sys, ticket.NewTicket{Subject: "Refund", Body: "Where is it?", AssigneeID: &agent.ID,
			Requester: ticket.Person{Email: fmt.Sprintf("c%d@customer.test", f.n), Name: "Asha"}})
		f.n++
		if err != nil {
			t.Fatal(err)
		}
		if _, err := q.CreateReview(qa, quality.NewReview{TicketID: tk.ID, AgentID: agent.ID, ScorecardID: sc.ID, Answers: a}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPerformanceReviewFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		leadA, lead := f.agent("lata", auth.RoleTeamLead)
		_, otherLead := f.agent("omkar", auth.RoleTeamLead)
		_, boss := f.agent("sunita", auth.RoleSupervisor)
		ravi, asRavi := f.agent("ravi", auth.RoleAgent)
		_, asPeer := f.agent("priya", auth.RoleAgent)
		f.team("Billing", leadA.ID, ravi.ID)
		lead = f.as(leadA)
		c, _ := f.svc.CreateCourse(lead, course())
		if _, err := f.svc.Assign(lead, training.NewAssignment{CourseID: c.ID, AgentIDs: []int64{ravi.ID},
			DueAt: f.clock.Now().Add(72 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		f.reviews(t, ravi, map[string]string{"correct": "10", "greeting": "yes"})

		in := training.NewPerfReview{AgentID: ravi.ID, Period: training.Monthly, PeriodOf: f.clock.Now()}
		_, err := f.svc.CreatePerfReview(asRavi, in)
		code(t, err, desk.EFORBIDDEN)
		_, err = f.svc.CreatePerfReview(otherLead, in) // leads another team
		code(t, err, desk.EFORBIDDEN)
		_, err = f.svc.CreatePerfReview(lead, training.NewPerfReview{AgentID: ravi.ID, Period: "weekly"})
		field(t, err, "period")
		r, err := f.svc.CreatePerfReview(lead, in)
		if err != nil {
			t.Fatal(err)
		}
		if !r.PeriodStart.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) || !r.PeriodEnd.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("period %v – %v", r.PeriodStart, r.PeriodEnd)
		}
		_, err = f.svc.CreatePerfReview(boss, in)
		code(t, err, desk.ECONFLICT)
		// The agent sees no draft; a peer sees nothing.
		_, err = f.svc.PerfReview(asRavi, r.ID)
		code(t, err, desk.ENOTFOUND)
		_, err = f.svc.PerfReview(asPeer, r.ID)
		code(t, err, desk.ENOTFOUND)
		_, err = f.svc.AcknowledgePerfReview(asRavi, r.ID, 0)
		code(t, err, desk.EUNPROCESSABLE) // not shared yet
		_, err = f.svc.AcknowledgePerfReview(asPeer, r.ID, 0)
		code(t, err, desk.ENOTFOUND)
		held := f.clock.Now().Add(-time.Hour)
		if _, err := f.qa.CreateCoachingSession(lead, quality.NewCoachingSession{AgentID: ravi.ID, HeldAt: &held,
			Notes: "Talked about refunds"}); err != nil {
			t.Fatal(err)
		}
		facts, err := f.svc.FactsOf(lead, r)
		if err != nil || facts.QA == nil || facts.QA.Reviews != 1 || len(facts.Training) != 1 || facts.Goals != nil ||
			len(facts.Coaching) != 1 || facts.Coaching[0].Notes != "Talked about refunds" {
			t.Fatalf("facts %+v %v", facts, err)
		}
		_, err = f.svc.SharePerfReview(lead, r.ID, r.Version)
		field(t, err, "assessment")
		text := "Solid month; refunds handled well."
		r, err = f.svc.UpdatePerfReview(lead, r.ID, r.Version, training.PerfPatch{Assessment: &text})
		if err != nil {
			t.Fatal(err)
		}
		self := "Thanks"
		_, err = f.svc.UpdatePerfReview(lead, r.ID, r.Version, training.PerfPatch{SelfAssessment: &self})
		code(t, err, desk.EFORBIDDEN)
		_, err = f.svc.UpdatePerfReview(lead, r.ID, r.Version-1, training.PerfPatch{Assessment: &text})
		code(t, err, desk.ESTALE)
		r, err = f.svc.SharePerfReview(lead, r.ID, r.Version)
		if err != nil || r.State != training.PerfShared || r.Facts == nil {
			t.Fatalf("share: %+v %v", r, err)
		}
		mine, err := f.svc.PerfReviews(asRavi, ravi.ID)
		if err != nil || len(mine) != 1 {
			t.Fatalf("history: %v %v", mine, err)
		}
		_, err = f.svc.PerfReviews(asPeer, ravi.ID)
		code(t, err, desk.EFORBIDDEN)
		r, err = f.svc.UpdatePerfReview(asRavi, r.ID, r.Version, training.PerfPatch{SelfAssessment: &self})
		if err != nil || r.SelfAssessment != self {
			t.Fatalf("self-assessment: %+v %v", r, err)
		}
		r, err = f.svc.AcknowledgePerfReview(asRavi, r.ID, r.Version)
		if err != nil || r.State != training.PerfAcknowledged {
			t.Fatalf("acknowledge: %+v %v", r, err)
		}
		_, err = f.svc.UpdatePerfReview(lead, r.ID, 0, training.PerfPatch{Assessment: &text})
		code(t, err, desk.EUNPROCESSABLE)
		_, err = f.svc.AcknowledgePerfReview(asRavi, r.ID, 0)
		code(t, err, desk.EUNPROCESSABLE)
		revs, err := f.svc.PerfRevisions(boss, r.ID)
		if err != nil || len(revs) != 5 || revs[4].State != training.PerfAcknowledged {
			t.Fatalf("revisions %+v %v", revs, err)
		}
		if n := notifications(t, f, ravi.ID); n["perf_shared"] != 1 {
			t.Fatalf("ravi's notifications %v", n)
		}
		if n := notifications(t, f, leadA.ID); n["perf_acknowledged"] != 1 {
			t.Fatalf("lata's notifications %v", n)
		}
	})
}
