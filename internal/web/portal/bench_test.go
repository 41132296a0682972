package portal_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/app/apptest"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/portal"
	"github.com/sahayak/sahayak/internal/seed"
	"github.com/sahayak/sahayak/internal/ticket"
)

// BenchmarkPortalTicketPage serves a customer's ticket page (session,
// ticket, public thread of 8 messages among 12, survey) through the whole
// server, as the binary wires it, over a desk of
// SAHAYAK_PORTAL_BENCH_TICKETS synthetic tickets (20,000 unless set) on
// SQLite, or on PostgreSQL when SAHAYAK_PORTAL_BENCH_POSTGRES holds the URL
// of a database of its own (never the shared test database). It reports
// the median and the 95th percentile, and the process's CPU per page.
//
//	SAHAYAK_PORTAL_BENCH_TICKETS=100000 go test ./internal/web/portal -run '^$' -bench PortalTicketPage -benchtime 2000x
func BenchmarkPortalTicketPage(b *testing.B) {
	bd := benchDesk(b)
	a, ids, session := bd.app, bd.ids, bd.session
	get := func(id int64) {
		req := httptest.NewRequest("GET", "/portal/tickets/"+strconv.FormatInt(id, 10), nil)
		req.AddCookie(&http.Cookie{Name: "sahayak_portal", Value: session})
		rec := httptest.NewRecorder()
		a.Web.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("ticket %d: %d %s", id, rec.Code, rec.Body.String())
		}
	}
	for _, id := range ids {
		get(id) // warm the caches a running server has warm
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	cpu := apptest.ProcessCPU()
	for i := range b.N {
		start := time.Now()
		get(ids[i%len(ids)])
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	// CPU per page: the whole request runs in this process (no network),
	// and unlike the times it does not grow with the machine's load.
	b.ReportMetric(float64((apptest.ProcessCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds()), "p95-µs")
	b.ReportMetric(float64(len(ids)), "tickets")
}

// portalBench is the seeded desk of the benchmark, with a customer's
// session and tickets.
type portalBench struct {
	app     *app.App
	ids     []int64
	session string
	dir     string
}

// bench holds the desk for the process: a benchmark runs once with b.N = 1
// before its measured run, which must not seed a second desk.
var bench struct {
	once sync.Once
	desk *portalBench
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.desk != nil {
		bench.desk.app.Close()
		os.RemoveAll(bench.desk.dir)
	}
	os.Exit(code)
}

func benchDesk(b *testing.B) *portalBench {
	bench.once.Do(func() { bench.desk, bench.err = seedBenchDesk() })
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.desk
}

// seedBenchDesk opens the desk and seeds it, unless its database (a
// PostgreSQL one kept for benchmarks) holds tickets already.
func seedBenchDesk() (*portalBench, error) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("SAHAYAK_PORTAL_BENCH_TICKETS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "portal-bench-")
	if err != nil {
		return nil, err
	}
	a, err := app.Open(ctx, app.Config{DataDir: dir, DatabaseURL: os.Getenv("SAHAYAK_PORTAL_BENCH_POSTGRES")}, quiet)
	if err != nil {
		return nil, err
	}
	pb := &portalBench{app: a, dir: dir}
	sys := desk.WithActor(ctx, desk.System)
	first, err := a.Tickets.List(sys, ticket.Filter{Limit: 1, Sort: "oldest"})
	if err != nil {
		return pb, err
	}
	if len(first.Tickets) == 0 {
		if _, err := seed.Synthetic(ctx, seed.Services{DB: a.DB, People: a.People, Tickets: a.Tickets}, n, time.Now().UTC()); err != nil {
			return pb, err
		}
		if first, err = a.Tickets.List(sys, ticket.Filter{Limit: 1, Sort: "oldest"}); err != nil || len(first.Tickets) == 0 {
			return pb, fmt.Errorf("no seeded ticket: %v", err)
		}
	}
	requester := first.Tickets[0].Requester.ID
	own, err := a.Tickets.List(sys, ticket.Filter{RequesterID: &requester, Limit: 20, Sort: "oldest"})
	if err != nil {
		return pb, err
	}
	for _, t := range own.Tickets {
		if t.StatusCategory == ticket.CategoryClosed {
			continue
		}
		msgs, err := a.Tickets.Messages(sys, t.ID)
		if err != nil {
			return pb, err
		}
		for i := len(msgs); i < 12; i++ {
			if _, err := a.Tickets.AddMessage(sys, t.ID, ticket.NewMessage{Body: fmt.Sprintf("Step %d: please try this.", i),
				Internal: i%3 == 2}); err != nil {
				return pb, err
			}
		}
		pb.ids = append(pb.ids, t.ID)
	}
	if len(pb.ids) == 0 {
		return pb, fmt.Errorf("the requester has no ticket that is not closed")
	}
	// A session, as a followed link opens it.
	token, digest, err := auth.NewSecret("psl_")
	if err != nil {
		return pb, err
	}
	now := time.Now().UTC()
	if err := a.DB.CreatePortalLink(ctx, &portal.Link{ContactID: requester, Email: "bench@customer.test", TokenDigest: digest,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, nil); err != nil {
		return pb, err
	}
	pb.session, _, err = a.Portal.SignIn(ctx, token)
	return pb, err
}
