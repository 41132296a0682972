// Package jobs is Sahayak's durable background job queue: a thin wrapper
// around River (github.com/riverqueue/river) that runs on either of the two
// databases the product supports, so callers never touch River or a driver.
//
// Usage:
//
//	q, err := jobs.New(ctx, cfg)                // after jobs.Migrate(ctx, cfg)
//	err = jobs.AddWorker(q, sendNotification, jobs.MaxAttempts(10))
//	err = q.Start(ctx)                          // defer q.Stop(shutdownCtx)
//	_, err = q.Enqueue(ctx, NotifyArgs{Event: 42, Agent: 7}, jobs.Unique("notify:event=42:agent=7"))
//
// Job args are plain JSON-encodable structs with a `Kind() string` method
// (value receiver); the kind is stored in the database, so never rename it.
//
// Jobs are at-least-once: a handler that returns an error is retried with
// River's exponential backoff until its kind's MaxAttempts is used up, then the
// job is discarded. Handlers must therefore be idempotent.
//
// # SQLite
//
// Config.SQLite must be a *sql.DB dedicated to the queue: open the data file a
// second time with the app's DSN (busy_timeout, WAL, _txlock=immediate). New
// and Migrate call SetMaxOpenConns(1) on it, which is what River's SQLite
// driver documents and its own test suite does: River runs many internal
// operations concurrently and several SQLite connections of one process would
// fight over the write lock with SQLITE_BUSY. One connection serialises River
// inside the pool, and busy_timeout makes River and the app's own writer
// connection wait for each other instead of failing with "database is locked";
// New refuses a handle without busy_timeout. _txlock=immediate matters too: a
// deferred transaction that reads and then writes gets SQLITE_BUSY at once,
// without waiting, when another connection wrote in between. A separate handle
// (rather than the app's) keeps River's connection limit off the app's pool.
//
// SQLite has no LISTEN/NOTIFY; River emulates it by polling an outbox table
// every 50 ms. We run River in poll-only mode instead, so the queue reads the
// file only every Config.PollInterval (default 1 s): new jobs start within
// about a second, which is plenty for help-desk notifications.
//
// # PostgreSQL
//
// The queue opens its own pgx pool from Config.PostgresURL and uses
// LISTEN/NOTIFY, so jobs usually start at once. Config.Schema puts River's
// tables in a schema (which must exist); River qualifies every table name with
// it, so search_path is left alone.
package jobs

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Config selects the database and tunes the queue. Exactly one of SQLite and
// PostgresURL must be set.
type Config struct {
	// SQLite is an open handle to the data file (store.SQLiteDriver, or any
	// database/sql SQLite driver), dedicated to the queue (see the package doc).
	SQLite *sql.DB
	// PostgresURL is a pgx connection string; the queue opens its own pool.
	PostgresURL string
	// Schema is an optional PostgreSQL schema for River's tables (tests use a
	// fresh one each). Not supported with SQLite.
	Schema string
	// Logger receives River's logs; nil means slog.Default().
	Logger *slog.Logger
	// MaxWorkers bounds how many jobs run at once in this process; default 4.
	MaxWorkers int
	// PollInterval is how often the queue looks for due jobs (new jobs on
	// SQLite, retries and missed notifications on PostgreSQL); default 1 s.
	PollInterval time.Duration
	// RetryBackoff, if set, replaces River's exponential backoff (about
	// attempt^4 seconds) with a delay computed from the attempt that just
	// failed (1-based). Tests use it to retry within milliseconds.
	RetryBackoff func(attempt int) time.Duration
}

// Args is what a job carries: a JSON-encodable struct with a Kind method.
type Args = river.JobArgs

// uniqueKeyMeta is the metadata field carrying a caller's unique key from
// Enqueue to uniqueKeyMiddleware; it also stays visible on the stored job.
const uniqueKeyMeta = "jobs_unique_key"

// Queue registers workers, inserts jobs and works them. Build it with New,
// add workers, then Start; Enqueue works whether or not the queue is started.
type Queue struct {
	cfg         Config
	pool        *pgxpool.Pool // owned; nil on SQLite
	workers     *river.Workers
	maxAttempts map[string]int // per kind, from AddWorker
	periodic    []*river.PeriodicJob

	mu     sync.Mutex
	client riverClient // built on first Start or Enqueue, then workers are frozen
}

