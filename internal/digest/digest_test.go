package digest_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/digest"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/i18n"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/sla"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

var quiet = slog.New(slog.DiscardHandler)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func ptr[T any](v T) *T { return &v }

// wed is Wednesday 2026-11-04 10:00 UTC.
var wed = time.Date(2026, 11, 4, 10, 0, 0, 0, time.UTC)

type fixture struct {
	t       *testing.T
	db      *store.DB
	clock   *storetest.Clock
	people  *people.Service
	tickets *ticket.Service
	reports *report.Service
	access  *access.Service
	svc     *digest.Service
	sys     context.Context
	// sunita supervises (Hindi); leela leads team A (ravi's); mohan leads
	// team B (maya's).
	sunita, leela, mohan, ravi, maya *people.Agent
	teamA, teamB                     int64
}

func newFixture(t *testing.T, b storetest.Backend) *fixture {
	db := storetest.Open(t, b)
	clock := storetest.NewClock(wed)
	bus := event.NewBus()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	q := storetest.Queue(t, db, jobs.Config{Logger: quiet, PollInterval: 20 * time.Millisecond, MaxWorkers: 2})
	sender, err := email.NewSender(db, blob.New(t.TempDir()), q, bus, clock, quiet, email.SenderConfig{Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	tickets := ticket.NewService(db, db, bus, clock)
	s := sla.New(db, tickets, bus, clock, quiet, sla.Config{})
	tickets.KeepSLA(s)
	reports := report.New(db, s, bus, clock, quiet)
	acc := access.NewService(db, clock)
	f := &fixture{t: t, db: db, clock: clock, people: people.NewService(db, clock), tickets: tickets, reports: reports,
		access: acc, svc: digest.New(db, reports, acc, sender, clock, quiet, i18n.Builtin().T, "https://help.desk.test"),
		sys: desk.WithActor(context.Background(), desk.System)}
	reports.MailGoalAlerts(f.svc)
	mb := &email.Mailbox{Address: "support@desk.test", Name: "Support", Active: true, CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	mb.IMAP.Folder, mb.IMAP.Security, mb.SMTP.Security = "INBOX", email.SecurityTLS, email.SecurityStartTLS
	if err := db.CreateMailbox(f.sys, mb, audit.New(f.sys, clock.Now(), audit.MailboxCreated, "mailbox", 0, nil)); err != nil {
		t.Fatal(err)
	}
	agent := func(name, role, lang string) *people.Agent {
		return must(f.people.CreateAgent(f.sys, people.AgentInput{Email: ptr(name + "@desk.test"), Name: ptr(name),
			Role: ptr(role), Language: ptr(lang)}, auth.HashPassword))
	}
	f.sunita = agent("sunita", auth.RoleSupervisor, "hi")
	f.leela = agent("leela", auth.RoleTeamLead, "en")
	f.mohan = agent("mohan", auth.RoleTeamLead, "en")
	f.ravi = agent("ravi", auth.RoleAgent, "en")
	f.maya = agent("maya", auth.RoleAgent, "en")
	team := func(name string, lead *people.Agent, members ...*people.Agent) int64 {
		ids := []int64{lead.ID}
		for _, m := range members {
			ids = append(ids, m.ID)
		}
		return must(f.people.CreateTeam(f.sys, people.TeamInput{Name: ptr(name), Tier: ptr(1), LeadID: &lead.ID,
			MemberIDs: &ids})).ID
	}
	f.teamA, f.teamB = team("A", f.leela, f.ravi), team("B", f.mohan, f.maya)
	return f
}

func (f *fixture) as(a *people.Agent) context.Context {
	f.t.Helper()
	fresh := must(f.db.Agent(context.Background(), a.ID))
	return desk.WithActor(context.Background(), must(f.access.ActorFor(context.Background(), fresh)))
}

func (f *fixture) at(t time.Time) {
	if d := t.Sub(f.clock.Now()); d > 0 {
		f.clock.Advance(d)
	}
}

// story: on Wednesday Nov 4, team A gets two tickets (one of them ravi's,
// solved), team B one.
func (f *fixture) story() {
	open := func(team int64, assignee *people.Agent) *ticket.Ticket {
		return must(f.tickets.Create(f.sys, ticket.NewTicket{Subject: "s", Body: "b", Requester: ticket.Person{Email: "c@x.test"},
			TeamID: &team, AssigneeID: &assignee.ID}))
	}
	t1 := open(f.teamA, f.ravi)
	open(f.teamA, f.leela)
	open(f.teamB, f.maya)
	f.at(wed.Add(time.Hour))
	must(f.tickets.Update(f.as(f.ravi), t1.ID, ticket.Patch{Status: ptr("solved")}))
	storetest.CatchUpWith(f.t, f.db, report.Consumer, f.reports.CatchUp)
}

func TestDigestGoesOncePerPeriodToEachRecipientWithTheirFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.story()
		d := must(f.svc.Create(f.as(f.sunita), digest.Input{Name: ptr("Weekly floor"), Period: ptr(digest.Weekly),
			RecipientIDs: &[]int64{f.sunita.ID, f.leela.ID, f.ravi.ID, f.ravi.ID}}))
		// The week it was set up in is not over: its last period is the
		// week before, and nothing is due.
		if d.LastPeriod != "2026-10-26" || d.Version != 1 || len(d.RecipientIDs) != 3 {
			t.Fatalf("digest = %+v, want last period 2026-10-26, version 1, three recipients", d)
		}
		if n := must(f.svc.SendDue(f.sys)); n != 0 {
			t.Fatalf("sent %d on Wednesday, want 0", n)
		}
		// Monday Nov 9: the week of Nov 2 is due, once, though two nodes
		// run the job at the same moment and it runs again.
		f.at(time.Date(2026, 11, 9, 6, 0, 0, 0, time.UTC))
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := f.svc.SendDue(f.sys)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if n := must(f.svc.SendDue(f.sys)); total != 1 || n != 0 {
			t.Fatalf("sent %d by two racing runs and %d by a third, want 1 and 0", total, n)
		}
		var got []string
		for _, m := range must(f.db.OutboundList(f.sys, 0, 50)) {
			if m.Purpose == digest.PurposeDigest {
				got = append(got, strings.Join(m.Recipients, ",")+" "+m.Subject)
			}
		}
		joined := strings.Join(got, "\n")
		if len(got) != 3 || !strings.Contains(joined, "sunita@desk.test Weekly floor: 2026-11-02 – 2026-11-08") ||
			!strings.Contains(joined, "leela@desk.test Weekly floor") || !strings.Contains(joined, "ravi@desk.test Weekly floor") {
			t.Errorf("digest mails = %q, want one each to sunita, leela and ravi for the week of Nov 2", got)
		}
		if got := must(f.svc.Get(f.as(f.sunita), d.ID)).LastPeriod; got != "2026-11-02" {
			t.Errorf("last period = %s, want 2026-11-02", got)
		}
		// Each reads what they may see: the supervisor all three tickets,
		// the lead their team's two, the agent their own one.
		week := digest.LastComplete(digest.Weekly, f.clock.Now())
		for _, c := range []struct {
			who         *people.Agent
			lang        string
			created     int64
			wantInSubj  string
			wantInTable string
			wantInChart string
		}{
			{f.sunita, "hi", 3, "Weekly floor", "<th style=\"text-align:left;border-bottom:1px solid #ddd;padding:4px\">बनाए गए</th>", "<svg"},
			{f.leela, "en", 2, "Weekly floor", ">Created</th><td style=\"border-bottom:1px solid #ddd;padding:4px\">2</td>", "<svg"},
			{f.ravi, "en", 1, "Weekly floor", ">Created</th><td style=\"border-bottom:1px solid #ddd;padding:4px\">1</td>", "<svg"},
		} {
			got := must(f.svc.Build(f.as(c.who), d, week, c.lang))
			if got.KPIs.Created != c.created || !strings.Contains(got.Subject, c.wantInSubj) ||
				!strings.Contains(got.HTML, c.wantInChart) || !strings.Contains(got.Text, "https://help.desk.test/reports?") {
				t.Errorf("%s: created %d (want %d), subject %q", c.who.Name, got.KPIs.Created, c.created, got.Subject)
			}
			if c.lang == "en" && !strings.Contains(got.HTML, c.wantInTable) {
				t.Errorf("%s: the HTML table lacks %q:\n%s", c.who.Name, c.wantInTable, got.HTML)
			}
		}
	})
}

