package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/app/apptest"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/people"
)

// BenchmarkViewPage measures the agent's list page — a view of 25 tickets
// beside the sidebar of every view with its bounded count (mine,
// unassigned, my teams, escalated, pending, recently solved, all: seven
// counts, each stopping at 1,000) — as a synthetic agent of the first team
// who has a share of the tickets assigned, one request at a time over
// loopback, like BenchmarkTicketPage and on the same desk. Each sub-
// benchmark is one view; it reports the median and 95th percentile and the
// CPU per page.
//
//	SAHAYAK_BENCH_PAGE_TICKETS=1000000 \
//	SAHAYAK_BENCH_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/sahayak_page?sslmode=disable' \
//	go test ./internal/bench -run '^$' -bench 'ViewPage|TicketPage' -benchtime 300x -count 3 -timeout 60m
func BenchmarkViewPage(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("SAHAYAK_BENCH_PAGE_TICKETS")); err == nil && v > 0 {
		n = v
	}
	dbs := map[string]app.Config{"sqlite": {}}
	if u := os.Getenv("SAHAYAK_BENCH_POSTGRES_URL"); u != "" {
		dbs["postgres"] = app.Config{DatabaseURL: u}
	}
	for _, name := range []string{"sqlite", "postgres"} {
		cfg, ok := dbs[name]
		if !ok {
			continue
		}
		p := pageDesk(b, name, cfg, n)
		session := p.agentSession(b)
		for _, view := range []string{"mine", "teams", "unassigned", "escalated", "pending", "solved", "all"} {
			b.Run(fmt.Sprintf("%s/tickets=%d/view=%s", name, n, view), func(b *testing.B) {
				timePages(b, p, session, func(int) string { return "/tickets?view=" + view }, "data-view=")
			})
		}
	}
}

// timePages gets b.N pages (paths by i) as the session, checks each holds
// want, and reports the median, the 95th percentile and the CPU per page.
func timePages(b *testing.B, p *servedPage, session string, path func(i int) string, want string) {
	b.ResetTimer()
	cpu := apptest.ProcessCPU()
	times := make([]time.Duration, 0, b.N)
	for i := range b.N {
		req, _ := http.NewRequest("GET", p.url+path(i), nil)
		req.Header.Set("Accept", "text/html")
		req.AddCookie(&http.Cookie{Name: "sahayak_session", Value: session})
		start := time.Now()
		res, err := p.http.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		times = append(times, time.Since(start))
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			b.Fatalf("GET %s: %d", path(i), res.StatusCode)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((apptest.ProcessCPU()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
}

// agentSession signs in the second synthetic agent of the first team (not
// its lead): a tier-1 agent with a twentieth of the desk assigned.
func (p *servedPage) agentSession(b *testing.B) string {
	if p.agent != "" {
		return p.agent
	}
	ctx := context.Background()
	sys := app.SystemContext(ctx)
	email, pw := "scale.agent1.2@sahayak.example", "view-bench-password"
	agents, err := p.app.People.Agents(sys)
	if err != nil {
		b.Fatal(err)
	}
	i := slices.IndexFunc(agents, func(a *people.Agent) bool { return a.Email == email })
	if i < 0 {
		b.Fatalf("no agent %s", email)
	}
	ag := agents[i]
	if _, err := p.app.People.UpdateAgent(sys, ag.ID, people.AgentInput{Password: &pw}, auth.HashPassword); err != nil {
		b.Fatal(err)
	}
	session, _, _, err := p.app.Access.SignIn(ctx, email, pw)
	if err != nil {
		b.Fatal(err)
	}
	p.agent = session
	return session
}
