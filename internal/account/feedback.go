package account

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

// FeedbackRecorded is the event of customer feedback recorded (ticket_id
// NULL); data: organization_id, feedback_id, kind, category.
const FeedbackRecorded = "account.feedback_recorded"

// Kinds of feedback.
const (
	FeedbackPraise    = "praise"
	FeedbackComplaint = "complaint"
	FeedbackFeature   = "feature_request"
)

// FeedbackKinds lists the kinds of feedback.
var FeedbackKinds = []string{FeedbackPraise, FeedbackComplaint, FeedbackFeature}

// Feedback is something a customer said about the product or the service,
// recorded for the product team with where it was heard.
type Feedback struct {
	ID               int64     `json:"id"`
	OrganizationID   int64     `json:"organization_id"`
	OrganizationName string    `json:"organization_name"`
	Kind             string    `json:"kind"`
	Category         string    `json:"category"`
	Body             string    `json:"body"`
	TicketID         *int64    `json:"ticket_id"`
	MessageID        *int64    `json:"message_id"`
	CheckinID        *int64    `json:"checkin_id"`
	AgentID          *int64    `json:"agent_id"`
	CreatedAt        time.Time `json:"created_at"`
	Version          int64     `json:"version"`
}

// CurrentVersion is the version the API sends as the ETag.
func (f *Feedback) CurrentVersion() int64 { return f.Version }

// FeedbackInput records feedback. OrganizationID may be 0 when TicketID
// names a ticket of an account (or CheckinID a check-in): the account is
// then theirs.
type FeedbackInput struct {
	OrganizationID int64
	Kind           string
	Category       string
	Body           string
	TicketID       *int64
	MessageID      *int64
	CheckinID      *int64
}

// FeedbackFilter selects feedback, newest first.
type FeedbackFilter struct {
	OrganizationID *int64
	// OwnerID keeps the feedback of one owner's accounts.
	OwnerID  *int64
	Kind     string
	Category string
	From, To *time.Time
	BeforeID int64
	Limit    int
}

// Source is what a ticket, message or check-in named as where feedback or
// an opportunity came from belongs to.
type Source struct {
	OrganizationID int64 // 0 when the ticket has no account
	TicketID       int64 // of the message
}

// FeedbackStore persists feedback.
type FeedbackStore interface {
	// SaveFeedback inserts f (setting ID and Version) and appends ev,
	// completed with feedback_id.
	SaveFeedback(ctx context.Context, f *Feedback, ev event.Event) error
	// Feedback returns one item (ENOTFOUND when missing).
	Feedback(ctx context.Context, id int64) (*Feedback, error)
	// FeedbackList returns feedback by f, newest first.
	FeedbackList(ctx context.Context, f FeedbackFilter) ([]*Feedback, error)
	// TicketSource, MessageSource: ENOTFOUND when missing.
	TicketSource(ctx context.Context, ticketID int64) (Source, error)
	MessageSource(ctx context.Context, messageID int64) (Source, error)
}

const (
	maxCategory     = 100
	maxFeedbackBody = 5000
)

// RecordFeedback records customer feedback on an account the actor may
// change (their own book, an unowned account, or any with accounts:manage).
func (s *Service) RecordFeedback(ctx context.Context, in FeedbackInput) (*Feedback, error) {
	actor, err := desk.Require(ctx, auth.OrganizationsWrite)
	if err != nil {
		return nil, err
	}
	errs := desk.Fields{}
	f := &Feedback{Kind: in.Kind, CreatedAt: s.clock.Now()}
	if !contains(FeedbackKinds, in.Kind) {
		errs["kind"] = desk.M("account.invalid.feedback_kind", strings.Join(FeedbackKinds, ", "))
	}
	var msg desk.Msg
	if f.Category, msg = cleanText(in.Category, maxCategory); msg.Key != "" {
		errs["category"] = msg
	}
	f.Category = strings.ToLower(f.Category)
	if f.Body, msg = cleanNotes(in.Body); msg.Key != "" {
		errs["body"] = msg
	} else if f.Body == "" {
		errs["body"] = desk.M("invalid.required")
	} else if len([]rune(f.Body)) > maxFeedbackBody {
		errs["body"] = desk.M("invalid.too_long")
	}
	org, err := s.sourceOrg(ctx, in.OrganizationID, in.TicketID, in.MessageID, in.CheckinID, errs)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	a, err := s.store.Account(ctx, org)
	if err != nil {
		return nil, err
	}
	if err := mayChange(actor, a); err != nil {
		return nil, err
	}
	f.OrganizationID, f.OrganizationName = a.OrganizationID, a.Name
	f.TicketID, f.MessageID, f.CheckinID = in.TicketID, in.MessageID, in.CheckinID
	if actor.Kind == desk.ActorAgent {
		id := actor.ID
		f.AgentID = &id
	}
	ev := event.New(FeedbackRecorded, 0, map[string]any{"organization_id": f.OrganizationID, "kind": f.Kind,
		"category": f.Category})
	ev.ActorKind, ev.ActorID, ev.CreatedAt = actor.Kind, actor.ID, f.CreatedAt
	if err := s.feedback.SaveFeedback(ctx, f, ev); err != nil {
		return nil, fmt.Errorf("record feedback: %w", err)
	}
	return f, nil
}

