package quality

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// Review states: open until the agent acknowledges it or disputes it; a
// dispute is open until someone holding qa:review (not the reviewer)
// resolves it. Acknowledged and resolved reviews are closed.
const (
	StateOpen         = "open"
	StateAcknowledged = "acknowledged"
	StateDisputed     = "disputed"
	StateResolved     = "resolved"
)

// Review scores one agent's part in a ticket's conversation against one
// revision of a scorecard. Score is computed from Answers, never given.
type Review struct {
	ID                int64              `json:"id"`
	TicketID          int64              `json:"ticket_id"`
	AgentID           int64              `json:"agent_id"`
	ReviewerID        int64              `json:"reviewer_id"`
	ScorecardID       int64              `json:"scorecard_id"`
	ScorecardRevision int                `json:"scorecard_revision"`
	Answers           map[string]string  `json:"answers"`
	Criteria          map[string]float64 `json:"criteria"`
	Score             float64            `json:"score"`
	CriticalFailed    bool               `json:"critical_failed"`
	Summary           string             `json:"summary"`
	Comments          []Comment          `json:"comments"`
	State             string             `json:"state"`
	DisputeReason     string             `json:"dispute_reason"`
	Resolution        string             `json:"resolution"`
	ResolvedBy        *int64             `json:"resolved_by"`
	// QueueItemID is the review queue's item this review settles.
	QueueItemID *int64    `json:"queue_item_id"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CurrentVersion is the review's version, for ETags.
func (r *Review) CurrentVersion() int64 { return r.Version }

// Closed reports whether the review takes no more answers from its agent.
func (r *Review) Closed() bool { return r.State == StateAcknowledged || r.State == StateResolved }

// Comment is a reviewer's remark on one message of the thread.
type Comment struct {
	ID        int64     `json:"id"`
	MessageID int64     `json:"message_id"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// NewReview is what a reviewer sends.
type NewReview struct {
	TicketID    int64             `json:"ticket_id"`
	AgentID     int64             `json:"agent_id"`
	ScorecardID int64             `json:"scorecard_id"`
	Answers     map[string]string `json:"answers"`
	Summary     string            `json:"summary"`
	Comments    []Comment         `json:"comments"`
	// QueueItemID, when set, settles that item of the review queue (it
	// must be this ticket and agent's, not taken by another reviewer).
	QueueItemID *int64 `json:"queue_item_id"`
}

// ReviewFilter narrows a list of reviews, newest first below BeforeID.
type ReviewFilter struct {
	TicketID   *int64
	AgentID    *int64
	ReviewerID *int64
	State      string
	BeforeID   int64
	Limit      int
}

const maxTextRunes = 5000

func longText(s string) bool { return len([]rune(s)) > maxTextRunes }

// CreateReview scores a ticket's conversation for one agent. The reviewer
// must hold qa:review and see the ticket; nobody reviews themselves; the
// agent is notified.
func (s *Service) CreateReview(ctx context.Context, in NewReview) (*Review, error) {
	a, err := desk.Require(ctx, auth.QAReview)
	if err != nil {
		return nil, err
	}
	f := desk.Fields{}
	if in.AgentID == a.ID {
		return nil, desk.E(desk.EUNPROCESSABLE, "quality.error.self_review")
	}
	if _, err := s.tickets.Get(ctx, in.TicketID); err != nil {
		if desk.ErrorCode(err) == desk.ENOTFOUND {
			return nil, desk.Invalid(desk.Fields{"ticket_id": desk.M("invalid.no_ticket")})
		}
		return nil, err
	}
	if ag, err := s.store.Agent(ctx, in.AgentID); err != nil || !ag.Active {
		if err != nil && desk.ErrorCode(err) != desk.ENOTFOUND {
			return nil, err
		}
		f["agent_id"] = desk.M("invalid.no_agent")
	}
	sc, err := s.store.Scorecard(ctx, in.ScorecardID)
	switch {
	case desk.ErrorCode(err) == desk.ENOTFOUND:
		f["scorecard_id"] = desk.M("quality.invalid.no_scorecard")
	case err != nil:
		return nil, err
	case !sc.Active:
		f["scorecard_id"] = desk.M("quality.invalid.scorecard_inactive")
	}
	in.Summary = strings.TrimSpace(in.Summary)
	if longText(in.Summary) {
		f["summary"] = desk.M("invalid.too_long")
	}
	if err := s.checkComments(ctx, in.TicketID, in.Comments, f); err != nil {
		return nil, err
	}
	if len(f) > 0 {
		return nil, desk.Invalid(f)
	}
	res, err := sc.Score(in.Answers)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	r := &Review{TicketID: in.TicketID, AgentID: in.AgentID, ReviewerID: a.ID, ScorecardID: sc.ID,
		ScorecardRevision: sc.Revision, Answers: in.Answers, Criteria: res.Criteria, Score: res.Score,
		CriticalFailed: res.CriticalFailed, Summary: in.Summary, Comments: in.Comments, State: StateOpen,
		QueueItemID: in.QueueItemID, CreatedAt: now, UpdatedAt: now}
	for i := range r.Comments {
		r.Comments[i].CreatedAt = now
	}
	if r.Comments == nil {
		r.Comments = []Comment{}
	}
	if err := s.store.CreateReview(ctx, r, func(r *Review) Notice { return s.notice(a, EventReviewed, r, r.AgentID) }); err != nil {
		return nil, fmt.Errorf("create review: %w", err)
	}
	return r, nil
}

// checkComments puts into f what is wrong with comments: each on a message
// of the ticket, with a body.
func (s *Service) checkComments(ctx context.Context, ticketID int64, cs []Comment, f desk.Fields) error {
	if len(cs) == 0 {
		return nil
	}
	if len(cs) > 100 {
		f["comments"] = desk.M("invalid.at_most", 100)
		return nil
	}
	msgs, err := s.tickets.Messages(ctx, ticketID)
	if err != nil {
		return err
	}
	on := map[int64]bool{}
	for _, m := range msgs {
		on[m.ID] = true
	}
	for i := range cs {
		at := fmt.Sprintf("comments[%d]", i)
		cs[i].Body = strings.TrimSpace(cs[i].Body)
		if !on[cs[i].MessageID] {
			f[at+".message_id"] = desk.M("quality.invalid.no_message")
		}
		if cs[i].Body == "" {
			f[at+".body"] = desk.M("invalid.required")
		} else if longText(cs[i].Body) {
			f[at+".body"] = desk.M("invalid.too_long")
		}
	}
	return nil
}

// Review returns a review its agent, or a holder of qa:review who sees its
// ticket, may read; to anyone else it does not exist.
func (s *Service) Review(ctx context.Context, id int64) (*Review, error) {
	a, err := desk.Require(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	r, err := s.store.Review(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.AgentID == a.ID {
		return r, nil
	}
	if mayReview(a) {
		if _, err := s.tickets.Get(ctx, r.TicketID); err == nil {
			return r, nil
		}
	}
	return nil, desk.E(desk.ENOTFOUND, "quality.error.review_not_found", id)
}

// Reviews lists reviews: an agent without qa:review sees only their own.
func (s *Service) Reviews(ctx context.Context, f ReviewFilter) ([]*Review, error) {
	a, err := desk.Require(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	if !mayReview(a) {
		if f.AgentID != nil && *f.AgentID != a.ID {
			return []*Review{}, nil
		}
		f.AgentID = &a.ID
	}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 50
	}
	return s.store.Reviews(ctx, f)
}

// ScorecardOf is the scorecard revision a review was made with, for whoever
// may read the review.
func (s *Service) ScorecardOf(ctx context.Context, r *Review) (*Scorecard, error) {
	if _, err := s.Review(ctx, r.ID); err != nil {
		return nil, err
	}
	return s.store.ScorecardAt(ctx, r.ScorecardID, r.ScorecardRevision)
}

// Acknowledge closes an open review, by its agent.
func (s *Service) Acknowledge(ctx context.Context, id, ifVersion int64) (*Review, error) {
	return s.change(ctx, id, ifVersion, func(a desk.Actor, r *Review) (Notice, error) {
		if r.AgentID != a.ID {
			return Notice{}, desk.E(desk.EFORBIDDEN, "quality.error.not_your_review")
		}
		if r.State != StateOpen {
			return Notice{}, desk.E(desk.EUNPROCESSABLE, "quality.error.not_open", r.State)
		}
		r.State = StateAcknowledged
		return s.notice(a, EventAcknowledged, r), nil
	})
}

// Dispute contests an open review with a reason, by its agent; the
// reviewer is told.
func (s *Service) Dispute(ctx context.Context, id, ifVersion int64, reason string) (*Review, error) {
	reason = strings.TrimSpace(reason)
	return s.change(ctx, id, ifVersion, func(a desk.Actor, r *Review) (Notice, error) {
		if r.AgentID != a.ID {
			return Notice{}, desk.E(desk.EFORBIDDEN, "quality.error.not_your_review")
		}
		if r.State != StateOpen {
			return Notice{}, desk.E(desk.EUNPROCESSABLE, "quality.error.not_open", r.State)
		}
		if reason == "" {
			return Notice{}, desk.Invalid(desk.Fields{"reason": desk.M("invalid.required")})
		}
		if longText(reason) {
			return Notice{}, desk.Invalid(desk.Fields{"reason": desk.M("invalid.too_long")})
		}
		r.State, r.DisputeReason = StateDisputed, reason
		return s.notice(a, EventDisputed, r, r.ReviewerID), nil
	})
}

// Resolution settles a dispute: a word on why, and, to revise the score,
// new answers.
type Resolution struct {
	Resolution string            `json:"resolution"`
	Answers    map[string]string `json:"answers"`
}

// Resolve settles a disputed review, by a holder of qa:review who is
// neither its agent nor its reviewer; new answers are scored against the
// review's own revision. The agent and the reviewer are told.
func (s *Service) Resolve(ctx context.Context, id, ifVersion int64, in Resolution) (*Review, error) {
	in.Resolution = strings.TrimSpace(in.Resolution)
	return s.change(ctx, id, ifVersion, func(a desk.Actor, r *Review) (Notice, error) {
		if !mayReview(a) || r.AgentID == a.ID || r.ReviewerID == a.ID {
			return Notice{}, desk.E(desk.EFORBIDDEN, "quality.error.resolve_own")
		}
		if r.State != StateDisputed {
			return Notice{}, desk.E(desk.EUNPROCESSABLE, "quality.error.not_disputed", r.State)
		}
		if in.Resolution == "" || longText(in.Resolution) {
			return Notice{}, desk.Invalid(desk.Fields{"resolution": desk.M("invalid.required")})
		}
		previous := r.Score
		if len(in.Answers) > 0 {
			sc, err := s.store.ScorecardAt(ctx, r.ScorecardID, r.ScorecardRevision)
			if err != nil {
				return Notice{}, err
			}
			res, err := sc.Score(in.Answers)
			if err != nil {
				return Notice{}, err
			}
			r.Answers, r.Criteria, r.Score, r.CriticalFailed = in.Answers, res.Criteria, res.Score, res.CriticalFailed
		}
		r.State, r.Resolution, r.ResolvedBy = StateResolved, in.Resolution, &a.ID
		n := s.notice(a, EventResolved, r, r.AgentID, r.ReviewerID)
		n.Event.Data = withPrevious(n.Event.Data, previous) // reports correct the QA total by the change
		return n, nil
	})
}

// change reads the review as the actor may see it, lets fn change it and
// writes it at the version read.
func (s *Service) change(ctx context.Context, id, ifVersion int64, fn func(desk.Actor, *Review) (Notice, error)) (*Review, error) {
	a, err := desk.Require(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	var out *Review
	err = desk.Optimistic(ifVersion, func() error {
		r, err := s.Review(ctx, id)
		if err != nil {
			return err
		}
		if err := desk.CheckVersion(ifVersion, r.Version); err != nil {
			return err
		}
		n, err := fn(a, r)
		if err != nil {
			return err
		}
		r.UpdatedAt = s.clock.Now()
		if err := s.store.ChangeReview(ctx, r, n); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
}
