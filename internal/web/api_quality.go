package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/quality"
)

// --- scorecards

type scorecardIn struct {
	Name        *string            `json:"name"`
	Description *string            `json:"description"`
	Active      *bool              `json:"active"`
	Sections    *[]quality.Section `json:"sections"`
}

func (in scorecardIn) apply(s *quality.Scorecard) {
	set(&s.Name, in.Name)
	set(&s.Description, in.Description)
	set(&s.Active, in.Active)
	set(&s.Sections, in.Sections)
}

func (s *Server) listScorecards(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Quality.Scorecards(r.Context())
	return listWhole(w, r, "scorecards", list, err, func(x *quality.Scorecard) string { return idKey(x.ID) },
		func(x *quality.Scorecard) time.Time { return x.UpdatedAt }, nil)
}

func (s *Server) getScorecard(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*quality.Scorecard, error) { return s.Quality.Scorecard(r.Context(), id, 0) })
	return respond(w, http.StatusOK, x, err)
}

// getScorecardRevision answers the sections of one revision (the one a
// review was made with); its ETag is the scorecard's version.
func (s *Server) getScorecardRevision(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*quality.Scorecard, error) {
		n, err := strconv.Atoi(r.PathValue("revision"))
		if err != nil || n < 1 {
			return nil, desk.E(desk.ENOTFOUND, "quality.error.scorecard_not_found", id)
		}
		return s.Quality.Scorecard(r.Context(), id, n)
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) createScorecard(w http.ResponseWriter, r *http.Request) error {
	var in scorecardIn
	if err := decode(r, &in); err != nil {
		return err
	}
	sc := quality.Scorecard{Active: true}
	in.apply(&sc)
	x, err := s.Quality.CreateScorecard(r.Context(), sc)
	if err == nil {
		locate(w, "/api/v1/scorecards/", x.ID)
	}
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) updateScorecard(w http.ResponseWriter, r *http.Request) error {
	var in scorecardIn
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*quality.Scorecard, error) {
		return s.Quality.UpdateScorecard(r.Context(), id, v, in.apply)
	})
	return respond(w, http.StatusOK, x, err)
}

// --- reviews

func (s *Server) listReviews(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false, "ticket_id", "agent_id", "reviewer_id", "state")
	f := quality.ReviewFilter{TicketID: l.id("ticket_id"), AgentID: l.id("agent_id"), ReviewerID: l.id("reviewer_id"),
		BeforeID: l.cursorID(), Limit: l.limit + 1}
	if st := l.values("state", []string{quality.StateOpen, quality.StateAcknowledged, quality.StateDisputed,
		quality.StateResolved}); len(st) == 1 {
		f.State = st[0]
	} else if len(st) > 1 {
		l.errs["state"] = desk.M("invalid.one_of", "open, acknowledged, disputed, resolved")
	}
	if err := l.err(); err != nil {
		return err
	}
	list, err := s.Quality.Reviews(r.Context(), f)
	if err != nil {
		return err
	}
	items, next := sqlPage(l, list, func(x *quality.Review) int64 { return x.ID })
	writePage(w, "reviews", items, next, nil)
	return nil
}

func (s *Server) getReview(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*quality.Review, error) { return s.Quality.Review(r.Context(), id) })
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) createReview(w http.ResponseWriter, r *http.Request) error {
	var in quality.NewReview
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := s.Quality.CreateReview(r.Context(), in)
	if err == nil {
		locate(w, "/api/v1/reviews/", x.ID)
	}
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) acknowledgeReview(w http.ResponseWriter, r *http.Request) error {
	x, err := withPrecondition(r, func(id, v int64) (*quality.Review, error) {
		return s.Quality.Acknowledge(r.Context(), id, v)
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) disputeReview(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*quality.Review, error) {
		return s.Quality.Dispute(r.Context(), id, v, in.Reason)
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) resolveReview(w http.ResponseWriter, r *http.Request) error {
	var in quality.Resolution
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*quality.Review, error) {
		return s.Quality.Resolve(r.Context(), id, v, in)
	})
	return respond(w, http.StatusOK, x, err)
}

// --- review queue

type samplingIn struct {
	PerAgent    *int     `json:"per_agent"`
	Escalated   *bool    `json:"escalated"`
	Reopened    *bool    `json:"reopened"`
	SLABreached *bool    `json:"sla_breached"`
	ReviewerIDs *[]int64 `json:"reviewer_ids"`
	DueDays     *int     `json:"due_days"`
}

func (in samplingIn) apply(r *quality.SamplingRules) {
	set(&r.PerAgent, in.PerAgent)
	set(&r.Escalated, in.Escalated)
	set(&r.Reopened, in.Reopened)
	set(&r.SLABreached, in.SLABreached)
	set(&r.ReviewerIDs, in.ReviewerIDs)
	set(&r.DueDays, in.DueDays)
}

func (s *Server) getSamplingRules(w http.ResponseWriter, r *http.Request) error {
	x, err := s.Quality.Rules(r.Context())
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) updateSamplingRules(w http.ResponseWriter, r *http.Request) error {
	var in samplingIn
	if err := decode(r, &in); err != nil {
		return err
	}
	v, err := ifMatch(r)
	if err != nil {
		return err
	}
	x, err := s.Quality.SaveRules(r.Context(), v, in.apply)
	return respond(w, http.StatusOK, x, err)
}

// weekParam reads a date (YYYY-MM-DD) of the week meant; today's without.
func (s *Server) weekParam(v string) (time.Time, error) {
	if v == "" {
		return quality.WeekStart(s.Clock.Now()), nil
	}
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, desk.Invalid(desk.Fields{"week": desk.M("invalid.date")})
	}
	return quality.WeekStart(d), nil
}

func (s *Server) buildReviewQueue(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Week string `json:"week"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	week, err := s.weekParam(in.Week)
	if err != nil {
		return err
	}
	x, err := s.Quality.BuildQueue(r.Context(), week)
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) listReviewQueue(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false, "week", "reviewer_id", "open")
	week, err := s.weekParam(l.q.Get("week"))
	if err != nil {
		return err
	}
	f := quality.QueueFilter{WeekStart: &week, ReviewerID: l.id("reviewer_id"), AfterID: l.cursorID(), Limit: l.limit + 1}
	if open := l.bool("open"); open != nil {
		f.Open = *open
	}
	if err := l.err(); err != nil {
		return err
	}
	list, err := s.Quality.Queue(r.Context(), f)
	if err != nil {
		return err
	}
	items, next := sqlPage(l, list, func(x *quality.QueueItem) int64 { return x.ID })
	writePage(w, "items", items, next, nil)
	return nil
}

func (s *Server) claimReviewQueueItem(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*quality.QueueItem, error) { return s.Quality.Claim(r.Context(), id) })
	return respond(w, http.StatusOK, x, err)
}
