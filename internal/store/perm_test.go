package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// The data directory holds password hashes and session digests: only the
// server's user may read it. A new one is created 0700 with 0600 files, and
// one left readable by an older version is tightened at start.
func TestSQLiteFilesAreReadableByTheOwnerOnly(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(dir string)
	}{
		{"new data directory", func(string) {}},
		{"existing world-readable files", func(dir string) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"sahayak.db", "sahayak.db-wal", "sahayak.db-shm"} {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			tc.prepare(dir)
			db, err := Open(context.Background(), Config{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(context.Background()); err != nil { // writes: the WAL and its index exist now
				t.Fatal(err)
			}
			want := map[string]os.FileMode{"": 0o700, "sahayak.db": 0o600, "sahayak.db-wal": 0o600, "sahayak.db-shm": 0o600}
			for f, mode := range want {
				fi, err := os.Stat(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != mode {
					t.Errorf("%s/%s: mode %o, want %o", filepath.Base(dir), f, got, mode)
				}
			}
		})
	}
}
