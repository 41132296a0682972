package report

import (
	"context"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// Complaint trends (docs/METRICS.md, "Complaint trends"): the tickets
// created per tag, type or topic in a week against the four weeks before,
// read from the hourly buckets (never the tickets), with a rise flagged when
// a Poisson variable of the four weeks' mean would reach the week's count
// with probability under TrendAlpha, and the count is at least TrendMinCount.

// Trend dimensions.
const (
	TrendTag   = DimTag
	TrendType  = DimType
	TrendTopic = "topic" // a tag's prefix (TopicOf)
)

// TrendDims are the dimensions a trend is read by.
var TrendDims = []string{TrendTag, TrendType, TrendTopic}

// The rise test's parameters and the trend's shape.
const (
	TrendAlpha    = 0.01
	TrendMinCount = 5
	TrendWeeks    = 4 // weeks the baseline is the mean of
	MaxTrendRows  = 200
)

// PoissonUpper is P(X ≥ k) for X ~ Poisson(lambda).
func PoissonUpper(k int64, lambda float64) float64 {
	switch {
	case k <= 0:
		return 1
	case lambda <= 0:
		return 0
	}
	term := func(i int64) float64 {
		lg, _ := math.Lgamma(float64(i) + 1)
		return math.Exp(-lambda + float64(i)*math.Log(lambda) - lg)
	}
	if float64(k) <= lambda+1 {
		// The tail is large: one minus the few terms below k.
		lower := 0.0
		for i := int64(0); i < k; i++ {
			lower += term(i)
		}
		return math.Max(0, 1-lower)
	}
	// Past the mode the terms shrink by lambda/(i+1) < 1 each step.
	sum, t := 0.0, term(k)
	for i := k; t > 0 && t > sum*1e-17; i++ {
		sum += t
		t *= lambda / float64(i+1)
	}
	return math.Min(1, sum)
}

// Rising says whether a week's count is a significant rise over the mean
// of the weeks before (the test above).
func Rising(count int64, baseline float64) (p float64, rising bool) {
	p = PoissonUpper(count, baseline)
	return p, count >= TrendMinCount && p < TrendAlpha
}

// TopicOf is a tag's topic: what comes before its first ":" or "/"
// ("billing:refund" is of "billing"), or the tag itself.
func TopicOf(tag string) string {
	if i := strings.IndexAny(tag, ":/"); i > 0 {
		return tag[:i]
	}
	return tag
}

// WeekOf is the start (Monday 00:00 UTC) of the week holding t.
func WeekOf(t time.Time) time.Time {
	t = t.UTC().Truncate(24 * time.Hour)
	return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
}

// TrendQuery asks how complaints moved in a week.
type TrendQuery struct {
	Week   time.Time // any time in the week; zero: the last whole week
	Dim    string    // one of TrendDims
	TeamID int64     // 0: every team in scope
	Topic  string    // by tag: only the tags of this topic
}

// TrendRow is one tag, type or topic: its counts in the weeks before
// (oldest first) and in the week, the baseline and the test's verdict.
type TrendRow struct {
	Key      string         `json:"key"`
	Weeks    []int64        `json:"weeks"` // TrendWeeks before, then the week
	Count    int64          `json:"count"`
	Baseline float64        `json:"baseline"`
	P        float64        `json:"p"`
	Rising   bool           `json:"rising"`
	Note     *ComplaintNote `json:"note"`
}

// Trends is an answer to a TrendQuery.
type Trends struct {
	Week      time.Time  `json:"week"`
	Dim       string     `json:"dim"`
	Rows      []TrendRow `json:"rows"`
	Truncated bool       `json:"truncated"`
}

// Trends reads a week's complaint volumes against the weeks before, within
// the actor's scope (as KPIs), rising ones first, then by count.
func (s *Service) Trends(ctx context.Context, tq TrendQuery) (*Trends, error) {
	if !slices.Contains(TrendDims, tq.Dim) {
		return nil, desk.Invalid(desk.Fields{"dim": desk.M("invalid.one_of", strings.Join(TrendDims, ", "))})
	}
	week := WeekOf(s.clock.Now()).AddDate(0, 0, -7)
	if !tq.Week.IsZero() {
		week = WeekOf(tq.Week)
	}
	first := week.AddDate(0, 0, -7*TrendWeeks)
	q := Query{From: first, To: week.AddDate(0, 0, 7), TeamID: tq.TeamID}
	rq, err := s.ungrouped(ctx, &q)
	if err != nil {
		return nil, err
	}
	if rq.Dim != DimAll {
		// An agent's own figures are by agent: complaint trends are not.
		return nil, desk.E(desk.EFORBIDDEN, "error.forbidden", auth.ReportsTeam)
	}
	rq.Dim, rq.Group, rq.Metrics = tq.Dim, "val", []string{MCreated}
	if tq.Dim == TrendTopic {
		rq.Dim = DimTag
	}
	counts := map[string][]int64{}
	for w := 0; w <= TrendWeeks; w++ {
		from := first.AddDate(0, 0, 7*w)
		rq.From, rq.To = from.Unix(), from.AddDate(0, 0, 7).Unix()
		rows, err := s.store.Rollups(ctx, rq)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			key := r.Group
			if tq.Topic != "" && TopicOf(key) != tq.Topic {
				continue
			}
			if tq.Dim == TrendTopic {
				key = TopicOf(key)
			}
			c := counts[key]
			if c == nil {
				c = make([]int64, TrendWeeks+1)
				counts[key] = c
			}
			c[w] += r.N
		}
	}
	out := &Trends{Week: week, Dim: tq.Dim, Rows: []TrendRow{}}
	for key, c := range counts {
		var before int64
		for _, n := range c[:TrendWeeks] {
			before += n
		}
		row := TrendRow{Key: key, Weeks: c, Count: c[TrendWeeks], Baseline: float64(before) / TrendWeeks}
		row.P, row.Rising = Rising(row.Count, row.Baseline)
		out.Rows = append(out.Rows, row)
	}
	sort.Slice(out.Rows, func(i, j int) bool {
		a, b := out.Rows[i], out.Rows[j]
		if a.Rising != b.Rising {
			return a.Rising
		}
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Key < b.Key
	})
	if len(out.Rows) > MaxTrendRows {
		out.Rows, out.Truncated = out.Rows[:MaxTrendRows], true
	}
	notes, err := s.store.ComplaintNotes(ctx, tq.Dim, week)
	if err != nil {
		return nil, err
	}
	for i := range out.Rows {
		if n, ok := notes[out.Rows[i].Key]; ok {
			out.Rows[i].Note = n
		}
	}
	return out, nil
}

