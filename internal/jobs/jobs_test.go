package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The app's DSN for its data file (see package doc); both SQLite drivers
// read these keys.
const sqliteDSN = "file:%s?_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=1&_txlock=immediate"

const waitFor = 10 * time.Second // generous deadline; passing runs take well under a second

type testArgs struct {
	Name string `json:"name"`
}

func (testArgs) Kind() string { return "jobs_test" }

// env is one empty, migrated database. open returns a Config with a new
// handle each call, so a second queue really starts from what is on disk.
type env struct {
	open  func(t *testing.T) Config
	state func(t *testing.T, id int64) (state string, attempt int)
	count func(t *testing.T) int
}

type backend struct {
	name  string
	fresh func(t *testing.T) env
}

func backends(t *testing.T) []backend {
	bs := []backend{{"sqlite", freshSQLite}}
	if os.Getenv("SAHAYAK_TEST_POSTGRES_URL") != "" {
		bs = append(bs, backend{"postgres", freshPostgres})
	} else {
		t.Log("SAHAYAK_TEST_POSTGRES_URL not set; skipping postgres")
	}
	return bs
}

func testConfig(t *testing.T) Config {
	return Config{
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		PollInterval: 50 * time.Millisecond,
		RetryBackoff: func(int) time.Duration { return 10 * time.Millisecond },
	}
}

