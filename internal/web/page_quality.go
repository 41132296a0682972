package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/ticket"
)

// --- scorecards pages: a list with a form whose sections are JSON (the page
// shows a sample), and one scorecard with its revision and an edit form.

type scorecardsData struct {
	Scorecards []*quality.Scorecard
	Scorecard  *quality.Scorecard
	Scales     []string
	Form       map[string]string
	Errors     desk.Fields
}

// JSON shows sections in the form's text area.
func (scorecardsData) JSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// Sample is a scorecard's sections as a new one starts.
func (scorecardsData) Sample() string {
	b, _ := json.MarshalIndent([]quality.Section{
		{Title: "Tone", Weight: 40, Criteria: []quality.Criterion{{Key: "greeting", Title: "Greets the customer", Weight: 100, Scale: quality.ScaleYesNo}}},
		{Title: "Solution", Weight: 60, Criteria: []quality.Criterion{
			{Key: "correct", Title: "Correct answer", Weight: 80, Scale: quality.ScaleFive},
			{Key: "privacy", Title: "No personal data shared", Weight: 20, Scale: quality.ScaleYesNo, Critical: true, FailAnswer: "no"}}},
	}, "", "  ")
	return string(b)
}

func (s *Server) scorecardsPage(w http.ResponseWriter, r *http.Request) error {
	return s.showScorecards(w, r, http.StatusOK, scorecardsData{})
}

func (s *Server) showScorecards(w http.ResponseWriter, r *http.Request, status int, d scorecardsData) error {
	var err error
	if d.Scorecards, err = s.Quality.Scorecards(r.Context()); err != nil {
		return err
	}
	d.Scales = quality.Scales
	return s.render(w, r, status, "scorecards.html", page{Title: "quality.scorecards", Nav: "quality", Data: d})
}

// scorecardForm reads the scorecard form; sections are a JSON list.
func scorecardForm(r *http.Request, sc *quality.Scorecard) desk.Fields {
	sc.Name, sc.Description = r.PostFormValue("name"), r.PostFormValue("description")
	sc.Active = r.PostFormValue("active") != ""
	if err := json.Unmarshal([]byte(r.PostFormValue("sections")), &sc.Sections); err != nil {
		return desk.Fields{"sections": desk.M("quality.bad_json")}
	}
	return nil
}

func (s *Server) createScorecardPage(w http.ResponseWriter, r *http.Request) error {
	sc := quality.Scorecard{}
	var made *quality.Scorecard
	var err error
	if errs := scorecardForm(r, &sc); len(errs) > 0 {
		err = desk.Invalid(errs)
	} else {
		made, err = s.Quality.CreateScorecard(r.Context(), sc)
	}
	next := "/scorecards"
	if made != nil {
		next += "/" + id64(made.ID)
	}
	return s.formDone(w, r, err, next, func(errs desk.Fields) error {
		return s.showScorecards(w, r, http.StatusBadRequest, scorecardsData{Form: postedValues(r), Errors: errs})
	})
}

func (s *Server) scorecardPage(w http.ResponseWriter, r *http.Request) error {
	return s.showScorecard(w, r, http.StatusOK, scorecardsData{})
}

func (s *Server) showScorecard(w http.ResponseWriter, r *http.Request, status int, d scorecardsData) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if d.Scorecard, err = s.Quality.Scorecard(r.Context(), id, 0); err != nil {
		return err
	}
	d.Scales = quality.Scales
	return s.render(w, r, status, "scorecard.html", page{Title: "quality.scorecards", Nav: "quality", Data: d})
}

func (s *Server) updateScorecardPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	var errs desk.Fields
	_, err = s.Quality.UpdateScorecard(r.Context(), id, version, func(sc *quality.Scorecard) { errs = scorecardForm(r, sc) })
	if len(errs) > 0 {
		err = desk.Invalid(errs)
	}
	return s.formDone(w, r, err, "/scorecards/"+id64(id), func(errs desk.Fields) error {
		return s.showScorecard(w, r, http.StatusBadRequest, scorecardsData{Form: postedValues(r), Errors: errs})
	})
}

// --- reviews pages

