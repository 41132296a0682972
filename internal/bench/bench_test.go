// Package bench measures the JSON API end to end: a real HTTP server on
// loopback over embedded SQLite, 50 concurrent clients authenticated by an
// API token. Run with
//
//	go test ./internal/bench -run '^$' -bench . -benchtime 3s -count 5
//
// and set SAHAYAK_BENCH_BIG=1 to include the list at a million tickets.
package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/seed"
)

const clients = 50

// desk is a served Sahayak with tickets loaded.
type desk struct {
	url, token string
	firstID    int64
	tickets    int
	http       *http.Client
}

var desks sync.Map // tickets → *desk, one per size for the whole run

// served starts (once per size) a server over a fresh SQLite database
// holding n synthetic tickets. Servers live until the process ends.
func served(b *testing.B, n int) *desk {
	if d, ok := desks.Load(n); ok {
		return d.(*desk)
	}
	b.Helper()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sahayak-bench-")
	if err != nil {
		b.Fatal(err)
	}
	a, err := app.Open(ctx, app.Config{DataDir: dir}, nil)
	if err != nil {
		b.Fatal(err)
	}
	res, err := seed.Synthetic(ctx, seed.Services{DB: a.DB, People: a.People, Tickets: a.Tickets}, n, time.Now().UTC())
	if err != nil {
		b.Fatal(err)
	}
	sys := app.SystemContext(ctx)
	email, name, role := "bench@example.com", "Bench", auth.RoleAdmin
	ag, err := a.People.CreateAgent(sys, people.AgentInput{Email: &email, Name: &name, Role: &role}, auth.HashPassword)
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := a.Access.CreateToken(sys, ag.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = a.Serve(ctx, ln) }()
	d := &desk{url: "http://" + ln.Addr().String(), token: token, firstID: res.FirstID, tickets: n,
		http: &http.Client{Transport: &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2}}}
	desks.Store(n, d)
	return d
}

// drive sends b.N requests from 50 concurrent clients; req builds the i-th
// request. Every answer must have status want.
func drive(b *testing.B, d *desk, want int, req func(i int64) (*http.Request, error)) {
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				r, err := req(i)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				r.Header.Set("Authorization", "Bearer "+d.token)
				res, err := d.http.Do(r)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != want {
					failed.Store(fmt.Sprintf("%s %s: status %d", r.Method, r.URL.Path, res.StatusCode))
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if f := failed.Load(); f != nil {
		b.Fatal(f)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkAPICreateTicket(b *testing.B) {
	d := served(b, 100000)
	drive(b, d, http.StatusCreated, func(i int64) (*http.Request, error) {
		body := fmt.Sprintf(`{"subject":"Payment failed %d","body":"UPI payment failed but money was debited.",`+
			`"requester":{"email":"bench%d@customers.example","name":"Bench Customer"},"tags":["billing"],"priority":"high"}`, i, i%5000)
		r, err := http.NewRequest("POST", d.url+"/api/v1/tickets", strings.NewReader(body))
		if err == nil {
			r.Header.Set("Content-Type", "application/json")
		}
		return r, err
	})
}

func BenchmarkAPIReadTicket(b *testing.B) {
	d := served(b, 100000)
	drive(b, d, http.StatusOK, func(i int64) (*http.Request, error) {
		id := d.firstID + (i*7919)%int64(d.tickets)
		return http.NewRequest("GET", fmt.Sprintf("%s/api/v1/tickets/%d", d.url, id), nil)
	})
}

func BenchmarkAPIListTickets(b *testing.B) {
	d := served(b, 100000)
	drive(b, d, http.StatusOK, func(int64) (*http.Request, error) {
		return http.NewRequest("GET", d.url+"/api/v1/tickets?limit=25", nil)
	})
}

// BenchmarkAPIListTicketsBySize shows that a page costs the same at a
// thousand tickets as at a million (keyset pagination, nothing counted).
func BenchmarkAPIListTicketsBySize(b *testing.B) {
	sizes := []int{1000, 100000}
	if os.Getenv("SAHAYAK_BENCH_BIG") != "" {
		sizes = append(sizes, 1000000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			d := served(b, n)
			drive(b, d, http.StatusOK, func(i int64) (*http.Request, error) {
				// The first page of an open queue, and of one team.
				q := "/api/v1/tickets?limit=25&status=open"
				if i%2 == 0 {
					q = "/api/v1/tickets?limit=25&team_id=2"
				}
				return http.NewRequest("GET", d.url+q, nil)
			})
		})
	}
}

// BenchmarkAPIHealthz is the ceiling of this harness: the same server,
// clients and loopback, for a route that does no work. Read the other
// figures against it.
func BenchmarkAPIHealthz(b *testing.B) {
	d := served(b, 1000)
	drive(b, d, http.StatusOK, func(int64) (*http.Request, error) {
		return http.NewRequest("GET", d.url+"/healthz", nil)
	})
}
