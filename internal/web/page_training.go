package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/training"
)

// --- the course catalogue and editor (training:manage)

type coursesData struct {
	Courses []*training.Course
	Course  *training.Course
	// Teams and Agents are who a course can be assigned to.
	Teams   []*people.Team
	Agents  []*people.Agent
	Assigns []*training.TeamAssignment
	Form    map[string]string
	Errors  desk.Fields
	// Refused says why a change was not taken (someone changed it first).
	Refused desk.Msg
	// Module is the key of the module form the errors are about.
	Module string
}

// Num numbers from one.
func (coursesData) Num(i int) int { return i + 1 }

// QuizText shows a module's questions in the editor's text form.
func (coursesData) QuizText(qs []training.Question) string { return training.QuizText(qs) }

// LinksText shows a module's links in the editor's text form.
func (coursesData) LinksText(ls []training.Link) string { return training.LinksText(ls) }

func (s *Server) coursesPage(w http.ResponseWriter, r *http.Request) error {
	return s.showCourses(w, r, http.StatusOK, coursesData{})
}

func (s *Server) showCourses(w http.ResponseWriter, r *http.Request, status int, d coursesData) error {
	var err error
	if d.Courses, err = s.Training.Courses(r.Context()); err != nil {
		return err
	}
	return s.render(w, r, status, "courses.html", page{Title: "training.catalogue", Nav: "training", Data: d})
}

// courseForm reads the course's own fields.
func courseForm(r *http.Request, c *training.Course) desk.Fields {
	f := desk.Fields{}
	c.Title, c.Description = r.PostFormValue("title"), r.PostFormValue("description")
	c.Active = r.PostFormValue("active") != ""
	var err error
	if c.PassMark, err = strconv.Atoi(strings.TrimSpace(r.PostFormValue("pass_mark"))); err != nil {
		f["pass_mark"] = desk.M("training.invalid.pass_mark")
	}
	if v := strings.TrimSpace(r.PostFormValue("valid_days")); v == "" {
		c.ValidDays = 0
	} else if c.ValidDays, err = strconv.Atoi(v); err != nil {
		f["valid_days"] = desk.M("training.invalid.valid_days", 3650)
	}
	c.Criteria = strings.Split(r.PostFormValue("criteria"), ",")
	return f
}

func (s *Server) createCoursePage(w http.ResponseWriter, r *http.Request) error {
	c := training.Course{}
	var made *training.Course
	var err error
	if errs := courseForm(r, &c); len(errs) > 0 {
		err = desk.Invalid(errs)
	} else {
		made, err = s.Training.CreateCourse(r.Context(), c)
	}
	next := "/courses"
	if made != nil {
		next += "/" + id64(made.ID)
	}
	return s.formDone(w, r, err, next, func(errs desk.Fields) error {
		return s.showCourses(w, r, http.StatusBadRequest, coursesData{Form: postedValues(r), Errors: errs})
	})
}

func (s *Server) coursePage(w http.ResponseWriter, r *http.Request) error {
	return s.showCourse(w, r, http.StatusOK, coursesData{})
}

func (s *Server) showCourse(w http.ResponseWriter, r *http.Request, status int, d coursesData) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if d.Course, err = s.Training.Course(ctx, id); err != nil {
		return err
	}
	if d.Assigns, err = s.Training.TeamAssignments(ctx, id); err != nil {
		return err
	}
	if d.Teams, err = s.People.Teams(ctx); err != nil {
		return err
	}
	agents, err := s.People.Agents(ctx)
	if err != nil {
		return err
	}
	for _, a := range agents {
		if a.Active {
			d.Agents = append(d.Agents, a)
		}
	}
	return s.render(w, r, status, "course.html", page{Title: "training.course", Nav: "training", Data: d})
}

// changeCourse applies a change from the editor at the form's version and
// comes back to the editor.
func (s *Server) changeCourse(w http.ResponseWriter, r *http.Request, module string, change func(*training.Course) error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	_, err = s.Training.UpdateCourse(r.Context(), id, version, change)
	if err == nil {
		s.flash(w, "ok", "training.flash_saved")
	}
	switch desk.ErrorCode(err) {
	case desk.ESTALE, desk.EUNPROCESSABLE:
		return s.showCourse(w, r, http.StatusConflict, coursesData{Refused: desk.ErrorMsg(err)})
	}
	return s.formDone(w, r, err, "/courses/"+id64(id), func(errs desk.Fields) error {
		return s.showCourse(w, r, http.StatusBadRequest, coursesData{Form: postedValues(r), Errors: errs, Module: module})
	})
}

func (s *Server) updateCoursePage(w http.ResponseWriter, r *http.Request) error {
	return s.changeCourse(w, r, "", func(c *training.Course) error {
		if errs := courseForm(r, c); len(errs) > 0 {
			return desk.Invalid(errs)
		}
		return nil
	})
}

