//go:build !cgo || purego

package store

import (
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"

	"modernc.org/libc"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLiteBuild names the SQLite this binary has.
const SQLiteBuild = "modernc.org/sqlite (pure Go)"

// The pure-Go SQLite binds "$n" by its name, the n-th argument, which is the
// meaning the SQL of this package gives it; no rewriting is needed.
func init() {
	d := &sqlite.Driver{}
	d.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, _ string) error { return enableQPSG(c) })
	sql.Register(SQLiteDriver, d)
}

// sqliteDSNSettings are the settings of SQLiteDSN this driver has no keys
// for, as pragmas run on every new connection. Connections keep their own
// mutex: the driver has no switch for it.
const sqliteDSNSettings = "&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)&_pragma=mmap_size(8589934592)"

// qpsgOpened counts the connections that have the guarantee on.
var qpsgOpened atomic.Int64

func qpsgConnections() int { return int(qpsgOpened.Load()) }

// enableQPSG turns on SQLite's query planner stability guarantee on a new
// connection, for the reason given in qpsg_mattn.go; it matters more here,
// as this SQLite is built with STAT4, which makes equality terms on bound
// values re-plan too. The driver does not export its handle, so it is read
// by reflection; TestSQLiteDriverBindsByNumber fails if a new version
// renames it.
func enableQPSG(c sqlite.ExecQuerierContext) error {
	v := reflect.ValueOf(c)
	if v.Kind() != reflect.Pointer {
		return fmt.Errorf("sqlite: connection is %T", c)
	}
	db, tls := v.Elem().FieldByName("db"), v.Elem().FieldByName("tls")
	if db.Kind() != reflect.Uintptr || tls.Kind() != reflect.Pointer || tls.IsNil() {
		return errors.New("sqlite: no handle in modernc.org/sqlite's connection")
	}
	t := (*libc.TLS)(tls.UnsafePointer())
	// Two variadic arguments, 8 bytes each: on, and no place to report
	// the setting (SQLITE_OK says it took).
	va := libc.Xmalloc(t, 16)
	if va == 0 {
		return errors.New("sqlite: out of memory")
	}
	defer libc.Xfree(t, va)
	if rc := sqlite3.Xsqlite3_db_config(t, uintptr(db.Uint()), sqlite3.SQLITE_DBCONFIG_ENABLE_QPSG,
		libc.VaList(va, int32(1), uintptr(0))); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite: enable query planner stability: code %d", rc)
	}
	qpsgOpened.Add(1)
	return nil
}

// sqliteErrorCode is the extended result code of an SQLite error (the
// driver turns extended codes on for every connection).
func sqliteErrorCode(err error) (int, bool) {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}
