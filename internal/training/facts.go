package training

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/report"
)

// KPIReader is the report service's answer to a KPI query.
type KPIReader interface {
	KPIs(ctx context.Context, q report.Query) (*report.Report, error)
}

// ReportKPIs reads an agent's period figures from the KPI rollups (the
// context's actor must see them: reviews gather as the system).
func ReportKPIs(r KPIReader) func(ctx context.Context, agentID int64, from, to time.Time) (*KPISummary, error) {
	return func(ctx context.Context, agentID int64, from, to time.Time) (*KPISummary, error) {
		rep, err := r.KPIs(ctx, report.Query{From: from, To: to,
			Filter: map[string]string{report.DimAgent: strconv.FormatInt(agentID, 10)}})
		if err != nil {
			return nil, err
		}
		k := rep.KPIs
		return &KPISummary{Created: k.Created, Solved: k.Solved, FirstResponseP50: k.FirstResponse.Calendar.Median,
			ResolutionP50: k.Resolution.Calendar.Median, CSAT: k.CSAT, CSATAnswers: k.CSATAnswers}, nil
	}
}

// CoachingReader is the quality service's coaching history.
type CoachingReader interface {
	CoachingSessions(ctx context.Context, f quality.CoachingFilter) ([]*quality.CoachingSession, error)
}

// QualityCoaching reads the agent's coaching sessions held in the period,
// oldest first, with their action items as the note's title.
func QualityCoaching(q CoachingReader) func(ctx context.Context, agentID int64, from, to time.Time) ([]CoachingNote, error) {
	return func(ctx context.Context, agentID int64, from, to time.Time) ([]CoachingNote, error) {
		last := to.Add(-time.Microsecond)
		list, err := q.CoachingSessions(ctx, quality.CoachingFilter{AgentID: &agentID, From: &from, To: &last, Limit: 100})
		if err != nil {
			return nil, err
		}
		out := make([]CoachingNote, 0, len(list))
		for i := len(list) - 1; i >= 0; i-- {
			c := list[i]
			if c.HeldAt.Before(from) || !c.HeldAt.Before(to) {
				continue
			}
			titles := make([]string, 0, len(c.Actions))
			for _, x := range c.Actions {
				titles = append(titles, x.Title)
			}
			out = append(out, CoachingNote{At: c.HeldAt, Title: strings.Join(titles, "; "), Notes: c.Notes})
		}
		return out, nil
	}
}
