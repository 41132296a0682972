package web

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/report"
)

// Goals: targets per team or agent for a KPI and a period, with progress
// (report.Service; docs/METRICS.md "Goals").

func (s *Server) listGoals(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Reports.Goals(r.Context())
	return respond(w, http.StatusOK, map[string]any{"goals": list}, err)
}

func (s *Server) createGoal(w http.ResponseWriter, r *http.Request) error {
	var in report.GoalInput
	if err := decode(r, &in); err != nil {
		return err
	}
	g, err := s.Reports.CreateGoal(r.Context(), in)
	return respond(w, http.StatusCreated, g, err)
}

func (s *Server) getGoal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	g, err := s.Reports.Goal(r.Context(), id)
	return respond(w, http.StatusOK, g, err)
}

func (s *Server) updateGoal(w http.ResponseWriter, r *http.Request) error {
	var in report.GoalInput
	if err := decode(r, &in); err != nil {
		return err
	}
	g, err := withPrecondition(r, func(id, v int64) (*report.Goal, error) { return s.Reports.UpdateGoal(r.Context(), id, v, in) })
	return respond(w, http.StatusOK, g, err)
}

func (s *Server) deleteGoal(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.Reports.DeleteGoal(r.Context(), id, v) })
	return noContent(w, err)
}

// goalView is a goal's line on a page: who, what, the target, where it
// stands, in words.
type goalView struct {
	ID                        int64
	Version                   int64
	Who, Metric, Op           string
	Target, Actual, Projected string
	State                     string
	Period                    string
	Elapsed                   int // percent of the period gone
}

// goalValue says a goal figure as its metric reads.
func goalValue(metric string, v *float64) string {
	if v == nil {
		return "—"
	}
	switch metric {
	case "first_response_median", "resolution_median":
		return duration(v)
	case "fcr_rate", "reopen_rate", "escalation_rate", "csat":
		return percent(v)
	}
	return strconv.FormatFloat(math.Round(*v*10)/10, 'f', -1, 64)
}

// goalViews reads the actor's goals and their progress for a page.
func (s *Server) goalViews(r *http.Request) ([]goalView, error) {
	list, err := s.Reports.Goals(r.Context())
	if err != nil {
		return nil, err
	}
	teams, agents := s.groupNames(r, report.DimTeam), s.groupNames(r, report.DimAgent)
	out := make([]goalView, 0, len(list))
	for _, p := range list {
		g := p.Goal
		v := goalView{ID: g.ID, Version: g.Version, Metric: s.tr(r, report.GoalMetricWords[g.Metric]), State: p.State,
			Target: goalValue(g.Metric, &g.Target), Actual: goalValue(g.Metric, p.Actual), Projected: goalValue(g.Metric, p.Projected),
			Period: g.Period, Elapsed: int(math.Round(p.Elapsed * 100))}
		if g.Op == report.AtLeast {
			v.Op = "≥"
		} else {
			v.Op = "≤"
		}
		switch {
		case g.AgentID != nil:
			v.Who = agents(strconv.FormatInt(*g.AgentID, 10))
		case g.TeamID != nil:
			v.Who = teams(strconv.FormatInt(*g.TeamID, 10))
		}
		out = append(out, v)
	}
	return out, nil
}

type goalsPageData struct {
	Goals   []goalView
	Metrics []string
	Periods []string
	Teams   []people.Team
	Agents  []*people.Agent
}

// goalsPage lists the goals and sets new ones.
func (s *Server) goalsPage(w http.ResponseWriter, r *http.Request) error {
	views, err := s.goalViews(r)
	if err != nil {
		return err
	}
	d := goalsPageData{Goals: views, Metrics: report.GoalMetrics, Periods: report.GoalPeriods}
	sys := desk.WithActor(r.Context(), desk.System)
	if teams, err := s.People.Teams(sys); err == nil {
		for _, t := range teams {
			d.Teams = append(d.Teams, *t)
		}
	}
	if agents, err := s.People.Agents(sys); err == nil {
		d.Agents = agents
	}
	return s.render(w, r, http.StatusOK, "report_goals.html", page{Title: "goals.title", Nav: "reports", Data: d})
}

// saveGoalForm sets a goal from the page's form.
func (s *Server) saveGoalForm(w http.ResponseWriter, r *http.Request) error {
	id := func(name string) *int64 {
		v, err := strconv.ParseInt(r.PostFormValue(name), 10, 64)
		if err != nil || v <= 0 {
			return nil
		}
		return &v
	}
	str := func(name string) *string { v := r.PostFormValue(name); return &v }
	in := report.GoalInput{TeamID: id("team_id"), AgentID: id("agent_id"), Metric: str("metric"), Op: str("op"), Period: str("period")}
	target, err := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("target")), 64)
	if err != nil {
		target = -1 // refused below, with the field named
	}
	if m := r.PostFormValue("metric"); err == nil && (strings.HasSuffix(m, "_rate") || m == "csat") {
		target /= 100 // the form takes percent
	} else if err == nil && strings.HasSuffix(m, "_median") {
		target *= 60 // the form takes minutes
	}
	in.Target = &target
	_, err = s.Reports.CreateGoal(r.Context(), in)
	switch desk.ErrorCode(err) {
	case "":
		s.flash(w, "ok", "goals.flash_saved")
	case desk.EINVALID, desk.EFORBIDDEN:
		s.flash(w, "fail", "goals.flash_invalid")
	default:
		return err
	}
	http.Redirect(w, r, "/reports/goals", http.StatusSeeOther)
	return nil
}

// deleteGoalForm removes a goal from the page (at the version shown).
func (s *Server) deleteGoalForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = s.Reports.DeleteGoal(r.Context(), id, formVersion(r))
	switch desk.ErrorCode(err) {
	case "":
		s.flash(w, "ok", "goals.flash_deleted")
	case desk.ESTALE, desk.ENOTFOUND:
		s.flash(w, "fail", "goals.flash_stale")
	default:
		return err
	}
	http.Redirect(w, r, "/reports/goals", http.StatusSeeOther)
	return nil
}
