package quality

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// QACell is one weekly QA bucket: n reviews of an agent on tickets of a
// team, and the sum of their scores (criterion "": the overall score) in
// percent.
type QACell struct {
	Week      time.Time
	AgentID   int64
	TeamID    int64
	Criterion string
	N         int64
	Total     float64
}

// QAFilter selects weekly buckets in [From, To) (weeks' Mondays).
type QAFilter struct {
	From, To time.Time
	AgentID  *int64
	TeamIDs  []int64 // nil: every team
}

// QASums are a period's QA buckets summed: the overall score (criterion
// "") by week, by agent and by team, and each criterion over the period;
// each cell holds only the fields of its grouping.
type QASums struct {
	Weeks, Agents, Teams, Criteria []QACell
}

// ScoreStore reads the weekly QA buckets (kept with the reviews).
type ScoreStore interface {
	// QASums sums the buckets of a period in the four groupings.
	QASums(ctx context.Context, f QAFilter) (*QASums, error)
}

// Mean is a number of reviews and their mean score (nil when none).
type Mean struct {
	Reviews int64    `json:"reviews"`
	Score   *float64 `json:"score"`
}

func mean(n int64, total float64) Mean {
	if n == 0 {
		return Mean{}
	}
	v := math.Round(total/float64(n)*10) / 10
	return Mean{Reviews: n, Score: &v}
}

// WeekScore is the QA of one week.
type WeekScore struct {
	Week time.Time `json:"week"`
	Mean
}

// CriterionScore is the QA of one criterion (worst first in a summary).
type CriterionScore struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	Mean
}

// AgentScore and TeamScore are the QA of one agent or team.
type AgentScore struct {
	AgentID int64 `json:"agent_id"`
	Mean
}

// TeamScore is the QA of one team (0: tickets of no team).
type TeamScore struct {
	TeamID int64 `json:"team_id"`
	Mean
}

// QASummary is QA over a period: overall, by week, by criterion (worst
// first), by agent (worst first) and by team.
type QASummary struct {
	From     time.Time        `json:"from"`
	To       time.Time        `json:"to"`
	Overall  Mean             `json:"overall"`
	Weeks    []WeekScore      `json:"weeks"`
	Criteria []CriterionScore `json:"criteria"`
	Agents   []AgentScore     `json:"agents"`
	Teams    []TeamScore      `json:"teams"`
}

// DashboardQuery asks for QA over [From, To) (rounded out to whole weeks;
// default the last twelve weeks), optionally of one team or agent.
type DashboardQuery struct {
	From, To time.Time
	TeamID   int64
	AgentID  int64
}

// maxWeeks bounds a QA summary's span.
const maxWeeks = 106

