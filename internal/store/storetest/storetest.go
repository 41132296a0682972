// Package storetest opens fresh databases for tests: a new SQLite file per
// test always, and a new PostgreSQL schema per test when
// SAHAYAK_TEST_POSTGRES_URL is set. The same suite runs on both.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL URL for tests.
const EnvPostgres = "SAHAYAK_TEST_POSTGRES_URL"

// Backend is one database kind a test runs on.
type Backend struct {
	Name string
	// Config returns a store configuration for a fresh, empty database.
	Config func(t testing.TB) store.Config
}

// Backends returns SQLite, and PostgreSQL when configured.
func Backends() []Backend {
	b := []Backend{{Name: "sqlite", Config: func(t testing.TB) store.Config {
		return store.Config{DataDir: t.TempDir()}
	}}}
	if os.Getenv(EnvPostgres) != "" {
		b = append(b, Backend{Name: "postgres", Config: PostgresConfig})
	}
	return b
}

// Each runs fn once per backend as a subtest.
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}

// Open returns a migrated database of the backend, closed at cleanup. On
// SQLite it is a copy of a file migrated once per set of migrations (a copy
// takes milliseconds, migrating a tenth of a second).
func Open(t testing.TB, b Backend) *store.DB {
	t.Helper()
	var cfg store.Config
	if b.Name == "sqlite" {
		cfg = sqliteCopy(t)
	} else {
		cfg = b.Config(t)
	}
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open %s: %v", b.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	// A no-op on a copy of the template, and the fix when it is older.
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", b.Name, err)
	}
	return db
}

// PostgresConfig creates a fresh schema in the test database, dropped at
// cleanup, and returns a URL whose search_path points at it.
func PostgresConfig(t testing.TB) store.Config {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = a.Exec("DROP SCHEMA " + schema + " CASCADE")
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres url: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return store.Config{DatabaseURL: u.String()}
}

// Queue returns a job queue on db built as internal/app builds it (its own
// SQLite handle to the data file, or the database's URL and search_path on
// PostgreSQL), migrated and not started; it is stopped at cleanup. cfg
// tunes it; its database fields are filled in here.
func Queue(t testing.TB, db *store.DB, cfg jobs.Config) *jobs.Queue {
	t.Helper()
	if db.SQLitePath != "" {
		h, err := sql.Open(store.SQLiteDriver, store.SQLiteDSN(db.SQLitePath, true))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		cfg.SQLite = h
	} else {
		cfg.PostgresURL = db.URL
	}
	ctx := context.Background()
	if err := jobs.Migrate(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return q
}

// Clock is a settable clock for tests; every service of a test shares one.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now tells the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// CatchUp runs a durable consumer over everything committed, as its
// running loop would, until its cursor stands on the last event: on
// PostgreSQL a consumer reads an event only once every older transaction
// of the cluster has ended (other tests' too), and a consumer's own
// changes are events as well.
func CatchUp(t testing.TB, db *store.DB, consumer string, handle func(context.Context, []event.Event) error) {
	t.Helper()
	CatchUpWith(t, db, consumer, func(ctx context.Context) error { return event.Consume(ctx, db, consumer, handle) })
}

// CatchUpWith is CatchUp for a consumer that moves its cursor itself:
// run reads on from the cursor (as package report's CatchUp does).
func CatchUpWith(t testing.TB, db *store.DB, consumer string, run func(context.Context) error) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if err := run(ctx); err != nil {
			t.Fatal(err)
		}
		last, err := db.LastEventID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		at, err := db.EventCursor(ctx, consumer)
		if err != nil {
			t.Fatal(err)
		}
		if at == last {
			return
		}
	}
	t.Fatalf("consumer %s did not catch up", consumer)
}