// riverClient is the TTx-independent part of *river.Client that we use, so the
// SQLite (*sql.Tx) and PostgreSQL (pgx.Tx) clients fit in one field.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Migrate brings River's tables up to the latest version. It is idempotent and
// meant to run on every start, before New.
func Migrate(ctx context.Context, cfg Config) error {
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	mcfg := &rivermigrate.Config{Logger: cfg.logger(), Schema: cfg.Schema}
	var err error
	if cfg.SQLite != nil {
		if err = prepareSQLite(ctx, cfg.SQLite, cfg.logger()); err != nil {
			return fmt.Errorf("jobs: migrate: %w", err)
		}
		var m *rivermigrate.Migrator[*sql.Tx]
		if m, err = rivermigrate.New(riversqlite.New(cfg.SQLite), mcfg); err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	} else {
		pool, perr := pgxpool.New(ctx, cfg.PostgresURL)
		if perr != nil {
			return fmt.Errorf("jobs: migrate: open postgres: %w", perr)
		}
		defer pool.Close()
		m, merr := rivermigrate.New(riverpgxv5.New(pool), mcfg)
		if err = merr; err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	}
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// New prepares a queue. On PostgreSQL it opens a connection pool, which Stop
// closes, so call Stop even on a queue that was never started.
func New(ctx context.Context, cfg Config) (*Queue, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("jobs: new: %w", err)
	}
	q := &Queue{cfg: cfg, workers: river.NewWorkers(), maxAttempts: map[string]int{}}
	if cfg.SQLite != nil {
		if err := prepareSQLite(ctx, cfg.SQLite, cfg.logger()); err != nil {
			return nil, fmt.Errorf("jobs: new: %w", err)
		}
		return q, nil
	}
	pool, err := pgxpool.New(ctx, cfg.PostgresURL)
	if err != nil {
		return nil, fmt.Errorf("jobs: new: open postgres: %w", err)
	}
	q.pool = pool
	return q, nil
}

// WorkerOption tunes how jobs of one kind are run.
type WorkerOption func(*workerOpts)

type workerOpts struct {
	maxAttempts int
	timeout     time.Duration
}

// MaxAttempts caps the total number of runs (first run plus retries) of the
// worker's kind before the job is discarded. River's default is 25.
func MaxAttempts(n int) WorkerOption { return func(o *workerOpts) { o.maxAttempts = n } }

// Timeout gives each run of the worker's kind d before its context ends,
// instead of the queue's default of a minute: a job whose work is bounded
// by several steps' own timeouts must not be cut off between two steps
// (a run cut off after handing mail over, say, would hand it over again).
func Timeout(d time.Duration) WorkerOption { return func(o *workerOpts) { o.timeout = d } }

// funcWorker runs a function as a River worker with its kind's timeout.
type funcWorker[T Args] struct {
	river.WorkerDefaults[T]
	handle  func(ctx context.Context, args T) error
	timeout time.Duration
}

func (w *funcWorker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	return w.handle(ctx, job.Args)
}

// Timeout is the run's time; zero leaves the queue's default.
func (w *funcWorker[T]) Timeout(*river.Job[T]) time.Duration { return w.timeout }

// AddWorker registers handle as the code that runs jobs of kind T. It must be
// called before the queue is started or used to Enqueue, and once per kind.
// Every process that enqueues a kind must register it, which catches typos.
func AddWorker[T Args](q *Queue, handle func(ctx context.Context, args T) error, opts ...WorkerOption) error {
	var o workerOpts
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxAttempts < 0 {
		return errors.New("jobs: add worker: max attempts must not be negative")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.client != nil {
		// River reads the worker bundle when building its client; a late
		// worker would silently never run here.
		return errors.New("jobs: add worker: queue already in use")
	}
	if o.timeout < 0 {
		return errors.New("jobs: add worker: timeout must not be negative")
	}
	w := &funcWorker[T]{handle: handle, timeout: o.timeout}
	if err := river.AddWorkerSafely[T](q.workers, w); err != nil {
		return fmt.Errorf("jobs: add worker: %w", err)
	}
	var zero T
	if o.maxAttempts > 0 {
		q.maxAttempts[zero.Kind()] = o.maxAttempts
	}
	return nil
}

// Every makes the queue enqueue a job of args' kind every interval (and once
// at start), on one node only: River's elected leader. Like AddWorker it must
// be called before the queue is in use; the kind needs a worker.
func Every(q *Queue, interval time.Duration, args Args) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.client != nil {
		return errors.New("jobs: every: queue already in use")
	}
	q.periodic = append(q.periodic, river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return args, nil }, &river.PeriodicJobOpts{RunOnStart: true}))
	return nil
}