// moduleForm reads one module's form: title, Markdown, links one a line,
// the quiz in its text form.
func moduleForm(r *http.Request, m *training.Module) error {
	m.Title, m.Body = r.PostFormValue("title"), strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n")
	m.Links = training.ParseLinks(r.PostFormValue("links"))
	qs, err := training.ParseQuiz(r.PostFormValue("quiz"))
	if err != nil {
		return err
	}
	m.Questions = qs
	return nil
}

// prefixFields names a module's errors as the module form shows them
// (modules[3].questions[0].correct → questions[0].correct).
func prefixFields(err error, i int) error {
	fs := desk.ErrorFields(err)
	if len(fs) == 0 {
		return err
	}
	out := desk.Fields{}
	pre := "modules[" + strconv.Itoa(i) + "]."
	for k, v := range fs {
		out[strings.TrimPrefix(k, pre)] = v
	}
	return desk.Invalid(out)
}

func (s *Server) addModulePage(w http.ResponseWriter, r *http.Request) error {
	return s.changeCourse(w, r, "new", func(c *training.Course) error {
		var m training.Module
		if err := moduleForm(r, &m); err != nil {
			return err
		}
		c.Modules = append(c.Modules, m)
		return prefixFields(c.Validate(), len(c.Modules)-1)
	})
}

func (s *Server) updateModulePage(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	return s.changeCourse(w, r, key, func(c *training.Course) error {
		i := -1
		for j := range c.Modules {
			if c.Modules[j].Key == key {
				i = j
			}
		}
		if i < 0 {
			return desk.E(desk.EUNPROCESSABLE, "training.error.module_not_found", key)
		}
		switch r.PostFormValue("do") {
		case "delete":
			c.Modules = append(c.Modules[:i], c.Modules[i+1:]...)
			return nil
		case "up":
			if i > 0 {
				c.Modules[i-1], c.Modules[i] = c.Modules[i], c.Modules[i-1]
			}
			return nil
		}
		if err := moduleForm(r, &c.Modules[i]); err != nil {
			return err
		}
		return prefixFields(c.Validate(), i)
	})
}

func (s *Server) assignCoursePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	in := training.NewAssignment{CourseID: id}
	for _, v := range r.PostForm["agent_id"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.AgentIDs = append(in.AgentIDs, n)
		}
	}
	for _, v := range r.PostForm["team_id"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.TeamIDs = append(in.TeamIDs, n)
		}
	}
	var res *training.AssignResult
	if due, perr := time.Parse("2006-01-02", r.PostFormValue("due")); perr == nil {
		in.DueAt = due.Add(24*time.Hour - time.Second) // the end of the day named, UTC
		res, err = s.Training.Assign(r.Context(), in)
	} else {
		err = desk.Invalid(desk.Fields{"due_at": desk.M("training.invalid.due_past")})
	}
	if err == nil {
		s.flash(w, "ok", "training.flash_assigned", strconv.Itoa(len(res.Assigned)), strconv.Itoa(len(res.Skipped)))
	}
	return s.formDone(w, r, err, "/courses/"+id64(id), func(errs desk.Fields) error {
		return s.showCourse(w, r, http.StatusBadRequest, coursesData{Form: postedValues(r), Errors: errs, Module: "assign"})
	})
}

// --- My training, taking a course, team progress

type trainingData struct {
	Assignments []*training.Assignment
	Suggestions []training.Suggestion
	Assignment  *training.Assignment
	Course      *training.Course
	// Body is each module's Markdown rendered and sanitized, by key.
	Body    map[string]template.HTML
	Attempt *training.Attempt
	Now     time.Time
	Dir     *directory
	Teams   []*people.Team
	TeamID  int64
	Mine    bool
	Errors  desk.Fields
	Refused desk.Msg
	// Module is the key of the quiz the errors or the attempt are about.
	Module string
}

// StateKey is the catalog key of an assignment's state.
func (trainingData) StateKey(state string) string { return stateWords[state] }

var stateWords = map[string]string{training.StateAssigned: "training.state.assigned",
	training.StateInProgress: "training.state.in_progress", training.StateCompleted: "training.state.completed",
	training.StateExpired: "training.state.expired"}

// AgentName is an agent's name.
func (d trainingData) AgentName(id int64) string { return d.Dir.AgentName(&id) }

// Num numbers from one.
func (trainingData) Num(i int) int { return i + 1 }

// Progress is an assignment's modules done out of all.
func (d trainingData) Progress(x *training.Assignment) int { return x.Percent() }

// Chosen reports whether option k of question q was chosen in the last
// attempt shown.
func (d trainingData) Chosen(q, k int) bool {
	if d.Attempt == nil || q >= len(d.Attempt.Answers) {
		return false
	}
	for _, c := range d.Attempt.Answers[q] {
		if c == k {
			return true
		}
	}
	return false
}

