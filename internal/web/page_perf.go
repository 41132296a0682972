package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/training"
)

// --- performance reviews: an agent's history, one review (printable)

type perfData struct {
	Agent     *people.Agent
	Author    *people.Agent
	Reviews   []*training.PerfReview
	Review    *training.PerfReview
	Facts     *training.Facts
	Revisions []training.PerfRevision
	Periods   []string
	// CanWrite: the viewer writes the assessment; IsAgent: the viewer is
	// the agent reviewed.
	CanWrite bool
	IsAgent  bool
	Today    string
	Form     map[string]string
	Errors   desk.Fields
	Refused  desk.Msg
}

// Period names the review's period: "2026-03" or "2026 Q1".
func (perfData) Period(r *training.PerfReview) string {
	if r.Period == training.Quarterly {
		return r.PeriodStart.Format("2006") + " Q" + strconv.Itoa((int(r.PeriodStart.Month())-1)/3+1)
	}
	return r.PeriodStart.Format("2006-01")
}

func (s *Server) perfReviewsPage(w http.ResponseWriter, r *http.Request) error {
	return s.showPerfReviews(w, r, http.StatusOK, perfData{})
}

func (s *Server) showPerfReviews(w http.ResponseWriter, r *http.Request, status int, d perfData) error {
	ctx := r.Context()
	a, _ := desk.ActorFrom(ctx)
	agentID := a.ID
	if v, err := strconv.ParseInt(r.FormValue("agent_id"), 10, 64); err == nil && v > 0 {
		agentID = v
	}
	var err error
	if d.Agent, err = s.People.Agent(ctx, agentID); err != nil {
		return err
	}
	if d.Reviews, err = s.Training.PerfReviews(ctx, agentID); err != nil {
		return err
	}
	rel, err := s.Training.RelationTo(ctx, agentID)
	if err != nil {
		return err
	}
	d.CanWrite = (rel == training.Lead || rel == training.Supervisor) && a.Can(auth.CoachingWrite)
	d.Periods, d.Today = training.Periods, s.Clock.Now().Format("2006-01-02")
	return s.render(w, r, status, "perf_reviews.html", page{Title: "perf.title", Nav: "training", Data: d})
}

func (s *Server) createPerfReviewPage(w http.ResponseWriter, r *http.Request) error {
	agentID, _ := strconv.ParseInt(r.PostFormValue("agent_id"), 10, 64)
	in := training.NewPerfReview{AgentID: agentID, Period: r.PostFormValue("period"), Assessment: r.PostFormValue("assessment")}
	var made *training.PerfReview
	var err error
	if t, perr := time.Parse("2006-01-02", r.PostFormValue("period_of")); perr == nil {
		in.PeriodOf = t
		made, err = s.Training.CreatePerfReview(r.Context(), in)
	} else {
		err = desk.Invalid(desk.Fields{"period_of": desk.M("invalid.required")})
	}
	if desk.ErrorCode(err) == desk.ECONFLICT || desk.ErrorCode(err) == desk.EUNPROCESSABLE {
		return s.showPerfReviews(w, r, http.StatusConflict, perfData{Refused: desk.ErrorMsg(err), Form: postedValues(r)})
	}
	next := "/performance-reviews?agent_id=" + id64(agentID)
	if made != nil {
		next = "/performance-reviews/" + id64(made.ID)
	}
	return s.formDone(w, r, err, next, func(errs desk.Fields) error {
		return s.showPerfReviews(w, r, http.StatusBadRequest, perfData{Form: postedValues(r), Errors: errs})
	})
}

func (s *Server) perfReviewPage(w http.ResponseWriter, r *http.Request) error {
	return s.showPerfReview(w, r, http.StatusOK, perfData{})
}

func (s *Server) showPerfReview(w http.ResponseWriter, r *http.Request, status int, d perfData) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if d.Review, err = s.Training.PerfReview(ctx, id); err != nil {
		return err
	}
	if d.Facts, err = s.Training.FactsOf(ctx, d.Review); err != nil {
		return err
	}
	if d.Revisions, err = s.Training.PerfRevisions(ctx, id); err != nil {
		return err
	}
	if d.Agent, err = s.People.Agent(ctx, d.Review.AgentID); err != nil {
		return err
	}
	if d.Author, err = s.People.Agent(ctx, d.Review.AuthorID); err != nil {
		return err
	}
	a, _ := desk.ActorFrom(ctx)
	rel, err := s.Training.RelationTo(ctx, d.Review.AgentID)
	if err != nil {
		return err
	}
	d.CanWrite = (rel == training.Lead || rel == training.Supervisor) && a.Can(auth.CoachingWrite)
	d.IsAgent = rel == training.Self
	return s.render(w, r, status, "perf_review.html", page{Title: "perf.review", Nav: "training", Data: d})
}

// answerPerfReviewPage takes a change from the review page: the text
// ("save"), sharing it or acknowledging it.
func (s *Server) answerPerfReviewPage(do string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
		ctx := r.Context()
		switch do {
		case "share":
			_, err = s.Training.SharePerfReview(ctx, id, version)
		case "acknowledge":
			_, err = s.Training.AcknowledgePerfReview(ctx, id, version)
		default:
			var p training.PerfPatch
			if _, ok := r.PostForm["assessment"]; ok {
				v := r.PostFormValue("assessment")
				p.Assessment = &v
			}
			if _, ok := r.PostForm["self_assessment"]; ok {
				v := r.PostFormValue("self_assessment")
				p.SelfAssessment = &v
			}
			_, err = s.Training.UpdatePerfReview(ctx, id, version, p)
		}
		if err == nil {
			s.flash(w, "ok", "perf.flash_saved")
		}
		switch desk.ErrorCode(err) {
		case desk.EUNPROCESSABLE, desk.ESTALE, desk.EFORBIDDEN:
			return s.showPerfReview(w, r, http.StatusConflict, perfData{Refused: desk.ErrorMsg(err), Form: postedValues(r)})
		}
		return s.formDone(w, r, err, "/performance-reviews/"+id64(id), func(errs desk.Fields) error {
			return s.showPerfReview(w, r, http.StatusBadRequest, perfData{Errors: errs, Form: postedValues(r)})
		})
	}
}
