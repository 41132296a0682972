package report

import (
	"context"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// Limits of a report request (docs/METRICS.md, "Limits").
const (
	MaxRange  = 400 * 24 * time.Hour
	MaxGroups = 500
)

// Earliest is the earliest time a report may start.
var Earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Query asks for KPIs over [From, To), optionally grouped and filtered.
type Query struct {
	From, To time.Time
	GroupBy  string // "" or one of GroupBys
	TeamID   int64  // 0: every team in scope
	// Filter holds at most one dimension (not team) and its value.
	Filter map[string]string
}

// RollupQuery is what the store reads: one bucket dimension over a range
// of hours, grouped by its value, by team, or not at all.
type RollupQuery struct {
	Dim      string
	Group    string // "", "val" or "team"
	From, To int64  // Unix seconds, hours
	TeamIDs  []int64
	Val      *string
	Metrics  []string
}

// Row is a summed bucket of one group.
type Row struct {
	Group  string
	Metric string
	Bin    int
	N      int64
	Total  int64
}

// AgeRow counts a group's open tickets in one age band.
type AgeRow struct {
	Group string
	Band  int
	N     int64
}

// AgeBands are the backlog age bands' upper bounds (the last is open-ended).
var AgeBands = []time.Duration{24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour}

// Dist summarises durations, in seconds.
type Dist struct {
	Count  int64    `json:"count"`
	Mean   *float64 `json:"mean"`
	Median *float64 `json:"median"`
	P90    *float64 `json:"p90"`
}

// Durations are a duration metric in calendar and in business time.
type Durations struct {
	Calendar Dist `json:"calendar"`
	Business Dist `json:"business"`
}

// SLAFigure is the compliance of one SLA target.
type SLAFigure struct {
	Target     string   `json:"target"`
	Met        int64    `json:"met"`
	Breached   int64    `json:"breached"`
	Compliance *float64 `json:"compliance"`
}

// BacklogAge counts open tickets by age (now), youngest band first.
type BacklogAge struct {
	UnderDay     int64 `json:"under_1d"`
	OneToThree   int64 `json:"d1_3"`
	ThreeToSeven int64 `json:"d3_7"`
	OverWeek     int64 `json:"over_7d"`
}

// KPIs are the figures of one slice (docs/METRICS.md, "KPIs").
type KPIs struct {
	Created          int64       `json:"created"`
	Solved           int64       `json:"solved"`
	Reopened         int64       `json:"reopened"`
	Escalated        int64       `json:"escalated"`
	Replies          int64       `json:"replies"`
	FirstResponse    Durations   `json:"first_response"`
	Resolution       Durations   `json:"resolution"`
	FCRRate          *float64    `json:"fcr_rate"`
	ReopenRate       *float64    `json:"reopen_rate"`
	EscalationRate   *float64    `json:"escalation_rate"`
	RepliesPerTicket *float64    `json:"replies_per_ticket"`
	CSAT             *float64    `json:"csat"`
	CSATAnswers      int64       `json:"csat_answers"`
	QAScore          *float64    `json:"qa_score"`
	QAReviews        int64       `json:"qa_reviews"`
	SLA              []SLAFigure `json:"sla"`
	// Occupancy is occupied ÷ online time (null with no online time).
	Occupancy       *float64    `json:"occupancy"`
	OnlineSeconds   int64       `json:"online_seconds"`
	OccupiedSeconds int64       `json:"occupied_seconds"`
	Backlog         int64       `json:"backlog"`
	BacklogAge      *BacklogAge `json:"backlog_age"`
}

// OnlineHours and OccupiedHours are the occupancy's time, in hours.
func (k KPIs) OnlineHours() float64   { return float64(k.OnlineSeconds) / 3600 }
func (k KPIs) OccupiedHours() float64 { return float64(k.OccupiedSeconds) / 3600 }

// Group is the figures of one value of the grouping dimension.
type Group struct {
	Key  string `json:"key"`
	KPIs KPIs   `json:"kpis"`
}

// Report is an answer to a Query.
type Report struct {
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	GroupBy   string    `json:"group_by"`
	KPIs      KPIs      `json:"kpis"`
	Groups    []Group   `json:"groups"`
	Truncated bool      `json:"truncated"`
}

// plan checks a query against the actor's scope and the limits and says
// which buckets answer it.
func (s *Service) plan(a desk.Actor, q *Query) (RollupQuery, error) {
	errs := desk.Fields{}
	now := s.clock.Now()
	if q.To.IsZero() {
		q.To = time.Unix(HourOf(now)+3600, 0).UTC()
	}
	if q.From.IsZero() {
		q.From = q.To.Add(-7 * 24 * time.Hour)
	}
	q.From = time.Unix(HourOf(q.From), 0).UTC()
	q.To = time.Unix(HourOf(q.To), 0).UTC()
	switch {
	case q.To.Before(Earliest) || q.To.After(now.AddDate(1, 0, 0)):
		errs["to"] = desk.M("invalid.report_time")
	case q.From.Before(Earliest) || q.From.After(now.AddDate(1, 0, 0)):
		errs["from"] = desk.M("invalid.report_time")
	case !q.From.Before(q.To):
		errs["to"] = desk.M("invalid.report_order")
	case q.To.Sub(q.From) > MaxRange:
		errs["to"] = desk.M("invalid.report_span", int(MaxRange/(24*time.Hour)))
	}
	if q.GroupBy != "" && !slices.Contains(GroupBys, q.GroupBy) {
		errs["group_by"] = desk.M("invalid.report_dimension")
	}
	rq := RollupQuery{Dim: DimAll, From: q.From.Unix(), To: q.To.Unix(), Metrics: Metrics()}
	// Scope: everything, the actor's teams, or the actor's own figures.
	switch {
	case a.Can(auth.ReportsReadAll):
	case a.Can(auth.ReportsTeam):
		if q.TeamID != 0 && !a.InTeam(q.TeamID) {
			return rq, desk.E(desk.EFORBIDDEN, "error.report_team")
		}
		rq.TeamIDs = a.TeamIDs
		if len(rq.TeamIDs) == 0 {
			rq.TeamIDs = []int64{-1} // in no team: nothing to see
		}
	case a.Can(auth.ReportsRead):
		if v, ok := q.Filter[DimAgent]; ok && v != strconv.FormatInt(a.ID, 10) {
			return rq, desk.E(desk.EFORBIDDEN, "error.report_agent")
		}
		if q.Filter == nil {
			q.Filter = map[string]string{}
		}
		q.Filter[DimAgent] = strconv.FormatInt(a.ID, 10)
	default:
		return rq, desk.E(desk.EFORBIDDEN, "error.forbidden", auth.ReportsRead)
	}
	if q.TeamID != 0 {
		rq.TeamIDs = []int64{q.TeamID}
	}
	if len(q.Filter) > 1 {
		errs["filter"] = desk.M("invalid.report_filters")
	}
	for dim, v := range q.Filter {
		if !slices.Contains(GroupBys, dim) || dim == DimTeam {
			errs[dim] = desk.M("invalid.report_dimension")
			continue
		}
		if q.GroupBy != "" && q.GroupBy != DimTeam && q.GroupBy != dim {
			errs["group_by"] = desk.M("invalid.report_filter_combination", dim, dim)
		}
		rq.Dim, rq.Val = dim, &v
	}
	if len(errs) > 0 {
		return rq, desk.Invalid(errs)
	}
	switch q.GroupBy {
	case "":
	case DimTeam:
		rq.Group = "team"
	default:
		rq.Dim, rq.Group = q.GroupBy, "val"
	}
	return rq, nil
}

// KPIs answers a query for the acting agent, within their scope.
func (s *Service) KPIs(ctx context.Context, q Query) (*Report, error) {
	a, err := desk.Require(ctx, "")
	if err != nil {
		return nil, err
	}
	rq, err := s.plan(a, &q)
	if err != nil {
		return nil, err
	}
	if err := s.boundGroups(ctx, rq); err != nil {
		return nil, err
	}
	rep := &Report{From: q.From, To: q.To, GroupBy: q.GroupBy, Groups: []Group{}}
	sl, err := s.slice(ctx, rq)
	if err != nil {
		return nil, err
	}
	groups := sl.groups()
	// The whole: the groups add up, except tags (a ticket has several),
	// which need the whole read on its own.
	whole := groups
	switch {
	case rq.Group == "":
	case rq.Dim == DimTag && rq.Val == nil:
		total := rq
		total.Group, total.Dim = "", DimAll
		t, err := s.slice(ctx, total)
		if err != nil {
			return nil, err
		}
		whole = t.groups()
	default:
		whole = sl.merged().groups()
	}
	if g, ok := whole[""]; ok {
		rep.KPIs = g.KPIs
	} else {
		rep.KPIs = emptyKPIs(rq.Dim != DimTag || rq.Group != "")
	}
	if rq.Group == "" {
		return rep, nil
	}
	for _, g := range groups {
		rep.Groups = append(rep.Groups, *g)
	}
	sort.Slice(rep.Groups, func(i, j int) bool {
		gi, gj := rep.Groups[i], rep.Groups[j]
		if gi.KPIs.Created != gj.KPIs.Created {
			return gi.KPIs.Created > gj.KPIs.Created
		}
		return gi.Key < gj.Key
	})
	if len(rep.Groups) > s.GroupLimit {
		rep.Groups, rep.Truncated = rep.Groups[:s.GroupLimit], true
	}
	return rep, nil
}

// boundGroups refuses a grouping by a dimension of open-ended values
// (agents, organizations, tags) that has more than MaxGroups values in the
// query, before any of its buckets are summed: a million organizations are
// never gathered to keep 500 of them. Channels, priorities, types and
// teams are few by nature.
func (s *Service) boundGroups(ctx context.Context, rq RollupQuery) error {
	if rq.Group != "val" || rq.Val != nil {
		return nil
	}
	switch rq.Dim {
	case DimAgent, DimOrganization, DimTag:
	default:
		return nil
	}
	n, err := s.store.RollupGroups(ctx, rq, s.GroupLimit+1)
	if err != nil {
		return err
	}
	if n > s.GroupLimit {
		return desk.Invalid(desk.Fields{"group_by": desk.M("invalid.report_too_many_groups", s.GroupLimit)})
	}
	return nil
}

// slice is what the store says of a query: buckets, backlog and ages.
type slice struct {
	rows, backlog []Row
	ages          []AgeRow
	withAges      bool
}

// slice reads the buckets, backlog and ages of a query, by group.
func (s *Service) slice(ctx context.Context, rq RollupQuery) (*slice, error) {
	sl := &slice{withAges: rq.Dim != DimTag}
	var err error
	if sl.rows, err = s.store.Rollups(ctx, rq); err != nil {
		return nil, err
	}
	if rq.Dim == DimAll || rq.Dim == DimAgent {
		agents, err := s.store.OnlineAgents(ctx)
		if err != nil {
			return nil, err
		}
		sl.rows = append(sl.rows, openTime(rq, agents, s.clock.Now())...)
	}
	// Backlog is the open tickets now (their ages summed, below); by tag,
	// which the per-ticket records cannot slice, it is the flow of the
	// buckets before the end (a scan of the tag's whole history).
	if !sl.withAges {
		if sl.backlog, err = s.store.Backlog(ctx, rq); err != nil {
			return nil, err
		}
	}
	if sl.withAges {
		if sl.ages, err = s.store.BacklogAges(ctx, rq, s.clock.Now()); err != nil {
			return nil, err
		}
	}
	return sl, nil
}

func (sl *slice) groups() map[string]*Group { return gather(sl.rows, sl.backlog, sl.ages, sl.withAges) }

// merged is the slice with its groups taken together.
func (sl *slice) merged() *slice {
	m := &slice{withAges: sl.withAges}
	for _, r := range sl.rows {
		r.Group = ""
		m.rows = append(m.rows, r)
	}
	for _, r := range sl.backlog {
		r.Group = ""
		m.backlog = append(m.backlog, r)
	}
	for _, r := range sl.ages {
		r.Group = ""
		m.ages = append(m.ages, r)
	}
	return m
}

// acc gathers one group's rows before its KPIs are worked out.
type acc struct {
	n, total map[string]int64
	hist     map[string]Histogram
	backlog  int64
	ages     *BacklogAge
}

func gather(rows, backlog []Row, ages []AgeRow, withAges bool) map[string]*Group {
	accs := map[string]*acc{}
	get := func(k string) *acc {
		if a, ok := accs[k]; ok {
			return a
		}
		a := &acc{n: map[string]int64{}, total: map[string]int64{}, hist: map[string]Histogram{}}
		if withAges {
			a.ages = &BacklogAge{}
		}
		accs[k] = a
		return a
	}
	for _, r := range rows {
		a := get(r.Group)
		a.n[r.Metric] += r.N
		a.total[r.Metric] += r.Total
		if durationMetric(r.Metric) {
			if a.hist[r.Metric] == nil {
				a.hist[r.Metric] = Histogram{}
			}
			a.hist[r.Metric][r.Bin] += r.N
		}
	}
	for _, r := range backlog {
		a := get(r.Group)
		switch r.Metric {
		case MCreated, MReopened:
			a.backlog += r.N
		case MSolved:
			a.backlog -= r.N
		}
	}
	for _, r := range ages {
		a := get(r.Group)
		if a.ages == nil {
			continue
		}
		a.backlog += r.N
		switch r.Band {
		case 0:
			a.ages.UnderDay += r.N
		case 1:
			a.ages.OneToThree += r.N
		case 2:
			a.ages.ThreeToSeven += r.N
		default:
			a.ages.OverWeek += r.N
		}
	}
	out := map[string]*Group{}
	for k, a := range accs {
		out[k] = &Group{Key: k, KPIs: a.kpis()}
	}
	return out
}

func emptyKPIs(withAges bool) KPIs {
	a := &acc{n: map[string]int64{}, total: map[string]int64{}, hist: map[string]Histogram{}}
	if withAges {
		a.ages = &BacklogAge{}
	}
	return a.kpis()
}

// qaScore is the mean QA score in percent (kept in hundredths), to one
// decimal.
func qaScore(total, n int64) *float64 {
	if n == 0 {
		return nil
	}
	v := math.Round(float64(total)/float64(n)/10) / 10
	return &v
}

func ratio(num, den int64) *float64 {
	if den == 0 {
		return nil
	}
	v := float64(num) / float64(den)
	return &v
}

func (a *acc) dist(metric string) Dist {
	d := Dist{Count: a.n[metric], Mean: ratio(a.total[metric], a.n[metric])}
	if v, ok := a.hist[metric].Quantile(0.5); ok {
		d.Median = &v
	}
	if v, ok := a.hist[metric].Quantile(0.9); ok {
		d.P90 = &v
	}
	return d
}

func (a *acc) kpis() KPIs {
	k := KPIs{Created: a.n[MCreated], Solved: a.n[MSolved], Reopened: a.n[MReopened], Escalated: a.n[MEscalated],
		Replies:          a.n[MReplies],
		FirstResponse:    Durations{Calendar: a.dist(MFirstResponse), Business: a.dist(MFirstResponseBH)},
		Resolution:       Durations{Calendar: a.dist(MResolution), Business: a.dist(MResolutionBH)},
		FCRRate:          ratio(a.n[MFCR], a.n[MResolution]),
		ReopenRate:       ratio(a.n[MReopened], a.n[MSolved]),
		EscalationRate:   ratio(a.n[MEscalated], a.n[MCreated]),
		RepliesPerTicket: ratio(a.total[MRepliesToSolve], a.n[MRepliesToSolve]),
		CSAT:             ratio(a.total[MCSAT], a.n[MCSAT]), CSATAnswers: a.n[MCSAT],
		QAScore: qaScore(a.total[MQA], a.n[MQA]), QAReviews: a.n[MQA],
		Backlog: a.backlog, BacklogAge: a.ages, SLA: []SLAFigure{},
		Occupancy: ratio(a.total[MOccupied], a.total[MOnline]), OnlineSeconds: a.total[MOnline],
		OccupiedSeconds: a.total[MOccupied]}
	for _, t := range SLATargets {
		met, breached := a.n[MSLAMet+t], a.n[MSLABreached+t]
		k.SLA = append(k.SLA, SLAFigure{Target: t, Met: met, Breached: breached, Compliance: ratio(met, met+breached)})
	}
	return k
}

// ungrouped plans a query without its grouping, for the acting agent.
func (s *Service) ungrouped(ctx context.Context, q *Query) (RollupQuery, error) {
	a, err := desk.Require(ctx, "")
	if err != nil {
		return RollupQuery{}, err
	}
	q.GroupBy = ""
	return s.plan(a, q)
}

// Point is one step of a series: its start and a value per metric.
type Point struct {
	At     time.Time
	Values map[string]int64
}

// Series answers how metrics moved over a query's range, by day (by hour
// when the range is two days or less), every step present.
func (s *Service) Series(ctx context.Context, q Query, metrics ...string) ([]Point, error) {
	rq, err := s.ungrouped(ctx, &q)
	if err != nil {
		return nil, err
	}
	rq.Group, rq.Metrics = "hour", metrics
	rows, err := s.store.Rollups(ctx, rq)
	if err != nil {
		return nil, err
	}
	step := 24 * time.Hour
	if q.To.Sub(q.From) <= 48*time.Hour {
		step = time.Hour
	}
	start := q.From.Truncate(step)
	n := int((q.To.Sub(start) + step - 1) / step)
	out := make([]Point, n)
	for i := range out {
		out[i] = Point{At: start.Add(time.Duration(i) * step), Values: map[string]int64{}}
	}
	for _, r := range rows {
		micros, err := strconv.ParseInt(r.Group, 10, 64)
		if err != nil {
			continue
		}
		i := int(time.UnixMicro(micros).UTC().Sub(start) / step)
		if i >= 0 && i < n {
			out[i].Values[r.Metric] += r.N
		}
	}
	return out, nil
}

// Drill metrics: which tickets stand behind a figure.
const (
	DrillCreated = "created"
	DrillSolved  = "solved"  // first solved in the range
	DrillBacklog = "backlog" // open now
)

// DrillQuery is what the store reads for a drill-down.
type DrillQuery struct {
	RollupQuery
	Metric  string
	AfterID int64
	Limit   int
}

// Drill returns the ids of the tickets behind a figure of the query (its
// one filter, its team), after afterID in id order.
func (s *Service) Drill(ctx context.Context, q Query, metric string, afterID int64, limit int) ([]int64, error) {
	rq, err := s.ungrouped(ctx, &q)
	if err != nil {
		return nil, err
	}
	switch metric {
	case DrillCreated, DrillSolved, DrillBacklog:
	default:
		return nil, desk.Invalid(desk.Fields{"metric": desk.M("invalid.one_of", DrillCreated+", "+DrillSolved+", "+DrillBacklog)})
	}
	return s.store.DrillTickets(ctx, DrillQuery{RollupQuery: rq, Metric: metric, AfterID: afterID, Limit: limit})
}