// sourceOrg works out the account a record belongs to from what it names:
// the organization, a ticket (and one of its messages) or a check-in, all
// of which must agree. Problems go into errs; 0 when there are some.
func (s *Service) sourceOrg(ctx context.Context, orgID int64, ticketID, messageID, checkinID *int64, errs desk.Fields) (int64, error) {
	agree := func(field string, org int64) {
		switch {
		case org == 0:
			errs[field] = desk.M("account.invalid.source_no_account")
		case orgID == 0:
			orgID = org
		case orgID != org:
			errs[field] = desk.M("account.invalid.source_other_account")
		}
	}
	if ticketID != nil {
		src, err := s.feedback.TicketSource(ctx, *ticketID)
		switch {
		case desk.ErrorCode(err) == desk.ENOTFOUND:
			errs["ticket_id"] = desk.M("error.ticket_not_found", *ticketID)
		case err != nil:
			return 0, err
		default:
			agree("ticket_id", src.OrganizationID)
		}
	}
	if messageID != nil {
		src, err := s.feedback.MessageSource(ctx, *messageID)
		switch {
		case desk.ErrorCode(err) == desk.ENOTFOUND:
			errs["message_id"] = desk.M("account.invalid.no_message", *messageID)
		case err != nil:
			return 0, err
		case ticketID == nil:
			errs["ticket_id"] = desk.M("invalid.required")
		case src.TicketID != *ticketID:
			errs["message_id"] = desk.M("account.invalid.message_other_ticket")
		}
	}
	if checkinID != nil {
		c, err := s.checkins.Checkin(ctx, *checkinID)
		switch {
		case desk.ErrorCode(err) == desk.ENOTFOUND:
			errs["checkin_id"] = desk.M("account.error.checkin_not_found", *checkinID)
		case err != nil:
			return 0, err
		default:
			agree("checkin_id", c.OrganizationID)
		}
	}
	if orgID == 0 && len(errs) == 0 {
		errs["organization_id"] = desk.M("invalid.required")
	}
	if len(errs) > 0 {
		return 0, nil
	}
	return orgID, nil
}

// GetFeedback returns one item of feedback.
func (s *Service) GetFeedback(ctx context.Context, id int64) (*Feedback, error) {
	if _, err := desk.Require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	return s.feedback.Feedback(ctx, id)
}

// ListFeedback lists feedback newest first. Of one account, anyone who
// reads organizations may; across accounts, an actor without
// accounts:read_all sees their own book's.
func (s *Service) ListFeedback(ctx context.Context, f FeedbackFilter) ([]*Feedback, error) {
	actor, err := desk.Require(ctx, auth.OrganizationsRead)
	if err != nil {
		return nil, err
	}
	errs := desk.Fields{}
	if f.Kind != "" && !contains(FeedbackKinds, f.Kind) {
		errs["kind"] = desk.M("account.invalid.feedback_kind", strings.Join(FeedbackKinds, ", "))
	}
	f.Category = strings.ToLower(strings.TrimSpace(f.Category))
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	if err := s.bookFilter(actor, f.OrganizationID, &f.OwnerID); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 1001 {
		f.Limit = 50
	}
	return s.feedback.FeedbackList(ctx, f)
}

// EachFeedback hands every item the filter selects to fn, a page at a
// time (for an export without a row cap).
func (s *Service) EachFeedback(ctx context.Context, f FeedbackFilter, fn func([]*Feedback) error) error {
	f.Limit = 500
	for {
		page, err := s.ListFeedback(ctx, f)
		if err != nil || len(page) == 0 {
			return err
		}
		if err := fn(page); err != nil {
			return err
		}
		if len(page) < f.Limit {
			return nil
		}
		f.BeforeID = page[len(page)-1].ID
	}
}

// readsAllBooks reports whether the actor reads every owner's book.
func readsAllBooks(a desk.Actor) bool {
	return a.Can(auth.AccountsReadAll) || a.Can(auth.AccountsManage)
}

// bookFilter limits a list across accounts to the actor's own book unless
// they read every book; a list of one account stays as asked.
func (s *Service) bookFilter(actor desk.Actor, orgID *int64, owner **int64) error {
	if orgID != nil || readsAllBooks(actor) {
		return nil
	}
	if *owner != nil && **owner != actor.ID {
		return desk.E(desk.EFORBIDDEN, "account.error.other_book")
	}
	id := actor.ID
	*owner = &id
	return nil
}
