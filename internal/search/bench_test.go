package search_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/app/apptest"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/search"
	"github.com/sahayak/sahayak/internal/seed"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/ticket"
)

// The search benchmarks run over a desk of SAHAYAK_SEARCH_BENCH_TICKETS
// tickets (default 20,000) with SAHAYAK_SEARCH_BENCH_MESSAGES messages per
// ticket (default 5, in English and Hindi: seed --tickets N
// --messages-per-ticket 5). The desk is kept in
// SAHAYAK_SEARCH_BENCH_DIR when set (seeded once, reused by later runs: a
// million tickets take a while), else in a temporary directory; with
// SAHAYAK_SEARCH_BENCH_POSTGRES set to the URL of a database of its own
// (createdb; never the shared test database) it runs on PostgreSQL. At full
// scale (docs/PERFORMANCE.md):
//
//	SAHAYAK_SEARCH_BENCH_TICKETS=1000000 SAHAYAK_SEARCH_BENCH_DIR=/var/tmp/search1m \
//	  go test ./internal/search -run '^$' -bench 'Search' -benchtime 200x -timeout 6h
var bench struct {
	once    sync.Once
	db      *store.DB
	err     error
	tickets int
	seeded  time.Duration
}

func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func benchDesk(b *testing.B) *store.DB {
	bench.once.Do(func() {
		ctx := context.Background()
		cfg := store.Config{DataDir: os.Getenv("SAHAYAK_SEARCH_BENCH_DIR"), DatabaseURL: os.Getenv("SAHAYAK_SEARCH_BENCH_POSTGRES")}
		if cfg.DataDir == "" {
			dir, err := os.MkdirTemp("", "search-bench-")
			if err != nil {
				bench.err = err
				return
			}
			cfg.DataDir = dir
		}
		db, err := store.Open(ctx, cfg)
		if err == nil {
			err = db.Migrate(ctx)
		}
		if err != nil {
			bench.err = err
			return
		}
		bench.db = db
		n := benchEnv("SAHAYAK_SEARCH_BENCH_TICKETS", 20000)
		perTicket := benchEnv("SAHAYAK_SEARCH_BENCH_MESSAGES", 5)
		have, err := db.SearchCount(ctx, search.KindTicket)
		if err != nil || have >= int64(n) {
			bench.tickets, bench.err = int(have), err
			return
		}
		start := time.Now()
		clock := desk.SystemClock{}
		svc := seed.Services{DB: db, People: people.NewService(db, clock), Tickets: ticket.NewService(db, db, event.NewBus(), clock)}
		if _, err := seed.SyntheticThreads(ctx, svc, n, perTicket, clock.Now()); err != nil {
			bench.err = err
			return
		}
		bench.tickets, bench.seeded = n, time.Since(start)
		idx := search.NewIndexer(db, event.NewBus(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		bench.err = idx.Reindex(ctx, true, nil)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.db
}

// BenchmarkSearchIndex rebuilds the whole index (sahayak search reindex)
// and reports messages indexed per second of wall clock and per second of
// the process's CPU (on a busy machine the wall clock mostly measures the
// wait for a core).
func BenchmarkSearchIndex(b *testing.B) {
	db := benchDesk(b)
	ctx := context.Background()
	msgs, err := db.SearchCount(ctx, search.KindMessage)
	if err != nil {
		b.Fatal(err)
	}
	idx := search.NewIndexer(db, event.NewBus(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.ResetTimer()
	start, cpu0 := time.Now(), apptest.ProcessCPU()
	for range b.N {
		if err := idx.Reindex(ctx, true, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(msgs)*float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64(msgs)*float64(b.N)/(apptest.ProcessCPU()-cpu0).Seconds(), "msgs/cpu-s")
	b.ReportMetric(float64(msgs), "messages")
}

// BenchmarkSearchQuery runs typical searches as an admin and as a tier-1
// agent who sees part of the desk (their team's tickets, theirs and those in
// no team), and reports each one's median and 95th percentile, and the
// process's CPU per search (user and system: less disturbed than the wall
// clock by other work on the machine).
func BenchmarkSearchQuery(b *testing.B) {
	db := benchDesk(b)
	svc := search.NewService(db)
	admin := desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorAgent, ID: 1, Permissions: []string{"tickets:read", "tickets:read_all", "contacts:read", "organizations:read"}})
	tier1 := desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorAgent, ID: 2, TeamIDs: []int64{1}, Permissions: []string{"tickets:read", "contacts:read", "organizations:read"}})
	for _, c := range []struct {
		name string
		as   context.Context
		q    string
	}{
		{"english-common", admin, "payment"},
		{"english-rare", admin, "disappointing"},
		{"english-two-words", admin, "refund courier"},
		{"english-phrase", admin, `"bank account"`},
		{"hindi-common", admin, "कृपया"},
		{"hindi-rare", admin, "निराशाजनक"},
		{"hindi-phrase", admin, `"पैसे वापस"`},
		{"exclusion", admin, "refund -bank"},
		{"status-filter", admin, "payment status:open"},
		{"tier1-scope", tier1, "refund"},
		{"tier1-filters", tier1, "courier status:open tag:delivery"},
		{"tier1-hindi", tier1, "रिफंड -बैंक"},
		{"no-match", admin, "zebra"},
	} {
		b.Run(c.name, func(b *testing.B) {
			took := make([]time.Duration, 0, b.N)
			cpu0, server0 := apptest.ProcessCPU(), serverCPU(b, db)
			for range b.N {
				t0 := time.Now()
				if _, err := svc.Search(c.as, search.Request{Q: c.q, Limit: 20}); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t0))
			}
			cpu, server := apptest.ProcessCPU()-cpu0, serverCPU(b, db)-server0
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
			if db.SQLitePath == "" {
				b.ReportMetric(float64(server.Microseconds())/1000/float64(b.N), "server-cpu-ms/op")
			}
		})
	}
	b.Logf("desk: %d tickets (%s to seed this run)", bench.tickets, fmt.Sprint(bench.seeded.Round(time.Second)))
}

// serverCPU is the CPU time (user and system) of PostgreSQL's backends
// serving the bench database, read from /proc (0 on SQLite, or when the
// server runs elsewhere): with the client's it is what a search costs.
func serverCPU(b *testing.B, db *store.DB) time.Duration {
	pids, err := db.ServerPIDs(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	var ticks int64
	for _, pid := range pids {
		stat, err := os.ReadFile("/proc/" + strconv.FormatInt(pid, 10) + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command (which may hold spaces): state is
		// field 3, utime and stime fields 14 and 15.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			ticks += u + s
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}
