package portal_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/app"
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
// the median and the 95th percentile.
//
//	SAHAYAK_PORTAL_BENCH_TICKETS=100000 go test ./internal/web/portal -run '^$' -bench PortalTicketPage -benchtime 2000x
func BenchmarkPortalTicketPage(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("SAHAYAK_PORTAL_BENCH_TICKETS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DataDir: b.TempDir(), DatabaseURL: os.Getenv("SAHAYAK_PORTAL_BENCH_POSTGRES")}, quiet)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	sys := desk.WithActor(ctx, desk.System)
	if _, err := seed.Synthetic(ctx, seed.Services{DB: a.DB, People: a.People, Tickets: a.Tickets}, n, time.Now().UTC()); err != nil {
		b.Fatal(err)
	}
	first, err := a.Tickets.List(sys, ticket.Filter{Limit: 1})
	if err != nil || len(first.Tickets) == 0 {
		b.Fatal("no seeded ticket", err)
	}
	requester := first.Tickets[0].Requester.ID
	own, err := a.Tickets.List(sys, ticket.Filter{RequesterID: &requester, Limit: 20})
	if err != nil {
		b.Fatal(err)
	}
	var ids []int64
	for _, t := range own.Tickets {
		if t.StatusCategory == ticket.CategoryClosed {
			continue
		}
		for i := range 11 {
			if _, err := a.Tickets.AddMessage(sys, t.ID, ticket.NewMessage{Body: fmt.Sprintf("Step %d: please try this.", i),
				Internal: i%3 == 2}); err != nil {
				b.Fatal(err)
			}
		}
		ids = append(ids, t.ID)
	}
	if len(ids) == 0 {
		b.Fatal("the requester has no open ticket")
	}
	// A session, as a followed link opens it.
	token, digest, err := auth.NewSecret("psl_")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	if err := a.DB.CreatePortalLink(ctx, &portal.Link{ContactID: requester, Email: "bench@customer.test", TokenDigest: digest,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, nil); err != nil {
		b.Fatal(err)
	}
	session, _, err := a.Portal.SignIn(ctx, token)
	if err != nil {
		b.Fatal(err)
	}
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
	for i := range b.N {
		start := time.Now()
		get(ids[i%len(ids)])
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds()), "p95-µs")
	b.ReportMetric(float64(len(ids)), "tickets")
}
