package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/csat"
	"github.com/sahayak/sahayak/internal/desk"
)

// surveyData is what the survey page shows a customer.
type surveyData struct {
	Token    string
	Survey   *csat.Survey // nil: the link is not one of ours
	Status   string
	Open     bool
	Rating   int // selected: the answer, or the link's ?rating=
	Comment  string
	Thanks   bool
	Errors   desk.Fields
	Closed   string // why no answer is taken (a catalog key), when not Open
	LinkLang string // the page's language, kept across the form
}

// surveyLang is the language of a survey page: the visitor's choice on
// the page, else the customer's language, else the browser's.
func (s *Server) surveyLang(r *http.Request, sv *csat.Survey) string {
	switch r.URL.Query().Get("lang") {
	case "en":
		return "en"
	case "hi":
		return "hi"
	}
	if sv != nil {
		return sv.Language
	}
	return s.lang(r)
}

func (s *Server) surveyPage(w http.ResponseWriter, r *http.Request) error {
	if s.CSAT == nil {
		return desk.E(desk.ENOTFOUND, "csat.not_found")
	}
	token := r.PathValue("token")
	sv, err := s.CSAT.ByToken(r.Context(), token)
	if err != nil && desk.ErrorCode(err) != desk.ENOTFOUND {
		return err
	}
	d := surveyData{Token: token, Survey: sv, Thanks: r.URL.Query().Get("thanks") == "1"}
	if n, err := strconv.Atoi(r.URL.Query().Get("rating")); err == nil && n >= 1 && n <= 5 {
		d.Rating = n
	}
	return s.showSurvey(w, r, http.StatusOK, d)
}

func (s *Server) showSurvey(w http.ResponseWriter, r *http.Request, status int, d surveyData) error {
	now := s.Clock.Now()
	d.LinkLang = s.surveyLang(r, d.Survey)
	if d.Survey == nil {
		status = http.StatusNotFound
		d.Closed = "csat.not_found"
	} else {
		d.Status = d.Survey.Status(now)
		d.Open = d.Survey.Open(now)
		if d.Rating == 0 && d.Survey.Rating != nil {
			d.Rating = *d.Survey.Rating
		}
		if d.Comment == "" {
			d.Comment = d.Survey.Comment
		}
		switch {
		case !d.Open && d.Status == csat.StatusAnswered:
			d.Closed = "csat.closed"
		case !d.Open:
			d.Closed = "csat.expired"
		}
	}
	w.Header().Set("Referrer-Policy", "no-referrer") // the token stays in this page
	return s.render(w, r, status, "survey.html", page{Title: "csat.title", Data: d, Lang: d.LinkLang})
}

func (s *Server) answerSurvey(w http.ResponseWriter, r *http.Request) error {
	if s.CSAT == nil {
		return desk.E(desk.ENOTFOUND, "csat.not_found")
	}
	token := r.PathValue("token")
	rating, _ := strconv.Atoi(r.PostFormValue("rating"))
	comment := r.PostFormValue("comment")
	sv, err := s.CSAT.Answer(r.Context(), token, rating, comment)
	switch desk.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/survey/"+token+"?thanks=1&lang="+s.surveyLang(r, sv), http.StatusSeeOther)
		return nil
	case desk.ENOTFOUND:
		return s.showSurvey(w, r, http.StatusNotFound, surveyData{Token: token})
	case desk.EINVALID, desk.EUNPROCESSABLE, desk.ECONFLICT:
		d := surveyData{Token: token, Survey: sv, Rating: rating, Comment: comment, Errors: desk.ErrorFields(err)}
		if len(d.Errors) == 0 {
			d.Errors = desk.Fields{"": desk.ErrorMsg(err)}
		}
		return s.showSurvey(w, r, HTTPStatus(err), d)
	}
	return err
}

// ticketSatisfaction answers a ticket's survey and its answer, to those who
// may read the ticket.
func (s *Server) ticketSatisfaction(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.Tickets.Get(r.Context(), id); err != nil {
		return err
	}
	var sv *csat.Survey
	if s.CSAT != nil {
		if sv, err = s.CSAT.ForTicket(r.Context(), id); err != nil {
			return err
		}
	}
	return respond(w, http.StatusOK, satisfactionOf(id, sv, s.Clock.Now()), nil)
}

// satisfaction is the API's view of a ticket's survey.
type satisfaction struct {
	TicketID        int64      `json:"ticket_id"`
	Status          string     `json:"status"`
	Rating          *int       `json:"rating"`
	Comment         string     `json:"comment"`
	SentAt          *time.Time `json:"sent_at"`
	Mailed          bool       `json:"mailed"`
	AnsweredAt      *time.Time `json:"answered_at"`
	ChangeableUntil *time.Time `json:"changeable_until"`
	ExpiresAt       *time.Time `json:"expires_at"`
}

func satisfactionOf(ticketID int64, sv *csat.Survey, now time.Time) satisfaction {
	out := satisfaction{TicketID: ticketID, Status: sv.Status(now)}
	if sv == nil {
		return out
	}
	out.Rating, out.Comment, out.SentAt, out.Mailed = sv.Rating, sv.Comment, &sv.CreatedAt, sv.OutboundID != nil
	out.AnsweredAt, out.ChangeableUntil, out.ExpiresAt = sv.AnsweredAt, sv.ChangeableUntil, &sv.ExpiresAt
	return out
}

// satisfactionLine says, in the viewer's words, where a ticket's survey
// stands: for the ticket page.
func (s *Server) satisfactionLine(r *http.Request, ticketID int64) (string, error) {
	if s.CSAT == nil {
		return "", nil
	}
	sv, err := s.CSAT.ForTicket(r.Context(), ticketID)
	if err != nil {
		return "", err
	}
	now := s.Clock.Now()
	switch sv.Status(now) {
	case csat.StatusNone:
		return s.tr(r, "csat.status_none"), nil
	case csat.StatusSent:
		return s.tr(r, "csat.status_sent", sv.CreatedAt.UTC().Format("2006-01-02")), nil
	case csat.StatusExpired:
		return s.tr(r, "csat.status_expired", sv.CreatedAt.UTC().Format("2006-01-02")), nil
	}
	line := s.tr(r, "csat.status_answered", *sv.Rating, s.tr(r, ratingWords[*sv.Rating]),
		sv.AnsweredAt.UTC().Format("2006-01-02"))
	if sv.Comment != "" {
		line += " — “" + sv.Comment + "”"
	}
	return line, nil
}

// ratingWords names each rating (index 1 to 5) in the catalog.
var ratingWords = [...]string{1: "csat.rating_1", 2: "csat.rating_2", 3: "csat.rating_3", 4: "csat.rating_4", 5: "csat.rating_5"}
