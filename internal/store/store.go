// Package store is the only place that speaks SQL. It implements the store
// interfaces the domain packages declare, on embedded SQLite and on
// PostgreSQL with the same statements; the few differences live in
// dialect.go. Times are BIGINT microseconds since the epoch, UTC, converted
// in one place (micros and fromMicros).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/idempotency"
)

// DB is a Sahayak database. On SQLite, writes go through a single connection
// (SQLite allows one writer; queuing in Go is cheaper than busy-waiting in
// SQLite) and reads through a pool; on PostgreSQL both use one pool.
type DB struct {
	write   *pool
	read    *pool
	dialect dialect
	// SQLitePath is the data file on SQLite, "" on PostgreSQL.
	SQLitePath string
	// URL is the PostgreSQL URL, "" on SQLite.
	URL string

	// Group commit of SQLite writes (group.go); nil on PostgreSQL.
	group   chan *writeJob
	closed  chan struct{}
	stopped chan struct{}

	// Creates sharing transactions on PostgreSQL (open.go); nil on SQLite.
	opens       chan *openJob
	opensClosed chan struct{}
	openersDone sync.WaitGroup
}

// Config says which database to open.
type Config struct {
	// DatabaseURL, when it starts with postgres:// or postgresql://, selects
	// PostgreSQL; otherwise the SQLite file sahayak.db in DataDir is used.
	DatabaseURL string
	DataDir     string
	// Conns bounds the connections: SQLite's reader pool, or the PostgreSQL
	// pool (default 16 for both). On 2 cores with 50 clients 16 readers
	// were best for SQLite (against 4, 8, 32 and 64) and 16 PostgreSQL
	// connections did more creates than 32 (docs/PERFORMANCE.md). Every
	// node opens its own pool: nodes × Conns, plus the job queue's few,
	// must stay below the server's max_connections (100 by default).
	Conns int
}

// defaultConns is Config.Conns when unset.
const defaultConns = 16

func (c Config) conns() int {
	if c.Conns > 0 {
		return c.Conns
	}
	return defaultConns
}

// IsPostgres reports whether a database URL names PostgreSQL.
func IsPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// Open opens (and creates, for SQLite) the database. Call Migrate before use.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if IsPostgres(cfg.DatabaseURL) {
		pool, err := sql.Open("pgx", cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		pool.SetMaxOpenConns(cfg.conns())
		pool.SetMaxIdleConns(cfg.conns())
		pool.SetConnMaxIdleTime(5 * time.Minute)
		if err := pool.PingContext(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("connect postgres: %w", err)
		}
		p := newPool(pool, false)
		db := &DB{write: p, read: p, dialect: postgresDialect{}, URL: cfg.DatabaseURL}
		db.startOpeners()
		return db, nil
	}
	if cfg.DatabaseURL != "" {
		return nil, desk.E(desk.EINVALID, "error.database_url")
	}
	path := filepath.Join(cfg.DataDir, "sahayak.db")
	if err := ownerOnly(cfg.DataDir, path); err != nil {
		return nil, err
	}
	write, err := sql.Open(SQLiteDriver, SQLiteDSN(path, true))
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read, err := sql.Open(SQLiteDriver, SQLiteDSN(path, false))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite readers: %w", err)
	}
	read.SetMaxOpenConns(cfg.conns())
	read.SetMaxIdleConns(cfg.conns())
	read.SetConnMaxIdleTime(0)
	db := &DB{write: newPool(write, true), read: newPool(read, true), dialect: sqliteDialect{}, SQLitePath: path}
	db.startGroupCommit()
	return db, nil
}

// ownerOnly makes the data directory 0700 and the database file 0600
// before SQLite opens it: the file holds password hashes and session
// digests. SQLite gives its WAL and shared-memory files the database file's
// mode; any left by an older version are tightened too.
func ownerOnly(dir, path string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("database file: %w", err)
		}
	}
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	db.stopGroupCommit()
	db.stopOpeners()
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Dialect names the database kind: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect.name() }

// inTx runs fn in a write transaction, committing if it returns nil. On
// SQLite it goes through group commit (group.go).
func (db *DB) inTx(ctx context.Context, fn func(*txn) error) error {
	if claim, ok := idempotency.ClaimIn(ctx); ok {
		// The write and the mark on its Idempotency-Key commit together.
		write := fn
		fn = func(tx *txn) error {
			if err := write(tx); err != nil {
				return err
			}
			return markClaimWritten(ctx, tx, claim)
		}
	}
	if db.group != nil {
		return db.submit(ctx, fn)
	}
	return db.runTx(ctx, fn, true)
}

// writeOne runs a single write statement (fn issues exactly one). On
// PostgreSQL, outside an Idempotency-Key claim, the statement is its own
// transaction: one round trip instead of BEGIN, the statement and COMMIT.
// On SQLite it goes through inTx and so shares a group commit.
func (db *DB) writeOne(ctx context.Context, fn func(q querier) error) error {
	if _, marked := idempotency.ClaimIn(ctx); db.group == nil && !marked {
		return db.mapErr(fn(db.write))
	}
	return db.inTx(ctx, func(tx *txn) error { return fn(tx) })
}

// runTx runs fn in a transaction of its own. cancellable says whether ctx
// may cancel the transaction (not for the group writer, whose transaction
// outlives any one caller's patience).
func (db *DB) runTx(ctx context.Context, fn func(*txn) error, cancellable bool) error {
	txctx := ctx
	if !cancellable {
		txctx = context.WithoutCancel(ctx)
	}
	tx, err := db.write.BeginTx(txctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", db.mapErr(err))
	}
	tx.detached = !cancellable
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return db.mapErr(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", db.mapErr(err))
	}
	return nil
}

// exec runs one write statement in its own transaction.
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.write.ExecContext(ctx, query, args...)
	return res, db.mapErr(err)
}

// mapErr turns constraint violations into coded errors.
func (db *DB) mapErr(err error) error {
	if err == nil {
		return nil
	}
	var de *desk.Error
	if errors.As(err, &de) {
		return err
	}
	switch {
	case db.dialect.isUnique(err):
		return desk.E(desk.ECONFLICT, "error.exists", db.dialect.constraint(err))
	case db.dialect.isForeignKey(err):
		return desk.E(desk.ECONFLICT, "error.referenced")
	}
	return err
}

// notFound maps sql.ErrNoRows to a coded error.
func notFound(err error, m desk.Msg) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &desk.Error{Code: desk.ENOTFOUND, Msg: m}
	}
	return err
}

// micros converts a time to the stored representation.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros converts a stored time back.
func fromMicros(n int64) time.Time { return time.UnixMicro(n).UTC() }

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

func fromNullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

func nullID(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

func fromNullID(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

// querier is what both *sql.DB and *txn offer.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}
