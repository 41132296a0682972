package people

import (
	"context"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

// journal gathers what a change writes beside itself: events for durable
// consumers (webhooks) and entries for the audit log.
type journal struct {
	ctx     context.Context
	s       *Service
	events  []event.Event
	entries []audit.Entry
}

// event records the thing as it is after the change (its JSON form).
func (j *journal) event(kind string, v any) {
	j.events = append(j.events, event.New(kind, 0, v))
}

func (j *journal) audit(action, targetKind string, targetID int64, data any) {
	j.entries = append(j.entries, audit.New(j.ctx, j.s.clock.Now(), action, targetKind, targetID, data))
}

// gone is the data of a deletion event.
type gone struct {
	ID int64 `json:"id"`
}

// change runs fn in one transaction and writes what it journalled there, so
// that the change, its events and its audit entries commit together.
func (s *Service) change(ctx context.Context, fn func(Tx, *journal) error) error {
	return s.store.InPeopleTx(ctx, func(tx Tx) error {
		j := &journal{ctx: ctx, s: s}
		if err := fn(tx, j); err != nil {
			return err
		}
		a, _ := desk.ActorFrom(ctx)
		now := s.clock.Now()
		for i := range j.events {
			j.events[i].ActorKind, j.events[i].ActorID, j.events[i].CreatedAt = a.Kind, a.ID, now
		}
		if err := tx.AppendEvents(ctx, j.events); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, j.entries...)
	})
}

// save runs one write and records one event of kind about v (read after the
// write, so a created thing has its id).
func (s *Service) save(ctx context.Context, kind string, v any, write func(Tx) error) error {
	return s.change(ctx, func(tx Tx, j *journal) error {
		if err := write(tx); err != nil {
			return err
		}
		j.event(kind, v)
		return nil
	})
}
