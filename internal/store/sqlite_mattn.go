//go:build cgo && !purego

package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/sahayak/sahayak/internal/store/fts5"
)

// SQLiteBuild names the SQLite this binary has.
const SQLiteBuild = "mattn/go-sqlite3 (cgo)"

func init() {
	if err := registerQPSG(); err != nil {
		panic(err)
	}
	// After registerQPSG, whose sqlite3_config must come first.
	if err := fts5.Register(); err != nil {
		panic(err)
	}
	sql.Register(SQLiteDriver, sqliteDriver{&sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec("PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 8589934592", nil)
		return err
	}}})
}

// sqliteDSNSettings are the settings of SQLiteDSN this driver has keys
// for beyond the common ones. Connections are opened without their own
// mutex: database/sql never uses a connection from two goroutines at once,
// and the lock and unlock around every SQLite call cost 9% of a
// million-ticket load. The memory map and temporary storage are set by the
// driver's connect hook.
const sqliteDSNSettings = "&_cache_size=-65536&_mutex=no"

// sqliteDriver gives "$n" its PostgreSQL meaning. SQLite numbers
// parameters in order of first appearance, and mattn/go-sqlite3 binds the
// n-th argument to the n-th parameter, so "SET a = $2 WHERE id = $1" would
// swap its arguments and a repeated "$1" would take two; "?n" is SQLite's
// spelling of "argument n".
type sqliteDriver struct{ *sqlite3.SQLiteDriver }

func (d sqliteDriver) Open(dsn string) (driver.Conn, error) {
	c, err := d.SQLiteDriver.Open(dsn)
	if err != nil {
		return nil, err
	}
	return &sqliteConn{c.(*sqlite3.SQLiteConn)}, nil
}

// sqliteConn rewrites the placeholders of every statement it is given; all
// else is the driver's.
type sqliteConn struct{ *sqlite3.SQLiteConn }

func (c *sqliteConn) Prepare(q string) (driver.Stmt, error) {
	return c.SQLiteConn.Prepare(positional(q))
}
func (c *sqliteConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.SQLiteConn.PrepareContext(ctx, positional(q))
}
func (c *sqliteConn) Exec(q string, args []driver.Value) (driver.Result, error) {
	return c.SQLiteConn.Exec(positional(q), args)
}
func (c *sqliteConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return c.SQLiteConn.ExecContext(ctx, positional(q), args)
}
func (c *sqliteConn) Query(q string, args []driver.Value) (driver.Rows, error) {
	return c.SQLiteConn.Query(positional(q), args)
}
func (c *sqliteConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return c.SQLiteConn.QueryContext(ctx, positional(q), args)
}

// sqliteErrorCode is the extended result code of an SQLite error.
func sqliteErrorCode(err error) (int, bool) {
	var e sqlite3.Error
	if errors.As(err, &e) {
		return int(e.ExtendedCode), true
	}
	return 0, false
}

// positional turns each "$n" outside string literals, quoted names and
// comments into "?n".
func positional(q string) string {
	if strings.IndexByte(q, '$') < 0 {
		return q
	}
	b := []byte(q)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '\'', '"', '`':
			// Skip to the closing quote; a doubled quote inside is
			// skipped as two quotes.
			j := strings.IndexByte(q[i+1:], c)
			if j < 0 {
				return string(b)
			}
			i += j + 1
		case '[':
			j := strings.IndexByte(q[i+1:], ']')
			if j < 0 {
				return string(b)
			}
			i += j + 1
		case '-':
			if i+1 < len(b) && b[i+1] == '-' {
				j := strings.IndexByte(q[i:], '\n')
				if j < 0 {
					return string(b)
				}
				i += j
			}
		case '/':
			if i+1 < len(b) && b[i+1] == '*' {
				j := strings.Index(q[i+2:], "*/")
				if j < 0 {
					return string(b)
				}
				i += j + 3
			}
		case '$':
			if i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9' {
				b[i] = '?'
			}
		}
	}
	return string(b)
}
