// Package search owns full-text search over the desk: what is indexed
// (tickets, messages, contacts, organizations, knowledge base articles), how text becomes words, the query language agents type, the scope
// of what a searcher may find, and the durable consumer that keeps the index
// up to date from events. It knows nothing of HTTP or SQL: the index lives
// behind Store (SQLite FTS5 or PostgreSQL full text, in package store), and
// both are fed the same words, made here, so that they answer alike.
package search

import (
	"context"
	"time"

	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Kind is what an index entry stands for.
type Kind string

// Kinds of entries. A new kind (knowledge base articles) needs a loader in
// the store's SearchDocs, a title and text in SearchTexts, and a rule in
// Service.kinds for who may find it; nothing else changes.
const (
	KindTicket       Kind = "ticket"
	KindMessage      Kind = "message"
	KindContact      Kind = "contact"
	KindOrganization Kind = "organization"
	// KindArticle is a published knowledge base article (package kb):
	// internal articles are entries marked internal.
	KindArticle Kind = "article"
)

// ArticleWord is a word every article's entry holds besides its own (a
// private-use character and "kb", which no text of a ticket holds): a
// search for suggestions asks for it with the words typed, so the index
// narrows the match to articles before a row is read.
const ArticleWord = "\ue000kb"

// Kinds lists every kind, in the order the type filter names them.
var Kinds = []Kind{KindTicket, KindMessage, KindContact, KindOrganization, KindArticle}

// Ref names something to index again. A ticket ref stands for the ticket
// and its whole thread (messages move with merges).
type Ref struct {
	Kind Kind
	ID   int64
}

// Doc is one entry of the index.
type Doc struct {
	Kind     Kind
	ObjectID int64
	// TicketID is the ticket of a ticket or message entry (its scope and
	// filters are the ticket's), 0 otherwise.
	TicketID int64
	// OrganizationID is a contact's organization, an organization itself.
	OrganizationID int64
	// Internal entries (internal notes) are for agents only.
	Internal  bool
	CreatedAt time.Time
	// Title names the thing (a ticket's subject, a contact's name).
	Title string
	// Text is the entry's text as stored.
	Text string
	// Words is Text as the index holds it: its words, lowercased, one
	// space apart (see Words).
	Words []string
}

// Query is a parsed search as the store runs it.
type Query struct {
	// Must are the phrases every entry has (a word is a phrase of one);
	// Not the phrases it does not have.
	Must, Not [][]string
	Kinds     []Kind
	// Filters on the entry's ticket (they leave out entries without one).
	Statuses   []string
	Tags       []string
	AssigneeID *int64 // 0: unassigned
	TeamID     *int64 // 0: no team
	FromEmail  *string
	// OrganizationID: the ticket's organization, a contact's, or the
	// organization itself.
	OrganizationID *int64
	From, To       *time.Time
	// Scope limits ticket and message entries as ticket lists are limited;
	// nil sees every ticket.
	Scope *ticket.Scope
	// Internal: whether internal entries may be found.
	Internal bool
	// Before is the cursor: only entries with a smaller id.
	Before int64
	Limit  int
}

// Hit is one entry found.
type Hit struct {
	EntryID   int64
	Kind      Kind
	ObjectID  int64
	TicketID  int64
	CreatedAt time.Time
	// Title and Text are read after the search, for the answer.
	Title string
	Text  string
}

// Store is the index and what it is built from. Errors are the store's.
type Store interface {
	event.Cursor
	LastEventID(ctx context.Context) (int64, error)
	// SearchDocs reads the entries the refs stand for, as they are now:
	// a ticket gives its own entry and one per message; a ref whose thing
	// is gone gives nothing.
	SearchDocs(ctx context.Context, refs []Ref) ([]Doc, error)
	// ReplaceSearch removes every entry of the refs (for a ticket, its
	// messages' too) and writes docs, in one transaction.
	ReplaceSearch(ctx context.Context, gone []Ref, docs []Doc) error
	// ClearSearch empties the index.
	ClearSearch(ctx context.Context) error
	// AnalyzeSearch refreshes the planner's statistics of the index after
	// a rebuild (PostgreSQL picks its plan by how many entries a word is
	// in: without them a common word reads every match).
	AnalyzeSearch(ctx context.Context) error
	// SearchIDs returns up to limit ids of things of the kind (tickets,
	// contacts, organizations) after afterID, in id order, for reindexing.
	SearchIDs(ctx context.Context, kind Kind, afterID int64, limit int) ([]int64, error)
	// SearchCount counts the things of the kind, for progress.
	SearchCount(ctx context.Context, kind Kind) (int64, error)
	// Search runs q, newest entry first, at most q.Limit+1 hits.
	Search(ctx context.Context, q Query) ([]Hit, error)
	// SearchTexts fills the Title and Text of each hit.
	SearchTexts(ctx context.Context, hits []Hit) error
}