func TestDigestInputIsChecked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		gone := must(f.people.CreateAgent(f.sys, people.AgentInput{Email: ptr("gone@desk.test"), Name: ptr("Gone"),
			Role: ptr(auth.RoleAgent)}, auth.HashPassword))
		must(f.people.UpdateAgent(f.sys, gone.ID, people.AgentInput{Active: ptr(false)}, auth.HashPassword))
		ok := digest.Input{Name: ptr("A daily"), Period: ptr(digest.Daily), TeamID: &f.teamA, RecipientIDs: &[]int64{f.ravi.ID}}
		with := func(change func(*digest.Input)) digest.Input { in := ok; change(&in); return in }
		for _, c := range []struct {
			name string
			as   *people.Agent
			in   digest.Input
			want string
		}{
			{"a team that does not exist", f.sunita, with(func(in *digest.Input) { in.TeamID = ptr(int64(99999)) }), desk.EINVALID},
			{"unknown period", f.sunita, with(func(in *digest.Input) { in.Period = ptr("hourly") }), desk.EINVALID},
			{"no name", f.sunita, with(func(in *digest.Input) { in.Name = ptr("  ") }), desk.EINVALID},
			{"no recipients", f.sunita, with(func(in *digest.Input) { in.RecipientIDs = &[]int64{} }), desk.EINVALID},
			{"recipient who does not exist", f.sunita, with(func(in *digest.Input) { in.RecipientIDs = &[]int64{99999} }), desk.EINVALID},
			{"deactivated recipient", f.sunita, with(func(in *digest.Input) { in.RecipientIDs = &[]int64{gone.ID} }), desk.EINVALID},
			{"a lead for a team they do not lead", f.leela, with(func(in *digest.Input) { in.TeamID = &f.teamB; in.RecipientIDs = &[]int64{f.maya.ID} }), desk.EFORBIDDEN},
			{"a lead without a team", f.leela, with(func(in *digest.Input) { in.TeamID = nil }), desk.EINVALID},
			{"a lead subscribing someone outside the team", f.leela, with(func(in *digest.Input) { in.RecipientIDs = &[]int64{f.maya.ID} }), desk.EINVALID},
			{"an agent", f.ravi, ok, desk.EFORBIDDEN},
			{"a lead for their team", f.leela, ok, ""},
		} {
			_, err := f.svc.Create(f.as(c.as), c.in)
			if desk.ErrorCode(err) != c.want {
				t.Errorf("%s: %v, want %q", c.name, err, c.want)
			}
		}
		// The lead sees their team's digest; the other lead does not, and
		// a stale change is refused.
		list := must(f.svc.List(f.as(f.leela)))
		if len(list) != 1 || len(must(f.svc.List(f.as(f.mohan)))) != 0 || len(must(f.svc.List(f.as(f.sunita)))) != 1 {
			t.Fatalf("leela sees %d digests, want 1; mohan none; sunita 1", len(list))
		}
		if _, err := f.svc.Get(f.as(f.mohan), list[0].ID); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Errorf("mohan reads leela's digest: %v", err)
		}
		if _, err := f.svc.Update(f.as(f.leela), list[0].ID, 9, digest.Input{Name: ptr("x")}); desk.ErrorCode(err) != desk.ESTALE {
			t.Errorf("stale update: %v", err)
		}
		d := must(f.svc.Update(f.as(f.leela), list[0].ID, 1, digest.Input{Period: ptr(digest.Monthly)}))
		if d.Version != 2 || d.LastPeriod != "2026-10-01" {
			t.Errorf("monthly now: %+v, want version 2 from October", d)
		}
		if err := f.svc.Delete(f.as(f.leela), d.ID, 1); desk.ErrorCode(err) != desk.ESTALE {
			t.Errorf("stale delete: %v", err)
		}
		if err := f.svc.Delete(f.as(f.leela), d.ID, 2); err != nil {
			t.Errorf("delete: %v", err)
		}
	})
}

