package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/teamtask"
)

// --- QA dashboard page: a period, the score by week, the worst criteria,
// agents (drilling down to their reviews) and teams.

type qaPageData struct {
	Summary *quality.QASummary
	Dir     *directory
	From    string
	To      string
}

// Name is an agent's name.
func (d qaPageData) Name(id int64) string { return d.Dir.AgentName(&id) }

// Team is a team's name.
func (d qaPageData) Team(id int64) string { return d.Dir.TeamName(&id) }

func (s *Server) qaPage(w http.ResponseWriter, r *http.Request) error {
	q, err := qaQuery(r)
	if err != nil {
		return err
	}
	d := qaPageData{Dir: s.directory(r), From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to")}
	if d.Summary, err = s.Quality.Dashboard(r.Context(), q); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "qa_dashboard.html", page{Title: "qa.dashboard", Nav: "quality", Data: d})
}

// --- coaching pages: an agent's history with a form for a new session,
// and one session with its action items.

type coachingData struct {
	Sessions []*quality.CoachingSession
	Session  *quality.CoachingSession
	AgentID  int64
	// Agents are whom the viewer may coach (for the form).
	Agents []*people.Agent
	Dir    *directory
	Form   map[string]string
	Errors desk.Fields
}

// Name is an agent's name.
func (d coachingData) Name(id int64) string { return d.Dir.AgentName(&id) }

func (s *Server) coachingPage(w http.ResponseWriter, r *http.Request) error {
	return s.showCoaching(w, r, http.StatusOK, coachingData{})
}

func (s *Server) showCoaching(w http.ResponseWriter, r *http.Request, status int, d coachingData) error {
	ctx := r.Context()
	f := quality.CoachingFilter{Limit: 50}
	if v, err := strconv.ParseInt(r.URL.Query().Get("agent_id"), 10, 64); err == nil && v > 0 {
		d.AgentID, f.AgentID = v, &v
	}
	var err error
	if d.Sessions, err = s.Quality.CoachingSessions(ctx, f); err != nil {
		return err
	}
	d.Dir = s.directory(r)
	if a, _ := desk.ActorFrom(ctx); a.Can(auth.CoachingWrite) {
		all, err := s.People.Agents(desk.WithActor(ctx, desk.System))
		if err != nil {
			return err
		}
		for _, ag := range all {
			if ag.Active && ag.ID != a.ID && (a.Can(auth.ReportsReadAll) || sharesTeam(a, ag)) {
				d.Agents = append(d.Agents, ag)
			}
		}
	}
	return s.render(w, r, status, "coaching.html", page{Title: "coaching.title", Nav: "quality", Data: d})
}

func sharesTeam(a desk.Actor, ag *people.Agent) bool {
	for _, t := range ag.TeamIDs {
		if a.InTeam(t) {
			return true
		}
	}
	return false
}

// formTime reads a date (or date and time) field; zero when blank, and
// ok false when it is not a date.
func formTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, true
	}
	for _, layout := range []string{"2006-01-02T15:04", time.DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func listedIDs(v string) []int64 {
	var out []int64
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '#' }) {
		if n, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func (s *Server) createCoachingPage(w http.ResponseWriter, r *http.Request) error {
	in := quality.NewCoachingSession{Notes: r.PostFormValue("notes"), ReviewIDs: listedIDs(r.PostFormValue("review_ids")),
		TicketIDs: listedIDs(r.PostFormValue("ticket_ids"))}
	in.AgentID, _ = strconv.ParseInt(r.PostFormValue("agent_id"), 10, 64)
	errs := desk.Fields{}
	if t, ok := formTime(r.PostFormValue("held_at")); !ok {
		errs["held_at"] = desk.M("quality.invalid.due_range")
	} else if !t.IsZero() {
		in.HeldAt = &t
	}
	if title := strings.TrimSpace(r.PostFormValue("action_title")); title != "" {
		x := quality.NewActionItem{Title: title}
		x.OwnerID, _ = strconv.ParseInt(r.PostFormValue("action_owner_id"), 10, 64)
		if t, ok := formTime(r.PostFormValue("action_due_at")); !ok {
			errs["actions[0].due_at"] = desk.M("quality.invalid.due_range")
		} else if !t.IsZero() {
			x.DueAt = &t
		}
		in.Actions = append(in.Actions, x)
	}
	var c *quality.CoachingSession
	var err error
	if len(errs) > 0 {
		err = desk.Invalid(errs)
	} else {
		c, err = s.Quality.CreateCoachingSession(r.Context(), in)
	}
	next := ""
	if err == nil {
		next = "/coaching/" + id64(c.ID)
		s.flash(w, "ok", "coaching.flash_saved")
	}
	return s.formDone(w, r, err, next, func(errs desk.Fields) error {
		return s.showCoaching(w, r, http.StatusBadRequest, coachingData{Form: postedValues(r), Errors: errs})
	})
}

func (s *Server) coachingSessionPage(w http.ResponseWriter, r *http.Request) error {
	return s.showCoachingSession(w, r, http.StatusOK, coachingData{})
}

func (s *Server) showCoachingSession(w http.ResponseWriter, r *http.Request, status int, d coachingData) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if d.Session, err = s.Quality.CoachingSession(r.Context(), id); err != nil {
		return err
	}
	d.Dir = s.directory(r)
	return s.render(w, r, status, "coaching_session.html", page{Title: "coaching.session", Nav: "quality", Data: d})
}

