package ticket

import (
	"context"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/event"
)

// Picker chooses an agent of the ticket's team inside the ticket's own
// transaction (the ticket row locked), so that what it counts — the agents'
// open tickets — and the assignment it makes commit together: two pickers
// never both see the same free slot. It answers 0 when nobody may take the
// ticket now, and a reason recorded in the assignment event.
type Picker func(ctx context.Context, tx Tx, t *Ticket) (agentID int64, reason string, err error)

// AutoAssign assigns an unassigned open ticket of a team to the agent pick
// chooses. A ticket already assigned, without a team, solved or closed is
// left as it is (nil events): the rule that called may have been overtaken.
func (s *Service) AutoAssign(ctx context.Context, id int64, pick Picker) (*Ticket, bool, error) {
	a, err := actor(ctx, auth.TicketsUpdate)
	if err != nil {
		return nil, false, err
	}
	assigned := false
	t, err := s.change(ctx, a, id, 0, func(tx Tx, t *Ticket, now time.Time) ([]event.Event, error) {
		if t.AssigneeID != nil || t.TeamID == nil || t.StatusCategory == CategorySolved {
			return nil, nil
		}
		agentID, reason, err := pick(ctx, tx, t)
		if err != nil || agentID == 0 {
			return nil, err
		}
		evs := []event.Event{event.New(event.Assigned, t.ID, map[string]any{"old": nil, "new": agentID, "rule": reason})}
		t.AssigneeID = &agentID
		if t.StatusCategory == CategoryNew {
			evs = append(evs, event.New(event.FieldChanged, t.ID, event.Change{Field: "status", Old: t.Status, New: CategoryOpen}))
			setStatus(t, Status{Name: CategoryOpen, Category: CategoryOpen}, now)
		}
		assigned = true
		return evs, nil
	})
	return t, assigned, err
}
