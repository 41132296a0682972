package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// maxCachedStatements bounds the statement cache. The SQL of this package is
// a fixed set of literals plus filter combinations, far below the bound; the
// bound only guards against a future query that splices in values.
const maxCachedStatements = 1024

// pool is a database handle that, on SQLite, prepares each distinct
// statement once and reuses it: parsing costs more than running most of our
// queries. pgx keeps its own per-connection statement cache, so on
// PostgreSQL the pool passes straight through.
type pool struct {
	*sql.DB
	cache bool
	stmts sync.Map // SQL text → *sql.Stmt
	count atomic.Int32
}

func newPool(db *sql.DB, cache bool) *pool { return &pool{DB: db, cache: cache} }

// cached returns the prepared statement for q if there is one.
func (p *pool) cached(q string) *sql.Stmt {
	if !p.cache {
		return nil
	}
	if s, ok := p.stmts.Load(q); ok {
		return s.(*sql.Stmt)
	}
	return nil
}

// stmt returns the prepared statement for q, preparing it on first use, or
// nil when q is not cached.
func (p *pool) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if !p.cache {
		return nil, nil
	}
	if s := p.cached(q); s != nil {
		return s, nil
	}
	if p.count.Load() >= maxCachedStatements {
		return nil, nil
	}
	s, err := p.DB.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := p.stmts.LoadOrStore(q, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	p.count.Add(1)
	return s, nil
}

// QueryContext runs a query through the statement cache.
func (p *pool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := p.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return p.DB.QueryContext(ctx, q, args...)
	}
	return s.QueryContext(ctx, args...)
}

// QueryRowContext runs a one-row query through the statement cache. A
// preparation error surfaces from Scan, as it would without the cache.
func (p *pool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	s, err := p.stmt(ctx, q)
	if err != nil || s == nil {
		return p.DB.QueryRowContext(ctx, q, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// ExecContext runs a statement through the statement cache. The statement
// must not answer rows (PRAGMA, SELECT, RETURNING): mattn/go-sqlite3 resets a
// prepared statement only when its rows are closed or it is run again, so an
// executed statement that stopped at a row stays active, and while it does
// its connection's transaction stays open and nothing it writes is seen by
// other connections. Use QueryRowContext for those.
func (p *pool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	s, err := p.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return p.DB.ExecContext(ctx, q, args...)
	}
	return s.ExecContext(ctx, args...)
}

// BeginTx starts a transaction whose statements also use the cache.
func (p *pool) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	tx, err := p.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txn{Tx: tx, pool: p}, nil
}

// Close closes the cached statements and the handle.
func (p *pool) Close() error {
	p.stmts.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
	return p.DB.Close()
}

// txn is a transaction that runs cached statements on its connection. A
// statement not yet cached runs unprepared and is prepared after the
// transaction ends: preparing needs a connection, and the SQLite writer has
// only the one this transaction holds.
type txn struct {
	*sql.Tx
	pool    *pool
	missing []string
	// detached statements ignore their caller's cancellation: on SQLite an
	// interrupted write rolls back the whole transaction, which under group
	// commit holds other callers' work.
	detached bool
}

func (t *txn) ctx(ctx context.Context) context.Context {
	if t.detached {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func (t *txn) stmt(q string) *sql.Stmt {
	s := t.pool.cached(q)
	if s == nil && t.pool.cache {
		t.missing = append(t.missing, q)
	}
	return s
}

// QueryContext runs a query in the transaction.
func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = t.ctx(ctx)
	if s := t.stmt(q); s != nil {
		return t.Tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, q, args...)
}

// QueryRowContext runs a one-row query in the transaction.
func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = t.ctx(ctx)
	if s := t.stmt(q); s != nil {
		return t.Tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, q, args...)
}

// ExecContext runs a statement in the transaction.
func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = t.ctx(ctx)
	if s := t.stmt(q); s != nil {
		return t.Tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, q, args...)
}

// Commit commits and then prepares the statements this transaction missed.
func (t *txn) Commit() error {
	err := t.Tx.Commit()
	t.prepareMissing()
	return err
}

// Rollback rolls back and then prepares the statements this transaction missed.
func (t *txn) Rollback() error {
	err := t.Tx.Rollback()
	t.prepareMissing()
	return err
}

func (t *txn) prepareMissing() {
	for _, q := range t.missing {
		// A statement that fails to prepare stays uncached and runs
		// unprepared next time too; its error shows where it runs.
		_, _ = t.pool.stmt(context.Background(), q)
	}
	t.missing = nil
}
