package store

import (
	"context"
	"errors"
	"fmt"
)

// Group commit. SQLite allows one writer and a commit costs a write of every
// page the transaction touched, so on SQLite concurrent write transactions
// queue for one goroutine that runs whatever is waiting in one transaction,
// each in its own savepoint, and commits them together. A transaction that
// fails rolls back to its savepoint and fails alone; the others commit. With
// nobody waiting, a transaction runs at once, as before.

// maxGroup bounds how many transactions share one commit, so that a long
// queue still commits often.
const maxGroup = 64

var errClosed = errors.New("store: database closed")

type writeJob struct {
	ctx  context.Context
	fn   func(*txn) error
	done chan error
}

// startGroupCommit starts the goroutine that owns SQLite writes.
func (db *DB) startGroupCommit() {
	db.group = make(chan *writeJob)
	db.closed = make(chan struct{})
	db.stopped = make(chan struct{})
	go func() {
		defer close(db.stopped)
		for {
			select {
			case <-db.closed:
				return
			case first := <-db.group:
				batch := []*writeJob{first}
			drain:
				for len(batch) < maxGroup {
					select {
					case j := <-db.group:
						batch = append(batch, j)
					default:
						break drain
					}
				}
				db.runGroup(batch)
			}
		}
	}()
}

// stopGroupCommit stops the writer goroutine after its current group.
func (db *DB) stopGroupCommit() {
	if db.group != nil {
		close(db.closed)
		<-db.stopped
	}
}

// submit hands fn to the writer goroutine and waits for its outcome.
func (db *DB) submit(ctx context.Context, fn func(*txn) error) error {
	j := &writeJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.group <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.closed:
		return errClosed
	}
	// Once taken, a job always reports: its transaction may commit even
	// if the caller stops waiting, so the caller must hear how it ended.
	return <-j.done
}

// runGroup runs the jobs in one transaction.
func (db *DB) runGroup(batch []*writeJob) {
	if len(batch) == 1 {
		j := batch[0]
		j.done <- db.runTx(j.ctx, j.fn, false)
		return
	}
	ctx := context.Background()
	results := make([]error, len(batch))
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		for _, j := range batch {
			j.done <- fmt.Errorf("begin: %w", db.mapErr(err))
		}
		return
	}
	// A caller that gives up must not interrupt the shared transaction
	// (SQLite rolls all of it back on an interrupted write).
	tx.detached = true
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		results[i] = db.inSavepoint(ctx, tx, j.fn)
	}
	if err := tx.Commit(); err != nil {
		err = fmt.Errorf("commit: %w", db.mapErr(err))
		for i := range results {
			if results[i] == nil {
				results[i] = err
			}
		}
	}
	for i, j := range batch {
		j.done <- results[i]
	}
}

// inSavepoint runs fn so that its failure undoes only its own writes.
func (db *DB) inSavepoint(ctx context.Context, tx *txn, fn func(*txn) error) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT job"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(tx); err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO job"); rerr != nil {
			return errors.Join(db.mapErr(err), rerr)
		}
		_, _ = tx.ExecContext(ctx, "RELEASE job")
		return db.mapErr(err)
	}
	if _, err := tx.ExecContext(ctx, "RELEASE job"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}