func freshSQLite(t *testing.T) env {
	path := filepath.Join(t.TempDir(), "sahayak.db")
	openDB := func(t *testing.T) *sql.DB {
		db, err := sql.Open(sqliteDriver, fmt.Sprintf(sqliteDSN, path))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	reader := openDB(t)
	return env{
		open: func(t *testing.T) Config {
			cfg := testConfig(t)
			cfg.SQLite = openDB(t)
			return cfg
		},
		state: func(t *testing.T, id int64) (state string, attempt int) {
			if err := reader.QueryRow("SELECT state, attempt FROM river_job WHERE id = ?", id).Scan(&state, &attempt); err != nil {
				t.Fatal(err)
			}
			return state, attempt
		},
		count: func(t *testing.T) (n int) {
			if err := reader.QueryRow("SELECT count(*) FROM river_job").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
	}
}

func freshPostgres(t *testing.T) env {
	url := os.Getenv("SAHAYAK_TEST_POSTGRES_URL")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	b := make([]byte, 6)
	rand.Read(b)
	schema := "jobs_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return env{
		open: func(t *testing.T) Config {
			cfg := testConfig(t)
			cfg.PostgresURL, cfg.Schema = url, schema
			return cfg
		},
		state: func(t *testing.T, id int64) (state string, attempt int) {
			q := "SELECT state, attempt FROM " + schema + ".river_job WHERE id = $1"
			if err := conn.QueryRow(ctx, q, id).Scan(&state, &attempt); err != nil {
				t.Fatal(err)
			}
			return state, attempt
		},
		count: func(t *testing.T) (n int) {
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+schema+".river_job").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
	}
}

// newQueue migrates, builds a queue, lets register add workers and, if start
// is set, starts it; Stop is checked in cleanup.
func newQueue(t *testing.T, cfg Config, start bool, register func(q *Queue)) *Queue {
	t.Helper()
	ctx := context.Background()
	if err := Migrate(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	q, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	register(q)
	if start {
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return q
}

func enqueue(t *testing.T, q *Queue, args Args, opts ...EnqueueOption) Enqueued {
	t.Helper()
	res, err := q.Enqueue(context.Background(), args, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// waitState polls until the job reaches want; completion is recorded
// asynchronously after the handler returns.
func waitState(t *testing.T, e env, id int64, want string) (attempt int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		state, attempt := e.state(t, id)
		if state == want {
			return attempt
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d: state %q after %s, want %q", id, state, waitFor, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func receive(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatal("job was not worked in time")
		return ""
	}
}

// checkGoroutines fails the test if goroutines started during it outlive
// its cleanups (Stop, pool and handle closes). Register it first: cleanups
// run last-in first-out.
func checkGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestQueue(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, e env)
	}{
		{"worked", func(t *testing.T, e env) {
			done := make(chan string, 1)
			q := newQueue(t, e.open(t), true, func(q *Queue) {
				mustAdd(t, q, func(_ context.Context, a testArgs) error { done <- a.Name; return nil })
			})
			res := enqueue(t, q, testArgs{Name: "hello"})
			if got := receive(t, done); got != "hello" {
				t.Fatalf("worked %q, want hello", got)
			}
			if attempt := waitState(t, e, res.ID, "completed"); attempt != 1 {
				t.Fatalf("attempt %d, want 1", attempt)
			}
		}},
		{"retried until success", func(t *testing.T, e env) {
			var calls atomic.Int32
			q := newQueue(t, e.open(t), true, func(q *Queue) {
				mustAdd(t, q, func(context.Context, testArgs) error {
					if calls.Add(1) <= 2 {
						return errors.New("transient")
					}
					return nil
				})
			})
			res := enqueue(t, q, testArgs{})
			if attempt := waitState(t, e, res.ID, "completed"); attempt != 3 {
				t.Fatalf("completed on attempt %d, want 3", attempt)
			}
			if n := calls.Load(); n != 3 {
				t.Fatalf("handler called %d times, want 3", n)
			}
		}},
		{"max attempts per kind", func(t *testing.T, e env) {
			var calls atomic.Int32
			q := newQueue(t, e.open(t), true, func(q *Queue) {
				mustAdd(t, q, func(context.Context, testArgs) error {
					calls.Add(1)
					return errors.New("permanent")
				}, MaxAttempts(2))
			})
			res := enqueue(t, q, testArgs{})
			if attempt := waitState(t, e, res.ID, "discarded"); attempt != 2 {
				t.Fatalf("discarded after attempt %d, want 2", attempt)
			}
			if n := calls.Load(); n != 2 {
				t.Fatalf("handler called %d times, want 2", n)
			}
		}},
		{"a kind's timeout is its runs' deadline", func(t *testing.T, e env) {
			left := make(chan time.Duration, 2)
			q := newQueue(t, e.open(t), true, func(q *Queue) {
				mustAdd(t, q, func(ctx context.Context, _ testArgs) error {
					d, ok := ctx.Deadline()
					if !ok {
						left <- -1
						return nil
					}
					left <- time.Until(d)
					return nil
				}, Timeout(10*time.Minute))
			})
			enqueue(t, q, testArgs{})
			select {
			case d := <-left:
				// The queue's default is a minute.
				if d < 9*time.Minute || d > 10*time.Minute {
					t.Fatalf("run had %v left, want about 10 min", d)
				}
			case <-time.After(waitFor):
				t.Fatal("the job did not run")
			}
		}},
		{"every interval", func(t *testing.T, e env) {
			runs := make(chan string, 10)
			newQueue(t, e.open(t), true, func(q *Queue) {
				mustAdd(t, q, func(_ context.Context, a testArgs) error { runs <- a.Name; return nil })
				if err := Every(q, 100*time.Millisecond, testArgs{Name: "tick"}); err != nil {
					t.Fatal(err)
				}
			})
			for range 2 {
				if got := receive(t, runs); got != "tick" {
					t.Fatalf("periodic job ran with %q", got)
				}
			}
		}},
		{"unique key runs once", func(t *testing.T, e env) {
			var mu sync.Mutex
			runs := map[string]int{}
			q := newQueue(t, e.open(t), false, func(q *Queue) {
				mustAdd(t, q, func(_ context.Context, a testArgs) error {
					mu.Lock()
					runs[a.Name]++
					mu.Unlock()
					return nil
				})
			})
			// Insert before Start so both inserts race no worker.
			const key = "notify:event=42:agent=7"
			a1 := enqueue(t, q, testArgs{Name: "a"}, Unique(key))
			a2 := enqueue(t, q, testArgs{Name: "a-again"}, Unique(key)) // args differ, key decides
			b := enqueue(t, q, testArgs{Name: "b"}, Unique("notify:event=42:agent=8"))
			c := enqueue(t, q, testArgs{Name: "c"}) // no key: never deduplicated
			if a1.Duplicate || !a2.Duplicate || a2.ID != a1.ID || b.Duplicate || b.ID == a1.ID || c.Duplicate {
				t.Fatalf("inserts: %+v %+v %+v %+v", a1, a2, b, c)
			}
			if err := q.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, id := range []int64{a1.ID, b.ID, c.ID} {
				waitState(t, e, id, "completed")
			}
			// A completed job still holds its key.
			if again := enqueue(t, q, testArgs{Name: "a"}, Unique(key)); !again.Duplicate || again.ID != a1.ID {
				t.Fatalf("insert after completion: %+v", again)
			}
			if n := e.count(t); n != 3 {
				t.Fatalf("%d jobs stored, want 3", n)
			}
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(runs) != "map[a:1 b:1 c:1]" {
				t.Fatalf("runs %v, want a, b and c once each", runs)
			}
		}},
		{"durable across queues", func(t *testing.T, e env) {
			inserter := newQueue(t, e.open(t), false, func(q *Queue) {
				mustAdd(t, q, func(context.Context, testArgs) error {
					t.Error("inserting queue was never started but worked a job")
					return nil
				})
			})
			res := enqueue(t, inserter, testArgs{Name: "later"})
			if err := inserter.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			if state, _ := e.state(t, res.ID); state != "available" {
				t.Fatalf("state %q before any worker ran, want available", state)
			}
			done := make(chan string, 1)
			newQueue(t, e.open(t), true, func(q *Queue) {
				mustAdd(t, q, func(_ context.Context, a testArgs) error { done <- a.Name; return nil })
			})
			if got := receive(t, done); got != "later" {
				t.Fatalf("worked %q, want later", got)
			}
			waitState(t, e, res.ID, "completed")
		}},
		{"migrate twice", func(t *testing.T, e env) {
			cfg := e.open(t)
			for i := range 2 {
				if err := Migrate(context.Background(), cfg); err != nil {
					t.Fatalf("migrate %d: %v", i+1, err)
				}
			}
			q := newQueue(t, cfg, false, func(q *Queue) { mustAdd(t, q, func(context.Context, testArgs) error { return nil }) })
			enqueue(t, q, testArgs{})
			if n := e.count(t); n != 1 {
				t.Fatalf("%d jobs stored, want 1", n)
			}
		}},
		{"stop waits for running job", func(t *testing.T, e env) {
			started, release := make(chan string, 1), make(chan struct{})
			q := newQueue(t, e.open(t), true, func(q *Queue) {
				mustAdd(t, q, func(ctx context.Context, a testArgs) error {
					started <- a.Name
					<-release
					return ctx.Err() // a soft stop must not cancel the job
				})
			})
			res := enqueue(t, q, testArgs{})
			receive(t, started)
			stopped := make(chan error, 1)
			go func() { stopped <- q.Stop(context.Background()) }()
			select {
			case err := <-stopped:
				t.Fatalf("Stop returned (%v) while a job was running", err)
			case <-time.After(200 * time.Millisecond):
			}
			close(release)
			select {
			case err := <-stopped:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(waitFor):
				t.Fatal("Stop did not return after the job finished")
			}
			if state, _ := e.state(t, res.ID); state != "completed" {
				t.Fatalf("state %q after Stop, want completed", state)
			}
		}},
		{"stop deadline cancels job", func(t *testing.T, e env) {
			started := make(chan string, 1)
			q := newQueue(t, e.open(t), true, func(q *Queue) {
				mustAdd(t, q, func(ctx context.Context, a testArgs) error {
					started <- a.Name
					<-ctx.Done()
					return ctx.Err()
				})
			})
			enqueue(t, q, testArgs{})
			receive(t, started)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			if err := q.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Stop = %v, want deadline exceeded", err)
			}
		}},
		{"late worker and unknown kind rejected", func(t *testing.T, e env) {
			q := newQueue(t, e.open(t), false, func(*Queue) {})
			if _, err := q.Enqueue(context.Background(), testArgs{}); err == nil {
				t.Fatal("enqueue of a kind without worker succeeded")
			}
			if err := AddWorker(q, func(context.Context, testArgs) error { return nil }); err == nil {
				t.Fatal("AddWorker after first use succeeded")
			}
		}},
	}
	for _, b := range backends(t) {
		for _, tc := range cases {
			t.Run(b.name+"/"+tc.name, func(t *testing.T) {
				checkGoroutines(t)
				tc.run(t, b.fresh(t))
			})
		}
	}
}

func mustAdd(t *testing.T, q *Queue, h func(context.Context, testArgs) error, opts ...WorkerOption) {
	t.Helper()
	if err := AddWorker(q, h, opts...); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidation(t *testing.T) {
	ctx := context.Background()
	// The drivers wait 5 s unless told otherwise.
	db, err := sql.Open(sqliteDriver, "file:"+filepath.Join(t.TempDir(), "x.db")+"?_busy_timeout=0") // no busy_timeout
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, cfg := range map[string]Config{
		"neither":         {},
		"both":            {SQLite: db, PostgresURL: "postgres://x"},
		"sqlite schema":   {SQLite: db, Schema: "s"},
		"no busy_timeout": {SQLite: db},
	} {
		if _, err := New(ctx, cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
		if err := Migrate(ctx, cfg); err == nil {
			t.Errorf("%s: Migrate succeeded", name)
		}
	}
}
