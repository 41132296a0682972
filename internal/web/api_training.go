package web

import (
	"net/http"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/training"
)

// --- courses

type courseIn struct {
	Title       *string            `json:"title"`
	Description *string            `json:"description"`
	Criteria    *[]string          `json:"criteria"`
	PassMark    *int               `json:"pass_mark"`
	ValidDays   *int               `json:"valid_days"`
	Modules     *[]training.Module `json:"modules"`
	Active      *bool              `json:"active"`
}

func (in courseIn) apply(c *training.Course) {
	set(&c.Title, in.Title)
	set(&c.Description, in.Description)
	set(&c.Criteria, in.Criteria)
	set(&c.PassMark, in.PassMark)
	set(&c.ValidDays, in.ValidDays)
	set(&c.Modules, in.Modules)
	set(&c.Active, in.Active)
}

func (s *Server) listCourses(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Training.Courses(r.Context())
	return listWhole(w, r, "courses", list, err, func(x *training.Course) string { return idKey(x.ID) },
		func(x *training.Course) time.Time { return x.UpdatedAt }, nil)
}

func (s *Server) getCourse(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*training.Course, error) { return s.Training.Course(r.Context(), id) })
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) createCourse(w http.ResponseWriter, r *http.Request) error {
	var in courseIn
	if err := decode(r, &in); err != nil {
		return err
	}
	c := training.Course{Active: true}
	in.apply(&c)
	x, err := s.Training.CreateCourse(r.Context(), c)
	if err == nil {
		locate(w, "/api/v1/courses/", x.ID)
	}
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) updateCourse(w http.ResponseWriter, r *http.Request) error {
	var in courseIn
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*training.Course, error) {
		return s.Training.UpdateCourse(r.Context(), id, v, func(c *training.Course) error { in.apply(c); return nil })
	})
	return respond(w, http.StatusOK, x, err)
}

// --- assignments

func (s *Server) listCourseAssignments(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false, "agent_id", "team_id", "course_id", "state")
	f := training.AssignmentFilter{AgentID: l.id("agent_id"), TeamID: l.id("team_id"), CourseID: l.id("course_id"),
		BeforeID: l.cursorID(), Limit: l.limit + 1}
	if st := l.values("state", []string{training.StateAssigned, training.StateInProgress, training.StateCompleted,
		training.StateExpired}); len(st) == 1 {
		f.State = st[0]
	} else if len(st) > 1 {
		l.errs["state"] = desk.M("invalid.one_of", "assigned, in_progress, completed, expired")
	}
	if err := l.err(); err != nil {
		return err
	}
	list, err := s.Training.Assignments(r.Context(), f)
	if err != nil {
		return err
	}
	items, next := sqlPage(l, list, func(x *training.Assignment) int64 { return x.ID })
	writePage(w, "course_assignments", items, next, nil)
	return nil
}

// assignmentOut is an assignment with its course as the reader may see it.
type assignmentOut struct {
	*training.Assignment
	Course *training.Course `json:"course"`
}

func (s *Server) getCourseAssignment(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*assignmentOut, error) {
		a, err := s.Training.Assignment(r.Context(), id)
		if err != nil {
			return nil, err
		}
		c, err := s.Training.CourseOf(r.Context(), a)
		return &assignmentOut{Assignment: a, Course: c}, err
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) createCourseAssignments(w http.ResponseWriter, r *http.Request) error {
	var in training.NewAssignment
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := s.Training.Assign(r.Context(), in)
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) readCourseModule(w http.ResponseWriter, r *http.Request) error {
	x, err := withPrecondition(r, func(id, v int64) (*training.Assignment, error) {
		return s.Training.MarkRead(r.Context(), id, v, r.PathValue("key"))
	})
	return respond(w, http.StatusOK, x, err)
}

type quizIn struct {
	Answers [][]int `json:"answers"`
}

type quizOut struct {
	Assignment *training.Assignment `json:"assignment"`
	Attempt    *training.Attempt    `json:"attempt"`
}

func (s *Server) submitCourseQuiz(w http.ResponseWriter, r *http.Request) error {
	var in quizIn
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*quizOut, error) {
		a, at, err := s.Training.SubmitQuiz(r.Context(), id, v, r.PathValue("key"), in.Answers)
		return &quizOut{Assignment: a, Attempt: at}, err
	})
	if err == nil {
		setETag(w, x.Assignment)
		writeJSON(w, http.StatusOK, x)
	}
	return err
}

func (s *Server) listCourseSuggestions(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false, "agent_id")
	agent := l.id("agent_id")
	if err := l.err(); err != nil {
		return err
	}
	a, _ := desk.ActorFrom(r.Context())
	id := a.ID
	if agent != nil {
		id = *agent
	}
	list, err := s.Training.Suggest(r.Context(), id)
	if err != nil {
		return err
	}
	writePage(w, "suggestions", list, nil, nil)
	return nil
}

// --- performance reviews

func (s *Server) listPerfReviews(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false, "agent_id")
	agent := l.id("agent_id")
	if agent == nil {
		l.errs["agent_id"] = desk.M("invalid.required")
	}
	if err := l.err(); err != nil {
		return err
	}
	list, err := s.Training.PerfReviews(r.Context(), *agent)
	if err != nil {
		return err
	}
	writePage(w, "performance_reviews", list, nil, nil)
	return nil
}

// perfOut is a review with its facts (gathered now for a draft).
type perfOut struct {
	*training.PerfReview
	Facts *training.Facts `json:"facts"`
}

func (s *Server) getPerfReview(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*perfOut, error) {
		p, err := s.Training.PerfReview(r.Context(), id)
		if err != nil {
			return nil, err
		}
		f, err := s.Training.FactsOf(r.Context(), p)
		return &perfOut{PerfReview: p, Facts: f}, err
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) createPerfReview(w http.ResponseWriter, r *http.Request) error {
	var in training.NewPerfReview
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := s.Training.CreatePerfReview(r.Context(), in)
	if err == nil {
		locate(w, "/api/v1/performance-reviews/", x.ID)
	}
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) updatePerfReview(w http.ResponseWriter, r *http.Request) error {
	var in training.PerfPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*training.PerfReview, error) {
		return s.Training.UpdatePerfReview(r.Context(), id, v, in)
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) sharePerfReview(w http.ResponseWriter, r *http.Request) error {
	x, err := withPrecondition(r, func(id, v int64) (*training.PerfReview, error) {
		return s.Training.SharePerfReview(r.Context(), id, v)
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) acknowledgePerfReview(w http.ResponseWriter, r *http.Request) error {
	x, err := withPrecondition(r, func(id, v int64) (*training.PerfReview, error) {
		return s.Training.AcknowledgePerfReview(r.Context(), id, v)
	})
	return respond(w, http.StatusOK, x, err)
}
