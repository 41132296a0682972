package report

import (
	"context"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

// Goals (docs/METRICS.md, "Goals"): a target for one KPI of a team or an
// agent over a week, month or quarter, assessed by projecting the period's
// progress linearly to its end.

// Goal periods.
const (
	PeriodWeek    = "week"
	PeriodMonth   = "month"
	PeriodQuarter = "quarter"
)

// GoalPeriods are the periods a goal may have.
var GoalPeriods = []string{PeriodWeek, PeriodMonth, PeriodQuarter}

// Goal directions.
const (
	AtLeast = "at_least"
	AtMost  = "at_most"
)

// Goal states.
const (
	OnTrack  = "on_track"
	AtRisk   = "at_risk"
	OffTrack = "off_track"
	NoData   = "no_data"
)

// GoalOffTrack is the event of a goal crossing into off track (notify
// tells the team's lead, or the agent).
const GoalOffTrack = "report.goal_off_track"

// GoalMetrics are the KPIs a goal may target. Counts add up over the period
// and are projected; levels (medians, rates) are what they are so far.
var GoalMetrics = []string{"created", "solved", "replies", "escalated", "first_response_median", "resolution_median",
	"fcr_rate", "reopen_rate", "escalation_rate", "csat"}

// GoalMetricWords names each goal metric in the catalogs.
var GoalMetricWords = map[string]string{"created": "goals.m_created", "solved": "goals.m_solved",
	"replies": "goals.m_replies", "escalated": "goals.m_escalated", "first_response_median": "goals.m_first_response_median",
	"resolution_median": "goals.m_resolution_median", "fcr_rate": "goals.m_fcr_rate", "reopen_rate": "goals.m_reopen_rate",
	"escalation_rate": "goals.m_escalation_rate", "csat": "goals.m_csat"}

// countMetric says whether a goal metric is a count (projected to the
// period's end) rather than a level.
func countMetric(m string) bool {
	return m == "created" || m == "solved" || m == "replies" || m == "escalated"
}

// Goal is a target. Exactly one of TeamID and AgentID is set.
type Goal struct {
	ID        int64     `json:"id"`
	TeamID    *int64    `json:"team_id"`
	AgentID   *int64    `json:"agent_id"`
	Metric    string    `json:"metric"`
	Op        string    `json:"op"`
	Target    float64   `json:"target"`
	Period    string    `json:"period"`
	State     string    `json:"state"`        // as the last periodic check left it
	StateFrom time.Time `json:"state_period"` // the period that check was of
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

// CurrentVersion is the goal's version (its ETag).
func (g *Goal) CurrentVersion() int64 { return g.Version }

// GoalInput creates or changes a goal (nil: unchanged).
type GoalInput struct {
	TeamID  *int64   `json:"team_id"`
	AgentID *int64   `json:"agent_id"`
	Metric  *string  `json:"metric"`
	Op      *string  `json:"op"`
	Target  *float64 `json:"target"`
	Period  *string  `json:"period"`
}

// PeriodBounds is the period of the given kind holding t: [start, end) in
// UTC, weeks from Monday, quarters from January, April, July, October.
func PeriodBounds(period string, t time.Time) (time.Time, time.Time) {
	t = t.UTC()
	switch period {
	case PeriodMonth:
		s := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return s, s.AddDate(0, 1, 0)
	case PeriodQuarter:
		s := time.Date(t.Year(), t.Month()-(t.Month()-1)%3, 1, 0, 0, 0, 0, time.UTC)
		return s, s.AddDate(0, 3, 0)
	}
	s := WeekOf(t)
	return s, s.AddDate(0, 0, 7)
}

// Progress is where a goal stands in its current period.
type Progress struct {
	Goal      *Goal     `json:"goal"`
	Start     time.Time `json:"period_start"`
	End       time.Time `json:"period_end"`
	Elapsed   float64   `json:"elapsed"` // share of the period gone, 0–1
	Actual    *float64  `json:"actual"`
	Projected *float64  `json:"projected"`
	State     string    `json:"state"`
}

// RiskMargin is how far on the wrong side of a target a projection may be
// and still be only at risk: 10% of the target.
const RiskMargin = 0.10

// EarlyShare is the share of the period in which a count goal is never off
// track (too little has happened to project from).
const EarlyShare = 0.10

// Assess works out a goal's state from its actual figure so far and the
// share of the period gone (docs/METRICS.md, "Goals").
func Assess(metric, op string, target float64, actual *float64, elapsed float64) (projected *float64, state string) {
	if actual == nil {
		return nil, NoData
	}
	p := *actual
	if countMetric(metric) {
		if elapsed <= 0 {
			return nil, NoData
		}
		p = *actual / math.Min(1, elapsed)
		if op == AtLeast && *actual >= target {
			p = math.Max(p, *actual) // met already
		}
	}
	projected = &p
	var good, near bool
	if op == AtLeast {
		good, near = p >= target, p >= target*(1-RiskMargin)
	} else {
		good, near = p <= target, p <= target*(1+RiskMargin)
		if countMetric(metric) && *actual > target {
			near = false // over the limit already, whatever comes
		}
	}
	switch {
	case good:
		state = OnTrack
	case near:
		state = AtRisk
	case countMetric(metric) && elapsed < EarlyShare && !(op == AtMost && *actual > target):
		state = AtRisk
	default:
		state = OffTrack
	}
	return projected, state
}

// goalFigure reads a goal metric from KPIs (nil when there is none).
func goalFigure(metric string, k KPIs) *float64 {
	f := func(n int64) *float64 { v := float64(n); return &v }
	switch metric {
	case "created":
		return f(k.Created)
	case "solved":
		return f(k.Solved)
	case "replies":
		return f(k.Replies)
	case "escalated":
		return f(k.Escalated)
	case "first_response_median":
		return k.FirstResponse.Calendar.Median
	case "resolution_median":
		return k.Resolution.Calendar.Median
	case "fcr_rate":
		return k.FCRRate
	case "reopen_rate":
		return k.ReopenRate
	case "escalation_rate":
		return k.EscalationRate
	case "csat":
		return k.CSAT
	}
	return nil
}

// GoalStore keeps goals.
type GoalStore interface {
	// Goals lists goals, of those teams or that agent when given (either
	// filter matches), by id.
	Goals(ctx context.Context, teamIDs []int64, agentID *int64) ([]*Goal, error)
	// Goal returns a goal; ENOTFOUND if none.
	Goal(ctx context.Context, id int64) (*Goal, error)
	// SaveGoal inserts (ID 0) or updates a goal expecting its version
	// (ESTALE otherwise) and sets its ID and Version.
	SaveGoal(ctx context.Context, g *Goal, ifVersion int64) error
	// DeleteGoal deletes a goal expecting its version (0: any).
	DeleteGoal(ctx context.Context, id, ifVersion int64) error
	// SetGoalState records a checked state and, with ev, appends it (and
	// stores mail, when not nil) in the same transaction — unless the state
	// was already recorded for that period (another node checked first):
	// then it writes nothing and says so.
	SetGoalState(ctx context.Context, id int64, state string, period time.Time, ev *event.Event, mail *email.Outbound) (bool, error)
	// TeamLeadID is a team's lead (nil: none, or no such team).
	TeamLeadID(ctx context.Context, teamID int64) (*int64, error)
}

// GoalMailer writes the mail of an off-track alert (package digest): to
// the agent recipientID, in their language, through the desk's system mail.
// An error means no mail (no mailbox, the agent gone): the in-app alert
// still goes.
type GoalMailer interface {
	GoalAlertMail(ctx context.Context, p Progress, recipientID int64) (*email.Outbound, error)
	Enqueue(ctx context.Context, outboundIDs ...int64) error
}

// MailGoalAlerts has off-track alerts mailed too (nil: in-app only).
func (s *Service) MailGoalAlerts(m GoalMailer) { s.goalMail = m }

// goalScope says whether the actor may manage (write) or see a goal:
// supervisors every goal, team leads their teams' goals (an agent's goal
// carries the team it is set in), agents read their own.
func goalScope(a desk.Actor, g *Goal, write bool) bool {
	switch {
	case a.Can(auth.ReportsReadAll):
		return true
	case a.Can(auth.ReportsTeam) && g.TeamID != nil && a.InTeam(*g.TeamID):
		return true
	}
	return !write && g.AgentID != nil && *g.AgentID == a.ID
}

// query is the KPI question of a goal's current period so far.
func (g *Goal) query(now time.Time) (Query, time.Time, time.Time) {
	start, end := PeriodBounds(g.Period, now)
	to := time.Unix(HourOf(now)+3600, 0).UTC()
	if to.After(end) {
		to = end
	}
	q := Query{From: start, To: to}
	if g.TeamID != nil {
		q.TeamID = *g.TeamID
	}
	if g.AgentID != nil {
		q.Filter = map[string]string{DimAgent: strconv.FormatInt(*g.AgentID, 10)}
	}
	return q, start, end
}

// MaxGoalTarget bounds a target (seconds, counts or rates).
const MaxGoalTarget = 1e9

func (s *Service) applyGoal(a desk.Actor, g *Goal, in GoalInput) error {
	if in.TeamID != nil {
		g.TeamID = in.TeamID
		if *in.TeamID == 0 {
			g.TeamID = nil
		}
	}
	if in.AgentID != nil {
		g.AgentID = in.AgentID
		if *in.AgentID == 0 {
			g.AgentID = nil
		}
	}
	if in.Metric != nil {
		g.Metric = *in.Metric
	}
	if in.Op != nil {
		g.Op = *in.Op
	}
	if in.Target != nil {
		g.Target = *in.Target
	}
	if in.Period != nil {
		g.Period = *in.Period
	}
	errs := desk.Fields{}
	if g.TeamID == nil && g.AgentID == nil {
		errs["team_id"] = desk.M("invalid.goal_subject")
	}
	if !slices.Contains(GoalMetrics, g.Metric) {
		errs["metric"] = desk.M("invalid.one_of", strings.Join(GoalMetrics, ", "))
	}
	if g.Op != AtLeast && g.Op != AtMost {
		errs["op"] = desk.M("invalid.one_of", AtLeast+", "+AtMost)
	}
	if !slices.Contains(GoalPeriods, g.Period) {
		errs["period"] = desk.M("invalid.one_of", strings.Join(GoalPeriods, ", "))
	}
	rate := strings.HasSuffix(g.Metric, "_rate") || g.Metric == "csat"
	if math.IsNaN(g.Target) || g.Target < 0 || g.Target > MaxGoalTarget || (rate && g.Target > 1) {
		errs["target"] = desk.M("invalid.goal_target")
	}
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	if !goalScope(a, g, true) {
		return desk.E(desk.EFORBIDDEN, "error.report_team")
	}
	return nil
}

// CreateGoal sets a target.
func (s *Service) CreateGoal(ctx context.Context, in GoalInput) (*Goal, error) {
	a, err := desk.Require(ctx, auth.ReportsTeam)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	g := &Goal{CreatedBy: a.ID, CreatedAt: now, UpdatedAt: now, State: NoData}
	if err := s.applyGoal(a, g, in); err != nil {
		return nil, err
	}
	if err := s.store.SaveGoal(ctx, g, 0); err != nil {
		return nil, err
	}
	return g, nil
}

// Goal returns a goal the actor may see.
func (s *Service) Goal(ctx context.Context, id int64) (*Goal, error) {
	a, err := desk.Require(ctx, auth.ReportsRead)
	if err != nil {
		return nil, err
	}
	g, err := s.store.Goal(ctx, id)
	if err != nil {
		return nil, err
	}
	if !goalScope(a, g, false) {
		return nil, desk.E(desk.ENOTFOUND, "error.goal_not_found", id)
	}
	return g, nil
}

// UpdateGoal changes a goal at ifVersion (0: any).
func (s *Service) UpdateGoal(ctx context.Context, id, ifVersion int64, in GoalInput) (*Goal, error) {
	a, err := desk.Require(ctx, auth.ReportsTeam)
	if err != nil {
		return nil, err
	}
	g, err := s.Goal(ctx, id)
	if err != nil {
		return nil, err
	}
	if !goalScope(a, g, true) {
		return nil, desk.E(desk.EFORBIDDEN, "error.report_team")
	}
	if err := desk.CheckVersion(ifVersion, g.Version); err != nil {
		return nil, err
	}
	if err := s.applyGoal(a, g, in); err != nil {
		return nil, err
	}
	g.UpdatedAt = s.clock.Now()
	if err := s.store.SaveGoal(ctx, g, g.Version); err != nil {
		return nil, err
	}
	return g, nil
}

// DeleteGoal removes a goal at ifVersion (0: any).
func (s *Service) DeleteGoal(ctx context.Context, id, ifVersion int64) error {
	a, err := desk.Require(ctx, auth.ReportsTeam)
	if err != nil {
		return err
	}
	g, err := s.Goal(ctx, id)
	if err != nil {
		return err
	}
	if !goalScope(a, g, true) {
		return desk.E(desk.EFORBIDDEN, "error.report_team")
	}
	return s.store.DeleteGoal(ctx, id, ifVersion)
}

// Goals lists the goals the actor sees (supervisors: all; leads: their
// teams'; agents: their own) with their progress now.
func (s *Service) Goals(ctx context.Context) ([]Progress, error) {
	a, err := desk.Require(ctx, auth.ReportsRead)
	if err != nil {
		return nil, err
	}
	var goals []*Goal
	switch {
	case a.Can(auth.ReportsReadAll):
		goals, err = s.store.Goals(ctx, nil, nil)
	case a.Can(auth.ReportsTeam):
		goals, err = s.store.Goals(ctx, append([]int64{-1}, a.TeamIDs...), &a.ID)
	default:
		goals, err = s.store.Goals(ctx, []int64{-1}, &a.ID)
	}
	if err != nil {
		return nil, err
	}
	out := []Progress{}
	for _, g := range goals {
		if !goalScope(a, g, false) {
			continue
		}
		p, err := s.progress(desk.WithActor(ctx, desk.System), g)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// progress works out a goal's standing now (read as the system: the goal's
// own scope was checked by the caller).
func (s *Service) progress(ctx context.Context, g *Goal) (Progress, error) {
	now := s.clock.Now()
	q, start, end := g.query(now)
	p := Progress{Goal: g, Start: start, End: end, Elapsed: now.Sub(start).Seconds() / end.Sub(start).Seconds()}
	rep, err := s.KPIs(ctx, q)
	if err != nil {
		return p, err
	}
	p.Actual = goalFigure(g.Metric, rep.KPIs)
	p.Projected, p.State = Assess(g.Metric, g.Op, g.Target, p.Actual, p.Elapsed)
	return p, nil
}

// CheckGoals assesses every goal and records its state; a goal that
// crosses into off track (from another state, or at the start of a new
// period) appends GoalOffTrack once — the periodic job runs on one node,
// and the store writes the crossing only if no other check recorded it
// first. It returns how many crossed.
func (s *Service) CheckGoals(ctx context.Context) (int, error) {
	goals, err := s.store.Goals(ctx, nil, nil)
	if err != nil {
		return 0, err
	}
	crossed := 0
	for _, g := range goals {
		p, err := s.progress(ctx, g)
		if err != nil {
			return crossed, err
		}
		if p.State == g.State && p.Start.Equal(g.StateFrom) {
			continue
		}
		var ev *event.Event
		var mail *email.Outbound
		if p.State == OffTrack && (g.State != OffTrack || !p.Start.Equal(g.StateFrom)) {
			// The alert goes to the agent whose goal it is, else the lead.
			to := g.AgentID
			if to == nil && g.TeamID != nil {
				if to, err = s.store.TeamLeadID(ctx, *g.TeamID); err != nil {
					return crossed, err
				}
			}
			e := event.New(GoalOffTrack, 0, map[string]any{"goal_id": g.ID, "team_id": g.TeamID, "agent_id": g.AgentID,
				"recipient_id": to,
				"metric":       g.Metric, "op": g.Op, "target": g.Target, "period": g.Period, "actual": p.Actual,
				"projected": p.Projected, "period_start": p.Start})
			e.ActorKind, e.CreatedAt = desk.ActorSystem, s.clock.Now()
			ev = &e
			if to != nil && s.goalMail != nil {
				if mail, err = s.goalMail.GoalAlertMail(ctx, p, *to); err != nil {
					s.log.Info("goal alert mail not sent", slog.Int64("goal", g.ID), slog.Any("err", err))
				}
			}
		}
		wrote, err := s.store.SetGoalState(ctx, g.ID, p.State, p.Start, ev, mail)
		if err != nil {
			return crossed, err
		}
		if wrote && ev != nil {
			crossed++
			if mail != nil && mail.ID != 0 {
				if err := s.goalMail.Enqueue(ctx, mail.ID); err != nil {
					return crossed, err
				}
			}
		}
	}
	return crossed, nil
}