type reviewsData struct {
	Reviews   []*quality.Review
	Review    *quality.Review
	Scorecard *quality.Scorecard
	Ticket    *ticket.Ticket
	Dir       *directory
	// AgentID is the agent whose QA history the list is (0: every review
	// the viewer may see); Average is the mean score of the page.
	AgentID int64
	Average float64
	Next    string
	// Messages are the thread's messages by id, for comments.
	Messages   map[int64]*ticket.Message
	CanAnswer  bool
	CanResolve bool
	// Refused says why an answer was not taken (the review moved on).
	Refused desk.Msg
	Errors  desk.Fields
	Form    map[string]string
}

// Name is an agent's name.
func (d reviewsData) Name(id int64) string { return d.Dir.AgentName(&id) }

// Excerpt is the start of a message's text.
func (d reviewsData) Excerpt(id int64) string {
	m, ok := d.Messages[id]
	if !ok {
		return "#" + id64(id)
	}
	text := []rune(strings.TrimSpace(m.BodyText))
	if len(text) > 140 {
		return string(text[:140]) + "…"
	}
	return string(text)
}

func (s *Server) reviewsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d := reviewsData{Dir: s.directory(r)}
	f := quality.ReviewFilter{Limit: 51}
	if v, err := strconv.ParseInt(q.Get("agent_id"), 10, 64); err == nil && v > 0 {
		d.AgentID, f.AgentID = v, &v
	}
	if a, _ := desk.ActorFrom(r.Context()); !a.Can(auth.QAReview) {
		d.AgentID, f.AgentID = a.ID, &a.ID // an agent's list is their own QA history
	}
	if v, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && v > 0 {
		f.BeforeID = v
	}
	list, err := s.Quality.Reviews(r.Context(), f)
	if err != nil {
		return err
	}
	if len(list) == 51 {
		list = list[:50]
		d.Next = "/reviews?" + (map[bool]string{true: "agent_id=" + id64(d.AgentID) + "&", false: ""})[d.AgentID > 0] +
			"before=" + id64(list[49].ID)
	}
	var sum float64
	for _, x := range list {
		sum += x.Score
	}
	if len(list) > 0 {
		d.Average = sum / float64(len(list))
	}
	d.Reviews = list
	return s.render(w, r, http.StatusOK, "reviews.html", page{Title: "quality.reviews", Nav: "quality", Data: d})
}

func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request) error {
	return s.showReview(w, r, http.StatusOK, reviewsData{})
}

func (s *Server) showReview(w http.ResponseWriter, r *http.Request, status int, d reviewsData) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if d.Review, err = s.Quality.Review(ctx, id); err != nil {
		return err
	}
	if d.Scorecard, err = s.Quality.ScorecardOf(ctx, d.Review); err != nil {
		return err
	}
	d.Dir = s.directory(r)
	d.Messages = map[int64]*ticket.Message{}
	if d.Ticket, err = s.Tickets.Get(ctx, d.Review.TicketID); err == nil {
		if msgs, err := s.Tickets.Messages(ctx, d.Review.TicketID); err == nil {
			for _, m := range msgs {
				d.Messages[m.ID] = m
			}
		}
	}
	a, _ := desk.ActorFrom(ctx)
	rv := d.Review
	d.CanAnswer = rv.AgentID == a.ID && rv.State == quality.StateOpen
	d.CanResolve = a.Can(auth.QAReview) && rv.State == quality.StateDisputed && a.ID != rv.AgentID && a.ID != rv.ReviewerID
	return s.render(w, r, status, "review.html", page{Title: "quality.review", Nav: "quality", Data: d})
}

// answerReviewPage takes, from the review page, the agent's
// acknowledgement or dispute, or a supervisor's resolution (answer).
func (s *Server) answerReviewPage(answer string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
		ctx := r.Context()
		switch answer {
		case "acknowledge":
			_, err = s.Quality.Acknowledge(ctx, id, version)
		case "dispute":
			_, err = s.Quality.Dispute(ctx, id, version, r.PostFormValue("reason"))
		default:
			_, err = s.Quality.Resolve(ctx, id, version, quality.Resolution{Resolution: r.PostFormValue("resolution")})
		}
		if err == nil {
			s.flash(w, "ok", "quality.flash_"+answer)
		}
		return s.answered(w, r, id, err)
	}
}

