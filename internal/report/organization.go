package report

import (
	"context"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
)

// OrganizationKPIs are the figures of one organization's tickets over
// [from, to), read from the organization's buckets (never its tickets):
// an account report's ticket volume, response and resolution times, SLA
// compliance, escalations and satisfaction. The backlog is the open
// tickets now. It applies no report scope: the caller decides who may read
// an account's figures (package accountreport).
func (s *Service) OrganizationKPIs(ctx context.Context, orgID int64, from, to time.Time) (KPIs, error) {
	if orgID <= 0 || !from.Before(to) || to.Sub(from) > MaxRange {
		return KPIs{}, desk.Invalid(desk.Fields{"period": desk.M("invalid.report_span", int(MaxRange/(24*time.Hour)))})
	}
	v := strconv.FormatInt(orgID, 10)
	rq := RollupQuery{Dim: DimOrganization, Val: &v, From: HourOf(from), To: HourOf(to), Metrics: Metrics()}
	sl, err := s.slice(ctx, rq)
	if err != nil {
		return KPIs{}, err
	}
	if g, ok := sl.groups()[""]; ok {
		return g.KPIs, nil
	}
	return emptyKPIs(true), nil
}
