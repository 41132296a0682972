package store

import (
	"context"
	"fmt"
	"time"
)

// BulkMessage is a message written by LoadMessages.
type BulkMessage struct {
	TicketID   int64
	AuthorKind string // "contact" or "agent"
	AuthorID   int64
	Internal   bool
	Body       string
	CreatedAt  time.Time
}

// LoadMessages writes messages in one transaction, without events or
// ticket changes: for scale tests (search benchmarks), which need threads
// longer than seed --tickets writes. Callers keep batches to a few
// thousand rows so that no write transaction is held long.
func (db *DB) LoadMessages(ctx context.Context, msgs []BulkMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	return db.inTx(ctx, func(tx *txn) error {
		if db.SQLitePath != "" {
			for _, m := range msgs {
				if _, err := tx.ExecContext(ctx, `INSERT INTO messages (ticket_id, author_kind, author_id, internal, body_text, created_at)
					VALUES ($1, $2, $3, $4, $5, $6)`, m.TicketID, m.AuthorKind, m.AuthorID, m.Internal, m.Body, micros(m.CreatedAt)); err != nil {
					return fmt.Errorf("load messages: %w", err)
				}
			}
			return nil
		}
		n := len(msgs)
		tickets, authors, created := make([]int64, n), make([]int64, n), make([]int64, n)
		kinds, bodies, internal := make([]string, n), make([]string, n), make([]bool, n)
		for i, m := range msgs {
			tickets[i], kinds[i], authors[i], internal[i], bodies[i], created[i] = m.TicketID, m.AuthorKind, m.AuthorID, m.Internal, m.Body, micros(m.CreatedAt)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO messages (ticket_id, author_kind, author_id, internal, body_text, created_at)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::boolean[], $5::text[], $6::bigint[])`,
			tickets, kinds, authors, internal, bodies, created)
		if err != nil {
			return fmt.Errorf("load messages: %w", err)
		}
		return nil
	})
}