// Team A's goal of 10 solved a week has 1 by Thursday noon: off track.
// Two checks racing and a third mail the lead once, in their language,
// beside the in-app alert.
func TestGoalOffTrackMailsTheLeadOncePerCrossing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.story()
		must(f.reports.CreateGoal(f.as(f.leela), report.GoalInput{TeamID: &f.teamA, Metric: ptr("solved"),
			Op: ptr(report.AtLeast), Target: ptr(10.0), Period: ptr(report.PeriodWeek)}))
		f.at(time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC))
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := f.reports.CheckGoals(f.sys); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		must(f.reports.CheckGoals(f.sys))
		var got []string
		for _, m := range must(f.db.OutboundList(f.sys, 0, 50)) {
			if m.Purpose == digest.PurposeGoalAlert {
				got = append(got, strings.Join(m.Recipients, ",")+" "+m.Subject)
			}
		}
		if len(got) != 1 || got[0] != "leela@desk.test A goal is off track: Tickets solved" {
			t.Errorf("goal alert mails = %q, want one to leela", got)
		}
	})
}

func TestLastComplete(t *testing.T) {
	for kind, want := range map[string][2]string{
		digest.Daily:   {"2026-11-03", "2026-11-04"},
		digest.Weekly:  {"2026-10-26", "2026-11-02"},
		digest.Monthly: {"2026-10-01", "2026-11-01"},
	} {
		p := digest.LastComplete(kind, wed)
		if p.Label != want[0] || p.End.Format(time.DateOnly) != want[1] {
			t.Errorf("%s: %s – %s, want %v", kind, p.Label, p.End, want)
		}
	}
}
