package ticket

import (
	"context"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
)

// Store persists tickets. Reads return a desk ENOTFOUND error for a missing
// ticket. Writes happen inside InTx so that a change and its events commit
// together or not at all.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	// OpenTicket writes a new ticket in one transaction of its own (see
	// Opening). It is not built from Tx's steps because on PostgreSQL it is
	// one statement: each step would be a round trip, and round trips were
	// most of a create's cost.
	OpenTicket(ctx context.Context, o *Opening) error
	Ticket(ctx context.Context, id int64) (*Ticket, error)
	Tickets(ctx context.Context, f Filter) (*Page, error)
	// ExportTickets calls fn with every ticket of the filter (its scope
	// included) in id order, reusing one row.
	ExportTickets(ctx context.Context, f Filter, fn func(*ExportRow) error) error
	Messages(ctx context.Context, ticketID int64, withInternal bool) ([]*Message, error)
	TicketEvents(ctx context.Context, ticketID int64) ([]event.Event, error)
	Links(ctx context.Context, ticketID int64) ([]Link, error)
	Followers(ctx context.Context, ticketID int64) ([]int64, error)
	Statuses(ctx context.Context) ([]Status, error)
	Fields(ctx context.Context) ([]Field, error)
	Tags(ctx context.Context) ([]string, error)
	// CountTickets counts the tickets of a filter, reading at most atMost.
	CountTickets(ctx context.Context, f Filter, atMost int) (int, error)
	// OpenLoad counts each active agent's assigned open tickets, at most
	// atMost each.
	OpenLoad(ctx context.Context, atMost int) (map[int64]int, error)
	// The ...Page reads return one page in keyset order (see desk.Page).
	MessagesPage(ctx context.Context, ticketID int64, withInternal bool, p desk.Page) ([]*Message, error)
	TicketEventsPage(ctx context.Context, ticketID int64, p desk.Page) ([]event.Event, error)
	LinksPage(ctx context.Context, ticketID int64, after *Link, limit int) ([]Link, error)
	StatusesPage(ctx context.Context, p desk.Page) ([]Status, error)
	FieldsPage(ctx context.Context, p desk.Page) ([]Field, error)
	TagsPage(ctx context.Context, p desk.Page) ([]string, error)
	// Attachment returns an attachment with the ticket and the note flag of
	// its message.
	Attachment(ctx context.Context, id int64) (a *Attachment, ticketID int64, internal bool, err error)
}

// Opening is what opening a ticket writes: the requester (found by email, or
// created), the ticket with its tags, its first message and its events.
type Opening struct {
	Email, Name string // the requester; Name only for a new contact
	Now         time.Time
	// Ticket gets its ID, Version, Requester and OrganizationID (the
	// requester's) from the store.
	Ticket *Ticket
	// Message gets its ID, TicketID, AuthorID and AuthorName.
	Message *Message
	// Events are the ticket's, ticket.created first; the store sets their
	// IDs and TicketID and completes the first one's data with the
	// "requester_id" and "message_id" fields (event.WithIDs).
	Events []event.Event
	// Contact is the requester as it was created, with its contact.created
	// event in ContactEvent (written before the ticket's), when the store
	// created one; nil when the email was known.
	Contact      *people.Contact
	ContactEvent event.Event
}

// Tx is the set of writes a ticket change may make within one transaction.
type Tx interface {
	// TicketForUpdate loads a ticket and locks it until the transaction ends.
	TicketForUpdate(ctx context.Context, id int64) (*Ticket, error)
	// InsertTicket inserts the ticket and its tag rows, adding its tags to
	// the catalog where missing, and sets its ID.
	InsertTicket(ctx context.Context, t *Ticket) error
	// SaveTicket writes every mutable column of t and its tag rows, if the
	// stored version is still t.Version (else ESTALE), and bumps t.Version.
	SaveTicket(ctx context.Context, t *Ticket) error
	InsertMessage(ctx context.Context, m *Message) error
	// OpenTicket writes a new ticket as Store.OpenTicket does, inside the
	// transaction.
	OpenTicket(ctx context.Context, o *Opening) error
	// AppendEvents inserts the events and sets their IDs.
	AppendEvents(ctx context.Context, evs []event.Event) error
	// EnsureContact finds the contact with the email or creates one (attached
	// to the organization owning the email's domain) and returns it.
	EnsureContact(ctx context.Context, email, name string, now time.Time) (*people.Contact, error)
	MoveMessages(ctx context.Context, fromTicketID, toTicketID int64) error
	InsertLink(ctx context.Context, l Link, now time.Time) error
	AddFollower(ctx context.Context, ticketID, agentID int64) error
	EnsureTags(ctx context.Context, tags []string, now time.Time) error
	InsertStatus(ctx context.Context, s Status) error
	InsertField(ctx context.Context, f *Field) error
	UpdateField(ctx context.Context, f *Field) error
	DeleteField(ctx context.Context, id, ifVersion int64) error
	DeleteTag(ctx context.Context, name string) error
}

// Directory answers the questions a ticket change asks about people.
type Directory interface {
	Agent(ctx context.Context, id int64) (*people.Agent, error)
	Team(ctx context.Context, id int64) (*people.Team, error)
	AgentsByEmail(ctx context.Context, emails []string) ([]*people.Agent, error)
}
