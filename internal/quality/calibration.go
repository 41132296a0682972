package quality

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/notify"
)

// Calibration states: reviewers score blind while it is open; the
// facilitator reveals it (every answer shows) and then records the agreed
// answers.
const (
	CalibrationOpen     = "open"
	CalibrationRevealed = "revealed"
	CalibrationAgreed   = "agreed"
)

// Disagreement is the spread (max - min, in percent points) of a
// criterion's scores from which a calibration marks it as disputed.
const Disagreement = 25.0

// Calibration is several reviewers scoring one conversation (a ticket and
// one agent in it) against one scorecard revision, blind, and the answer
// they agree on.
type Calibration struct {
	ID                int64              `json:"id"`
	TicketID          int64              `json:"ticket_id"`
	AgentID           int64              `json:"agent_id"`
	ScorecardID       int64              `json:"scorecard_id"`
	ScorecardRevision int                `json:"scorecard_revision"`
	FacilitatorID     int64              `json:"facilitator_id"`
	State             string             `json:"state"`
	Scores            []CalibrationScore `json:"scores"`
	// Spread is per criterion, once the viewer may see every answer.
	Spread        []CriterionSpread `json:"spread"`
	AgreedAnswers map[string]string `json:"agreed_answers"`
	AgreedScore   *float64          `json:"agreed_score"`
	Notes         string            `json:"notes"`
	// ReviewID is the official review the agreed answers became.
	ReviewID  *int64    `json:"review_id"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CurrentVersion is the calibration's version, for ETags.
func (c *Calibration) CurrentVersion() int64 { return c.Version }

// CalibrationScore is one invited reviewer's part: their answers once
// submitted (hidden from the others while the session is blind to them).
type CalibrationScore struct {
	ReviewerID  int64              `json:"reviewer_id"`
	Submitted   bool               `json:"submitted"`
	Answers     map[string]string  `json:"answers,omitempty"`
	Criteria    map[string]float64 `json:"criteria,omitempty"`
	Score       *float64           `json:"score,omitempty"`
	SubmittedAt *time.Time         `json:"submitted_at,omitempty"`
}

// CriterionSpread is how far the reviewers' scores of one criterion lie
// apart.
type CriterionSpread struct {
	Key      string   `json:"key"`
	Title    string   `json:"title"`
	N        int      `json:"n"`
	Min      *float64 `json:"min"`
	Max      *float64 `json:"max"`
	StdDev   *float64 `json:"stddev"`
	Answers  []string `json:"answers"`
	Disagree bool     `json:"disagree"`
}

// NewCalibration is what a facilitator sends.
type NewCalibration struct {
	TicketID    int64   `json:"ticket_id"`
	AgentID     int64   `json:"agent_id"`
	ScorecardID int64   `json:"scorecard_id"`
	ReviewerIDs []int64 `json:"reviewer_ids"`
}

// Agreement is the facilitator's record of what the reviewers agreed;
// with MakeReview the answers become the official review of the agent.
type Agreement struct {
	Answers    map[string]string `json:"answers"`
	Notes      string            `json:"notes"`
	MakeReview bool              `json:"make_review"`
}

// CalibrationFilter narrows a list of calibrations, newest first.
type CalibrationFilter struct {
	// ParticipantID: those this agent facilitates or is invited to.
	ParticipantID *int64
	BeforeID      int64
	Limit         int
}

// CalibrationStore keeps calibrations. Missing ones are ENOTFOUND; a
// write at another version is ESTALE.
type CalibrationStore interface {
	// CreateCalibration writes the session, a row per reviewer and the
	// invitations in one transaction.
	CreateCalibration(ctx context.Context, c *Calibration, notice func(*Calibration) Notice) error
	Calibration(ctx context.Context, id int64) (*Calibration, error)
	Calibrations(ctx context.Context, f CalibrationFilter) ([]*Calibration, error)
	// SubmitCalibrationScore writes a reviewer's answers once: ECONFLICT
	// when they already did, ENOTFOUND when they were not invited, and
	// EUNPROCESSABLE when the session is no longer open.
	SubmitCalibrationScore(ctx context.Context, calibrationID int64, s CalibrationScore) error
	// ChangeCalibration writes state, agreed answers and notes at
	// c.Version; with review set it also writes that review (and its
	// notice) and links it, in the same transaction.
	ChangeCalibration(ctx context.Context, c *Calibration, review *Review, notice func(*Review) Notice) error
}

// CreateCalibration opens a blind calibration session on a ticket the
// facilitator sees, for at least two reviewers, none of them the agent.
func (s *Service) CreateCalibration(ctx context.Context, in NewCalibration) (*Calibration, error) {
	a, err := desk.Require(ctx, auth.QAReview)
	if err != nil {
		return nil, err
	}
	if _, err := s.tickets.Get(ctx, in.TicketID); err != nil {
		if desk.ErrorCode(err) == desk.ENOTFOUND {
			return nil, desk.Invalid(desk.Fields{"ticket_id": desk.M("invalid.no_ticket")})
		}
		return nil, err
	}
	f := desk.Fields{}
	if ag, err := s.store.Agent(ctx, in.AgentID); err != nil || !ag.Active {
		if err != nil && desk.ErrorCode(err) != desk.ENOTFOUND {
			return nil, err
		}
		f["agent_id"] = desk.M("invalid.no_agent")
	}
	if in.AgentID == a.ID {
		return nil, desk.E(desk.EUNPROCESSABLE, "quality.error.self_review")
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
	reviewers := ids(in.ReviewerIDs)
	switch {
	case len(reviewers) < 2:
		f["reviewer_ids"] = desk.M("quality.invalid.calibration_reviewers")
	case len(reviewers) > 20:
		f["reviewer_ids"] = desk.M("invalid.at_most", 20)
	case slices.Contains(reviewers, in.AgentID):
		f["reviewer_ids"] = desk.M("quality.invalid.reviewer_is_agent")
	}
	for _, id := range reviewers {
		if ag, err := s.store.Agent(ctx, id); err != nil || !ag.Active {
			if err != nil && desk.ErrorCode(err) != desk.ENOTFOUND {
				return nil, err
			}
			f["reviewer_ids"] = desk.M("invalid.no_agent")
		}
	}
	if len(f) > 0 {
		return nil, desk.Invalid(f)
	}
	now := s.clock.Now()
	c := &Calibration{TicketID: in.TicketID, AgentID: in.AgentID, ScorecardID: sc.ID, ScorecardRevision: sc.Revision,
		FacilitatorID: a.ID, State: CalibrationOpen, AgreedAnswers: map[string]string{}, CreatedAt: now, UpdatedAt: now}
	for _, id := range reviewers {
		c.Scores = append(c.Scores, CalibrationScore{ReviewerID: id})
	}
	err = s.calibration.CreateCalibration(ctx, c, func(c *Calibration) Notice {
		return s.calibrationNotice(a, EventCalibrationInvited, c, reviewers...)
	})
	if err != nil {
		return nil, fmt.Errorf("create calibration: %w", err)
	}
	return s.blind(a, c, sc), nil
}

// Calibration event kinds; notifications use kinds of the same name with
// "_" for ".".
const (
	EventCalibrationInvited = "qa.calibration_invited"
	EventCalibrationAgreed  = "qa.calibration_agreed"
)

func (s *Service) calibrationNotice(a desk.Actor, kind string, c *Calibration, to ...int64) Notice {
	ev := event.New(kind, 0, map[string]any{"calibration_id": c.ID, "ticket_id": c.TicketID, "agent_id": c.AgentID})
	ev.ActorKind, ev.ActorID, ev.CreatedAt = a.Kind, a.ID, s.clock.Now()
	n := Notice{Event: ev}
	for _, id := range ids(to) {
		if id == a.ID {
			continue
		}
		n.Notify = append(n.Notify, &notify.Notification{AgentID: id, Kind: strings.ReplaceAll(kind, ".", "_"),
			TicketID: c.TicketID, Body: strconv.FormatInt(c.ID, 10), CreatedAt: ev.CreatedAt})
	}
	return n
}

// participant reports whether the actor facilitates or was invited.
func (c *Calibration) participant(id int64) bool {
	return c.FacilitatorID == id || c.invited(id) != nil
}

func (c *Calibration) invited(id int64) *CalibrationScore {
	for i := range c.Scores {
		if c.Scores[i].ReviewerID == id {
			return &c.Scores[i]
		}
	}
	return nil
}

// blind hides from the viewer the answers they may not see yet: while the
// session is open, a reviewer sees others' answers only once they have
// submitted their own, the facilitator only after revealing. Once every
// answer shows, the spread is computed.
func (s *Service) blind(a desk.Actor, c *Calibration, sc *Scorecard) *Calibration {
	if c.hideOthers(a.ID) || sc == nil {
		c.Spread = []CriterionSpread{}
		return c
	}
	c.Spread = spread(c.Scores, sc)
	return c
}

// hideOthers takes out the answers of others the viewer may not see yet
// and reports whether it did.
func (c *Calibration) hideOthers(viewer int64) bool {
	if me := c.invited(viewer); c.State != CalibrationOpen || (me != nil && me.Submitted) {
		return false
	}
	for i := range c.Scores {
		if c.Scores[i].ReviewerID != viewer {
			c.Scores[i].Answers, c.Scores[i].Criteria, c.Scores[i].Score = nil, nil, nil
		}
	}
	return true
}

// spread computes, for each criterion of the scorecard, the submitted
// scores' minimum, maximum and (population) standard deviation.
func spread(scores []CalibrationScore, sc *Scorecard) []CriterionSpread {
	out := []CriterionSpread{}
	for _, cr := range sc.Criteria() {
		cs := CriterionSpread{Key: cr.Key, Title: cr.Title, Answers: []string{}}
		var vals []float64
		for _, x := range scores {
			if !x.Submitted {
				continue
			}
			if ans, ok := x.Answers[cr.Key]; ok {
				cs.Answers = append(cs.Answers, ans)
			}
			if v, ok := x.Criteria[cr.Key]; ok {
				vals = append(vals, math.Round(v*1000)/10) // in percent
			}
		}
		cs.N = len(vals)
		if len(vals) > 0 {
			lo, hi := slices.Min(vals), slices.Max(vals)
			var mean, ss float64
			for _, v := range vals {
				mean += v
			}
			mean /= float64(len(vals))
			for _, v := range vals {
				ss += (v - mean) * (v - mean)
			}
			sd := math.Round(math.Sqrt(ss/float64(len(vals)))*10) / 10
			cs.Min, cs.Max, cs.StdDev = &lo, &hi, &sd
			cs.Disagree = hi-lo >= Disagreement
		}
		if len(slices.Compact(slices.Sorted(slices.Values(cs.Answers)))) > 1 && cr.Scale == ScaleYesNo {
			cs.Disagree = true // yes against no (or n.a.) is a disagreement whatever the points
		}
		out = append(out, cs)
	}
	return out
}

// Calibration returns a session to its facilitator, its reviewers and
// holders of qa:review who see its ticket, with what the viewer may see.
func (s *Service) Calibration(ctx context.Context, id int64) (*Calibration, *Scorecard, error) {
	a, err := desk.Require(ctx, auth.TicketsRead)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.calibration.Calibration(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !c.participant(a.ID) {
		if !mayReview(a) {
			return nil, nil, desk.E(desk.ENOTFOUND, "quality.error.calibration_not_found", id)
		}
		if _, err := s.tickets.Get(ctx, c.TicketID); err != nil {
			return nil, nil, desk.E(desk.ENOTFOUND, "quality.error.calibration_not_found", id)
		}
	}
	sc, err := s.store.ScorecardAt(ctx, c.ScorecardID, c.ScorecardRevision)
	if err != nil {
		return nil, nil, err
	}
	return s.blind(a, c, sc), sc, nil
}

// Calibrations lists the sessions the actor takes part in (all of them
// for holders of qa:review), blind as Calibration is.
func (s *Service) Calibrations(ctx context.Context, f CalibrationFilter) ([]*Calibration, error) {
	a, err := desk.Require(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	if !mayReview(a) {
		f.ParticipantID = &a.ID
	}
	if f.Limit <= 0 || f.Limit > 101 {
		f.Limit = 50
	}
	list, err := s.calibration.Calibrations(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		s.blind(a, c, nil) // the list shows no spread
	}
	return list, nil
}

// SubmitCalibration takes an invited reviewer's answers, once, while the
// session is open; the reviewer must see the ticket.
func (s *Service) SubmitCalibration(ctx context.Context, id int64, answers map[string]string) (*Calibration, *Scorecard, error) {
	a, err := desk.Require(ctx, auth.TicketsRead)
	if err != nil {
		return nil, nil, err
	}
	c, sc, err := s.Calibration(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	me := c.invited(a.ID)
	switch {
	case me == nil:
		return nil, nil, desk.E(desk.EFORBIDDEN, "quality.error.not_invited")
	case me.Submitted:
		return nil, nil, desk.E(desk.ECONFLICT, "quality.error.already_scored")
	case c.State != CalibrationOpen:
		return nil, nil, desk.E(desk.EUNPROCESSABLE, "quality.error.calibration_closed", c.State)
	case c.AgentID == a.ID:
		return nil, nil, desk.E(desk.EUNPROCESSABLE, "quality.error.self_review")
	}
	if _, err := s.tickets.Get(ctx, c.TicketID); err != nil {
		if desk.ErrorCode(err) == desk.ENOTFOUND {
			return nil, nil, desk.E(desk.EUNPROCESSABLE, "quality.error.calibration_ticket_hidden", c.TicketID)
		}
		return nil, nil, err
	}
	res, err := sc.Score(answers)
	if err != nil {
		return nil, nil, err
	}
	now := s.clock.Now()
	score := res.Score
	if err := s.calibration.SubmitCalibrationScore(ctx, id, CalibrationScore{ReviewerID: a.ID, Submitted: true,
		Answers: answers, Criteria: res.Criteria, Score: &score, SubmittedAt: &now}); err != nil {
		return nil, nil, err
	}
	return s.Calibration(ctx, id)
}

// RevealCalibration shows every answer, by the facilitator, at ifVersion.
func (s *Service) RevealCalibration(ctx context.Context, id, ifVersion int64) (*Calibration, error) {
	return s.changeCalibration(ctx, id, ifVersion, func(a desk.Actor, c *Calibration, sc *Scorecard) (*Review, error) {
		if c.State != CalibrationOpen {
			return nil, desk.E(desk.EUNPROCESSABLE, "quality.error.calibration_closed", c.State)
		}
		c.State = CalibrationRevealed
		return nil, nil
	})
}

// AgreeCalibration records the agreed answers (scored against the
// session's scorecard revision), by the facilitator once the session is
// revealed; with MakeReview they become the agent's review, by the
// facilitator, written in the same transaction.
func (s *Service) AgreeCalibration(ctx context.Context, id, ifVersion int64, in Agreement) (*Calibration, error) {
	return s.changeCalibration(ctx, id, ifVersion, func(a desk.Actor, c *Calibration, sc *Scorecard) (*Review, error) {
		if c.State != CalibrationRevealed {
			return nil, desk.E(desk.EUNPROCESSABLE, "quality.error.calibration_not_revealed", c.State)
		}
		notes, ok := cleanNotes(in.Notes)
		if !ok {
			return nil, desk.Invalid(desk.Fields{"notes": desk.M("invalid.too_long")})
		}
		res, err := sc.Score(in.Answers)
		if err != nil {
			return nil, err
		}
		score := res.Score
		c.State, c.AgreedAnswers, c.AgreedScore, c.Notes = CalibrationAgreed, in.Answers, &score, notes
		if !in.MakeReview {
			return nil, nil
		}
		if c.AgentID == a.ID {
			return nil, desk.E(desk.EUNPROCESSABLE, "quality.error.self_review")
		}
		now := s.clock.Now()
		return &Review{TicketID: c.TicketID, AgentID: c.AgentID, ReviewerID: a.ID, ScorecardID: c.ScorecardID,
			ScorecardRevision: c.ScorecardRevision, Answers: in.Answers, Criteria: res.Criteria, Score: res.Score,
			CriticalFailed: res.CriticalFailed, Summary: notes, Comments: []Comment{}, State: StateOpen,
			CreatedAt: now, UpdatedAt: now}, nil
	})
}

func (s *Service) changeCalibration(ctx context.Context, id, ifVersion int64,
	fn func(desk.Actor, *Calibration, *Scorecard) (*Review, error)) (*Calibration, error) {
	a, err := desk.Require(ctx, auth.QAReview)
	if err != nil {
		return nil, err
	}
	var out *Calibration
	err = desk.Optimistic(ifVersion, func() error {
		c, sc, err := s.Calibration(ctx, id)
		if err != nil {
			return err
		}
		if c.FacilitatorID != a.ID {
			return desk.E(desk.EFORBIDDEN, "quality.error.not_facilitator")
		}
		if err := desk.CheckVersion(ifVersion, c.Version); err != nil {
			return err
		}
		rv, err := fn(a, c, sc)
		if err != nil {
			return err
		}
		c.UpdatedAt = s.clock.Now()
		if err := s.calibration.ChangeCalibration(ctx, c, rv, func(r *Review) Notice {
			return s.notice(a, EventReviewed, r, r.AgentID)
		}); err != nil {
			return err
		}
		if rv != nil {
			c.ReviewID = &rv.ID
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	c, _, err := s.Calibration(ctx, out.ID)
	return c, err
}
