package quality

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// Reasons a conversation is in the review queue.
const (
	ReasonSample      = "sample"       // one of the n random conversations of its agent's week
	ReasonEscalated   = "escalated"    // escalated at least once
	ReasonReopened    = "reopened"     // solved again after an earlier solve
	ReasonSLABreached = "sla_breached" // missed an SLA target
)

// SamplingRules say what a week's review queue holds: PerAgent random
// conversations solved that week by each agent, plus every escalated,
// reopened or SLA-breached one when chosen; items go round the reviewers,
// due DueDays after the week ends.
type SamplingRules struct {
	PerAgent    int       `json:"per_agent"`
	Escalated   bool      `json:"escalated"`
	Reopened    bool      `json:"reopened"`
	SLABreached bool      `json:"sla_breached"`
	ReviewerIDs []int64   `json:"reviewer_ids"`
	DueDays     int       `json:"due_days"`
	Version     int64     `json:"version"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CurrentVersion is the rules' version, for ETags.
func (r *SamplingRules) CurrentVersion() int64 { return r.Version }

// QueueItem is one conversation (ticket and agent) waiting for review.
// A ticket and agent are queued once, ever: building a week again adds
// nothing twice.
type QueueItem struct {
	ID         int64      `json:"id"`
	WeekStart  time.Time  `json:"week_start"`
	TicketID   int64      `json:"ticket_id"`
	AgentID    int64      `json:"agent_id"`
	Reason     string     `json:"reason"`
	ReviewerID *int64     `json:"reviewer_id"`
	DueAt      *time.Time `json:"due_at"`
	ReviewID   *int64     `json:"review_id"`
	CreatedAt  time.Time  `json:"created_at"`
}

// QueueFilter narrows the queue, oldest first after AfterID.
type QueueFilter struct {
	WeekStart  *time.Time
	ReviewerID *int64
	Open       bool // only items without a review
	AfterID    int64
	Limit      int
}

// QueueBuild is one week's build, as the store runs it.
type QueueBuild struct {
	From, To time.Time // the week: conversations solved in [From, To)
	Seed     int64     // orders the random sample (the same week samples the same)
	Rules    SamplingRules
	Now      time.Time
}

// QueueStore keeps the sampling rules and the queue. Claiming an item
// someone else holds, or one reviewed already, is ECONFLICT.
type QueueStore interface {
	SamplingRules(ctx context.Context) (*SamplingRules, error)
	SaveSamplingRules(ctx context.Context, r *SamplingRules) error // at r.Version; ESTALE
	// BuildReviewQueue adds the week's sample and flagged conversations
	// (never one already queued) and returns how many it added.
	BuildReviewQueue(ctx context.Context, b QueueBuild) (int, error)
	// AssignQueueItems gives each reviewer their items (those still
	// unassigned) with a due time.
	AssignQueueItems(ctx context.Context, byReviewer map[int64][]int64, due time.Time) (int, error)
	QueueItems(ctx context.Context, f QueueFilter) ([]*QueueItem, error)
	ClaimQueueItem(ctx context.Context, id, reviewerID int64) (*QueueItem, error)
}

// WeekStart is the Monday 00:00 UTC that begins t's week.
func WeekStart(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

// Rules returns the sampling rules.
func (s *Service) Rules(ctx context.Context) (*SamplingRules, error) {
	if _, err := desk.Require(ctx, auth.QAReview); err != nil {
		return nil, err
	}
	return s.queue.SamplingRules(ctx)
}

// SaveRules validates and writes the sampling rules at ifVersion (0: any).
func (s *Service) SaveRules(ctx context.Context, ifVersion int64, change func(*SamplingRules)) (*SamplingRules, error) {
	if _, err := desk.Require(ctx, auth.QAReview); err != nil {
		return nil, err
	}
	var out *SamplingRules
	err := desk.Optimistic(ifVersion, func() error {
		r, err := s.queue.SamplingRules(ctx)
		if err != nil {
			return err
		}
		if err := desk.CheckVersion(ifVersion, r.Version); err != nil {
			return err
		}
		change(r)
		f := desk.Fields{}
		if r.PerAgent < 0 || r.PerAgent > 50 {
			f["per_agent"] = desk.M("invalid.at_most", 50)
		}
		if r.DueDays < 0 || r.DueDays > 60 {
			f["due_days"] = desk.M("invalid.at_most", 60)
		}
		slices.Sort(r.ReviewerIDs)
		r.ReviewerIDs = slices.Compact(r.ReviewerIDs)
		for _, id := range r.ReviewerIDs {
			if ag, err := s.store.Agent(ctx, id); err != nil || !ag.Active {
				f["reviewer_ids"] = desk.M("invalid.no_agent")
			}
		}
		if len(f) > 0 {
			return desk.Invalid(f)
		}
		r.UpdatedAt = s.clock.Now()
		if err := s.queue.SaveSamplingRules(ctx, r); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
}

// BuildResult is what a build did.
type BuildResult struct {
	WeekStart time.Time `json:"week_start"`
	Added     int       `json:"added"`
	Assigned  int       `json:"assigned"`
}

// BuildQueue fills the queue of the week that holds day by the rules, and
// hands the week's unassigned items round the reviewers (never to the
// agent reviewed). Building again adds only what is new.
func (s *Service) BuildQueue(ctx context.Context, day time.Time) (*BuildResult, error) {
	if _, err := desk.Require(ctx, auth.QAReview); err != nil {
		return nil, err
	}
	rules, err := s.queue.SamplingRules(ctx)
	if err != nil {
		return nil, err
	}
	from := WeekStart(day)
	res := &BuildResult{WeekStart: from}
	if res.Added, err = s.queue.BuildReviewQueue(ctx, QueueBuild{From: from, To: from.AddDate(0, 0, 7),
		Seed: from.Unix() / 86400, Rules: *rules, Now: s.clock.Now()}); err != nil {
		return nil, fmt.Errorf("build review queue: %w", err)
	}
	if len(rules.ReviewerIDs) == 0 {
		return res, nil
	}
	items, err := s.queue.QueueItems(ctx, QueueFilter{WeekStart: &from, Open: true, Limit: 1 << 20})
	if err != nil {
		return nil, err
	}
	by := map[int64][]int64{}
	next := 0
	for _, it := range items {
		if it.ReviewerID != nil {
			continue
		}
		for try := 0; try < len(rules.ReviewerIDs); try++ {
			rv := rules.ReviewerIDs[(next+try)%len(rules.ReviewerIDs)]
			if rv != it.AgentID {
				by[rv] = append(by[rv], it.ID)
				next += try + 1
				break
			}
		}
	}
	due := from.AddDate(0, 0, 7+rules.DueDays)
	if res.Assigned, err = s.queue.AssignQueueItems(ctx, by, due); err != nil {
		return nil, err
	}
	return res, nil
}

// Queue lists queue items: everyone's with qa:review.
func (s *Service) Queue(ctx context.Context, f QueueFilter) ([]*QueueItem, error) {
	if _, err := desk.Require(ctx, auth.QAReview); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 101 {
		f.Limit = 50
	}
	return s.queue.QueueItems(ctx, f)
}

// Claim takes a queue item for the acting reviewer: one unassigned, or
// theirs already. Another reviewer's item, or one reviewed, is ECONFLICT;
// one's own conversations are not for one to review.
func (s *Service) Claim(ctx context.Context, id int64) (*QueueItem, error) {
	a, err := desk.Require(ctx, auth.QAReview)
	if err != nil {
		return nil, err
	}
	return s.queue.ClaimQueueItem(ctx, id, a.ID)
}
