package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/report"
)

// Complaint trends: a week's volume per tag, type or topic against the four
// weeks before, rises flagged (report.Rising), every bar leading to its
// tickets, and the week's complaint record beside each row.

// trendQuery reads dim, week (a date in it), team_id and topic.
func trendQuery(r *http.Request) (report.TrendQuery, error) {
	l := &apiQuery{q: r.URL.Query(), errs: desk.Fields{}}
	for k := range l.q {
		switch k {
		case "dim", "week", "team_id", "topic":
		default:
			l.errs[k] = desk.M("invalid.unknown_param")
		}
	}
	tq := report.TrendQuery{Dim: l.q.Get("dim"), Week: reportTime(l, "week"), Topic: l.q.Get("topic")}
	if tq.Dim == "" {
		tq.Dim = report.TrendTag
	}
	if id := l.id("team_id"); id != nil {
		tq.TeamID = *id
	}
	return tq, l.err()
}

func (s *Server) apiTrends(w http.ResponseWriter, r *http.Request) error {
	tq, err := trendQuery(r)
	if err != nil {
		return err
	}
	tr, err := s.Reports.Trends(r.Context(), tq)
	return respond(w, http.StatusOK, tr, err)
}

// complaintNoteInput is the body of PUT /api/v1/reports/complaints.
type complaintNoteInput struct {
	Dim  string `json:"dim"`
	Key  string `json:"key"`
	Week string `json:"week"`
	Note string `json:"note"`
}

func parseWeek(v string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return t, desk.Invalid(desk.Fields{"week": desk.M("invalid.report_time_format")})
	}
	return t, nil
}

func (s *Server) apiComplaintNote(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	week, err := parseWeek(q.Get("week"))
	if err != nil {
		return err
	}
	hist, err := s.Reports.ComplaintNoteHistory(r.Context(), q.Get("dim"), q.Get("key"), week)
	if err != nil {
		return err
	}
	if len(hist) > 0 {
		w.Header().Set("ETag", etag(hist[0].Version))
	}
	return respond(w, http.StatusOK, map[string]any{"versions": hist}, nil)
}

func (s *Server) apiSetComplaintNote(w http.ResponseWriter, r *http.Request) error {
	var in complaintNoteInput
	if err := decode(r, &in); err != nil {
		return err
	}
	v, err := ifMatch(r)
	if err != nil {
		return err
	}
	week, err := parseWeek(in.Week)
	if err != nil {
		return err
	}
	n, err := s.Reports.SetComplaintNote(r.Context(), in.Dim, in.Key, week, in.Note, v)
	return respond(w, http.StatusOK, n, err)
}

type trendRowView struct {
	report.TrendRow
	Spark template.HTML
	Href  string // the week's tickets, or the topic's tags
	Label string
}

type trendsData struct {
	Trends *report.Trends
	Dim    string
	Dims   []string
	Week   string
	Prev   string
	Next   string
	Topic  string
	TeamID int64
	Rows   []trendRowView
	Alpha  float64
	Min    int
}

func (s *Server) trendsPage(w http.ResponseWriter, r *http.Request) error {
	tq, err := trendQuery(r)
	if err != nil {
		return err
	}
	tr, err := s.Reports.Trends(r.Context(), tq)
	if err != nil {
		return err
	}
	d := trendsData{Trends: tr, Dim: tq.Dim, Dims: report.TrendDims, Week: tr.Week.Format(time.DateOnly),
		Prev: tr.Week.AddDate(0, 0, -7).Format(time.DateOnly), Next: tr.Week.AddDate(0, 0, 7).Format(time.DateOnly),
		Topic: tq.Topic, TeamID: tq.TeamID, Alpha: report.TrendAlpha, Min: report.TrendMinCount}
	first := tr.Week.AddDate(0, 0, -7*report.TrendWeeks)
	for _, row := range tr.Rows {
		v := trendRowView{TrendRow: row, Label: row.Key}
		hrefs := make([]string, len(row.Weeks))
		for i := range row.Weeks {
			if tq.Dim == report.TrendTopic {
				break
			}
			from := first.AddDate(0, 0, 7*i)
			p := url.Values{"metric": {report.DrillCreated}, "from": {from.Format(time.RFC3339)},
				"to": {from.AddDate(0, 0, 7).Format(time.RFC3339)}, filterParam(tq.Dim): {row.Key}}
			if tq.TeamID != 0 {
				p.Set("team_id", strconv.FormatInt(tq.TeamID, 10))
			}
			hrefs[i] = "/reports/tickets?" + p.Encode()
		}
		v.Href = hrefs[len(hrefs)-1]
		if tq.Dim == report.TrendTopic {
			p := url.Values{"dim": {report.TrendTag}, "topic": {row.Key}, "week": {d.Week}}
			v.Href = "/reports/trends?" + p.Encode()
		}
		v.Spark = template.HTML(report.Spark(row.Key, row.Weeks, hrefs, row.Rising))
		d.Rows = append(d.Rows, v)
	}
	return s.render(w, r, http.StatusOK, "report_trends.html", page{Title: "trends.title", Nav: "reports", Data: d})
}

// saveComplaintNote takes a note from the trend page's form.
func (s *Server) saveComplaintNote(w http.ResponseWriter, r *http.Request) error {
	dim, key, weekText := r.PostFormValue("dim"), r.PostFormValue("key"), r.PostFormValue("week")
	back := "/reports/trends?" + url.Values{"dim": {dim}, "week": {weekText}}.Encode()
	week, err := parseWeek(weekText)
	if err == nil {
		v := formVersion(r)
		if v == 0 {
			v = report.NoNoteYet // the form was shown before any note
		}
		_, err = s.Reports.SetComplaintNote(r.Context(), dim, key, week, r.PostFormValue("note"), v)
	}
	switch desk.ErrorCode(err) {
	case "":
		s.flash(w, "ok", "trends.flash_saved", key)
	case desk.ESTALE:
		s.flash(w, "fail", "trends.flash_stale", key)
	case desk.EINVALID:
		s.flash(w, "fail", "trends.flash_invalid", key)
	default:
		return err
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
