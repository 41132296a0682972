package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/store"
)

// The SQLite template is made once per set of migrations
// (store.MigrationsDigest) and run of `go test` (the parent process of the
// test binaries), and shared by the test processes of that run: several
// packages' tests run at once, and each may be the first to need it, so it
// is built aside and renamed into place. It is not kept across runs: the
// rows the migrations write (built-in roles, statuses) carry the time they
// were made, and tests ask for "updated within the hour".
//
// PostgreSQL tests still migrate a fresh schema each: a database cloned from
// a template is created fast, but dropping one forces a checkpoint, and the
// DROP holds a transaction id meanwhile, which stops every durable consumer
// of the cluster (they read below the oldest open transaction) for seconds.
var templates struct {
	sync.Mutex
	sqlite string
}

// templatePrefix starts the name of every template directory.
const templatePrefix = "sahayak_tmpl_"

// templateName names the template of this build's migrations and this run.
func templateName() string {
	return fmt.Sprintf("%s%s_%d", templatePrefix, store.MigrationsDigest()[:16], os.Getppid())
}

// sweepTemplates removes templates of earlier runs. A day is far longer
// than any run, so a template still in use is never removed.
func sweepTemplates() {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), templatePrefix+"*"))
	for _, dir := range old {
		if fi, err := os.Stat(dir); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
			_ = os.RemoveAll(dir)
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// sqliteCopy returns a configuration whose data directory holds a copy of
// the migrated template database file.
func sqliteCopy(t testing.TB) store.Config {
	t.Helper()
	templates.Lock()
	if templates.sqlite == "" {
		path, err := sqliteTemplate()
		if err != nil {
			templates.Unlock()
			t.Fatalf("sqlite template: %v", err)
		}
		templates.sqlite = path
	}
	path := templates.sqlite
	templates.Unlock()
	dir := t.TempDir()
	if err := copyFile(path, filepath.Join(dir, "sahayak.db")); err != nil {
		t.Fatalf("sqlite template: %v", err)
	}
	return store.Config{DataDir: dir}
}

// sqliteTemplate makes (or finds) the migrated template file.
func sqliteTemplate() (string, error) {
	dir := filepath.Join(os.TempDir(), templateName())
	path := filepath.Join(dir, "sahayak.db")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	sweepTemplates()
	building, err := os.MkdirTemp(os.TempDir(), templateName()+"-building-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(building)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: building})
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx)
	if err == nil {
		err = migrateJobs(ctx, db)
	}
	// Closing the last connection checkpoints the WAL into the file.
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(building, "sahayak.db-wal")); err == nil {
		return "", errors.New("the template kept a WAL file after closing")
	}
	// Another process may have put its template in place meanwhile: either
	// is right.
	if err := os.Rename(building, dir); err != nil {
		if _, serr := os.Stat(path); serr != nil {
			return "", err
		}
	}
	return path, nil
}

// migrateJobs adds the job queue's tables, as Queue would on every test.
func migrateJobs(ctx context.Context, db *store.DB) error {
	cfg := jobs.Config{PostgresURL: db.URL}
	if db.SQLitePath != "" {
		h, err := sql.Open(store.SQLiteDriver, store.SQLiteDSN(db.SQLitePath, true))
		if err != nil {
			return err
		}
		defer h.Close()
		cfg = jobs.Config{SQLite: h}
	}
	return jobs.Migrate(ctx, cfg)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
