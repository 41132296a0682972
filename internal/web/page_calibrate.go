package web

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/quality"
)

// calibrateData is the form that opens a calibration session on a ticket:
// the review form's ticket, scorecards and agents; the reviewers offered
// are the active agents (the facilitator may score too).
type calibrateData struct {
	reviewFormData
	Chosen []int64 // the reviewers ticked when the form comes back
}

// Invited reports whether a reviewer was ticked.
func (d calibrateData) Invited(id int64) bool { return slices.Contains(d.Chosen, id) }

func (s *Server) calibratePage(w http.ResponseWriter, r *http.Request) error {
	return s.showCalibrate(w, r, http.StatusOK, calibrateData{reviewFormData: reviewFormData{
		Form: map[string]string{"agent_id": r.URL.Query().Get("agent_id")}}})
}

func (s *Server) showCalibrate(w http.ResponseWriter, r *http.Request, status int, d calibrateData) error {
	if err := s.loadReviewForm(r, &d.reviewFormData); err != nil {
		return err
	}
	return s.render(w, r, status, "calibration_new.html", page{Title: "calibration.new", Nav: "quality", Data: d})
}

// createCalibrationPage opens the session and goes to it: each invited
// reviewer is notified and scores blind there.
func (s *Server) createCalibrationPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in := quality.NewCalibration{TicketID: id}
	in.AgentID, _ = strconv.ParseInt(r.PostFormValue("agent_id"), 10, 64)
	in.ScorecardID, _ = strconv.ParseInt(r.PostFormValue("scorecard_id"), 10, 64)
	for _, v := range r.PostForm["reviewer_ids"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.ReviewerIDs = append(in.ReviewerIDs, n)
		}
	}
	c, err := s.Quality.CreateCalibration(r.Context(), in)
	next := ""
	switch desk.ErrorCode(err) {
	case "":
		next = "/calibrations/" + id64(c.ID)
		s.flash(w, "ok", "calibration.flash_opened")
	case desk.EUNPROCESSABLE: // the agent is the facilitator: shown on the form
		err = desk.Invalid(desk.Fields{"agent_id": desk.ErrorMsg(err)})
	}
	return s.formDone(w, r, err, next, func(errs desk.Fields) error {
		return s.showCalibrate(w, r, http.StatusBadRequest, calibrateData{Chosen: in.ReviewerIDs,
			reviewFormData: reviewFormData{Form: postedValues(r), Errors: errs}})
	})
}
