package ticket

import (
	"context"
	"slices"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

// MaxBulk is the most tickets one bulk action takes: a page of the list.
const MaxBulk = 100

// BulkChange is what a bulk action does to each ticket it names: the
// properties of a Patch an agent may set for many tickets at once, or a
// merge into one ticket (which goes alone).
type BulkChange struct {
	Status     *string
	Priority   *string
	TeamID     *int64 // 0 takes the ticket out of every team's queue
	AssigneeID *int64 // 0 unassigns
	AddTags    []string
	RemoveTags []string
	// MergeInto, when not 0, merges every ticket into this one.
	MergeInto int64
}

// What became of one ticket of a bulk action.
const (
	BulkUpdated   = "updated"   // changed (merged, for a merge)
	BulkUnchanged = "unchanged" // already as asked
	BulkSkipped   = "skipped"   // refused; Err says why
)

// BulkResult is the outcome for one ticket.
type BulkResult struct {
	ID      int64
	Outcome string
	// Err is why the ticket was skipped: not found (or out of the agent's
	// scope, which looks the same), closed or merged, or a change the
	// ticket refuses (an assignee outside its team).
	Err error
}

// Bulk applies one change to many tickets, each in its own transaction with
// the events an edit of that ticket alone would record, so that a ticket is
// changed whole or not at all and one refused ticket holds back no other.
// A change that is itself wrong (an unknown status, nothing to do, more than
// MaxBulk tickets) refuses the whole action with EINVALID before any ticket
// is touched; a ticket that cannot take it is skipped and reported.
func (s *Service) Bulk(ctx context.Context, ids []int64, c BulkChange) ([]BulkResult, error) {
	a, err := actor(ctx, auth.TicketsUpdate)
	if err != nil {
		return nil, err
	}
	if c.MergeInto != 0 && !a.Can(auth.TicketsMerge) {
		return nil, desk.E(desk.EFORBIDDEN, "error.forbidden", auth.TicketsMerge)
	}
	ids, err = bulkIDs(ids)
	if err != nil {
		return nil, err
	}
	apply, err := s.checkBulk(ctx, c)
	if err != nil {
		return nil, err
	}
	out := make([]BulkResult, 0, len(ids))
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, err // nobody is waiting for the rest; what is done is done whole
		}
		res := BulkResult{ID: id, Outcome: BulkUpdated}
		if c.MergeInto != 0 {
			_, err = s.Merge(ctx, id, c.MergeInto)
		} else {
			changed := false
			_, err = s.change(ctx, a, id, 0, func(tx Tx, t *Ticket, now time.Time) ([]event.Event, error) {
				evs, err := apply(tx, t, now)
				changed = len(evs) > 0
				return evs, err
			})
			if err == nil && !changed {
				res.Outcome = BulkUnchanged
			}
		}
		if err != nil {
			res.Outcome, res.Err = BulkSkipped, err
		}
		out = append(out, res)
	}
	return out, nil
}

// bulkIDs checks the tickets of a bulk action: 1 to MaxBulk ids, each
// positive; repeats are dropped, keeping the first.
func bulkIDs(ids []int64) ([]int64, error) {
	switch {
	case len(ids) == 0:
		return nil, desk.Invalid(desk.Fields{"ids": desk.M("bulk.none")})
	case len(ids) > MaxBulk:
		return nil, desk.Invalid(desk.Fields{"ids": desk.M("bulk.max", MaxBulk)})
	}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id <= 0 {
			return nil, desk.Invalid(desk.Fields{"ids": desk.M("invalid.id")})
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// checkBulk validates the change once, before any ticket: what it sets must
// exist, and a merge goes alone into a ticket the agent can see.
func (s *Service) checkBulk(ctx context.Context, c BulkChange) (func(tx Tx, t *Ticket, now time.Time) ([]event.Event, error), error) {
	sets := c.Status != nil || c.Priority != nil || c.TeamID != nil || c.AssigneeID != nil || len(c.AddTags) > 0 || len(c.RemoveTags) > 0
	switch {
	case c.MergeInto != 0 && sets:
		return nil, desk.Invalid(desk.Fields{"merge_into_id": desk.M("bulk.merge_alone")})
	case c.MergeInto < 0:
		return nil, desk.Invalid(desk.Fields{"merge_into_id": desk.M("invalid.id")})
	case c.MergeInto != 0:
		if _, err := s.Get(ctx, c.MergeInto); desk.ErrorCode(err) == desk.ENOTFOUND {
			return nil, desk.Invalid(desk.Fields{"merge_into_id": desk.M("invalid.no_ticket")})
		} else if err != nil {
			return nil, err
		}
		return nil, nil
	case !sets:
		return nil, desk.E(desk.EINVALID, "bulk.nothing")
	}
	// Team and assignee must exist (and go together) whichever ticket they
	// meet; an assignee outside one ticket's team is that ticket's refusal.
	errs := desk.Fields{}
	if err := s.checkRouting(ctx, errs, c.TeamID, c.AssigneeID); err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	return s.checkPatch(ctx, Patch{Status: c.Status, Priority: c.Priority, TeamID: c.TeamID, AssigneeID: c.AssigneeID,
		AddTags: c.AddTags, RemoveTags: c.RemoveTags})
}
