package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/webhook"
)

var _ webhook.Store = (*DB)(nil)

// Event returns one event.
func (db *DB) Event(ctx context.Context, id int64) (event.Event, error) {
	evs, err := db.queryEvents(ctx, `WHERE id = $1`, id)
	if err != nil {
		return event.Event{}, err
	}
	if len(evs) == 0 {
		return event.Event{}, desk.E(desk.ENOTFOUND, "error.event_not_found", id)
	}
	return evs[0], nil
}

const webhookColumns = `id, url, description, events, secret, active, disabled_reason, failures, failing_since, version,
	created_at, updated_at FROM webhooks`

func scanWebhooks(ctx context.Context, q querier, where string, args ...any) ([]*webhook.Webhook, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+webhookColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	defer rows.Close()
	out := []*webhook.Webhook{}
	for rows.Next() {
		var w webhook.Webhook
		var events string
		var since sql.NullInt64
		var c, u int64
		if err := rows.Scan(&w.ID, &w.URL, &w.Description, &events, &w.Secret, &w.Active, &w.DisabledReason,
			&w.Failures, &since, &w.Version, &c, &u); err != nil {
			return nil, fmt.Errorf("webhooks: %w", err)
		}
		if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
			return nil, fmt.Errorf("webhook %d events: %w", w.ID, err)
		}
		w.FailingSince, w.CreatedAt, w.UpdatedAt = fromNullMicros(since), fromMicros(c), fromMicros(u)
		out = append(out, &w)
	}
	return out, rows.Err()
}

// Webhooks lists every webhook by id.
func (db *DB) Webhooks(ctx context.Context) ([]*webhook.Webhook, error) {
	return scanWebhooks(ctx, db.read, `ORDER BY id`)
}

// Webhook returns one webhook.
func (db *DB) Webhook(ctx context.Context, id int64) (*webhook.Webhook, error) {
	list, err := scanWebhooks(ctx, db.read, `WHERE id = $1`, id)
	return one(list, err, desk.M("error.webhook_not_found", id))
}

// CreateWebhook inserts a webhook and its audit entry.
func (db *DB) CreateWebhook(ctx context.Context, w *webhook.Webhook, log audit.Entry) error {
	return db.inTx(ctx, func(tx *txn) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO webhooks (url, description, events, secret, active, version,
			created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING id`, w.URL, w.Description,
			marshal(w.Events), w.Secret, w.Active, micros(w.CreatedAt), micros(w.UpdatedAt)).Scan(&w.ID); err != nil {
			return fmt.Errorf("insert webhook: %w", err)
		}
		w.Version = 1
		log.TargetID = w.ID
		return appendAudit(ctx, tx, []audit.Entry{log})
	})
}

// UpdateWebhook writes a webhook still at w.Version and its audit entry
// (ESTALE with the current version when another write came first).
func (db *DB) UpdateWebhook(ctx context.Context, w *webhook.Webhook, log audit.Entry) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET url = $2, description = $3, events = $4, secret = $5,
			active = $6, disabled_reason = $7, failures = $8, failing_since = $9, updated_at = $10, version = version + 1
			WHERE id = $1 AND version = $11`, w.ID, w.URL, w.Description, marshal(w.Events), w.Secret, w.Active,
			w.DisabledReason, w.Failures, nullMicros(w.FailingSince), micros(w.UpdatedAt), w.Version)
		if err := bumped(&w.Version, versioned(ctx, tx, res, err, "webhooks", w.ID,
			desk.M("error.webhook_not_found", w.ID))); err != nil {
			return err
		}
		return appendAudit(ctx, tx, []audit.Entry{log})
	})
}

// DeleteWebhook removes a webhook (and its delivery log), if it is at
// ifVersion (0: any), and writes its audit entry.
func (db *DB) DeleteWebhook(ctx context.Context, id, ifVersion int64, log audit.Entry) error {
	return db.inTx(ctx, func(tx *txn) error {
		q, args := withVersion(`DELETE FROM webhooks WHERE id = $1`, id, ifVersion)
		res, err := tx.ExecContext(ctx, q, args...)
		if err := versioned(ctx, tx, res, err, "webhooks", id, desk.M("error.webhook_not_found", id)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, []audit.Entry{log})
	})
}

