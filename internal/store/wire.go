package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sahayak/sahayak/internal/event"
)

// The wire between nodes on PostgreSQL: LISTEN/NOTIFY on a channel named
// for the schema, so that desks sharing one database in different schemas
// (tests do) do not hear each other. It carries events that are never
// stored; stored events reach other nodes through the relay, which reads the
// table and so misses nothing.
var _ event.Wire = (*Wire)(nil)

// Wire is event.Wire over PostgreSQL.
type Wire struct{ db *DB }

// Wire returns the node-to-node wire, or nil on SQLite (one node).
func (db *DB) Wire() *Wire {
	if db.URL == "" {
		return nil
	}
	return &Wire{db: db}
}

// channelSQL names the channel of the connection's schema.
const channelSQL = `'sahayak_live:' || current_schema()`

// Send notifies every listener of the schema's channel.
func (w *Wire) Send(ctx context.Context, payload string) error {
	if _, err := w.db.write.ExecContext(ctx, `SELECT pg_notify(`+channelSQL+`, $1)`, payload); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// Listen holds a connection of its own (outside the pool, so the pool's
// size stays what it says) listening on the schema's channel.
func (w *Wire) Listen(ctx context.Context, listening func(), got func(payload string)) error {
	conn, err := pgx.Connect(ctx, w.db.URL)
	if err != nil {
		return fmt.Errorf("listen: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var channel string
	if err := conn.QueryRow(ctx, `SELECT `+channelSQL).Scan(&channel); err != nil {
		return fmt.Errorf("listen: channel: %w", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen %s: %w", channel, err)
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("listen %s: %w", channel, err)
		}
		got(n.Payload)
	}
}
