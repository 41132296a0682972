package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/idempotency"
)

var _ idempotency.Store = (*DB)(nil)

// ClaimIdempotencyKey takes a key in one transaction: insert it, or take
// over an expired or stale record, or report the record that holds it.
func (db *DB) ClaimIdempotencyKey(ctx context.Context, rec idempotency.Record, staleBefore time.Time) (*idempotency.Record, error) {
	var held *idempotency.Record
	err := db.inTx(ctx, func(tx *txn) error {
		held = nil
		res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (owner, key, fingerprint, status, claimed_at, expires_at)
			VALUES ($1, $2, $3, 0, $4, $5) ON CONFLICT (owner, key) DO NOTHING`,
			rec.Owner, rec.Key, rec.Fingerprint, micros(rec.ClaimedAt), micros(rec.ExpiresAt))
		if err != nil {
			return fmt.Errorf("claim idempotency key: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		// Someone holds it; take it over if their record is expired or stale.
		// A claim whose request wrote something is never taken over: running
		// it again would write twice.
		res, err = tx.ExecContext(ctx, `UPDATE idempotency_keys SET fingerprint = $3, status = 0, headers = '{}', body = NULL,
			claimed_at = $4, expires_at = $5, written = FALSE
			WHERE owner = $1 AND key = $2 AND (expires_at <= $4 OR (status = 0 AND NOT written AND claimed_at < $6))`,
			rec.Owner, rec.Key, rec.Fingerprint, micros(rec.ClaimedAt), micros(rec.ExpiresAt), micros(staleBefore))
		if err != nil {
			return fmt.Errorf("take over idempotency key: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		held, err = idempotencyRecord(ctx, tx, rec)
		return err
	})
	return held, err
}

func idempotencyRecord(ctx context.Context, q querier, claim idempotency.Record) (*idempotency.Record, error) {
	owner, key := claim.Owner, claim.Key
	r := idempotency.Record{Owner: owner, Key: key}
	var headers string
	var claimed, expires int64
	err := q.QueryRowContext(ctx, `SELECT fingerprint, status, headers, body, claimed_at, expires_at, written
		FROM idempotency_keys WHERE owner = $1 AND key = $2`, owner, key).
		Scan(&r.Fingerprint, &r.Status, &headers, &r.Body, &claimed, &expires, &r.Written)
	if errors.Is(err, sql.ErrNoRows) {
		// Released between our insert and this read: as good as in flight,
		// and a retry will find it free.
		return &idempotency.Record{Owner: owner, Key: key, Fingerprint: claim.Fingerprint}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", err)
	}
	r.ClaimedAt, r.ExpiresAt = fromMicros(claimed), fromMicros(expires)
	if err := json.Unmarshal([]byte(headers), &r.Header); err != nil {
		return nil, fmt.Errorf("idempotency key headers: %w", err)
	}
	return &r, nil
}

// FinishIdempotencyKey stores the answer of a key this node claimed (and
// still holds).
func (db *DB) FinishIdempotencyKey(ctx context.Context, rec idempotency.Record) error {
	body := rec.Body
	if body == nil {
		body = []byte{}
	}
	_, err := db.exec(ctx, `UPDATE idempotency_keys SET status = $3, headers = $4, body = $5
		WHERE owner = $1 AND key = $2 AND fingerprint = $6 AND claimed_at = $7`,
		rec.Owner, rec.Key, rec.Status, marshal(rec.Header), body, rec.Fingerprint, micros(rec.ClaimedAt))
	if err != nil {
		return fmt.Errorf("finish idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey forgets this node's unfinished claim unless its
// request wrote something.
func (db *DB) ReleaseIdempotencyKey(ctx context.Context, rec idempotency.Record) (bool, error) {
	res, err := db.exec(ctx, `DELETE FROM idempotency_keys
		WHERE owner = $1 AND key = $2 AND status = 0 AND NOT written AND claimed_at = $3`,
		rec.Owner, rec.Key, micros(rec.ClaimedAt))
	if err != nil {
		return false, fmt.Errorf("release idempotency key: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// markClaimWritten marks, inside a write transaction, that the request
// holding ctx's claim wrote something; it fails the transaction when the
// claim is no longer that request's.
func markClaimWritten(ctx context.Context, tx *txn, rec idempotency.Record) error {
	res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET written = TRUE
		WHERE owner = $1 AND key = $2 AND claimed_at = $3 AND fingerprint = $4 AND status = 0`,
		rec.Owner, rec.Key, micros(rec.ClaimedAt), rec.Fingerprint)
	if err != nil {
		return fmt.Errorf("mark idempotency key written: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		if err != nil {
			return err
		}
		return desk.E(desk.EKEYINFLIGHT, "error.idempotency_key_in_use")
	}
	return nil
}

// PurgeIdempotencyKeys deletes expired records.
func (db *DB) PurgeIdempotencyKeys(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.exec(ctx, `DELETE FROM idempotency_keys WHERE expires_at <= $1`, micros(now))
	if err != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", err)
	}
	return res.RowsAffected()
}