// Right reports whether question q was answered right in the last attempt.
func (d trainingData) Right(q int) bool {
	return d.Attempt != nil && q < len(d.Attempt.Right) && d.Attempt.Right[q]
}

// DoneModule reports whether the module with key is done.
func (d trainingData) DoneModule(key string) bool {
	p := d.Assignment.Progress[key]
	return p != nil && p.Done
}

// BestScore is a module's best quiz score, or nil.
func (d trainingData) BestScore(key string) *float64 {
	if p := d.Assignment.Progress[key]; p != nil {
		return p.Score
	}
	return nil
}

func (s *Server) myTrainingPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, _ := desk.ActorFrom(ctx)
	d := trainingData{Now: s.Clock.Now(), Mine: true}
	var err error
	if d.Assignments, err = s.Training.Assignments(ctx, training.AssignmentFilter{AgentID: &a.ID, Limit: 200}); err != nil {
		return err
	}
	if d.Suggestions, err = s.Training.Suggest(ctx, a.ID); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "training.html", page{Title: "training.mine", Nav: "training", Data: d})
}

func (s *Server) trainingAssignmentPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAssignment(w, r, http.StatusOK, trainingData{})
}

func (s *Server) showAssignment(w http.ResponseWriter, r *http.Request, status int, d trainingData) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if d.Assignment, err = s.Training.Assignment(ctx, id); err != nil {
		return err
	}
	if d.Course, err = s.Training.CourseOf(ctx, d.Assignment); err != nil {
		return err
	}
	a, _ := desk.ActorFrom(ctx)
	d.Mine, d.Now = d.Assignment.AgentID == a.ID, s.Clock.Now()
	d.Body = map[string]template.HTML{}
	for _, m := range d.Course.Modules {
		d.Body[m.Key] = template.HTML(s.Training.Markdown(m.Body)) // goldmark without raw HTML, then bluemonday
	}
	return s.render(w, r, status, "training_assignment.html", page{Title: "training.course", Nav: "training", Data: d})
}

func (s *Server) readModulePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	_, err = s.Training.MarkRead(r.Context(), id, version, r.PathValue("key"))
	return s.trainingAnswered(w, r, id, err, trainingData{Module: r.PathValue("key")})
}

func (s *Server) quizPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	key := r.PathValue("key")
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	n, _ := strconv.Atoi(r.PostFormValue("questions"))
	answers := make([][]int, 0, min(max(n, 0), 30))
	for q := 0; q < n && q < 30; q++ {
		chosen := []int{}
		for _, v := range r.PostForm["q"+strconv.Itoa(q)] {
			if k, err := strconv.Atoi(v); err == nil {
				chosen = append(chosen, k)
			}
		}
		answers = append(answers, chosen)
	}
	_, at, err := s.Training.SubmitQuiz(r.Context(), id, version, key, answers)
	if err == nil {
		if at.Passed {
			s.flash(w, "ok", "training.flash_passed", strconv.FormatFloat(at.Score, 'f', -1, 64))
		} else {
			// Show the attempt: which answers were right, and try again.
			return s.showAssignment(w, r, http.StatusOK, trainingData{Attempt: at, Module: key})
		}
	}
	return s.trainingAnswered(w, r, id, err, trainingData{Module: key})
}

func (s *Server) trainingAnswered(w http.ResponseWriter, r *http.Request, id int64, err error, d trainingData) error {
	switch desk.ErrorCode(err) {
	case desk.EUNPROCESSABLE, desk.ESTALE, desk.EFORBIDDEN:
		d.Refused = desk.ErrorMsg(err)
		return s.showAssignment(w, r, http.StatusConflict, d)
	}
	return s.formDone(w, r, err, "/training/assignments/"+id64(id)+"#module-"+d.Module, func(errs desk.Fields) error {
		d.Errors = errs
		return s.showAssignment(w, r, http.StatusBadRequest, d)
	})
}

func (s *Server) teamTrainingPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d := trainingData{Now: s.Clock.Now(), Dir: s.directory(r)}
	d.Teams = d.Dir.Teams
	a, _ := desk.ActorFrom(ctx)
	if v, err := strconv.ParseInt(r.URL.Query().Get("team_id"), 10, 64); err == nil && v > 0 {
		d.TeamID = v
	} else {
		for _, t := range d.Teams { // a lead starts on the team they lead
			if t.LeadID != nil && *t.LeadID == a.ID {
				d.TeamID = t.ID
				break
			}
		}
		if d.TeamID == 0 && len(d.Teams) > 0 {
			d.TeamID = d.Teams[0].ID
		}
	}
	f := training.AssignmentFilter{Limit: 500}
	if d.TeamID > 0 {
		f.TeamID = &d.TeamID
	}
	var err error
	if d.Assignments, err = s.Training.Assignments(ctx, f); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "training_team.html", page{Title: "training.team", Nav: "training", Data: d})
}
