package web

import (
	"net/http"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/report"
)

// reportFilters maps the KPI API's filter parameters to report dimensions.
var reportFilters = map[string]string{
	"agent_id": report.DimAgent, "channel": report.DimChannel, "priority": report.DimPriority,
	"type": report.DimType, "tag": report.DimTag, "organization_id": report.DimOrganization,
}

// reportQuery reads a KPI question from a query string: from, to (RFC 3339
// or a date), group_by, team_id and one filter; anything else is a 400
// naming it.
func reportQuery(r *http.Request) (report.Query, error) {
	var q report.Query
	l := &apiQuery{q: r.URL.Query(), errs: desk.Fields{}}
	for k := range l.q {
		if _, filter := reportFilters[k]; !filter && k != "from" && k != "to" && k != "group_by" && k != "team_id" {
			l.errs[k] = desk.M("invalid.unknown_param")
		}
	}
	q.From, q.To = reportTime(l, "from"), reportTime(l, "to")
	q.GroupBy = l.q.Get("group_by")
	if id := l.id("team_id"); id != nil {
		q.TeamID = *id
	}
	for param, dim := range reportFilters {
		if _, given := l.q[param]; !given {
			continue
		}
		v := l.q.Get(param)
		if param == "agent_id" || param == "organization_id" {
			id := l.id(param)
			if id == nil || *id == 0 {
				v = "" // none: unassigned, without organization
			}
		}
		if q.Filter == nil {
			q.Filter = map[string]string{}
		}
		q.Filter[dim] = v
	}
	return q, l.err()
}

// reportTime reads a time parameter: RFC 3339, or a date (its midnight UTC).
func reportTime(l *apiQuery, name string) time.Time {
	v := l.q.Get(name)
	if v == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t
	}
	l.errs[name] = desk.M("invalid.report_time_format")
	return time.Time{}
}

func (s *Server) reportKPIs(w http.ResponseWriter, r *http.Request) error {
	q, err := reportQuery(r)
	if err != nil {
		return err
	}
	rep, err := s.Reports.KPIs(r.Context(), q)
	return respond(w, http.StatusOK, rep, err)
}
