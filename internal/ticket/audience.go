package ticket

import (
	"context"

	"github.com/sahayak/sahayak/internal/event"
)

// Audience names who may hear of a change to the ticket on the event bus,
// by the rule of Scope.Sees: agents who see every ticket, its assignee, and
// its team's members, or every agent while no team has it.
func (t *Ticket) Audience() []event.Key {
	keys := make([]event.Key, 0, 4)
	keys = append(keys, event.AllTickets)
	if t.TeamID == nil {
		keys = append(keys, event.Unteamed)
	} else {
		keys = append(keys, event.Team(*t.TeamID))
	}
	if t.AssigneeID != nil {
		keys = append(keys, event.Agent(*t.AssigneeID))
	}
	if t.OrganizationID != nil {
		keys = append(keys, event.Account(*t.OrganizationID))
	}
	return keys
}

// Keys names the audiences (see Ticket.Audience) whose events an agent
// within the scope may hear; a nil scope hears every ticket's.
func (s *Scope) Keys() []event.Key {
	if s == nil {
		return []event.Key{event.AllTickets}
	}
	if s.RequesterID != 0 {
		return nil
	}
	keys := []event.Key{event.Agent(s.AgentID)}
	if !s.Accounts || len(s.TeamIDs) > 0 {
		keys = append(keys, event.Unteamed)
	}
	for _, id := range s.TeamIDs {
		keys = append(keys, event.Team(id))
	}
	for _, id := range s.AccountIDs {
		keys = append(keys, event.Account(id))
	}
	return keys
}

// AudienceReader reads what Audience needs of tickets: their team and
// assignee, for each of ids that names a ticket.
type AudienceReader interface {
	TicketAudiences(ctx context.Context, ids []int64) (map[int64]*Ticket, error)
}

// Address sets the audience of events read back from the events table
// (committed on another node): a ticket's event is for whoever may see the
// ticket as it is now; an event about no ticket (a contact, an agent, a
// team) is for no live view, only for subscribers to every event. An event
// whose ticket is gone keeps no audience; a live stream then asks the ticket
// itself.
func Address(ctx context.Context, r AudienceReader, evs []event.Event) error {
	var ids []int64
	for i, e := range evs {
		switch {
		case e.To != nil:
		case e.TicketID == 0:
			evs[i].To = []event.Key{}
		default:
			ids = append(ids, e.TicketID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	tickets, err := r.TicketAudiences(ctx, ids)
	if err != nil {
		return err
	}
	for i := range evs {
		if t := tickets[evs[i].TicketID]; t != nil && evs[i].To == nil {
			evs[i].To = t.Audience()
		}
	}
	return nil
}
