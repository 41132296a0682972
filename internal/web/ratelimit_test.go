package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/ratelimit"
	"github.com/sahayak/sahayak/internal/web"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// node serves d's database as one more Sahayak node with its own rate
// limiter, as `sahayak serve --api-rate-limit limit` would.
func (d *testDesk) node(t *testing.T, limit int64, clock fixedClock) (*ratelimit.Limiter, string) {
	t.Helper()
	l := ratelimit.New(limit, d.DB, nil)
	srv, err := web.New(web.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Tickets: d.Tickets, People: d.People,
		Access: d.Access, Notifications: d.DB, Idempotency: d.DB, RateLimit: l, Blobs: blob.New(t.TempDir()),
		Bus: event.NewBus(), DB: d.DB, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return l, hs.URL
}

// A token over its budget gets 429 with Retry-After and the RateLimit
// headers, and nodes sharing a database share the budget.
func TestAPIRateLimit(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		clock := fixedClock{time.Date(2026, 11, 29, 10, 0, 15, 0, time.UTC)} // 45 s before the window turns
		la, a := d.node(t, 10, clock)
		lb, b := d.node(t, 10, clock)
		get := func(base, as string) response {
			t.Helper()
			dd := *d
			dd.t, dd.URL = t, base
			return dd.call("GET", "/api/v1/me", as, nil)
		}
		for i := range 6 {
			r := get(a, "ravi")
			if r.Status != 200 || r.Header.Get("RateLimit-Limit") != "10" || r.Header.Get("RateLimit-Remaining") != id(int64(9-i)) ||
				r.Header.Get("RateLimit-Reset") != "45" {
				t.Fatalf("request %d on node a: %d, RateLimit %q/%q/%q", i+1, r.Status, r.Header.Get("RateLimit-Limit"),
					r.Header.Get("RateLimit-Remaining"), r.Header.Get("RateLimit-Reset"))
			}
		}
		ctx := context.Background()
		if err := la.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		admitted := 0
		var last response
		for range 10 {
			last = get(b, "ravi")
			if last.Status == 200 {
				admitted++
			}
			if err := lb.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if admitted != 4 {
			t.Errorf("node b admitted %d requests after node a's 6, want 4 (the budget is 10)", admitted)
		}
		if last.Status != http.StatusTooManyRequests || last.errorCode() != "rate_limited" || last.Header.Get("Retry-After") != "45" ||
			last.Header.Get("RateLimit-Remaining") != "0" || last.Header.Get("RateLimit-Limit") != "10" {
			t.Errorf("over the limit: %d, Retry-After %q, Remaining %q\n%s", last.Status, last.Header.Get("Retry-After"),
				last.Header.Get("RateLimit-Remaining"), last.Raw)
		}
		if err := la.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if r := get(a, "ravi"); r.Status != http.StatusTooManyRequests {
			t.Errorf("node a, after learning node b's count: %d, want 429", r.Status)
		}
		if r := get(a, "meera"); r.Status != 200 {
			t.Errorf("another token: %d, want 200", r.Status)
		}
		// Pages and public routes are not API calls.
		if r := get(a, ""); r.Status != http.StatusUnauthorized {
			t.Errorf("no credentials: %d, want 401", r.Status)
		}
	})
}
