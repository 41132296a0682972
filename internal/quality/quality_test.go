package quality_test

import (
	"context"
	"fmt"
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
)

type fixture struct {
	t       testing.TB
	db      *store.DB
	clock   *storetest.Clock
	tickets *ticket.Service
	people  *people.Service
	qa      *quality.Service
	sys     context.Context
	n       int
}

func newFixture(t testing.TB, b storetest.Backend) *fixture {
	db := storetest.Open(t, b)
	c := storetest.NewClock(time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC))
	tickets := ticket.NewService(db, db, event.NewBus(), c)
	return &fixture{t: t, db: db, clock: c, tickets: tickets, people: people.NewService(db, c),
		qa: quality.NewService(db, tickets, c), sys: desk.WithActor(context.Background(), desk.System)}
}

// agent makes an agent of a built-in role and returns it with a context
// acting as it (the role's permissions less any named in without).
func (f *fixture) agent(name, role string, without ...string) (*people.Agent, context.Context) {
	f.t.Helper()
	email := name + "@desk.test"
	a, err := f.people.CreateAgent(f.sys, people.AgentInput{Email: &email, Name: &name, Role: &role}, auth.HashPassword)
	if err != nil {
		f.t.Fatalf("agent %s: %v", name, err)
	}
	return a, f.as(a, without...)
}

func (f *fixture) as(a *people.Agent, without ...string) context.Context {
	fresh, err := f.db.Agent(context.Background(), a.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	var perms []string
	for _, r := range auth.BuiltinRoles {
		if r.Name == fresh.Role {
			for _, p := range r.Permissions {
				drop := false
				for _, w := range without {
					drop = drop || w == p
				}
				if !drop {
					perms = append(perms, p)
				}
			}
		}
	}
	return desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorAgent, ID: a.ID, Name: a.Name,
		Role: fresh.Role, Permissions: perms, TeamIDs: fresh.TeamIDs})
}

func (f *fixture) team(name string, tier int, lead int64, members ...int64) *people.Team {
	f.t.Helper()
	ms := append([]int64{lead}, members...)
	tm, err := f.people.CreateTeam(f.sys, people.TeamInput{Name: &name, Tier: &tier, LeadID: &lead, MemberIDs: &ms})
	if err != nil {
		f.t.Fatal(err)
	}
	return tm
}

// conversation opens a ticket assigned to agent (in team, when not 0) on
// which the agent answered once; it returns the ticket and the reply.
func (f *fixture) conversation(agent *people.Agent, team int64) (*ticket.Ticket, *ticket.Message) {
	f.t.Helper()
	f.n++
	in := ticket.NewTicket{Subject: "Refund not received", Body: "Where is my money?", AssigneeID: &agent.ID,
		Requester: ticket.Person{Email: fmt.Sprintf("c%d@customer.test", f.n), Name: "Asha Rao"}}
	if team != 0 {
		in.TeamID = &team
	}
	t, err := f.tickets.Create(f.sys, in)
	if err != nil {
		f.t.Fatal(err)
	}
	m, err := f.tickets.AddMessage(f.as(agent), t.ID, ticket.NewMessage{Body: "Sorry! It is on its way."})
	if err != nil {
		f.t.Fatal(err)
	}
	return t, m
}

// card is a valid two-section scorecard with a critical criterion.
func card() quality.Scorecard {
	return quality.Scorecard{Name: "Email support", Active: true, Sections: []quality.Section{
		{Title: "Tone", Weight: 40, Criteria: []quality.Criterion{
			{Key: "greeting", Title: "Greets by name", Weight: 50, Scale: quality.ScaleYesNo},
			{Key: "empathy", Title: "Shows empathy", Weight: 50, Scale: quality.ScaleFive},
		}},
		{Title: "Solution", Weight: 60, Criteria: []quality.Criterion{
			{Key: "correct", Title: "Correct answer", Weight: 75, Scale: quality.ScalePoints, MaxPoints: 10},
			{Key: "privacy", Title: "No personal data leaked", Weight: 25, Scale: quality.ScaleYesNo, Critical: true, FailAnswer: "no"},
		}},
	}}
}

