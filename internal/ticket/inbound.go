package ticket

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
)

// InboundMessage is a customer's message that a channel (mail) matched to
// an existing ticket. Its author is a contact found or created by address,
// who need not be the requester (a Cc'd colleague may answer).
type InboundMessage struct {
	From        Person // Email required
	Body        string
	BodyHTML    string
	Attachments []Attachment
	Within      Within
	// Automatic marks a machine's mail (an out-of-office answer, a list's
	// copy): it is kept on the ticket but reopens nothing, and its event
	// says "automatic" so that nothing answers it by itself.
	Automatic bool
}

// AddInbound adds a customer's message to a ticket as a channel received
// it: the acting user is the channel (the system), the author the contact.
// Like a customer's reply in the portal it reopens a pending, on-hold or
// solved ticket. A closed or merged ticket refuses it (EUNPROCESSABLE): the
// channel then opens a follow-up or follows the merge.
func (s *Service) AddInbound(ctx context.Context, id int64, in InboundMessage) (*Ticket, *Message, error) {
	a, err := actor(ctx, auth.TicketsCreate)
	if err != nil {
		return nil, nil, err
	}
	body, html, msg := Body(in.Body, in.BodyHTML)
	if msg.Key != "" {
		return nil, nil, desk.Invalid(desk.Fields{"body": msg})
	}
	email, err := people.NormalizeEmail(in.From.Email)
	if err != nil {
		return nil, nil, desk.Invalid(desk.Fields{"from": desk.M("invalid.email")})
	}
	name := strings.TrimSpace(in.From.Name)
	if n, msg := people.CleanName(name, 200); msg.Key != "" {
		name, _, _ = strings.Cut(email, "@")
	} else {
		name = n
	}
	var m *Message
	t, err := s.change(ctx, a, id, 0, func(tx Tx, t *Ticket, now time.Time) ([]event.Event, error) {
		c, err := tx.EnsureContact(ctx, email, name, now)
		if err != nil {
			return nil, err
		}
		m = &Message{TicketID: t.ID, AuthorKind: desk.ActorContact, AuthorID: c.ID, AuthorName: c.Name,
			BodyText: body, BodyHTML: html, CreatedAt: now, Attachments: in.Attachments}
		if err := tx.InsertMessage(ctx, m); err != nil {
			return nil, err
		}
		data := map[string]any{"message_id": m.ID, "internal": false, "author_kind": desk.ActorContact, "author_id": c.ID}
		if in.Automatic {
			data["automatic"] = true
		}
		evs := []event.Event{event.New(event.MessageAdded, t.ID, data)}
		if !in.Automatic && slices.Contains([]string{CategoryPending, CategoryOnHold, CategorySolved}, t.StatusCategory) {
			evs = append(evs, event.New(event.FieldChanged, t.ID, event.Change{Field: "status", Old: t.Status, New: CategoryOpen}))
			setStatus(t, Status{Name: CategoryOpen, Category: CategoryOpen}, now)
		}
		if in.Within != nil {
			more, err := in.Within(ctx, tx, t, m)
			if err != nil {
				return nil, err
			}
			evs = append(evs, more...)
		}
		return evs, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return t, m, nil
}
