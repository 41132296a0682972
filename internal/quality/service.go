package quality

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/notify"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Store keeps scorecards and reviews. Missing ones are ENOTFOUND; a write
// expecting another version is ESTALE.
type Store interface {
	Scorecards(ctx context.Context) ([]*Scorecard, error) // by name, then id
	// Scorecard is the scorecard with its current revision's sections.
	Scorecard(ctx context.Context, id int64) (*Scorecard, error)
	// ScorecardAt is the scorecard with the sections of one revision.
	ScorecardAt(ctx context.Context, id int64, revision int) (*Scorecard, error)
	// CreateScorecard writes the scorecard and its first revision.
	CreateScorecard(ctx context.Context, s *Scorecard) error
	// UpdateScorecard writes s at s.Version; with newRevision it also
	// writes s.Sections as revision s.Revision.
	UpdateScorecard(ctx context.Context, s *Scorecard, newRevision bool) error
	// CreateReview writes the review, its comments and the notice in one
	// transaction.
	CreateReview(ctx context.Context, r *Review, notice func(*Review) Notice) error
	Review(ctx context.Context, id int64) (*Review, error)
	Reviews(ctx context.Context, f ReviewFilter) ([]*Review, error)
	// ChangeReview writes a review's state, answers and score at
	// r.Version, with the notice, in one transaction.
	ChangeReview(ctx context.Context, r *Review, n Notice) error
	Agent(ctx context.Context, id int64) (*people.Agent, error)
}

// Notice is what a change tells: an event (ticket_id left empty, so that
// it stays out of the ticket's history and live streams) and the
// notifications it causes, written with the change. The store gives the
// notifications the event's id.
type Notice struct {
	Event  event.Event
	Notify []*notify.Notification
}

// Tickets is what reviews need of the ticket service: the ticket and its
// thread as the acting agent may see them (ENOTFOUND otherwise).
type Tickets interface {
	Get(ctx context.Context, id int64) (*ticket.Ticket, error)
	Messages(ctx context.Context, id int64) ([]*ticket.Message, error)
}

// Event kinds of reviews; notifications use the part after "qa.".
const (
	EventReviewed     = "qa.reviewed"
	EventAcknowledged = "qa.acknowledged"
	EventDisputed     = "qa.disputed"
	EventResolved     = "qa.resolved"
)

// Service runs scorecards and reviews.
type Service struct {
	store       Store
	queue       QueueStore
	coaching    CoachingStore
	calibration CalibrationStore
	scores      ScoreStore
	tickets     Tickets
	clock       desk.Clock
}

// AllStore is everything the service keeps.
type AllStore interface {
	Store
	QueueStore
	CoachingStore
	CalibrationStore
	ScoreStore
}

// NewService returns the quality service.
func NewService(s AllStore, tickets Tickets, clock desk.Clock) *Service {
	return &Service{store: s, queue: s, coaching: s, calibration: s, scores: s, tickets: tickets, clock: clock}
}

// Scorecards lists every scorecard.
func (s *Service) Scorecards(ctx context.Context) ([]*Scorecard, error) {
	if _, err := desk.Require(ctx, auth.QAReview); err != nil {
		return nil, err
	}
	return s.store.Scorecards(ctx)
}

// Scorecard returns one scorecard at its current revision, or at revision
// when it is above 0.
func (s *Service) Scorecard(ctx context.Context, id int64, revision int) (*Scorecard, error) {
	if _, err := desk.Require(ctx, auth.QAReview); err != nil {
		return nil, err
	}
	if revision > 0 {
		return s.store.ScorecardAt(ctx, id, revision)
	}
	return s.store.Scorecard(ctx, id)
}

// CreateScorecard validates and writes a scorecard as revision 1.
func (s *Service) CreateScorecard(ctx context.Context, sc Scorecard) (*Scorecard, error) {
	if _, err := desk.Require(ctx, auth.QAReview); err != nil {
		return nil, err
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	sc.Revision, sc.CreatedAt, sc.UpdatedAt = 1, now, now
	if err := s.store.CreateScorecard(ctx, &sc); err != nil {
		return nil, fmt.Errorf("create scorecard: %w", err)
	}
	return &sc, nil
}

// UpdateScorecard applies change to the scorecard at ifVersion (0: any);
// a change of its sections makes a new revision, which reviews from now on
// use; reviews already made keep theirs.
func (s *Service) UpdateScorecard(ctx context.Context, id, ifVersion int64, change func(*Scorecard)) (*Scorecard, error) {
	if _, err := desk.Require(ctx, auth.QAReview); err != nil {
		return nil, err
	}
	var out *Scorecard
	err := desk.Optimistic(ifVersion, func() error {
		sc, err := s.store.Scorecard(ctx, id)
		if err != nil {
			return err
		}
		if err := desk.CheckVersion(ifVersion, sc.Version); err != nil {
			return err
		}
		before := marshalSections(sc.Sections)
		change(sc)
		if err := sc.Validate(); err != nil {
			return err
		}
		changed := marshalSections(sc.Sections) != before
		if changed {
			sc.Revision++
		}
		sc.UpdatedAt = s.clock.Now()
		if err := s.store.UpdateScorecard(ctx, sc, changed); err != nil {
			return err
		}
		out = sc
		return nil
	})
	return out, err
}

// mayReview is the acting agent when they hold qa:review.
func mayReview(a desk.Actor) bool { return a.Can(auth.QAReview) }

// notice builds the event of a review change and a notification for each
// agent in to (never the actor).
func (s *Service) notice(a desk.Actor, kind string, r *Review, to ...int64) Notice {
	ev := event.New(kind, 0, map[string]any{"review_id": r.ID, "ticket_id": r.TicketID, "agent_id": r.AgentID,
		"score": r.Score, "state": r.State})
	ev.ActorKind, ev.ActorID, ev.CreatedAt = a.Kind, a.ID, s.clock.Now()
	n := Notice{Event: ev}
	for _, id := range slices.Compact(slices.Sorted(slices.Values(to))) {
		if id == 0 || id == a.ID {
			continue
		}
		n.Notify = append(n.Notify, &notify.Notification{AgentID: id, Kind: "qa_" + kind[len("qa."):],
			TicketID: r.TicketID, Body: strconv.FormatInt(r.ID, 10), CreatedAt: ev.CreatedAt})
	}
	return n
}

func marshalSections(ss []Section) string {
	b, _ := json.Marshal(ss)
	return string(b)
}

// withPrevious adds the score before a change to an event's data.
func withPrevious(data json.RawMessage, previous float64) json.RawMessage {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return data
	}
	m["previous_score"] = previous
	b, _ := json.Marshal(m)
	return b
}
