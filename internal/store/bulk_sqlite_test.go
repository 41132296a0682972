package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Rows given to boundRows come back exactly, in as many batches as they
// need; a constraint violation is the driver's error; damaged rows and NUL
// are refused rather than half-written.
func TestBoundRows(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open(SQLiteDriver, SQLiteDSN(filepath.Join(t.TempDir(), "x.db"), true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, ref INTEGER, s TEXT)`); err != nil {
		t.Fatal(err)
	}
	type row struct {
		id, n int64
		ref   sql.NullInt64
		s     string
	}
	texts := []string{"", "it's \"quoted\" \\ <b>", "भुगतान विफल हुआ", strings.Repeat("x", 70000)}
	var want []row
	sink := newBoundRows("t", "id", "n", "ref", "s")
	for i := range int64(bulkRows*2 + 7) {
		r := row{id: i + 1, n: -i * 1 << 40, s: texts[i%int64(len(texts))]}
		if i%3 != 0 {
			r.ref = sql.NullInt64{Int64: i, Valid: true}
		}
		want = append(want, r)
		sink.row()
		sink.int(r.id)
		sink.int(r.n)
		optionalID(sink, r.ref.Int64)
		sink.text(r.s)
	}
	stmts := sink.take(nil)
	if len(stmts) != 3 || sink.failed() != nil {
		t.Fatalf("%d statements (want 3), error %v", len(stmts), sink.failed())
	}
	if err := execAll(ctx, conn, stmts); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.QueryContext(ctx, `SELECT id, n, ref, s FROM t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.n, &r.ref, &r.s); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	rows.Close()
	if len(got) != len(want) {
		t.Fatalf("%d rows back, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	for _, tc := range []struct {
		name  string
		fill  func(s rowSink)
		check func(err error) bool
	}{
		{"a duplicate id is a unique violation", func(s rowSink) { s.row(); s.int(1); s.int(0); s.null(); s.text("again") },
			sqliteDialect{}.isUnique},
		{"a row short of a value is refused", func(s rowSink) { s.row(); s.int(99999); s.int(0); s.null() },
			func(err error) bool { return err != nil && strings.Contains(err.Error(), "malformed") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newBoundRows("t", "id", "n", "ref", "s")
			tc.fill(s)
			err := execAll(ctx, conn, s.take(nil))
			if !tc.check(err) {
				t.Fatalf("error %v", err)
			}
			var n int
			if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != len(want) {
				t.Fatalf("%d rows after the refusal (want %d): %v", n, len(want), err)
			}
		})
	}

	nul := newBoundRows("t", "id", "n", "ref", "s")
	nul.row()
	nul.int(100000)
	nul.int(0)
	nul.null()
	nul.text("a\x00b")
	if nul.failed() == nil {
		t.Error("text with NUL accepted")
	}

	tx, err := db.BeginTx(ctx, nil)
	if err == nil {
		err = execAll(ctx, tx, stmts[:1])
		_ = tx.Rollback()
	}
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%T", tx)) {
		t.Errorf("bound rows outside an SQLite connection: %v", err)
	}
}
