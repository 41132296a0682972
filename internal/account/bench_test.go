package account_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/app/apptest"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/seed"
	"github.com/sahayak/sahayak/internal/ticket"
)

// benchDesk is a synthetic desk of SAHAYAK_BENCH_TICKETS tickets (default
// 10,000; a third of them in ten organizations, as seed.Synthetic makes
// them) plus SAHAYAK_BENCH_ACCOUNTS accounts (default 1,000), all owned by
// one account executive, with the health consumer caught up.
type benchDesk struct {
	a     *app.App
	sys   context.Context
	ae    *people.Agent
	asAE  context.Context
	orgs  []int64
	busy  int64 // a synthetic organization: the one with many tickets
	email string
	dir   string
}

// shared is the desk of this process: seeding a million tickets takes long,
// so the benchmarks of one run read the same desk (each only adds tickets
// to its busy account).
var shared *benchDesk

func newBenchDesk(b *testing.B) *benchDesk {
	b.Helper()
	if shared != nil {
		return shared
	}
	n, accounts := 10000, 1000
	if v := os.Getenv("SAHAYAK_BENCH_TICKETS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("SAHAYAK_BENCH_ACCOUNTS"); v != "" {
		accounts, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	// SAHAYAK_BENCH_POSTGRES_URL names an empty database of one's own for
	// the PostgreSQL figures; else SQLite in a directory removed at exit.
	dir, err := os.MkdirTemp("", "account-bench-")
	if err != nil {
		b.Fatal(err)
	}
	a, err := app.Open(ctx, app.Config{DataDir: dir, DatabaseURL: os.Getenv("SAHAYAK_BENCH_POSTGRES_URL")}, nil)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if _, err := seed.Synthetic(ctx, seed.Services{DB: a.DB, People: a.People, Tickets: a.Tickets}, n, time.Now().UTC()); err != nil {
		b.Fatal(err)
	}
	d := &benchDesk{a: a, sys: app.SystemContext(ctx), dir: dir}
	email, name, role := "ae@bench.test", "Bench AE", auth.RoleAccountExecutive
	if d.ae, err = a.People.CreateAgent(d.sys, people.AgentInput{Email: &email, Name: &name, Role: &role}, auth.HashPassword); err != nil {
		b.Fatal(err)
	}
	d.asAE = desk.WithActor(ctx, desk.Actor{Kind: desk.ActorAgent, ID: d.ae.ID, Permissions: auth.All})
	orgs, err := a.People.Organizations(d.sys)
	if err != nil {
		b.Fatal(err)
	}
	for i := range accounts {
		nm, dom := fmt.Sprintf("Bench %d", i), []string{fmt.Sprintf("bench%d.test", i)}
		o, err := a.People.CreateOrganization(d.sys, people.OrganizationInput{Name: &nm, Domains: &dom})
		if err != nil {
			b.Fatal(err)
		}
		orgs = append(orgs, o)
	}
	for _, o := range orgs {
		if _, err := a.Accounts.Update(d.sys, o.ID, account.Input{OwnerID: &d.ae.ID}); err != nil {
			b.Fatal(err)
		}
		d.orgs = append(d.orgs, o.ID)
	}
	d.busy, d.email = orgs[0].ID, "bench@"+orgs[0].Domains[0]
	for {
		last, _ := a.DB.LastEventID(ctx)
		if err := a.Accounts.Catchup(ctx); err != nil {
			b.Fatal(err)
		}
		if at, _ := a.DB.EventCursor(ctx, account.Consumer); at == last {
			break
		}
	}
	b.Logf("%d tickets, %d accounts, seeded and caught up in %v", n, len(d.orgs), time.Since(start).Round(time.Second))
	shared = d
	return d
}

// TestMain closes the shared desk and removes its files.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.a.Close()
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// p95 reports the median and 95th percentile of the timed runs, and the
// process's CPU time per run since cpu0 (less moved by a busy machine than
// the wall clock).
func p95(b *testing.B, took []time.Duration, cpu0 time.Duration) {
	cpu := apptest.ProcessCPU() - cpu0
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(took)), "cpu-ms/op")
}

// BenchmarkHealthPerEvent is the health consumer's cost per event: new
// tickets of a busy account (ticket.created and its message), read and
// applied in batches. Its cost should not grow with the desk's tickets:
//
//	SAHAYAK_BENCH_TICKETS=1000 go test ./internal/account -run '^$' -bench HealthPerEvent -benchtime 500x
//	SAHAYAK_BENCH_TICKETS=1000000 SAHAYAK_BENCH_ACCOUNTS=10000 go test ./internal/account -run '^$' \
//	  -bench 'HealthPerEvent|Book|Timeline' -benchtime 500x -timeout 3h
func BenchmarkHealthPerEvent(b *testing.B) {
	d := newBenchDesk(b)
	ctx := context.Background()
	for run := 1; run <= 3; run++ {
		b.Run(fmt.Sprintf("run%d", run), func(b *testing.B) {
			b.StopTimer()
			for range b.N {
				if _, err := d.a.Tickets.Create(d.sys, ticket.NewTicket{Subject: "More seats?", Body: "x", Priority: "urgent",
					Requester: ticket.Person{Email: d.email}}); err != nil {
					b.Fatal(err)
				}
			}
			cpu0 := apptest.ProcessCPU()
			b.StartTimer()
			if err := d.a.Accounts.Catchup(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64((apptest.ProcessCPU()-cpu0).Nanoseconds())/1000/float64(b.N), "cpu-µs/ticket")
		})
	}
}

// BenchmarkBook reads an account executive's book (every account of the
// desk is theirs: SAHAYAK_BENCH_ACCOUNTS plus ten) and reports the p95.
func BenchmarkBook(b *testing.B) {
	d := newBenchDesk(b)
	b.ResetTimer()
	took, cpu0 := make([]time.Duration, 0, b.N), apptest.ProcessCPU()
	for range b.N {
		t0 := time.Now()
		if _, err := d.a.Accounts.Book(d.asAE, d.ae.ID); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
	}
	p95(b, took, cpu0)
}

// BenchmarkTimeline reads a page (30 items) of the busiest account's
// timeline (a tenth of a third of the desk's tickets) and reports the p95:
// the first page, and a page from the middle of the account's history (the
// synthetic tickets span 90 days), which should cost the same.
func BenchmarkTimeline(b *testing.B) {
	d := newBenchDesk(b)
	mid := &account.TimelineKey{At: time.Now().UTC().Add(-45 * 24 * time.Hour), Kind: account.ItemTicket, ID: 1 << 62}
	for _, c := range []struct {
		name   string
		before *account.TimelineKey
	}{{"first", nil}, {"middle", mid}} {
		b.Run(c.name, func(b *testing.B) {
			took, cpu0 := make([]time.Duration, 0, b.N), apptest.ProcessCPU()
			for range b.N {
				t0 := time.Now()
				items, err := d.a.Accounts.Timeline(d.asAE, d.busy, account.TimelineFilter{Limit: 31, Before: c.before})
				if err != nil {
					b.Fatal(err)
				}
				if len(items) == 0 {
					b.Fatal("an empty page")
				}
				b.ReportMetric(float64(len(items)), "items/page")
				took = append(took, time.Since(t0))
			}
			p95(b, took, cpu0)
		})
	}
}