func (f *fixture) scorecard(ctx context.Context) *quality.Scorecard {
	f.t.Helper()
	sc, err := f.qa.CreateScorecard(ctx, card())
	if err != nil {
		f.t.Fatal(err)
	}
	return sc
}

func good() map[string]string {
	return map[string]string{"greeting": "yes", "empathy": "5", "correct": "10", "privacy": "yes"}
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
		t.Fatalf("error %v names %v, want the field %s", err, desk.ErrorFields(err), name)
	}
}

func TestScorecardRefusesBadRubrics(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(*quality.Scorecard)
		field  string
	}{
		{"section weights not 100", func(s *quality.Scorecard) { s.Sections[0].Weight = 30 }, "sections"},
		{"criteria weights not 100", func(s *quality.Scorecard) { s.Sections[1].Criteria[0].Weight = 70 }, "sections[1].criteria"},
		{"critical without a fail answer", func(s *quality.Scorecard) { s.Sections[1].Criteria[1].FailAnswer = "" }, "sections[1].criteria[1].fail_answer"},
		{"fail answer that is the best", func(s *quality.Scorecard) {
			s.Sections[0].Criteria[1].Critical, s.Sections[0].Criteria[1].FailAnswer = true, "5"
		}, "sections[0].criteria[1].fail_answer"},
		{"unknown scale", func(s *quality.Scorecard) { s.Sections[0].Criteria[0].Scale = "stars" }, "sections[0].criteria[0].scale"},
		{"duplicate key", func(s *quality.Scorecard) { s.Sections[1].Criteria[0].Key = "greeting" }, "sections[1].criteria[0].key"},
		{"points without a maximum", func(s *quality.Scorecard) { s.Sections[1].Criteria[0].MaxPoints = 0 }, "sections[1].criteria[0].max_points"},
		{"no sections", func(s *quality.Scorecard) { s.Sections = nil }, "sections"},
		{"no name", func(s *quality.Scorecard) { s.Name = " " }, "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := card()
			tc.break_(&sc)
			field(t, sc.Validate(), tc.field)
		})
	}
}

func TestScoreIsComputedFromTheAnswers(t *testing.T) {
	sc := card()
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		answers  map[string]string
		score    float64
		critical bool
	}{
		{"all best", good(), 100, false},
		// Tone: (0*50 + 0.5*50)/100 = 0.25; Solution: (0.6*75 + 1*25)/100 = 0.7; 0.25*40 + 0.7*60 = 52.
		{"mixed", map[string]string{"greeting": "no", "empathy": "3", "correct": "6", "privacy": "yes"}, 52, false},
		// n.a. leaves greeting out: Tone is empathy alone (0.5).
		{"not applicable", map[string]string{"greeting": "na", "empathy": "3", "correct": "10", "privacy": "yes"}, 80, false},
		{"critical fails all", map[string]string{"greeting": "yes", "empathy": "5", "correct": "10", "privacy": "no"}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := sc.Score(tc.answers)
			if err != nil {
				t.Fatal(err)
			}
			if res.Score != tc.score || res.CriticalFailed != tc.critical {
				t.Fatalf("score %v critical %v, want %v %v", res.Score, res.CriticalFailed, tc.score, tc.critical)
			}
		})
	}
	_, err := sc.Score(map[string]string{"greeting": "maybe", "empathy": "6", "correct": "11", "extra": "yes"})
	for _, k := range []string{"answers.greeting", "answers.empathy", "answers.correct", "answers.privacy", "answers.extra"} {
		field(t, err, k)
	}
}

func TestReviewLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		lead, asLead := f.agent("lead", auth.RoleTeamLead)
		_, asBoss := f.agent("boss", auth.RoleSupervisor)
		ravi, asRavi := f.agent("ravi", auth.RoleAgent)
		tm := f.team("Billing", 1, lead.ID, ravi.ID)
		asRavi = f.as(ravi)
		tk, reply := f.conversation(ravi, tm.ID)
		sc := f.scorecard(asLead)

		in := quality.NewReview{TicketID: tk.ID, AgentID: ravi.ID, ScorecardID: sc.ID, Answers: good(),
			Summary: "Warm and right", Comments: []quality.Comment{{MessageID: reply.ID, Body: "Good apology"}}}
		r, err := f.qa.CreateReview(asLead, in)
		if err != nil {
			t.Fatal(err)
		}
		if r.Score != 100 || r.ScorecardRevision != 1 || r.State != quality.StateOpen || len(r.Comments) != 1 {
			t.Fatalf("review %+v", r)
		}
		// The agent was told, with the reviewer as who.
		ns, err := f.db.Notifications(context.Background(), ravi.ID, 10)
		if err != nil || len(ns) != 1 || ns[0].Kind != "qa_reviewed" || ns[0].TicketID != tk.ID || ns[0].ActorID != lead.ID {
			t.Fatalf("notifications %+v, %v", ns, err)
		}

		// A new revision leaves the review on the one it was made with.
		sc2, err := f.qa.UpdateScorecard(asLead, sc.ID, sc.Version, func(s *quality.Scorecard) {
			s.Sections[0].Criteria[0].Title = "Greets the customer by name"
		})
		if err != nil || sc2.Revision != 2 {
			t.Fatalf("update: %+v %v", sc2, err)
		}
		got, err := f.qa.Review(asRavi, r.ID)
		if err != nil || got.ScorecardRevision != 1 {
			t.Fatalf("review as agent: %+v %v", got, err)
		}
		old, err := f.qa.ScorecardOf(asRavi, got)
		if err != nil || old.Sections[0].Criteria[0].Title != "Greets by name" {
			t.Fatalf("revision 1: %+v %v", old, err)
		}
		renamed, err := f.qa.UpdateScorecard(asLead, sc.ID, 0, func(s *quality.Scorecard) { s.Name = "Email" })
		if err != nil || renamed.Revision != 2 {
			t.Fatalf("a rename makes no revision: %+v %v", renamed, err)
		}

		// Only the agent disputes, and only while open.
		_, err = f.qa.Dispute(asBoss, r.ID, 0, "unfair")
		code(t, err, desk.EFORBIDDEN)
		_, err = f.qa.Dispute(asRavi, r.ID, 0, " ")
		field(t, err, "reason")
		d, err := f.qa.Dispute(asRavi, r.ID, r.Version, "The customer asked me not to use their name")
		if err != nil || d.State != quality.StateDisputed {
			t.Fatalf("dispute: %+v %v", d, err)
		}
		// The reviewer does not settle their own review; another lead does.
		_, err = f.qa.Resolve(asLead, r.ID, 0, quality.Resolution{Resolution: "Stands"})
		code(t, err, desk.EFORBIDDEN)
		answers := good()
		answers["greeting"] = "na"
		res, err := f.qa.Resolve(asBoss, r.ID, 0, quality.Resolution{Resolution: "Fair point", Answers: answers})
		if err != nil || res.State != quality.StateResolved || res.Answers["greeting"] != "na" || res.ResolvedBy == nil {
			t.Fatalf("resolve: %+v %v", res, err)
		}
		// Closed: no dispute any more.
		_, err = f.qa.Dispute(asRavi, r.ID, 0, "again")
		code(t, err, desk.EUNPROCESSABLE)
		ns, _ = f.db.Notifications(context.Background(), ravi.ID, 10)
		if len(ns) != 2 || ns[0].Kind != "qa_resolved" {
			t.Fatalf("agent notifications %+v", ns)
		}
		ns, _ = f.db.Notifications(context.Background(), lead.ID, 10)
		if len(ns) != 2 || ns[0].Kind != "qa_resolved" || ns[1].Kind != "qa_disputed" {
			t.Fatalf("reviewer notifications %+v", ns)
		}

		// An acknowledged review is closed too.
		r2, err := f.qa.CreateReview(asLead, quality.NewReview{TicketID: tk.ID, AgentID: ravi.ID, ScorecardID: sc.ID, Answers: good()})
		if err != nil || r2.ScorecardRevision != 2 {
			t.Fatalf("second review: %+v %v", r2, err)
		}
		if _, err := f.qa.Acknowledge(asRavi, r2.ID, 0); err != nil {
			t.Fatal(err)
		}
		_, err = f.qa.Dispute(asRavi, r2.ID, 0, "too late")
		code(t, err, desk.EUNPROCESSABLE)

		// The agent's history holds both; another agent sees none of it.
		mine, err := f.qa.Reviews(asRavi, quality.ReviewFilter{})
		if err != nil || len(mine) != 2 || mine[0].ID != r2.ID {
			t.Fatalf("history: %v %v", mine, err)
		}
		_, asOther := f.agent("other", auth.RoleAgent)
		theirs, err := f.qa.Reviews(asOther, quality.ReviewFilter{AgentID: &ravi.ID})
		if err != nil || len(theirs) != 0 {
			t.Fatalf("another agent's view: %v %v", theirs, err)
		}
		_, err = f.qa.Review(asOther, r.ID)
		code(t, err, desk.ENOTFOUND)
		onTicket, err := f.qa.Reviews(asBoss, quality.ReviewFilter{TicketID: &tk.ID, Limit: 1})
		if err != nil || len(onTicket) != 1 {
			t.Fatalf("ticket's reviews: %v %v", onTicket, err)
		}
	})
}

func TestReviewRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		lead, asLead := f.agent("lead", auth.RoleTeamLead)
		ravi, _ := f.agent("ravi", auth.RoleAgent)
		other, _ := f.agent("other", auth.RoleTeamLead)
		tm := f.team("Billing", 1, lead.ID, ravi.ID)
		away := f.team("Sales", 1, other.ID)
		tk, _ := f.conversation(ravi, tm.ID)
		hidden, hiddenMsg := f.conversation(other, away.ID)
		sc := f.scorecard(asLead)
		// A reviewer who may not read every ticket.
		narrow := f.as(lead, auth.TicketsReadAll)

		for _, tc := range []struct {
			name  string
			ctx   context.Context
			in    quality.NewReview
			code  string
			field string
		}{
			{"oneself", asLead, quality.NewReview{TicketID: tk.ID, AgentID: lead.ID, ScorecardID: sc.ID, Answers: good()}, desk.EUNPROCESSABLE, ""},
			{"a ticket out of sight", narrow, quality.NewReview{TicketID: hidden.ID, AgentID: other.ID, ScorecardID: sc.ID, Answers: good()}, desk.EINVALID, "ticket_id"},
			{"no such agent", asLead, quality.NewReview{TicketID: tk.ID, AgentID: 9999, ScorecardID: sc.ID, Answers: good()}, desk.EINVALID, "agent_id"},
			{"no such scorecard", asLead, quality.NewReview{TicketID: tk.ID, AgentID: ravi.ID, ScorecardID: 9999, Answers: good()}, desk.EINVALID, "scorecard_id"},
			{"answers missing", asLead, quality.NewReview{TicketID: tk.ID, AgentID: ravi.ID, ScorecardID: sc.ID, Answers: map[string]string{"greeting": "yes"}}, desk.EINVALID, "answers.privacy"},
			{"comment on another ticket's message", asLead, quality.NewReview{TicketID: tk.ID, AgentID: ravi.ID, ScorecardID: sc.ID, Answers: good(),
				Comments: []quality.Comment{{MessageID: hiddenMsg.ID, Body: "x"}}}, desk.EINVALID, "comments[0].message_id"},
			{"no permission", f.as(ravi), quality.NewReview{TicketID: tk.ID, AgentID: lead.ID, ScorecardID: sc.ID, Answers: good()}, desk.EFORBIDDEN, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.qa.CreateReview(tc.ctx, tc.in)
				if tc.field != "" {
					field(t, err, tc.field)
				} else {
					code(t, err, tc.code)
				}
			})
		}
		// Nothing half-written.
		list, err := f.qa.Reviews(asLead, quality.ReviewFilter{})
		if err != nil || len(list) != 0 {
			t.Fatalf("reviews after refusals: %v %v", list, err)
		}
	})
}