// answered ends an answer to a review: back to the review, which shows the
// form's problems, or says why the answer could not be taken.
func (s *Server) answered(w http.ResponseWriter, r *http.Request, id int64, err error) error {
	switch desk.ErrorCode(err) {
	case desk.EUNPROCESSABLE:
		return s.showReview(w, r, http.StatusUnprocessableEntity, reviewsData{Refused: desk.ErrorMsg(err)})
	case desk.ESTALE:
		return s.showReview(w, r, http.StatusConflict, reviewsData{Refused: desk.ErrorMsg(err)})
	}
	return s.formDone(w, r, err, "/reviews/"+id64(id), func(errs desk.Fields) error {
		return s.showReview(w, r, http.StatusBadRequest, reviewsData{Errors: errs, Form: postedValues(r)})
	})
}

// --- reviewing a ticket's conversation

type reviewFormData struct {
	Ticket     *ticket.Ticket
	Scorecards []*quality.Scorecard
	Scorecard  *quality.Scorecard
	// Agents are who wrote in the thread (the assignee too), less the
	// reviewer: each can be reviewed in turn.
	Agents   []int64
	Messages []*ticket.Message
	Dir      *directory
	Form     map[string]string
	Errors   desk.Fields
}

// Name is an agent's name.
func (d reviewFormData) Name(id int64) string { return d.Dir.AgentName(&id) }

// Answers lists the answers a criterion's scale offers, best first.
func (reviewFormData) Answers(c quality.Criterion) []string {
	switch c.Scale {
	case quality.ScaleYesNo:
		if c.Critical {
			return []string{"yes", "no"}
		}
		return []string{"yes", "no", "na"}
	case quality.ScaleFive:
		return []string{"5", "4", "3", "2", "1"}
	}
	out := make([]string, 0, c.MaxPoints+1)
	for n := c.MaxPoints; n >= 0; n-- {
		out = append(out, strconv.Itoa(n))
	}
	return out
}

// newReviewPage shows the review form; from the queue it comes with the
// agent and the queue item.
func (s *Server) newReviewPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	return s.showReviewForm(w, r, http.StatusOK, reviewFormData{Form: map[string]string{
		"agent_id": q.Get("agent_id"), "queue_item_id": q.Get("queue_item_id")}})
}

func (s *Server) showReviewForm(w http.ResponseWriter, r *http.Request, status int, d reviewFormData) error {
	if err := s.loadReviewForm(r, &d); err != nil {
		return err
	}
	return s.render(w, r, status, "review_new.html", page{Title: "quality.new_review", Nav: "quality", Data: d})
}

// loadReviewForm reads what scoring the ticket of the path takes: the ticket,
// its agents' messages, the active scorecards (the one asked for chosen)
// and the agents who may be scored (the viewer left out).
func (s *Server) loadReviewForm(r *http.Request, d *reviewFormData) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if d.Ticket, err = s.Tickets.Get(ctx, id); err != nil {
		return err
	}
	msgs, err := s.Tickets.Messages(ctx, id)
	if err != nil {
		return err
	}
	all, err := s.Quality.Scorecards(ctx)
	if err != nil {
		return err
	}
	for _, sc := range all {
		if sc.Active {
			d.Scorecards = append(d.Scorecards, sc)
		}
	}
	want, _ := strconv.ParseInt(r.FormValue("scorecard_id"), 10, 64)
	for _, sc := range d.Scorecards {
		if sc.ID == want || d.Scorecard == nil {
			d.Scorecard = sc
		}
	}
	a, _ := desk.ActorFrom(ctx)
	seen := map[int64]bool{a.ID: true}
	if t := d.Ticket; t.AssigneeID != nil && !seen[*t.AssigneeID] {
		seen[*t.AssigneeID] = true
		d.Agents = append(d.Agents, *t.AssigneeID)
	}
	for _, m := range msgs {
		if m.AuthorKind == desk.ActorAgent {
			d.Messages = append(d.Messages, m)
			if !seen[m.AuthorID] {
				seen[m.AuthorID] = true
				d.Agents = append(d.Agents, m.AuthorID)
			}
		}
	}
	d.Dir = s.directory(r)
	return nil
}

