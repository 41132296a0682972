package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// "$n" is the n-th argument wherever it stands and however often, and a
// unique violation names its columns.
func TestSQLiteDriverBindsByNumber(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open(SQLiteDriver, SQLiteDSN(filepath.Join(t.TempDir(), "x.db"), true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE, b TEXT)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO t (b, a, id) VALUES ($3, $2, $1)`, 7, "x", "y"); err != nil {
		t.Fatal(err)
	}
	var a, b string
	if err := db.QueryRowContext(ctx, `SELECT a, b FROM t WHERE id = $1 AND (a = $2 OR b = $2)`, 7, "x").Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if a != "x" || b != "y" {
		t.Errorf("a, b = %q, %q; want x, y", a, b)
	}
	var mmap, temp int64
	if err := db.QueryRowContext(ctx, `PRAGMA mmap_size`).Scan(&mmap); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&temp); err != nil {
		t.Fatal(err)
	}
	if mmap == 0 || temp != 2 {
		t.Errorf("mmap_size %d, temp_store %d; want > 0, 2 (MEMORY)", mmap, temp)
	}
	if qpsgConnections() == 0 {
		t.Error("no connection has the query planner stability guarantee")
	}
	_, err = db.ExecContext(ctx, `INSERT INTO t (a) VALUES ($1)`, "x")
	d := sqliteDialect{}
	if !d.isUnique(err) || d.constraint(err) != "t.a" {
		t.Errorf("duplicate: isUnique %v, constraint %q (%v)", d.isUnique(err), d.constraint(err), err)
	}
}
