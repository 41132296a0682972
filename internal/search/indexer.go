package search

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/sahayak/sahayak/internal/event"
)

// Events of knowledge base articles (package kb, which imports nothing of
// search): a publish, or a published article moved or made internal.
const (
	ArticlePublished = "kb.article_published"
	ArticleChanged   = "kb.article_changed"
)

// Consumer is the name of the indexer's event cursor.
const Consumer = "search"

// Indexer keeps the index up to date from events: a durable consumer that
// gathers a batch of events, reads what they changed once, and writes the
// batch's entries in one transaction.
type Indexer struct {
	store Store
	bus   *event.Bus
	log   *slog.Logger
}

// NewIndexer returns the indexer of the store's index.
func NewIndexer(s Store, bus *event.Bus, log *slog.Logger) *Indexer {
	return &Indexer{store: s, bus: bus, log: log}
}

// Run follows the events until ctx ends.
func (x *Indexer) Run(ctx context.Context) {
	event.Follow(ctx, x.store, x.bus, Consumer, 200*time.Millisecond, 2*time.Second, x.Apply, x.log)
}

// CatchUp indexes every event after the cursor, now.
func (x *Indexer) CatchUp(ctx context.Context) error {
	return event.Consume(ctx, x.store, Consumer, x.Apply)
}

// Apply indexes again what a batch of events changed.
func (x *Indexer) Apply(ctx context.Context, evs []event.Event) error {
	refs := Changed(evs)
	if len(refs) == 0 {
		return nil
	}
	return x.Index(ctx, refs)
}

// Index writes the entries of refs as they are now, in one transaction.
func (x *Indexer) Index(ctx context.Context, refs []Ref) error {
	docs, err := x.docs(ctx, refs)
	if err != nil {
		return err
	}
	return x.store.ReplaceSearch(ctx, refs, docs)
}

// docs reads the entries of refs with their words.
func (x *Indexer) docs(ctx context.Context, refs []Ref) ([]Doc, error) {
	docs, err := x.store.SearchDocs(ctx, refs)
	if err != nil {
		return nil, err
	}
	for i := range docs {
		docs[i].Words = Words(docs[i].Text)
		if docs[i].Kind == KindArticle {
			docs[i].Words = append([]string{ArticleWord}, docs[i].Words...)
		}
	}
	return docs, nil
}

// Changed lists, once each, what the events changed the text of. Status,
// team, tag and assignee changes need nothing: searches read them from the
// ticket itself.
func Changed(evs []event.Event) []Ref {
	seen := map[Ref]bool{}
	var out []Ref
	add := func(r Ref) {
		if r.ID != 0 && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	for _, e := range evs {
		switch e.Kind {
		case event.TicketCreated, event.MessageAdded, event.Merged, event.MergedInto:
			add(Ref{KindTicket, e.TicketID})
		case event.FieldChanged:
			if fieldOf(e) == "subject" {
				add(Ref{KindTicket, e.TicketID})
			}
		case event.ContactCreated, event.ContactUpdated, event.ContactDeleted:
			add(Ref{KindContact, idOf(e)})
		case event.OrganizationCreated, event.OrganizationUpdated, event.OrganizationDeleted:
			add(Ref{KindOrganization, idOf(e)})
		case ArticlePublished, ArticleChanged:
			add(Ref{KindArticle, idOf(e)})
		}
	}
	return out
}

// fieldOf is the field a FieldChanged event names.
func fieldOf(e event.Event) string {
	var c struct {
		Field string `json:"field"`
	}
	_ = json.Unmarshal(e.Data, &c)
	return c.Field
}

// idOf is the id of the contact or organization an event carries.
func idOf(e event.Event) int64 {
	var c struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(e.Data, &c)
	return c.ID
}