// actionDonePage ticks an action item off or on, at the version shown.
func (s *Server) actionDonePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	session, _ := strconv.ParseInt(r.PostFormValue("session_id"), 10, 64)
	_, err = s.Quality.SetActionDone(r.Context(), id, version, r.PostFormValue("done") == "1")
	if err == nil {
		s.flash(w, "ok", "coaching.flash_saved")
	}
	r.SetPathValue("id", id64(session))
	return s.formDone(w, r, err, "/coaching/"+id64(session), func(errs desk.Fields) error {
		return s.showCoachingSession(w, r, http.StatusBadRequest, coachingData{Errors: errs})
	})
}

// --- calibration page: blind scoring, the spread, reveal and agreement.

type calibrationData struct {
	Calibration *quality.Calibration
	Scorecard   *quality.Scorecard
	Mine        *quality.CalibrationScore
	Facilitator bool
	Dir         *directory
	Errors      desk.Fields
	Refused     desk.Msg
}

// Name is an agent's name.
func (d calibrationData) Name(id int64) string { return d.Dir.AgentName(&id) }

// Answers lists a criterion's answers, best first.
func (calibrationData) Answers(c quality.Criterion) []string { return reviewFormData{}.Answers(c) }

func (s *Server) calibrationPage(w http.ResponseWriter, r *http.Request) error {
	return s.showCalibration(w, r, http.StatusOK, calibrationData{})
}

func (s *Server) showCalibration(w http.ResponseWriter, r *http.Request, status int, d calibrationData) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if d.Calibration, d.Scorecard, err = s.Quality.Calibration(ctx, id); err != nil {
		return err
	}
	a, _ := desk.ActorFrom(ctx)
	for i := range d.Calibration.Scores {
		if d.Calibration.Scores[i].ReviewerID == a.ID {
			d.Mine = &d.Calibration.Scores[i]
		}
	}
	d.Facilitator, d.Dir = d.Calibration.FacilitatorID == a.ID, s.directory(r)
	return s.render(w, r, status, "calibration.html", page{Title: "calibration.title", Nav: "quality", Data: d})
}

// calibrationActionPage takes the blind answers (score), the reveal or
// the agreement from the calibration page.
func (s *Server) calibrationActionPage(action string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		ctx := r.Context()
		version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
		answers := map[string]string{}
		for k := range r.PostForm {
			if key, ok := strings.CutPrefix(k, "answer."); ok && r.PostFormValue(k) != "" {
				answers[key] = r.PostFormValue(k)
			}
		}
		switch action {
		case "score":
			_, _, err = s.Quality.SubmitCalibration(ctx, id, answers)
		case "reveal":
			_, err = s.Quality.RevealCalibration(ctx, id, version)
		default:
			_, err = s.Quality.AgreeCalibration(ctx, id, version, quality.Agreement{Answers: answers,
				Notes: r.PostFormValue("notes"), MakeReview: r.PostFormValue("make_review") != ""})
		}
		switch desk.ErrorCode(err) {
		case desk.EUNPROCESSABLE, desk.ECONFLICT, desk.ESTALE:
			return s.showCalibration(w, r, http.StatusConflict, calibrationData{Refused: desk.ErrorMsg(err)})
		case "":
			s.flash(w, "ok", "coaching.flash_saved")
		}
		return s.formDone(w, r, err, "/calibrations/"+id64(id), func(errs desk.Fields) error {
			return s.showCalibration(w, r, http.StatusBadRequest, calibrationData{Errors: errs})
		})
	}
}

