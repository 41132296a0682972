package ratelimit

import (
	"context"
	"sync"
	"testing"
	"time"
)

// sharedRows is a Store in memory: the row per (caller, window) that nodes
// share through the database.
type sharedRows struct {
	mu   sync.Mutex
	rows map[string]int64
}

func (s *sharedRows) AddRequestCounts(_ context.Context, w time.Time, counts map[string]int64) (map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int64{}
	for k, n := range counts {
		key := w.String() + k
		s.rows[key] += n
		out[k] = s.rows[key]
	}
	return out, nil
}

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func TestOneNodeAdmitsTheLimitPerWindow(t *testing.T) {
	l := New(3, nil, nil)
	for i, want := range []struct {
		allowed   bool
		remaining int64
	}{{true, 2}, {true, 1}, {true, 0}, {false, 0}, {false, 0}} {
		d := l.Allow("token:a", t0.Add(10*time.Second))
		if d.Allowed != want.allowed || d.Remaining != want.remaining || d.Limit != 3 || d.Reset != 50*time.Second {
			t.Errorf("request %d: %+v, want allowed=%v remaining=%d reset 50s", i+1, d, want.allowed, want.remaining)
		}
	}
	if !l.Allow("token:b", t0.Add(11*time.Second)).Allowed {
		t.Error("another caller is limited by the first one's requests")
	}
	if d := l.Allow("token:a", t0.Add(Window)); !d.Allowed || d.Remaining != 2 {
		t.Errorf("the next window: %+v", d)
	}
}

// Two nodes sharing the rows hold a caller to the limit once they have
// synced; between syncs each node only sees its own requests.
func TestNodesShareTheBudget(t *testing.T) {
	rows := &sharedRows{rows: map[string]int64{}}
	a, b := New(10, rows, nil), New(10, rows, nil)
	ctx := context.Background()
	now := t0.Add(time.Second)
	for range 6 {
		if !a.Allow("token:x", now).Allowed {
			t.Fatal("node a refused within the limit")
		}
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	admitted := 0
	for range 10 {
		if b.Allow("token:x", now).Allowed {
			admitted++
		}
		if err := b.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if admitted != 4 {
		t.Errorf("node b admitted %d after a's 6, want 4", admitted)
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if d := a.Allow("token:x", now); d.Allowed || d.Remaining != 0 {
		t.Errorf("node a after syncing: %+v, want refused", d)
	}
}
