package training

import (
	"context"
	"strconv"
	"time"

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