// EnqueueOption tunes one insertion.
type EnqueueOption func(*enqueueOpts)

type enqueueOpts struct{ uniqueKey string }

// Unique makes the insertion idempotent: while a job of the same kind and key
// is waiting, running, retrying or completed (completed jobs are kept 24 h),
// another Enqueue with that key inserts nothing and reports Duplicate.
// Cancelled and discarded jobs do not block a new one.
func Unique(key string) EnqueueOption {
	return func(o *enqueueOpts) { o.uniqueKey = key }
}

// Enqueued describes the outcome of Enqueue.
type Enqueued struct {
	ID        int64 // the new job, or the existing one when Duplicate
	Duplicate bool  // a job with the same unique key already existed
}

// Enqueue durably stores a job; it runs once a started queue picks it up, in
// this process or another one sharing the database.
func (q *Queue) Enqueue(ctx context.Context, args Args, opts ...EnqueueOption) (Enqueued, error) {
	c, err := q.riverClient()
	if err != nil {
		return Enqueued{}, fmt.Errorf("jobs: enqueue: %w", err)
	}
	var o enqueueOpts
	for _, opt := range opts {
		opt(&o)
	}
	ins, err := q.insertOpts(args, o.uniqueKey)
	if err != nil {
		return Enqueued{}, fmt.Errorf("jobs: enqueue: %w", err)
	}
	res, err := c.Insert(ctx, args, ins)
	if err != nil {
		return Enqueued{}, fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return Enqueued{ID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}, nil
}

// Job is one job of EnqueueMany; UniqueKey works as Unique does.
type Job struct {
	Args      Args
	UniqueKey string
}

// EnqueueMany stores jobs in one statement (one transaction): for work
// derived from a batch of events, one round trip instead of one per job.
func (q *Queue) EnqueueMany(ctx context.Context, jobs []Job) error {
	if len(jobs) == 0 {
		return nil
	}
	c, err := q.riverClient()
	if err != nil {
		return fmt.Errorf("jobs: enqueue: %w", err)
	}
	params := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		ins, err := q.insertOpts(j.Args, j.UniqueKey)
		if err != nil {
			return fmt.Errorf("jobs: enqueue: %w", err)
		}
		params[i] = river.InsertManyParams{Args: j.Args, InsertOpts: ins}
	}
	if _, err := c.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("jobs: enqueue %d %s: %w", len(jobs), jobs[0].Args.Kind(), err)
	}
	return nil
}

func (q *Queue) insertOpts(args Args, uniqueKey string) (*river.InsertOpts, error) {
	ins := &river.InsertOpts{MaxAttempts: q.maxAttempts[args.Kind()]}
	if uniqueKey != "" {
		// River has no "unique by this string" option. Ask for uniqueness by
		// kind with the default states, which makes River fill in the unique
		// states bitmask, and let uniqueKeyMiddleware replace the kind-only key
		// with one derived from the caller's key.
		ins.UniqueOpts = river.UniqueOpts{ByState: rivertype.UniqueOptsByStateDefault()}
		var err error
		if ins.Metadata, err = json.Marshal(map[string]string{uniqueKeyMeta: uniqueKey}); err != nil {
			return nil, err
		}
	}
	return ins, nil
}

