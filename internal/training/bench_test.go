package training_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/app/apptest"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/seed"
	"github.com/sahayak/sahayak/internal/training"
)

// BenchmarkPerformanceReviewPage reads what an agent's performance review
// page reads (the review, its facts, its revisions, the relation of the
// viewer) on a SQLite desk of 200 agents in ten teams and
// SAHAYAK_BENCH_TICKETS synthetic tickets (20,000 unless set) with the
// report rollups caught up, a course assigned to every team, 60 QA reviews
// and 10 coaching sessions of the agent. It reports p50 and p95 for a draft
// (whose facts are gathered at each read: the KPI rollups of the month,
// QA, training, coaching) and for a shared review (facts frozen), and the
// process's CPU per page (no server runs beside it: only the page's reads).
func BenchmarkPerformanceReviewPage(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("SAHAYAK_BENCH_TICKETS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DataDir: b.TempDir()}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	sys := desk.WithActor(ctx, desk.System)
	var leads []int64
	var agents []*people.Agent
	var teams []int64
	for t := range 10 {
		var members []int64
		for k := range 20 {
			email, name, role := fmt.Sprintf("a%d.%d@bench.test", t, k), fmt.Sprintf("Agent %d.%d", t, k), auth.RoleAgent
			if k == 0 {
				role = auth.RoleTeamLead
			}
			ag, err := a.People.CreateAgent(sys, people.AgentInput{Email: &email, Name: &name, Role: &role}, auth.HashPassword)
			if err != nil {
				b.Fatal(err)
			}
			members, agents = append(members, ag.ID), append(agents, ag)
		}
		name, tier, lead := fmt.Sprintf("Team %d", t), 1, members[0]
		tm, err := a.People.CreateTeam(sys, people.TeamInput{Name: &name, Tier: &tier, LeadID: &lead, MemberIDs: &members})
		if err != nil {
			b.Fatal(err)
		}
		leads, teams = append(leads, lead), append(teams, tm.ID)
	}
	now := time.Now().UTC()
	seeded, err := seed.Synthetic(ctx, seed.Services{DB: a.DB, People: a.People, Tickets: a.Tickets}, n, now)
	if err != nil {
		b.Fatal(err)
	}
	// As `seed --tickets` does: the rollups counted in big batches (a
	// million tickets' history in small ones takes hours on a busy machine).
	started := time.Now()
	if err := a.Reports.CatchUpBulk(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d tickets seeded and counted into the rollups (counting took %s)", n, time.Since(started).Round(time.Second))
	agent := agents[1] // in team 0, led by agents[0]
	lead := desk.WithActor(ctx, desk.Actor{Kind: desk.ActorAgent, ID: leads[0], Permissions: builtin(auth.RoleTeamLead), TeamIDs: []int64{teams[0]}})
	c, err := a.Training.CreateCourse(lead, course())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.Training.Assign(lead, training.NewAssignment{CourseID: c.ID, TeamIDs: teams, DueAt: now.AddDate(0, 0, 14)}); err != nil {
		b.Fatal(err)
	}
	sc, err := a.Quality.CreateScorecard(lead, quality.Scorecard{Name: "Bench", Active: true, Sections: []quality.Section{
		{Title: "All", Weight: 100, Criteria: []quality.Criterion{{Key: "correct", Title: "Correct", Weight: 100, Scale: quality.ScaleFive}}}}})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 60 {
		if _, err := a.Quality.CreateReview(lead, quality.NewReview{TicketID: seeded.FirstID + int64(i), AgentID: agent.ID, ScorecardID: sc.ID,
			Answers: map[string]string{"correct": strconv.Itoa(i%5 + 1)}}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 10 {
		held := now.Add(-time.Duration(i) * 24 * time.Hour)
		if _, err := a.Quality.CreateCoachingSession(lead, quality.NewCoachingSession{AgentID: agent.ID, HeldAt: &held,
			Notes: "Refund handling, week " + strconv.Itoa(i)}); err != nil {
			b.Fatal(err)
		}
	}
	draft, err := a.Training.CreatePerfReview(lead, training.NewPerfReview{AgentID: agent.ID, Period: training.Monthly,
		PeriodOf: now, Assessment: "A careful month."})
	if err != nil {
		b.Fatal(err)
	}
	shared, err := a.Training.CreatePerfReview(lead, training.NewPerfReview{AgentID: agent.ID, Period: training.Quarterly,
		PeriodOf: now, Assessment: "A careful quarter."})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.Training.SharePerfReview(lead, shared.ID, 0); err != nil {
		b.Fatal(err)
	}
	page := func(id int64) {
		r, err := a.Training.PerfReview(lead, id)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Training.FactsOf(lead, r); err != nil {
			b.Fatal(err)
		}
		if _, err := a.Training.PerfRevisions(lead, id); err != nil {
			b.Fatal(err)
		}
		if _, err := a.Training.RelationTo(lead, r.AgentID); err != nil {
			b.Fatal(err)
		}
		for _, who := range []int64{r.AgentID, r.AuthorID} {
			if _, err := a.People.Agent(lead, who); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, x := range []struct {
		name string
		id   int64
	}{{"draft", draft.ID}, {"shared", shared.ID}} {
		b.Run(x.name, func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			cpu := apptest.ProcessCPU()
			for range b.N {
				start := time.Now()
				page(x.id)
				times = append(times, time.Since(start))
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64((apptest.ProcessCPU()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

func builtin(role string) []string {
	for _, r := range auth.BuiltinRoles {
		if r.Name == role {
			return r.Permissions
		}
	}
	return nil
}
