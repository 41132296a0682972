package web

import (
	"net/http"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/teamtask"
)

// --- calibration

func (s *Server) listCalibrations(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false)
	if err := l.err(); err != nil {
		return err
	}
	list, err := s.Quality.Calibrations(r.Context(), quality.CalibrationFilter{BeforeID: l.cursorID(), Limit: l.limit + 1})
	if err != nil {
		return err
	}
	items, next := sqlPage(l, list, func(x *quality.Calibration) int64 { return x.ID })
	writePage(w, "calibrations", items, next, nil)
	return nil
}

func (s *Server) createCalibration(w http.ResponseWriter, r *http.Request) error {
	var in quality.NewCalibration
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := s.Quality.CreateCalibration(r.Context(), in)
	if err == nil {
		locate(w, "/api/v1/calibrations/", x.ID)
	}
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) getCalibration(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*quality.Calibration, error) {
		c, _, err := s.Quality.Calibration(r.Context(), id)
		return c, err
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) submitCalibration(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Answers map[string]string `json:"answers"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withID(r, func(id int64) (*quality.Calibration, error) {
		c, _, err := s.Quality.SubmitCalibration(r.Context(), id, in.Answers)
		return c, err
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) revealCalibration(w http.ResponseWriter, r *http.Request) error {
	x, err := withPrecondition(r, func(id, v int64) (*quality.Calibration, error) {
		return s.Quality.RevealCalibration(r.Context(), id, v)
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) agreeCalibration(w http.ResponseWriter, r *http.Request) error {
	var in quality.Agreement
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*quality.Calibration, error) {
		return s.Quality.AgreeCalibration(r.Context(), id, v, in)
	})
	return respond(w, http.StatusOK, x, err)
}

// --- QA dashboard

// qaQuery reads from, to (dates or times), team_id and agent_id.
func qaQuery(r *http.Request) (quality.DashboardQuery, error) {
	l := readList(r, false, "from", "to", "team_id", "agent_id")
	var q quality.DashboardQuery
	for name, at := range map[string]*time.Time{"from": &q.From, "to": &q.To} {
		v := l.q.Get(name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t, err = time.Parse(time.DateOnly, v)
		}
		if err != nil {
			l.errs[name] = desk.M("invalid.report_time")
		}
		*at = t.UTC()
	}
	if id := l.id("team_id"); id != nil {
		q.TeamID = *id
	}
	if id := l.id("agent_id"); id != nil {
		q.AgentID = *id
	}
	return q, l.err()
}

func (s *Server) qaDashboard(w http.ResponseWriter, r *http.Request) error {
	q, err := qaQuery(r)
	if err != nil {
		return err
	}
	x, err := s.Quality.Dashboard(r.Context(), q)
	return respond(w, http.StatusOK, x, err)
}

// --- coaching

func (s *Server) listCoachingSessions(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false, "agent_id")
	if err := l.err(); err != nil {
		return err
	}
	list, err := s.Quality.CoachingSessions(r.Context(), quality.CoachingFilter{AgentID: l.id("agent_id"),
		BeforeID: l.cursorID(), Limit: l.limit + 1})
	if err != nil {
		return err
	}
	items, next := sqlPage(l, list, func(x *quality.CoachingSession) int64 { return x.ID })
	writePage(w, "sessions", items, next, nil)
	return nil
}

func (s *Server) createCoachingSession(w http.ResponseWriter, r *http.Request) error {
	var in quality.NewCoachingSession
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := s.Quality.CreateCoachingSession(r.Context(), in)
	if err == nil {
		locate(w, "/api/v1/coaching/sessions/", x.ID)
	}
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) getCoachingSession(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*quality.CoachingSession, error) { return s.Quality.CoachingSession(r.Context(), id) })
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) updateCoachingSession(w http.ResponseWriter, r *http.Request) error {
	var in quality.CoachingPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*quality.CoachingSession, error) {
		return s.Quality.UpdateCoachingSession(r.Context(), id, v, in)
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) addActionItem(w http.ResponseWriter, r *http.Request) error {
	var in quality.NewActionItem
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withID(r, func(id int64) (*quality.ActionItem, error) { return s.Quality.AddActionItem(r.Context(), id, in) })
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) updateActionItem(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Done *bool `json:"done"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Done == nil {
		return desk.Invalid(desk.Fields{"done": desk.M("invalid.required")})
	}
	x, err := withPrecondition(r, func(id, v int64) (*quality.ActionItem, error) {
		return s.Quality.SetActionDone(r.Context(), id, v, *in.Done)
	})
	return respond(w, http.StatusOK, x, err)
}

// --- team tasks

func (s *Server) listTeamTasks(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	list, _, _, err := s.Tasks.Board(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": list})
	return nil
}

func (s *Server) createTeamTask(w http.ResponseWriter, r *http.Request) error {
	var in teamtask.Patch
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withID(r, func(id int64) (*teamtask.Task, error) { return s.Tasks.Create(r.Context(), id, in) })
	if err == nil {
		locate(w, "/api/v1/tasks/", x.ID)
	}
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) getTeamTask(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*teamtask.Task, error) { return s.Tasks.Task(r.Context(), id) })
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) updateTeamTask(w http.ResponseWriter, r *http.Request) error {
	var in teamtask.Patch
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*teamtask.Task, error) { return s.Tasks.Update(r.Context(), id, v, in) })
	return respond(w, http.StatusOK, x, err)
}
