package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sahayak/sahayak/internal/event"
)

func (db *DB) queryEvents(ctx context.Context, where string, args ...any) ([]event.Event, error) {
	return scanEvents(ctx, db.read, where, args...)
}

// scanEvents reads events with q (a transaction or the readers).
func scanEvents(ctx context.Context, q querier, where string, args ...any) ([]event.Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, COALESCE(ticket_id, 0), kind, actor_kind, actor_id, data, created_at
		FROM events `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	out := []event.Event{}
	for rows.Next() {
		var e event.Event
		var data string
		var created int64
		if err := rows.Scan(&e.ID, &e.TicketID, &e.Kind, &e.ActorKind, &e.ActorID, &data, &created); err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		e.Data, e.CreatedAt = []byte(data), fromMicros(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// EventsAfter returns up to limit committed events that come after the event
// afterID (0: from the start) in reading order. Durable consumers read this
// from their stored cursor and store the id of the last event they handled:
// no event that commits later comes before it, so none is skipped. The
// order is the id order on SQLite; on PostgreSQL it is the order of the
// writing transactions, in which ids may go down (see dialect.eventsAfter).
func (db *DB) EventsAfter(ctx context.Context, afterID int64, limit int) ([]event.Event, error) {
	// Every consumer reads this several times a second under load; with a
	// bound LIMIT PostgreSQL planned it anew each time (0.8 ms of planning).
	return db.queryEvents(ctx, db.dialect.eventsAfter()+" LIMIT "+limitOf(limit), afterID)
}

// EventCursor returns where a durable consumer stopped reading (0 at first).
func (db *DB) EventCursor(ctx context.Context, consumer string) (int64, error) {
	var id int64
	err := db.read.QueryRowContext(ctx, `SELECT event_id FROM event_cursors WHERE consumer = $1`, consumer).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("event cursor %s: %w", consumer, err)
	}
	return id, nil
}

// SetEventCursor records where a durable consumer stopped reading: the id of
// the last event it handled. A cursor never moves back in reading order.
func (db *DB) SetEventCursor(ctx context.Context, consumer string, eventID int64) error {
	_, err := db.exec(ctx, `INSERT INTO event_cursors (consumer, event_id) VALUES ($1, $2)
		ON CONFLICT (consumer) DO UPDATE SET event_id = excluded.event_id
		WHERE `+db.dialect.eventsBefore("event_cursors.event_id", "excluded.event_id"), consumer, eventID)
	if err != nil {
		return fmt.Errorf("event cursor %s: %w", consumer, err)
	}
	return nil
}

// LastEventID returns the id of the committed event that comes last in
// reading order (0 when there is none): a consumer whose cursor is set there
// starts from now.
func (db *DB) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	if err := db.read.QueryRowContext(ctx, db.dialect.lastEvent()).Scan(&id); err != nil {
		return 0, fmt.Errorf("last event: %w", err)
	}
	return id, nil
}

// ConsumersBehind names the durable consumers whose cursor is not at the
// last committed event: none once every consumer has caught up. Benchmarks
// wait for it so that catch-up work after a bulk load is not timed as page
// work; an operator can read it as the backlog's owners.
func (db *DB) ConsumersBehind(ctx context.Context) ([]string, error) {
	last, err := db.LastEventID(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT consumer FROM event_cursors WHERE event_id <> $1 ORDER BY consumer`, last)
	if err != nil {
		return nil, fmt.Errorf("consumers behind: %w", err)
	}
	defer rows.Close()
	var behind []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("consumers behind: %w", err)
		}
		behind = append(behind, c)
	}
	return behind, rows.Err()
}
