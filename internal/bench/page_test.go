package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/auth"
	deskerr "github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/seed"
)

// BenchmarkTicketPage measures the agent's ticket page (thread, properties,
// the customer context panel with the requester's other open and recent
// tickets, the assignee picker with each agent's open load, merge
// suggestions, history) served over loopback to one signed-in browser, one
// request at a time, so that each request's time is the server's time plus
// a loopback round trip. It reports the median and the 95th percentile, and
// the CPU time per page (server and client), which a busy machine does not
// inflate.
//
// SQLite always; PostgreSQL when SAHAYAK_BENCH_POSTGRES_URL names an empty
// database. SAHAYAK_BENCH_PAGE_TICKETS sets the size (default 100,000):
//
//	createdb -h 127.0.0.1 -U postgres sahayak_page
//	SAHAYAK_BENCH_PAGE_TICKETS=1000000 \
//	SAHAYAK_BENCH_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/sahayak_page?sslmode=disable' \
//	go test ./internal/bench -run '^$' -bench TicketPage -benchtime 400x -count 3 -timeout 60m
func BenchmarkTicketPage(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("SAHAYAK_BENCH_PAGE_TICKETS")); err == nil && v > 0 {
		n = v
	}
	for name, cfg := range benchDatabases() {
		b.Run(fmt.Sprintf("%s/tickets=%d", name, n), func(b *testing.B) {
			p := pageDesk(b, name, cfg, n)
			b.ResetTimer()
			cpu := processCPU()
			times := make([]time.Duration, 0, b.N)
			for i := range b.N {
				// Spread over the whole table: old and new tickets, every
				// requester and status.
				id := p.firstID + (int64(i)*7919)%int64(n)
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s/tickets/%d", p.url, id), nil)
				req.Header.Set("Accept", "text/html")
				req.AddCookie(&http.Cookie{Name: "sahayak_session", Value: p.session})
				start := time.Now()
				res, err := p.http.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				times = append(times, time.Since(start))
				if res.StatusCode != http.StatusOK {
					b.Fatalf("GET /tickets/%d: %d", id, res.StatusCode)
				}
			}
			b.StopTimer()
			// CPU per page (server and this client) does not depend on what
			// else the machine runs; the times below do.
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}

// benchDatabases are SQLite, and PostgreSQL when SAHAYAK_BENCH_POSTGRES_URL
// names an empty database.
func benchDatabases() map[string]app.Config {
	dbs := map[string]app.Config{"sqlite": {}}
	if u := os.Getenv("SAHAYAK_BENCH_POSTGRES_URL"); u != "" {
		dbs["postgres"] = app.Config{DatabaseURL: u}
	}
	return dbs
}

type servedPage struct {
	url, session string
	firstID      int64
	http         *http.Client
	app          *app.App
	agent        string // a team agent's session (agentSession)
}

var pageDesks = map[string]*servedPage{}

// pageDesk serves (once per database and size) a desk with n synthetic
// tickets and a signed-in admin.
func pageDesk(b *testing.B, name string, cfg app.Config, n int) *servedPage {
	key := fmt.Sprint(name, n)
	if p := pageDesks[key]; p != nil {
		return p
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sahayak-page-bench-")
	if err != nil {
		b.Fatal(err)
	}
	cfg.DataDir = dir
	// A desk seeded before (`sahayak seed --data DIR --tickets N`, which
	// also counts the report rollups) is reused as it is: a million
	// tickets are seeded once, not per run.
	reuse := os.Getenv("SAHAYAK_BENCH_DATA_DIR")
	if reuse != "" && name == "sqlite" {
		cfg.DataDir = reuse
	}
	a, err := app.Open(ctx, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	res := seed.SyntheticResult{FirstID: 1}
	if last, err := a.DB.LastEventID(ctx); err != nil || last == 0 || cfg.DataDir != reuse {
		started := time.Now()
		res, err = seed.Synthetic(ctx, seed.Services{DB: a.DB, People: a.People, Tickets: a.Tickets}, n, time.Now().UTC())
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %d tickets loaded in %s", name, n, time.Since(started).Round(time.Second))
	} else {
		b.Logf("%s: reusing the desk in %s (tickets from id 1)", name, reuse)
	}
	sys := app.SystemContext(ctx)
	email, agentName, role, pw := "page-bench@example.com", "Bench", auth.RoleAdmin, "page-bench-password"
	if _, err := a.People.CreateAgent(sys, people.AgentInput{Email: &email, Name: &agentName, Role: &role, Password: &pw}, auth.HashPassword); err != nil &&
		deskerr.ErrorCode(err) != deskerr.ECONFLICT { // a reused desk has them
		b.Fatal(err)
	}
	session, _, _, err := a.Access.SignIn(ctx, email, pw)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = a.Serve(ctx, ln) }()
	p := &servedPage{url: "http://" + ln.Addr().String(), session: session, firstID: res.FirstID, http: &http.Client{}, app: a}
	pageDesks[key] = p
	return p
}