// ComplaintNote is the complaint record of one tag, type or topic in one
// week: the action the supervisor took. Every change is kept as a new
// version; the latest is the record.
type ComplaintNote struct {
	Dim       string    `json:"dim"`
	Key       string    `json:"key"`
	Week      time.Time `json:"week"`
	Note      string    `json:"note"`
	Version   int64     `json:"version"`
	AuthorID  int64     `json:"author_id"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NoNoteYet, as the version a write expects, expects no record yet (a form
// shown before the first note); 0 expects any.
const NoNoteYet = -2

// MaxComplaintNote is the longest note, in characters.
const MaxComplaintNote = 4000

// SetComplaintNote writes the record of a key's week as a new version,
// if the record is still at ifVersion (0: any, NoNoteYet: none yet);
// ESTALE otherwise.
func (s *Service) SetComplaintNote(ctx context.Context, dim, key string, week time.Time, note string, ifVersion int64) (*ComplaintNote, error) {
	a, err := desk.Require(ctx, auth.ReportsTeam)
	if err != nil {
		return nil, err
	}
	errs := desk.Fields{}
	if !slices.Contains(TrendDims, dim) {
		errs["dim"] = desk.M("invalid.one_of", strings.Join(TrendDims, ", "))
	}
	if key == "" || !utf8.ValidString(key) || utf8.RuneCountInString(key) > 64 {
		errs["key"] = desk.M("invalid.tags")
	}
	note = strings.TrimSpace(note)
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > MaxComplaintNote {
		errs["note"] = desk.M("invalid.too_long")
	}
	if week.Before(Earliest) || week.After(s.clock.Now().AddDate(1, 0, 0)) {
		errs["week"] = desk.M("invalid.report_time")
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	n := &ComplaintNote{Dim: dim, Key: key, Week: WeekOf(week), Note: note, AuthorID: a.ID, UpdatedAt: s.clock.Now()}
	if err := s.store.SaveComplaintNote(ctx, n, ifVersion); err != nil {
		return nil, err
	}
	return n, nil
}

// ComplaintNoteHistory lists every version of a key's week, newest first.
func (s *Service) ComplaintNoteHistory(ctx context.Context, dim, key string, week time.Time) ([]*ComplaintNote, error) {
	if _, err := desk.Require(ctx, auth.ReportsTeam); err != nil {
		return nil, err
	}
	return s.store.ComplaintNoteVersions(ctx, dim, key, WeekOf(week))
}

// CurrentVersion is the record's version (its ETag).
func (n *ComplaintNote) CurrentVersion() int64 { return n.Version }