func (s *Server) createReviewPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in := quality.NewReview{TicketID: id, Answers: map[string]string{}, Summary: r.PostFormValue("summary")}
	in.AgentID, _ = strconv.ParseInt(r.PostFormValue("agent_id"), 10, 64)
	in.ScorecardID, _ = strconv.ParseInt(r.PostFormValue("scorecard_id"), 10, 64)
	if item, err := strconv.ParseInt(r.PostFormValue("queue_item_id"), 10, 64); err == nil && item > 0 {
		in.QueueItemID = &item
	}
	for k := range r.PostForm {
		v := strings.TrimSpace(r.PostFormValue(k))
		if key, ok := strings.CutPrefix(k, "answer."); ok && v != "" {
			in.Answers[key] = v
		}
		if mid, ok := strings.CutPrefix(k, "comment."); ok && v != "" {
			n, _ := strconv.ParseInt(mid, 10, 64)
			in.Comments = append(in.Comments, quality.Comment{MessageID: n, Body: v})
		}
	}
	rv, err := s.Quality.CreateReview(r.Context(), in)
	next := ""
	if err == nil {
		next = "/reviews/" + id64(rv.ID)
		s.flash(w, "ok", "quality.flash_reviewed")
	}
	return s.formDone(w, r, err, next, func(errs desk.Fields) error {
		return s.showReviewForm(w, r, http.StatusBadRequest, reviewFormData{Form: postedValues(r), Errors: errs})
	})
}

// --- review queue page: the rules, a build of this week, and its items.

type queueData struct {
	Week   time.Time
	Items  []*quality.QueueItem
	Rules  *quality.SamplingRules
	Dir    *directory
	Errors desk.Fields
}

// Name is an agent's name.
func (d queueData) Name(id int64) string { return d.Dir.AgentName(&id) }

// Reviewer says whether id is one of the rules' reviewers.
func (d queueData) Reviewer(id int64) bool { return slices.Contains(d.Rules.ReviewerIDs, id) }

func (s *Server) reviewQueuePage(w http.ResponseWriter, r *http.Request) error {
	return s.showReviewQueue(w, r, http.StatusOK, queueData{})
}

func (s *Server) showReviewQueue(w http.ResponseWriter, r *http.Request, status int, d queueData) error {
	var err error
	if d.Week, err = s.weekParam(r.URL.Query().Get("week")); err != nil {
		return err
	}
	ctx := r.Context()
	if d.Rules, err = s.Quality.Rules(ctx); err != nil {
		return err
	}
	if d.Items, err = s.Quality.Queue(ctx, quality.QueueFilter{WeekStart: &d.Week, Limit: 100}); err != nil {
		return err
	}
	d.Dir = s.directory(r)
	return s.render(w, r, status, "review_queue.html", page{Title: "quality.queue", Nav: "quality", Data: d})
}

func (s *Server) saveSamplingRulesPage(w http.ResponseWriter, r *http.Request) error {
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	_, err := s.Quality.SaveRules(r.Context(), version, func(x *quality.SamplingRules) {
		x.PerAgent, _ = strconv.Atoi(r.PostFormValue("per_agent"))
		x.DueDays, _ = strconv.Atoi(r.PostFormValue("due_days"))
		x.Escalated, x.Reopened = r.PostFormValue("escalated") != "", r.PostFormValue("reopened") != ""
		x.SLABreached = r.PostFormValue("sla_breached") != ""
		x.ReviewerIDs = x.ReviewerIDs[:0]
		for _, v := range r.PostForm["reviewer_ids"] {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				x.ReviewerIDs = append(x.ReviewerIDs, n)
			}
		}
	})
	if err == nil {
		s.flash(w, "ok", "quality.flash_rules")
	}
	return s.formDone(w, r, err, "/review-queue", func(errs desk.Fields) error {
		return s.showReviewQueue(w, r, http.StatusBadRequest, queueData{Errors: errs})
	})
}

func (s *Server) buildReviewQueuePage(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Quality.BuildQueue(r.Context(), s.Clock.Now())
	if err != nil {
		return err
	}
	s.flash(w, "ok", "quality.flash_built", strconv.Itoa(res.Added), strconv.Itoa(res.Assigned))
	http.Redirect(w, r, "/review-queue", http.StatusSeeOther)
	return nil
}
