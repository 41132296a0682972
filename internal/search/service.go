package search

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Service answers searches.
type Service struct {
	store Store
}

// NewService returns a search service over the index in s.
func NewService(s Store) *Service { return &Service{store: s} }

// Request is a search as the API and the page take it: the query text and
// the filters beside it (which field:value terms in Q add to).
type Request struct {
	Q              string
	Types          []string
	Statuses       []string
	Tags           []string
	AssigneeID     *int64
	TeamID         *int64
	OrganizationID *int64
	From, To       *time.Time
	Cursor         string
	Limit          int
}

// Result is one thing found, with a snippet of its text as HTML: the text
// escaped, the words searched for in <mark>.
type Result struct {
	Type      Kind      `json:"type"`
	ID        int64     `json:"id"`
	TicketID  *int64    `json:"ticket_id"`
	Title     string    `json:"title"`
	Snippet   string    `json:"snippet"`
	CreatedAt time.Time `json:"created_at"`
}

// Page is a page of results, newest first.
type Page struct {
	Results    []Result `json:"results"`
	NextCursor *string  `json:"next_cursor"`
}

// Limits of a page.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Search finds what the acting user may see. Errors: EUNAUTHORIZED,
// EFORBIDDEN without tickets:read, EINVALID for a query or filter it cannot
// read (naming the field).
func (s *Service) Search(ctx context.Context, r Request) (*Page, error) {
	// A customer (on the portal) searches their own tickets; an agent
	// needs tickets:read.
	perm := auth.TicketsRead
	if a, ok := desk.ActorFrom(ctx); ok && a.Kind == desk.ActorContact {
		perm = ""
	}
	a, err := desk.Require(ctx, perm)
	if err != nil {
		return nil, err
	}
	q, err := s.query(a, r)
	if err != nil {
		return nil, err
	}
	page := &Page{Results: []Result{}}
	if len(q.Kinds) == 0 {
		return page, nil
	}
	hits, err := s.store.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(hits) > q.Limit {
		hits = hits[:q.Limit]
		c := strconv.FormatInt(hits[len(hits)-1].EntryID, 10)
		page.NextCursor = &c
	}
	if err := s.store.SearchTexts(ctx, hits); err != nil {
		return nil, err
	}
	marks := map[string]bool{}
	for _, p := range q.Must {
		for _, w := range p {
			marks[w] = true
		}
	}
	for _, h := range hits {
		res := Result{Type: h.Kind, ID: h.ObjectID, Title: h.Title, Snippet: Snippet(h.Text, marks), CreatedAt: h.CreatedAt}
		if h.TicketID != 0 {
			id := h.TicketID
			res.TicketID = &id
		}
		page.Results = append(page.Results, res)
	}
	return page, nil
}

// query turns a request into the store's query, with the actor's scope.
func (s *Service) query(a desk.Actor, r Request) (Query, error) {
	p, err := Parse(r.Q)
	if err != nil {
		return Query{}, err
	}
	if len(p.Must) == 0 {
		return Query{}, desk.Invalid(desk.Fields{"q": desk.M("invalid.search_words")})
	}
	q := Query{Must: p.Must, Not: p.Not, Statuses: append(r.Statuses, p.Fields["status"]...),
		Tags: append(r.Tags, p.Fields["tag"]...), AssigneeID: r.AssigneeID, TeamID: r.TeamID,
		OrganizationID: r.OrganizationID, From: r.From, To: r.To, Limit: r.Limit}
	bad := desk.Fields{}
	if q.Limit <= 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit > MaxLimit {
		bad["limit"] = desk.M("invalid.at_most", MaxLimit)
	}
	if r.Cursor != "" {
		n, err := strconv.ParseInt(r.Cursor, 10, 64)
		if err != nil || n <= 0 {
			bad["cursor"] = desk.M("invalid.cursor")
		}
		q.Before = n
	}
	ids := func(field string, dst **int64) {
		for _, v := range p.Fields[field] {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				bad["q"] = desk.M("invalid.search_field", strings.TrimSuffix(field, "_id"))
				return
			}
			*dst = &n
		}
	}
	ids("assignee_id", &q.AssigneeID)
	ids("team_id", &q.TeamID)
	ids("organization_id", &q.OrganizationID)
	if v := p.Fields["from"]; len(v) > 0 {
		email := strings.ToLower(v[len(v)-1])
		q.FromEmail = &email
	}
	types := append(slices.Clone(r.Types), p.Fields["type"]...)
	for _, t := range types {
		if !slices.Contains(Kinds, Kind(t)) {
			bad["type"] = desk.M("invalid.one_of", "ticket, message, contact, organization, article")
			break
		}
	}
	if len(bad) > 0 {
		return Query{}, desk.Invalid(bad)
	}
	q.Kinds = kinds(a, types, q)
	switch {
	case a.Kind == desk.ActorContact:
		q.Scope = &ticket.Scope{RequesterID: a.ID}
	case a.Kind == desk.ActorAgent && !a.Can(auth.TicketsReadAll):
		q.Scope = ticket.AgentScope(a)
	}
	q.Internal = a.Kind != desk.ActorContact
	return q, nil
}

// kinds are the kinds the actor may find and asked for. A filter on
// tickets leaves out the kinds that have none.
func kinds(a desk.Actor, asked []string, q Query) []Kind {
	onTickets := len(q.Statuses) > 0 || len(q.Tags) > 0 || q.AssigneeID != nil || q.TeamID != nil || q.FromEmail != nil
	var out []Kind
	for _, k := range Kinds {
		if len(asked) > 0 && !slices.Contains(asked, string(k)) {
			continue
		}
		switch k {
		case KindContact:
			if onTickets || a.Kind == desk.ActorContact || !a.Can(auth.ContactsRead) {
				continue
			}
		case KindOrganization:
			if onTickets || a.Kind == desk.ActorContact || !a.Can(auth.OrganizationsRead) {
				continue
			}
		case KindArticle:
			// Any agent finds published articles, internal ones too (the
			// query's Internal); customers find articles under /kb.
			if onTickets || a.Kind == desk.ActorContact {
				continue
			}
		}
		out = append(out, k)
	}
	return out
}