// Dashboard answers QA over a period within the actor's scope: everything
// for holders of reports:read_all, their teams for reports:team, else the
// actor's own scores.
func (s *Service) Dashboard(ctx context.Context, q DashboardQuery) (*QASummary, error) {
	a, err := desk.Require(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	f, err := s.span(q.From, q.To)
	if err != nil {
		return nil, err
	}
	switch {
	case a.Can(auth.ReportsReadAll):
	case a.Can(auth.ReportsTeam) || a.Can(auth.QAReview):
		if q.TeamID != 0 && !a.InTeam(q.TeamID) {
			return nil, desk.E(desk.EFORBIDDEN, "error.report_team")
		}
		f.TeamIDs = a.TeamIDs
		if len(f.TeamIDs) == 0 {
			f.TeamIDs = []int64{-1}
		}
	default:
		if q.AgentID != 0 && q.AgentID != a.ID {
			return nil, desk.E(desk.EFORBIDDEN, "error.report_agent")
		}
		q.AgentID = a.ID
	}
	if q.TeamID != 0 {
		f.TeamIDs = []int64{q.TeamID}
	}
	if q.AgentID != 0 {
		f.AgentID = &q.AgentID
	}
	return s.summarize(ctx, f)
}

// ScoresFor is one agent's QA over [from, to) (whole weeks), for the agent,
// holders of qa:review and whoever may coach them (a performance review
// reads it).
func (s *Service) ScoresFor(ctx context.Context, agentID int64, from, to time.Time) (*QASummary, error) {
	a, err := desk.Require(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	if a.ID != agentID && !mayReview(a) {
		ok, err := s.mayCoach(ctx, a, agentID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, desk.E(desk.EFORBIDDEN, "error.report_agent")
		}
	}
	f, err := s.span(from, to)
	if err != nil {
		return nil, err
	}
	f.AgentID = &agentID
	return s.summarize(ctx, f)
}

// span rounds a period out to whole weeks and checks it.
func (s *Service) span(from, to time.Time) (QAFilter, error) {
	if to.IsZero() {
		to = s.clock.Now()
	}
	if ws := WeekStart(to); !ws.Equal(to) {
		to = ws.AddDate(0, 0, 7) // the week holding to, whole
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -12*7)
	}
	from = WeekStart(from)
	switch {
	case !from.Before(to):
		return QAFilter{}, desk.Invalid(desk.Fields{"to": desk.M("invalid.report_order")})
	case to.Sub(from) > maxWeeks*7*24*time.Hour:
		return QAFilter{}, desk.Invalid(desk.Fields{"to": desk.M("invalid.report_span", maxWeeks*7)})
	}
	return QAFilter{From: from, To: to}, nil
}

func (s *Service) summarize(ctx context.Context, f QAFilter) (*QASummary, error) {
	sums, err := s.scores.QASums(ctx, f)
	if err != nil {
		return nil, err
	}
	titles := map[string]string{}
	if cards, err := s.store.Scorecards(ctx); err == nil {
		for _, sc := range cards {
			for _, c := range sc.Criteria() {
				if _, ok := titles[c.Key]; !ok {
					titles[c.Key] = c.Title
				}
			}
		}
	}
	var overall QACell
	weeks := map[time.Time]QACell{}
	for _, c := range sums.Weeks {
		weeks[c.Week] = c
		overall.N, overall.Total = overall.N+c.N, overall.Total+c.Total
	}
	out := &QASummary{From: f.From, To: f.To, Overall: mean(overall.N, overall.Total), Weeks: []WeekScore{},
		Criteria: []CriterionScore{}, Agents: []AgentScore{}, Teams: []TeamScore{}}
	for w := f.From; w.Before(f.To); w = w.AddDate(0, 0, 7) {
		x := weeks[w]
		out.Weeks = append(out.Weeks, WeekScore{Week: w, Mean: mean(x.N, x.Total)})
	}
	for _, x := range sums.Criteria {
		t := titles[x.Criterion]
		if t == "" {
			t = x.Criterion
		}
		out.Criteria = append(out.Criteria, CriterionScore{Key: x.Criterion, Title: t, Mean: mean(x.N, x.Total)})
	}
	slices.SortFunc(out.Criteria, func(a, b CriterionScore) int { return worse(a.Mean, b.Mean, a.Key, b.Key) })
	for _, x := range sums.Agents {
		out.Agents = append(out.Agents, AgentScore{AgentID: x.AgentID, Mean: mean(x.N, x.Total)})
	}
	slices.SortFunc(out.Agents, func(a, b AgentScore) int { return worse(a.Mean, b.Mean, a.AgentID, b.AgentID) })
	for _, x := range sums.Teams {
		out.Teams = append(out.Teams, TeamScore{TeamID: x.TeamID, Mean: mean(x.N, x.Total)})
	}
	slices.SortFunc(out.Teams, func(a, b TeamScore) int { return worse(a.Mean, b.Mean, a.TeamID, b.TeamID) })
	return out, nil
}

// worse orders the lower score first, then by key.
func worse[K int64 | string](a, b Mean, ka, kb K) int {
	switch {
	case a.Score == nil || b.Score == nil:
		if a.Score != nil {
			return -1
		}
		if b.Score != nil {
			return 1
		}
	case *a.Score < *b.Score:
		return -1
	case *a.Score > *b.Score:
		return 1
	case ka < kb:
		return -1
	case ka > kb:
		return 1
	}
	return 0
}