// --- team task board: three columns; cards move by forms carrying their
// version (a stale move is refused, never applied over another's).

type boardData struct {
	Team    *people.Team
	Columns []string
	Tasks   map[string][]*teamtask.Task
	Lead    bool
	Me      int64
	Dir     *directory
	Errors  desk.Fields
	Refused desk.Msg
	Form    map[string]string
}

// Name is an agent's name.
func (d boardData) Name(id int64) string { return d.Dir.AgentName(&id) }

// MayChange reports whether the viewer may move the card.
func (d boardData) MayChange(t *teamtask.Task) bool {
	return d.Lead || (t.OwnerID != nil && *t.OwnerID == d.Me)
}

func (s *Server) boardPage(w http.ResponseWriter, r *http.Request) error {
	return s.showBoard(w, r, http.StatusOK, boardData{})
}

func (s *Server) showBoard(w http.ResponseWriter, r *http.Request, status int, d boardData) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	list, tm, lead, err := s.Tasks.Board(r.Context(), id)
	if err != nil {
		return err
	}
	a, _ := desk.ActorFrom(r.Context())
	d.Team, d.Lead, d.Me, d.Columns, d.Dir = tm, lead, a.ID, teamtask.Columns, s.directory(r)
	d.Tasks = map[string][]*teamtask.Task{}
	for _, t := range list {
		d.Tasks[t.Status] = append(d.Tasks[t.Status], t)
	}
	return s.render(w, r, status, "team_tasks.html", page{Title: "tasks.title", Nav: "quality", Data: d})
}

func (s *Server) boardFormPage(w http.ResponseWriter, r *http.Request) error {
	teamID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	p := teamtask.Patch{}
	errs := desk.Fields{}
	if v, ok := r.PostForm["title"]; ok {
		p.Title = &v[0]
	}
	if v, ok := r.PostForm["description"]; ok {
		p.Description = &v[0]
	}
	if v := r.PostFormValue("status"); v != "" {
		p.Status = &v
	}
	if v := r.PostFormValue("owner_id"); v != "" {
		n, _ := strconv.ParseInt(v, 10, 64)
		p.OwnerID = &n
	}
	if v, ok := r.PostForm["due_at"]; ok {
		if t, good := formTime(v[0]); good {
			p.DueAt = &t
		} else {
			errs["due_at"] = desk.M("quality.invalid.due_range")
		}
	}
	if v, ok := r.PostForm["ticket_ids"]; ok {
		ids := listedIDs(v[0])
		p.TicketIDs = &ids
	}
	if len(errs) > 0 {
		err = desk.Invalid(errs)
	} else if taskID, _ := strconv.ParseInt(r.PostFormValue("task_id"), 10, 64); taskID > 0 {
		version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
		if version == 0 {
			version = -1 // a form always carries the version it showed
		}
		_, err = s.Tasks.Update(ctx, taskID, version, p)
	} else {
		_, err = s.Tasks.Create(ctx, teamID, p)
	}
	switch desk.ErrorCode(err) {
	case desk.ESTALE, desk.EFORBIDDEN:
		return s.showBoard(w, r, http.StatusConflict, boardData{Refused: desk.ErrorMsg(err)})
	case "":
		s.flash(w, "ok", "coaching.flash_saved")
	}
	return s.formDone(w, r, err, "/teams/"+id64(teamID)+"/tasks", func(errs desk.Fields) error {
		return s.showBoard(w, r, http.StatusBadRequest, boardData{Errors: errs, Form: postedValues(r)})
	})
}
