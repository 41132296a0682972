package web

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/ticket"
)

// --- the KPI page: the same numbers as GET /api/v1/reports/kpis.

type reportGroupRow struct {
	Key, Label string
	KPIs       report.KPIs
	Drill      string // query of the tickets behind the group
}

type reportsData struct {
	Report   *report.Report
	From, To string // dates for the form
	GroupBy  string
	GroupBys []string
	Base     string // the query of the slice, without metric
	Trend    template.HTML
	Bars     template.HTML
	Groups   []reportGroupRow
	Export   template.URL
	ExportX  template.URL // the same as XLSX
	Goals    []goalView
}

// reportParams is the query string of a report's slice (its range, team and
// filter), for links that keep the slice.
func reportParams(q report.Query) url.Values {
	v := url.Values{}
	v.Set("from", q.From.Format(time.RFC3339))
	v.Set("to", q.To.Format(time.RFC3339))
	if q.TeamID != 0 {
		v.Set("team_id", strconv.FormatInt(q.TeamID, 10))
	}
	for dim, val := range q.Filter {
		v.Set(filterParam(dim), filterValue(dim, val))
	}
	return v
}

// filterParam is the query parameter of a dimension.
func filterParam(dim string) string {
	for p, d := range reportFilters {
		if d == dim {
			return p
		}
	}
	return dim
}

// filterValue is a group key as its parameter takes it ("" for none is 0
// for ids).
func filterValue(dim, key string) string {
	if key == "" && (dim == report.DimAgent || dim == report.DimOrganization) {
		return "0"
	}
	return key
}

// groupParams narrows a slice's parameters to one group.
func groupParams(base url.Values, groupBy, key string) url.Values {
	v := url.Values{}
	for k, vs := range base {
		v[k] = vs
	}
	if groupBy == report.DimTeam {
		v.Set("team_id", filterValue(report.DimAgent, key))
	} else {
		v.Set(filterParam(groupBy), filterValue(groupBy, key))
	}
	return v
}

