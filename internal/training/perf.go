package training

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/notify"
)

// Performance review states: a lead's draft, shared with the agent (who
// adds a self-assessment), acknowledged by the agent (closed: nothing in
// it changes again).
const (
	PerfDraft        = "draft"
	PerfShared       = "shared"
	PerfAcknowledged = "acknowledged"
)

// Periods a performance review covers.
const (
	Monthly   = "monthly"
	Quarterly = "quarterly"
)

// Periods lists the periods, for forms.
var Periods = []string{Monthly, Quarterly}

// PerfReview is a lead's periodic review of one agent.
type PerfReview struct {
	ID             int64     `json:"id"`
	AgentID        int64     `json:"agent_id"`
	AuthorID       int64     `json:"author_id"`
	Period         string    `json:"period"`
	PeriodStart    time.Time `json:"period_start"`
	PeriodEnd      time.Time `json:"period_end"` // exclusive
	State          string    `json:"state"`
	Assessment     string    `json:"assessment"`
	SelfAssessment string    `json:"self_assessment"`
	// Facts are frozen when the review is shared; a draft gathers them
	// afresh each time it is read.
	Facts          *Facts     `json:"facts"`
	SharedAt       *time.Time `json:"shared_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	Version        int64      `json:"version"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// CurrentVersion is the review's version, for ETags.
func (r *PerfReview) CurrentVersion() int64 { return r.Version }

// PerfRevision is the text of a review as one write left it.
type PerfRevision struct {
	Version        int64     `json:"version"`
	State          string    `json:"state"`
	Assessment     string    `json:"assessment"`
	SelfAssessment string    `json:"self_assessment"`
	ActorID        int64     `json:"actor_id"`
	CreatedAt      time.Time `json:"created_at"`
}

// Facts are what a period holds for the agent.
type Facts struct {
	GatheredAt time.Time   `json:"gathered_at"`
	KPIs       *KPISummary `json:"kpis"`
	QA         *QASummary  `json:"qa"`
	// Goals and Coaching are nil when the desk does not offer them yet.
	Goals    []Goal         `json:"goals"`
	Coaching []CoachingNote `json:"coaching"`
	Training []TrainingLine `json:"training"`
}

// KPISummary is an agent's ticket figures for the period (from the KPI
// rollups).
type KPISummary struct {
	Created          int64    `json:"created"`
	Solved           int64    `json:"solved"`
	FirstResponseP50 *float64 `json:"first_response_median_seconds"`
	ResolutionP50    *float64 `json:"resolution_median_seconds"`
	CSAT             *float64 `json:"csat"`
	CSATAnswers      int64    `json:"csat_answers"`
}

// QASummary is an agent's QA reviews made in the period.
type QASummary struct {
	Reviews        int      `json:"reviews"`
	Average        *float64 `json:"average"`
	CriticalFailed int      `json:"critical_failed"`
	Lowest         *float64 `json:"lowest"`
}

// Goal is one goal's progress, as the goals feature reports it.
type Goal struct {
	Name     string   `json:"name"`
	Target   float64  `json:"target"`
	Actual   *float64 `json:"actual"`
	Met      bool     `json:"met"`
	Progress string   `json:"progress"`
}

// CoachingNote is a coaching session of the period.
type CoachingNote struct {
	At    time.Time `json:"at"`
	Title string    `json:"title"`
	Notes string    `json:"notes"`
}

// TrainingLine is one course assignment as the period ended.
type TrainingLine struct {
	Course      string     `json:"course"`
	State       string     `json:"state"`
	DueAt       time.Time  `json:"due_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Score       *float64   `json:"score"`
	Overdue     bool       `json:"overdue"`
}

// FactSources are the other packages' figures a review gathers; a nil
// Goals or Coaching means that feature is not there (the page says so).
type FactSources struct {
	KPIs     func(ctx context.Context, agentID int64, from, to time.Time) (*KPISummary, error)
	QA       func(ctx context.Context, agentID int64, from, to time.Time) (*QASummary, error)
	Goals    func(ctx context.Context, agentID int64, from, to time.Time) ([]Goal, error)
	Coaching func(ctx context.Context, agentID int64, from, to time.Time) ([]CoachingNote, error)
}

// PerfStore keeps performance reviews. A second review of the same agent
// and period is ECONFLICT; a write at another version is ESTALE.
type PerfStore interface {
	// CreatePerfReview writes the review and its first revision.
	CreatePerfReview(ctx context.Context, r *PerfReview) error
	PerfReview(ctx context.Context, id int64) (*PerfReview, error)
	// PerfReviews is an agent's history, newest period first.
	PerfReviews(ctx context.Context, agentID int64) ([]*PerfReview, error)
	// ChangePerfReview writes r at r.Version with a revision by actorID and
	// the notice, in one transaction.
	ChangePerfReview(ctx context.Context, r *PerfReview, actorID int64, n Notice) error
	PerfRevisions(ctx context.Context, id int64) ([]PerfRevision, error)
}

// Relation is how a viewer stands to an agent for a review.
type Relation int

// Relations, from none to the agent themselves.
const (
	NoRelation Relation = iota
	Self
	Lead       // leads a team the agent is in, or coaches in one
	Supervisor // sees every figure
)

// RelationTo says how the acting agent stands to agentID: performance
// reviews are for the agent, their leads and supervisors only.
func (s *Service) RelationTo(ctx context.Context, agentID int64) (Relation, error) {
	a, err := desk.Require(ctx, "")
	if err != nil {
		return NoRelation, err
	}
	switch {
	case a.Kind == desk.ActorSystem || a.Can(auth.ReportsReadAll):
		if a.ID == agentID && a.Kind == desk.ActorAgent {
			return Self, nil
		}
		return Supervisor, nil
	case a.ID == agentID:
		return Self, nil
	}
	teams, err := s.store.Teams(ctx)
	if err != nil {
		return NoRelation, err
	}
	for _, t := range teams {
		if !slices.Contains(t.MemberIDs, agentID) {
			continue
		}
		if (t.LeadID != nil && *t.LeadID == a.ID) || (a.Can(auth.CoachingWrite) && slices.Contains(t.MemberIDs, a.ID)) {
			return Lead, nil
		}
	}
	return NoRelation, nil
}

// mayWrite reports whether the actor writes reviews of agents they stand
// to as rel.
func mayWrite(a desk.Actor, rel Relation) bool {
	return (rel == Lead || rel == Supervisor) && a.Can(auth.CoachingWrite)
}

// NewPerfReview starts a review: the agent, the period kind and any day
// in the period.
type NewPerfReview struct {
	AgentID    int64     `json:"agent_id"`
	Period     string    `json:"period"`
	PeriodOf   time.Time `json:"period_of"`
	Assessment string    `json:"assessment"`
}

// PeriodBounds returns the month or quarter (UTC) that holds t.
func PeriodBounds(period string, t time.Time) (time.Time, time.Time, bool) {
	t = t.UTC()
	switch period {
	case Monthly:
		start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0), true
	case Quarterly:
		q := (int(t.Month()) - 1) / 3 * 3
		start := time.Date(t.Year(), time.Month(q+1), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 3, 0), true
	}
	return time.Time{}, time.Time{}, false
}

const maxAssessment = 20000

func cleanText(s string) (string, desk.Msg) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
			return "", desk.M("invalid.control_chars")
		}
	}
	if tooLong(s, maxAssessment) {
		return "", desk.M("invalid.too_long")
	}
	return s, desk.Msg{}
}

// CreatePerfReview starts a draft, by a lead or supervisor holding
// coaching:write; nobody reviews themselves; the agent must be active.
func (s *Service) CreatePerfReview(ctx context.Context, in NewPerfReview) (*PerfReview, error) {
	a, err := desk.Require(ctx, auth.CoachingWrite)
	if err != nil {
		return nil, err
	}
	if in.AgentID == a.ID {
		return nil, desk.E(desk.EUNPROCESSABLE, "perf.error.self")
	}
	f := desk.Fields{}
	ag, err := s.store.Agent(ctx, in.AgentID)
	if err != nil && desk.ErrorCode(err) != desk.ENOTFOUND {
		return nil, err
	}
	if err != nil || !ag.Active {
		return nil, desk.Invalid(desk.Fields{"agent_id": desk.M("training.invalid.agent_gone", in.AgentID)})
	}
	rel, err := s.RelationTo(ctx, in.AgentID)
	if err != nil {
		return nil, err
	}
	if !mayWrite(a, rel) {
		return nil, desk.E(desk.EFORBIDDEN, "perf.error.not_your_agent")
	}
	now := s.clock.Now()
	if in.PeriodOf.IsZero() {
		in.PeriodOf = now
	}
	start, end, ok := PeriodBounds(in.Period, in.PeriodOf)
	if !ok {
		f["period"] = desk.M("invalid.one_of", strings.Join(Periods, ", "))
	} else if start.After(now) {
		f["period_of"] = desk.M("perf.invalid.future")
	}
	text, msg := cleanText(in.Assessment)
	if msg.Key != "" {
		f["assessment"] = msg
	}
	if len(f) > 0 {
		return nil, desk.Invalid(f)
	}
	r := &PerfReview{AgentID: in.AgentID, AuthorID: a.ID, Period: in.Period, PeriodStart: start, PeriodEnd: end,
		State: PerfDraft, Assessment: text, CreatedAt: now, UpdatedAt: now}
	if err := s.perf.CreatePerfReview(ctx, r); err != nil {
		if desk.ErrorCode(err) == desk.ECONFLICT {
			return nil, desk.E(desk.ECONFLICT, "perf.error.exists")
		}
		return nil, fmt.Errorf("create performance review: %w", err)
	}
	return r, nil
}

// PerfReview returns a review for the agent, their leads and supervisors;
// to anyone else it does not exist.
func (s *Service) PerfReview(ctx context.Context, id int64) (*PerfReview, error) {
	r, err := s.perf.PerfReview(ctx, id)
	if err != nil {
		return nil, err
	}
	rel, err := s.RelationTo(ctx, r.AgentID)
	if err != nil {
		return nil, err
	}
	if rel == NoRelation || (rel == Self && r.State == PerfDraft) {
		return nil, desk.E(desk.ENOTFOUND, "perf.error.not_found", id)
	}
	return r, nil
}

// PerfReviews is an agent's history as the viewer may see it (the agent
// does not see drafts).
func (s *Service) PerfReviews(ctx context.Context, agentID int64) ([]*PerfReview, error) {
	rel, err := s.RelationTo(ctx, agentID)
	if err != nil {
		return nil, err
	}
	if rel == NoRelation {
		return nil, desk.E(desk.EFORBIDDEN, "perf.error.not_your_agent")
	}
	list, err := s.perf.PerfReviews(ctx, agentID)
	if err != nil {
		return nil, err
	}
	if rel == Self {
		list = slices.DeleteFunc(list, func(r *PerfReview) bool { return r.State == PerfDraft })
	}
	return list, nil
}

// PerfRevisions is the text history of a review, for whoever may read it.
func (s *Service) PerfRevisions(ctx context.Context, id int64) ([]PerfRevision, error) {
	if _, err := s.PerfReview(ctx, id); err != nil {
		return nil, err
	}
	return s.perf.PerfRevisions(ctx, id)
}

// FactsOf are the review's facts: frozen ones once shared, else gathered
// now.
func (s *Service) FactsOf(ctx context.Context, r *PerfReview) (*Facts, error) {
	if r.Facts != nil {
		return r.Facts, nil
	}
	return s.gather(ctx, r.AgentID, r.PeriodStart, r.PeriodEnd)
}

// gather reads the period's figures as the system: whoever may read the
// review sees the same ones.
func (s *Service) gather(ctx context.Context, agentID int64, from, to time.Time) (*Facts, error) {
	sys := desk.WithActor(ctx, desk.System)
	f := &Facts{GatheredAt: s.clock.Now(), Training: []TrainingLine{}}
	var err error
	if s.facts.KPIs != nil {
		if f.KPIs, err = s.facts.KPIs(sys, agentID, from, to); err != nil {
			return nil, fmt.Errorf("gather kpis: %w", err)
		}
	}
	if s.facts.QA != nil {
		if f.QA, err = s.facts.QA(sys, agentID, from, to); err != nil {
			return nil, fmt.Errorf("gather qa: %w", err)
		}
	}
	if s.facts.Goals != nil {
		if f.Goals, err = s.facts.Goals(sys, agentID, from, to); err != nil {
			return nil, fmt.Errorf("gather goals: %w", err)
		}
	}
	if s.facts.Coaching != nil {
		if f.Coaching, err = s.facts.Coaching(sys, agentID, from, to); err != nil {
			return nil, fmt.Errorf("gather coaching: %w", err)
		}
	}
	list, err := s.store.Assignments(ctx, AssignmentFilter{AgentID: &agentID, Limit: 200})
	if err != nil {
		return nil, err
	}
	for _, x := range list {
		// What was due in the period, done in it, or still open at its end.
		if x.CreatedAt.After(to) {
			continue
		}
		inPeriod := !x.DueAt.Before(from) && x.DueAt.Before(to)
		doneIn := x.CompletedAt != nil && !x.CompletedAt.Before(from) && x.CompletedAt.Before(to)
		if !inPeriod && !doneIn && !x.Open() {
			continue
		}
		f.Training = append(f.Training, TrainingLine{Course: x.CourseTitle, State: x.State, DueAt: x.DueAt,
			CompletedAt: x.CompletedAt, Score: x.Score, Overdue: x.Overdue(s.clock.Now())})
	}
	return f, nil
}

// PerfPatch changes a review's text: the assessment (its lead) or the
// self-assessment (its agent).
type PerfPatch struct {
	Assessment     *string `json:"assessment"`
	SelfAssessment *string `json:"self_assessment"`
}

// UpdatePerfReview writes text at ifVersion: the lead's assessment while
// the review is a draft or shared, the agent's self-assessment once
// shared; an acknowledged review changes no more.
func (s *Service) UpdatePerfReview(ctx context.Context, id, ifVersion int64, p PerfPatch) (*PerfReview, error) {
	return s.changePerf(ctx, id, ifVersion, func(a desk.Actor, rel Relation, r *PerfReview) (Notice, error) {
		if r.State == PerfAcknowledged {
			return Notice{}, desk.E(desk.EUNPROCESSABLE, "perf.error.acknowledged")
		}
		f := desk.Fields{}
		if p.Assessment != nil {
			if !mayWrite(a, rel) || rel == Self {
				return Notice{}, desk.E(desk.EFORBIDDEN, "perf.error.not_your_agent")
			}
			t, msg := cleanText(*p.Assessment)
			if msg.Key != "" {
				f["assessment"] = msg
			}
			r.Assessment = t
		}
		if p.SelfAssessment != nil {
			if rel != Self {
				return Notice{}, desk.E(desk.EFORBIDDEN, "perf.error.self_only")
			}
			if r.State != PerfShared {
				return Notice{}, desk.E(desk.EUNPROCESSABLE, "perf.error.not_shared")
			}
			t, msg := cleanText(*p.SelfAssessment)
			if msg.Key != "" {
				f["self_assessment"] = msg
			}
			r.SelfAssessment = t
		}
		if len(f) > 0 {
			return Notice{}, desk.Invalid(f)
		}
		return s.perfNotice(a, "perf.updated", r), nil
	})
}

// SharePerfReview shows a draft to its agent, freezing the period's facts;
// the agent is told.
func (s *Service) SharePerfReview(ctx context.Context, id, ifVersion int64) (*PerfReview, error) {
	return s.changePerf(ctx, id, ifVersion, func(a desk.Actor, rel Relation, r *PerfReview) (Notice, error) {
		if !mayWrite(a, rel) {
			return Notice{}, desk.E(desk.EFORBIDDEN, "perf.error.not_your_agent")
		}
		if r.State != PerfDraft {
			return Notice{}, desk.E(desk.EUNPROCESSABLE, "perf.error.not_draft", r.State)
		}
		if r.Assessment == "" {
			return Notice{}, desk.Invalid(desk.Fields{"assessment": desk.M("perf.invalid.assessment_first")})
		}
		facts, err := s.gather(ctx, r.AgentID, r.PeriodStart, r.PeriodEnd)
		if err != nil {
			return Notice{}, err
		}
		now := s.clock.Now()
		r.State, r.Facts, r.SharedAt = PerfShared, facts, &now
		return s.perfNotice(a, "perf.shared", r, r.AgentID), nil
	})
}

// AcknowledgePerfReview closes a shared review, by its agent; its author
// is told.
func (s *Service) AcknowledgePerfReview(ctx context.Context, id, ifVersion int64) (*PerfReview, error) {
	return s.changePerf(ctx, id, ifVersion, func(a desk.Actor, rel Relation, r *PerfReview) (Notice, error) {
		if rel != Self {
			return Notice{}, desk.E(desk.EFORBIDDEN, "perf.error.self_only")
		}
		if r.State != PerfShared {
			return Notice{}, desk.E(desk.EUNPROCESSABLE, "perf.error.not_shared")
		}
		now := s.clock.Now()
		r.State, r.AcknowledgedAt = PerfAcknowledged, &now
		return s.perfNotice(a, "perf.acknowledged", r, r.AuthorID), nil
	})
}

func (s *Service) changePerf(ctx context.Context, id, ifVersion int64,
	fn func(desk.Actor, Relation, *PerfReview) (Notice, error)) (*PerfReview, error) {
	a, err := desk.Require(ctx, "")
	if err != nil {
		return nil, err
	}
	var out *PerfReview
	err = desk.Optimistic(ifVersion, func() error {
		// The agent may learn that a draft exists when they try to answer
		// it (422 not shared yet); nobody else outside may.
		r, err := s.perf.PerfReview(ctx, id)
		if err != nil {
			return err
		}
		rel, err := s.RelationTo(ctx, r.AgentID)
		if err != nil {
			return err
		}
		if rel == NoRelation {
			return desk.E(desk.ENOTFOUND, "perf.error.not_found", id)
		}
		if err := desk.CheckVersion(ifVersion, r.Version); err != nil {
			return err
		}
		n, err := fn(a, rel, r)
		if err != nil {
			return err
		}
		r.UpdatedAt = s.clock.Now()
		if err := s.perf.ChangePerfReview(ctx, r, a.ID, n); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
}

func (s *Service) perfNotice(a desk.Actor, kind string, r *PerfReview, to ...int64) Notice {
	ev := event.New(kind, 0, map[string]any{"performance_review_id": r.ID, "agent_id": r.AgentID, "state": r.State})
	ev.ActorKind, ev.ActorID, ev.CreatedAt = a.Kind, a.ID, s.clock.Now()
	n := Notice{Event: ev}
	for _, id := range to {
		if id == 0 || id == a.ID {
			continue
		}
		n.Notify = append(n.Notify, &notify.Notification{AgentID: id, Kind: strings.ReplaceAll(kind, ".", "_"),
			Body: strconv.FormatInt(r.ID, 10), CreatedAt: ev.CreatedAt})
	}
	return n
}