// RecordDelivery stores an attempt and moves the webhook's failure streak:
// a success ends it, a failure counts on from the first failure's time.
func (db *DB) RecordDelivery(ctx context.Context, d *webhook.Delivery) (*webhook.Webhook, error) {
	var w *webhook.Webhook
	err := db.inTx(ctx, func(tx *txn) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, attempt,
			status_code, duration_ms, error, ok, replay, created_at)
			SELECT $1, $2, $3, COALESCE(MAX(attempt), 0) + 1, $4, $5, $6, $7, $8, $9
			FROM webhook_deliveries WHERE webhook_id = $1 AND event_id = $2 RETURNING id, attempt`,
			d.WebhookID, d.EventID, d.EventType, d.StatusCode, d.DurationMS, d.Error, d.OK, d.Replay,
			micros(d.CreatedAt)).Scan(&d.ID, &d.Attempt); err != nil {
			return fmt.Errorf("record delivery: %w", err)
		}
		var err error
		if d.OK {
			_, err = tx.ExecContext(ctx, `UPDATE webhooks SET failures = 0, failing_since = NULL WHERE id = $1`, d.WebhookID)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE webhooks SET failures = failures + 1,
				failing_since = COALESCE(failing_since, $2) WHERE id = $1`, d.WebhookID, micros(d.CreatedAt))
		}
		if err != nil {
			return fmt.Errorf("webhook %d failures: %w", d.WebhookID, err)
		}
		list, err := scanWebhooks(ctx, tx, `WHERE id = $1`, d.WebhookID)
		w, err = one(list, err, desk.M("error.webhook_not_found", d.WebhookID))
		return err
	})
	return w, err
}

// DisableWebhook turns an active webhook off with its event and audit entry.
func (db *DB) DisableWebhook(ctx context.Context, id int64, reason string, e event.Event, log audit.Entry) (bool, error) {
	done := false
	err := db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET active = FALSE, disabled_reason = $2, updated_at = $3,
			version = version + 1 WHERE id = $1 AND active = TRUE`, id, reason, micros(e.CreatedAt))
		if err != nil {
			return fmt.Errorf("disable webhook %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		done = true
		if err := db.appendEvents(ctx, tx, []event.Event{e}); err != nil {
			return err
		}
		return appendAudit(ctx, tx, []audit.Entry{log})
	})
	return done, err
}

const deliveryColumns = `id, webhook_id, event_id, event_type, attempt, status_code, duration_ms, error, ok, replay,
	created_at FROM webhook_deliveries`

func (db *DB) scanDeliveries(ctx context.Context, where string, args ...any) ([]*webhook.Delivery, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+deliveryColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("deliveries: %w", err)
	}
	defer rows.Close()
	out := []*webhook.Delivery{}
	for rows.Next() {
		var d webhook.Delivery
		var c int64
		if err := rows.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &d.Attempt, &d.StatusCode, &d.DurationMS,
			&d.Error, &d.OK, &d.Replay, &c); err != nil {
			return nil, fmt.Errorf("deliveries: %w", err)
		}
		d.CreatedAt = fromMicros(c)
		out = append(out, &d)
	}
	return out, rows.Err()
}

// Deliveries returns a webhook's attempts newest first.
func (db *DB) Deliveries(ctx context.Context, webhookID, beforeID int64, limit int) ([]*webhook.Delivery, error) {
	if beforeID <= 0 {
		return db.scanDeliveries(ctx, `WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2`, webhookID, limit)
	}
	return db.scanDeliveries(ctx, `WHERE webhook_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, webhookID, beforeID, limit)
}

// Delivery returns one attempt of a webhook.
func (db *DB) Delivery(ctx context.Context, webhookID, id int64) (*webhook.Delivery, error) {
	list, err := db.scanDeliveries(ctx, `WHERE webhook_id = $1 AND id = $2`, webhookID, id)
	return one(list, err, desk.M("error.delivery_not_found", id))
}
