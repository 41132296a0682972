package sla_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/seed"
	"github.com/sahayak/sahayak/internal/sla"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

type benchClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *benchClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return desk.SystemClock{}.Now().Add(c.off)
}

// BenchmarkFireDueTimer measures the cost of firing one due SLA timer (the
// read of due timers in due order, the claim, the ticket and state reads,
// the event) on a desk whose open tickets all hold an SLA clock with a timer
// still to come. SAHAYAK_BENCH_OPEN sets the open tickets (default 10000;
// the synthetic desk is 55% open, so about open/0.55 tickets are seeded).
// With SAHAYAK_TEST_POSTGRES_URL set it runs on PostgreSQL, else SQLite.
//
//	SAHAYAK_BENCH_OPEN=1000000 go test ./internal/sla -run '^$' -bench FireDueTimer -benchtime 2000x
//
// On PostgreSQL at a million, in a database of its own:
//
//	createdb -h 127.0.0.1 -U postgres sla_bench
//	SAHAYAK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/sla_bench?sslmode=disable SAHAYAK_BENCH_OPEN=1000000 \
//	    go test ./internal/sla -run '^$' -bench FireDueTimer -benchtime 1000x -timeout 3h
//	dropdb -h 127.0.0.1 -U postgres sla_bench
func BenchmarkFireDueTimer(b *testing.B) {
	open := 10000
	if v := os.Getenv("SAHAYAK_BENCH_OPEN"); v != "" {
		open, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	cfg := app.Config{DataDir: b.TempDir()}
	if os.Getenv(storetest.EnvPostgres) != "" {
		cfg.DatabaseURL = storetest.PostgresConfig(b).DatabaseURL
	}
	a, err := app.Open(ctx, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	seeded := time.Now()
	// On PostgreSQL the desk is loaded in chunks, each load its own
	// transaction, so that no long write holds back the event consumers
	// of other databases on the same server (point SAHAYAK_TEST_POSTGRES_URL
	// at a database made for the run: createdb, then dropdb after).
	total, chunk := open*100/55, open*100/55
	if cfg.DatabaseURL != "" {
		chunk = 25000
	}
	for done := 0; done < total; done += chunk {
		now := time.Now().UTC().Add(time.Duration(done) * time.Millisecond)
		if _, err := seed.Synthetic(ctx, seed.Services{DB: a.DB, People: a.People, Tickets: a.Tickets}, min(chunk, total-done), now); err != nil {
			b.Fatal(err)
		}
	}
	sys := app.SystemContext(ctx)
	clock := &benchClock{}
	svc := sla.New(a.DB, a.Tickets, a.Bus, clock, nil, sla.Config{})
	// Every open ticket: a clock with a resolution timer a year away.
	far, err := svc.CreatePolicy(sys, sla.Policy{Name: "Standard", Active: true, Position: 2, Time: sla.CalendarTime,
		Targets: map[string]sla.Target{"normal": {Resolution: 60 * 24 * 365}}})
	if err != nil {
		b.Fatal(err)
	}
	n, err := a.DB.SeedSLA(ctx, far.ID, time.Now().AddDate(1, 0, 0))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d open tickets with an SLA clock (seeded in %v)", n, time.Since(seeded).Round(time.Second))
	// Tickets whose first response falls due in a minute.
	if _, err := svc.CreatePolicy(sys, sla.Policy{Name: "Urgent", Active: true, Position: 1, Time: sla.CalendarTime,
		Conditions: sla.Conditions{Tags: []string{"bench-due"}}, Targets: map[string]sla.Target{"urgent": {FirstResponse: 1}}}); err != nil {
		b.Fatal(err)
	}
	for run := 1; run <= 3; run++ {
		b.Run(fmt.Sprintf("run%d", run), func(b *testing.B) {
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				tk, err := a.Tickets.Create(sys, ticket.NewTicket{Subject: "Due now", Body: "x", Priority: "urgent",
					Tags: []string{"bench-due"}, Requester: ticket.Person{Email: "due@bench.test"}})
				if err != nil {
					b.Fatal(err)
				}
				if err := svc.Refresh(ctx, tk.ID); err != nil {
					b.Fatal(err)
				}
			}
			clock.mu.Lock()
			clock.off += 2 * time.Minute
			clock.mu.Unlock()
			b.StartTimer()
			fired := 0
			for fired < b.N {
				got, err := svc.FireDue(ctx, 200)
				if err != nil {
					b.Fatal(err)
				}
				if got == 0 {
					b.Fatalf("fired %d of %d", fired, b.N)
				}
				fired += got
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/timer")
		})
	}
}