func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request) error {
	q, err := reportQuery(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	rep, err := s.Reports.KPIs(ctx, q)
	if err != nil {
		return err
	}
	q.From, q.To = rep.From, rep.To
	d := reportsData{Report: rep, GroupBy: q.GroupBy, GroupBys: report.GroupBys,
		From: rep.From.Format(time.DateOnly), To: rep.To.Format(time.DateOnly)}
	if d.Goals, err = s.goalViews(r); err != nil {
		return err
	}
	base := reportParams(q)
	d.Base = base.Encode()
	ex := reportParams(q)
	if q.GroupBy != "" {
		ex.Set("group_by", q.GroupBy)
	}
	d.Export = template.URL("/reports/export.csv?" + ex.Encode())
	d.ExportX = template.URL("/reports/export.xlsx?" + ex.Encode())
	created, solved := s.tr(r, "report.created"), s.tr(r, "report.solved")
	series, err := s.Reports.Series(ctx, q, report.MCreated, report.MSolved)
	if err != nil {
		return err
	}
	d.Trend = template.HTML(report.TrendSVG(s.tr(r, "report.trend"), created, solved, series, func(from, to time.Time) string {
		v := reportParams(q)
		v.Set("from", from.Format(time.RFC3339))
		v.Set("to", to.Format(time.RFC3339))
		v.Set("metric", report.DrillCreated)
		return "/reports/tickets?" + v.Encode()
	}))
	if q.GroupBy != "" {
		names := s.groupNames(r, q.GroupBy)
		var bars []report.Bar
		for _, g := range rep.Groups {
			gp := groupParams(base, q.GroupBy, g.Key)
			label := names(g.Key)
			d.Groups = append(d.Groups, reportGroupRow{Key: g.Key, Label: label, KPIs: g.KPIs, Drill: gp.Encode()})
			if len(bars) < 30 {
				gp.Set("metric", report.DrillCreated)
				bars = append(bars, report.Bar{Label: label, Values: []float64{float64(g.KPIs.Created), float64(g.KPIs.Solved)},
					Href: "/reports/tickets?" + gp.Encode()})
			}
		}
		d.Bars = template.HTML(report.BarSVG(s.tr(r, groupByWords[q.GroupBy]), []string{created, solved}, bars))
	}
	return s.render(w, r, http.StatusOK, "reports.html", page{Title: "report.title", Nav: "reports", Data: d})
}

// groupNames says a group's key in words: team and agent names, "none".
func (s *Server) groupNames(r *http.Request, groupBy string) func(string) string {
	names := map[string]string{}
	sys := desk.WithActor(r.Context(), desk.System)
	switch groupBy {
	case report.DimTeam:
		if teams, err := s.People.Teams(sys); err == nil {
			for _, t := range teams {
				names[strconv.FormatInt(t.ID, 10)] = t.Name
			}
		}
	case report.DimAgent:
		if agents, err := s.People.Agents(sys); err == nil {
			for _, a := range agents {
				names[strconv.FormatInt(a.ID, 10)] = a.Name
			}
		}
	}
	none := s.tr(r, "report.none")
	return func(key string) string {
		if key == "" {
			return none
		}
		if n, ok := names[key]; ok {
			return n
		}
		if groupBy == report.DimOrganization {
			return "#" + key
		}
		return key
	}
}

// --- drill-down: the tickets behind a number.

type reportTicketsData struct {
	Metric  string
	Tickets []*ticket.Ticket
	Back    string
	Next    string
}

func (s *Server) reportTicketsPage(w http.ResponseWriter, r *http.Request) error {
	metric := r.URL.Query().Get("metric")
	if metric == "" {
		metric = report.DrillCreated
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	stripped := *r
	u := *r.URL
	v := u.Query()
	v.Del("metric")
	v.Del("after")
	u.RawQuery = v.Encode()
	stripped.URL = &u
	q, err := reportQuery(&stripped)
	if err != nil {
		return err
	}
	const pageSize = 50
	ids, err := s.Reports.Drill(r.Context(), q, metric, after, pageSize)
	if err != nil {
		return err
	}
	d := reportTicketsData{Metric: metric, Back: "/reports?" + v.Encode()}
	for _, id := range ids {
		t, err := s.Tickets.Get(r.Context(), id)
		if desk.ErrorCode(err) == desk.ENOTFOUND {
			continue // merged away, or outside the viewer's sight
		}
		if err != nil {
			return err
		}
		d.Tickets = append(d.Tickets, t)
	}
	if len(ids) == pageSize {
		nv := r.URL.Query()
		nv.Set("after", strconv.FormatInt(ids[len(ids)-1], 10))
		d.Next = "/reports/tickets?" + nv.Encode()
	}
	return s.render(w, r, http.StatusOK, "report_tickets.html", page{Title: "report.drill_title", Nav: "reports", Data: d})
}

// drillURL leads to the tickets behind a metric of a slice (the slice's
// query string, which the server encoded).
func drillURL(metric, query string) template.URL {
	return template.URL("/reports/tickets?metric=" + url.QueryEscape(metric) + "&" + query)
}

// duration says seconds in words a supervisor reads at a glance.
func duration(p *float64) string {
	if p == nil {
		return "—"
	}
	s := int64(math.Round(*p))
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm", s/60)
	case s < 86400:
		return fmt.Sprintf("%dh %dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd %dh", s/86400, s%86400/3600)
}

// percent says a rate as a percentage.
func percent(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *p*100)
}

// ratio says a ratio with one decimal.
func decimal(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f", *p)
}

// groupByWords names each dimension a report groups by, in the catalog.
var groupByWords = map[string]string{report.DimTeam: "report.by_team", report.DimAgent: "report.by_agent",
	report.DimChannel: "report.by_channel", report.DimPriority: "report.by_priority", report.DimType: "report.by_type",
	report.DimTag: "report.by_tag", report.DimOrganization: "report.by_organization"}
