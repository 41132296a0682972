package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/sahayak/sahayak/internal/audit"
)

var _ audit.Store = (*DB)(nil)

// appendAudit inserts entries inside a write transaction and sets their ids.
func appendAudit(ctx context.Context, q querier, entries []audit.Entry) error {
	for i := range entries {
		e := &entries[i]
		data := string(e.Data)
		if data == "" {
			data = "{}"
		}
		if err := q.QueryRowContext(ctx, `INSERT INTO audit_log (action, actor_kind, actor_id, actor_name, target_kind,
			target_id, address, data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			e.Action, e.ActorKind, e.ActorID, e.ActorName, e.TargetKind, e.TargetID, e.Address, data,
			micros(e.CreatedAt)).Scan(&e.ID); err != nil {
			return fmt.Errorf("audit %s: %w", e.Action, err)
		}
	}
	return nil
}

// AppendAudit writes entries of an action that has no transaction of its own.
func (db *DB) AppendAudit(ctx context.Context, entries ...audit.Entry) error {
	return db.inTx(ctx, func(tx *txn) error { return appendAudit(ctx, tx, entries) })
}

// AuditEntries returns entries newest first (by id, which is the order they
// were written in).
func (db *DB) AuditEntries(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", len(args))))
	}
	if f.BeforeID > 0 {
		add("id < $?", f.BeforeID)
	}
	if f.ActorKind != "" {
		add("actor_kind = $?", f.ActorKind)
	}
	if f.ActorID != nil {
		add("actor_id = $?", *f.ActorID)
	}
	if strings.HasSuffix(f.Action, ".") {
		add("action LIKE $?", strings.TrimSuffix(f.Action, ".")+".%") // actions are [a-z_.]: nothing to escape
	} else if f.Action != "" {
		add("action = $?", f.Action)
	}
	if f.Since != nil {
		add("created_at >= $?", micros(*f.Since))
	}
	if f.Until != nil {
		add("created_at < $?", micros(*f.Until))
	}
	q := `SELECT id, action, actor_kind, actor_id, actor_name, target_kind, target_id, address, data, created_at FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	out := []audit.Entry{}
	for rows.Next() {
		var e audit.Entry
		var data string
		var at int64
		if err := rows.Scan(&e.ID, &e.Action, &e.ActorKind, &e.ActorID, &e.ActorName, &e.TargetKind, &e.TargetID,
			&e.Address, &data, &at); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		e.Data, e.CreatedAt = []byte(data), fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