// Start begins working jobs in background goroutines and returns. Jobs run
// with contexts derived from ctx, so cancelling ctx cancels running jobs; use
// a long-lived context and Stop for a graceful shutdown.
func (q *Queue) Start(ctx context.Context) error {
	c, err := q.riverClient()
	if err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop stops fetching jobs, waits for running ones to finish and releases the
// database pool; the queue cannot be used afterwards. If ctx ends first,
// running jobs' contexts are cancelled and Stop waits up to 5 s more for them.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	c := q.client
	q.mu.Unlock()
	if c != nil {
		if err := c.Stop(ctx); err != nil {
			hardCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if c.StopAndCancel(hardCtx) != nil {
				// Jobs are still using the pool; closing it would block.
				return fmt.Errorf("jobs: stop: jobs still running: %w", err)
			}
			q.closePool()
			return fmt.Errorf("jobs: stop: running jobs cancelled: %w", err)
		}
	}
	q.closePool()
	return nil
}

func (q *Queue) closePool() {
	if q.pool != nil {
		q.pool.Close()
	}
}

// riverClient builds the River client on first use. It is built once with
// queues configured so the same client serves Enqueue before Start.
func (q *Queue) riverClient() (riverClient, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.client != nil {
		return q.client, nil
	}
	poll := q.cfg.PollInterval
	if poll <= 0 {
		poll = time.Second
	}
	workers := q.cfg.MaxWorkers
	if workers <= 0 {
		workers = 4
	}
	rc := &river.Config{
		Logger:            q.cfg.logger(),
		Schema:            q.cfg.Schema,
		Workers:           q.workers,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}},
		FetchPollInterval: poll,
		FetchCooldown:     min(poll, 100*time.Millisecond), // River's default, but never above the poll interval
		PollOnly:          q.cfg.SQLite != nil,
		Middleware:        []rivertype.Middleware{&uniqueKeyMiddleware{}},
		PeriodicJobs:      q.periodic,
	}
	if q.cfg.RetryBackoff != nil {
		rc.RetryPolicy = backoffPolicy(q.cfg.RetryBackoff)
	}
	var (
		c   riverClient
		err error
	)
	if q.cfg.SQLite != nil {
		c, err = river.NewClient(riversqlite.New(q.cfg.SQLite), rc)
	} else {
		c, err = river.NewClient(riverpgxv5.New(q.pool), rc)
	}
	if err != nil {
		return nil, err
	}
	q.client = c
	return c, nil
}

// uniqueKeyMiddleware turns the key Enqueue stored in a job's metadata into
// River's unique key: a hash of the kind and the caller's key, prefixed so it
// cannot equal a key River derives itself.
type uniqueKeyMiddleware struct {
	river.JobInsertMiddlewareDefaults
}

func (m *uniqueKeyMiddleware) InsertMany(ctx context.Context, params []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	for _, p := range params {
		if p.UniqueKey == nil {
			continue
		}
		var meta map[string]any
		if err := json.Unmarshal(p.Metadata, &meta); err != nil {
			return nil, fmt.Errorf("unique key: %w", err)
		}
		if key, ok := meta[uniqueKeyMeta].(string); ok {
			sum := sha256.Sum256([]byte("sahayak-jobs&kind=" + p.Kind + "&key=" + key))
			p.UniqueKey = sum[:]
		}
	}
	return doInner(ctx)
}

// backoffPolicy adapts Config.RetryBackoff to River's retry policy interface.
type backoffPolicy func(attempt int) time.Duration

func (f backoffPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(f(job.Attempt))
}

// prepareSQLite applies the pool limit River's SQLite driver needs and
// refuses a handle that would turn lock contention into errors.
func prepareSQLite(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	db.SetMaxOpenConns(1)
	var busyMS int
	if err := db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busyMS); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if busyMS <= 0 {
		return errors.New("sqlite: handle needs a busy_timeout (DSN _busy_timeout=10000)")
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if mode != "wal" {
		log.WarnContext(ctx, "jobs: sqlite not in WAL mode; readers will block the queue", "journal_mode", mode)
	}
	return nil
}

func (c Config) validate() error {
	switch {
	case (c.SQLite == nil) == (c.PostgresURL == ""):
		return errors.New("exactly one of SQLite and PostgresURL must be set")
	case c.SQLite != nil && c.Schema != "":
		return errors.New("schema is only supported on postgres")
	}
	return nil
}

func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}
