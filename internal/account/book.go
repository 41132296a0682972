package account

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// BookEntry is one account of an owner's book, with what the home page
// shows of it.
type BookEntry struct {
	*Account
	OrganizationID int64  `json:"organization_id"`
	Name           string `json:"name"`
	// Trend is the score now minus the score of 30 days ago (0 without
	// history).
	Trend       int        `json:"trend"`
	Open        int        `json:"open_tickets"`
	Urgent      int        `json:"urgent_tickets"`
	LastContact *time.Time `json:"last_contact_at"`
	RenewsSoon  bool       `json:"renews_within_90_days"`
}

// maxBook bounds the accounts of one book a page shows.
const maxBook = 500

// BookStore is what the book and the timeline read.
type BookStore interface {
	// ScoresSince returns, per account, its first daily score on or after
	// the day.
	ScoresSince(ctx context.Context, ids []int64, day string) (map[int64]int, error)
	Timeline(ctx context.Context, orgID int64, f TimelineFilter) ([]TimelineItem, error)
}

// Book returns an owner's accounts, at risk first (lowest score first,
// then nearest renewal, then name).
func (s *Service) Book(ctx context.Context, ownerID int64) ([]BookEntry, error) {
	actor, err := desk.Require(ctx, auth.OrganizationsRead)
	if err != nil {
		return nil, err
	}
	if actor.Kind == desk.ActorAgent && ownerID != actor.ID && !readsAllBooks(actor) {
		return nil, desk.E(desk.EFORBIDDEN, "account.error.other_book")
	}
	list, err := s.List(ctx, Filter{OwnerID: &ownerID, Limit: maxBook})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(list))
	for i, a := range list {
		ids[i] = a.OrganizationID
	}
	now := s.clock.Now()
	before, err := s.book.ScoresSince(ctx, ids, now.AddDate(0, 0, -30).Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	soon := now.AddDate(0, 0, 90).Format(time.DateOnly)
	out := make([]BookEntry, len(list))
	for i, a := range list {
		e := BookEntry{Account: a, OrganizationID: a.OrganizationID, Name: a.Name, RenewsSoon: a.RenewalDate != "" && a.RenewalDate <= soon}
		if old, ok := before[a.OrganizationID]; ok {
			e.Trend = a.Health.Score - old
		}
		if a.State != nil {
			e.Open, e.Urgent = a.State.Open, a.State.Urgent
			if !a.State.LastContact.IsZero() {
				t := a.State.LastContact
				e.LastContact = &t
			}
		}
		out[i] = e
	}
	slices.SortStableFunc(out, func(x, y BookEntry) int {
		if x.Health.Score != y.Health.Score {
			return x.Health.Score - y.Health.Score
		}
		if x.RenewalDate != y.RenewalDate {
			if x.RenewalDate == "" {
				return 1
			}
			if y.RenewalDate == "" {
				return -1
			}
			return strings.Compare(x.RenewalDate, y.RenewalDate)
		}
		return strings.Compare(x.Name, y.Name)
	})
	return out, nil
}

// Kinds of timeline items.
const (
	ItemTicket      = "ticket"
	ItemMessage     = "message"
	ItemNote        = "note"
	ItemCheckin     = "checkin"
	ItemEscalation  = "escalation"
	ItemBreach      = "sla_breach"
	ItemNPS         = "nps" // an NPS answer (package nps)
	ItemFeedback    = "feedback"
	ItemOpportunity = "opportunity"
)

// ItemKinds lists the kinds a timeline filters by.
var ItemKinds = []string{ItemTicket, ItemMessage, ItemNote, ItemCheckin, ItemEscalation, ItemBreach,
	ItemNPS, ItemFeedback, ItemOpportunity}

// TimelineItem is one thing that happened with an account.
type TimelineItem struct {
	Kind     string    `json:"kind"`
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	TicketID *int64    `json:"ticket_id"`
	// Text is a short excerpt: a ticket's subject, a message's first
	// words, a check-in's notes.
	Text string `json:"text"`
}

// Key is the item's place in the timeline, for a cursor.
func (it TimelineItem) Key() TimelineKey { return TimelineKey{At: it.At, Kind: it.Kind, ID: it.ID} }

// TimelineKey orders the timeline: newest first, then kind, then id.
type TimelineKey struct {
	At   time.Time
	Kind string
	ID   int64
}

// TimelineFilter picks a page of an account's timeline.
type TimelineFilter struct {
	Kinds  []string     // empty: every kind
	Before *TimelineKey // nil: from the newest
	Limit  int
}

// Timeline returns a page of an account's timeline, newest first.
func (s *Service) Timeline(ctx context.Context, orgID int64, f TimelineFilter) ([]TimelineItem, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	for _, k := range f.Kinds {
		if !contains(ItemKinds, k) {
			return nil, desk.Invalid(desk.Fields{"kind": desk.M("invalid.one_of", strings.Join(ItemKinds, ", "))})
		}
	}
	if len(f.Kinds) == 0 {
		f.Kinds = ItemKinds
	}
	if f.Limit <= 0 || f.Limit > 201 {
		f.Limit = 50
	}
	if _, err := s.store.Account(ctx, orgID); err != nil {
		return nil, err
	}
	return s.book.Timeline(ctx, orgID, f)
}
