package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/nps"
)

// NPS (package nps): the campaigns API, the pages where admins and account
// executives make and send a campaign and read its results, and the
// customer's public survey page at /nps/{token}.

func (s *Server) npsOff() error { return desk.E(desk.ENOTFOUND, "nps.not_found") }

type campaignBody struct {
	Name            string      `json:"name"`
	Question        string      `json:"question"`
	OrganizationIDs []int64     `json:"organization_ids"`
	Segment         nps.Segment `json:"segment"`
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) error {
	if s.NPS == nil {
		return s.npsOff()
	}
	list, err := s.NPS.List(r.Context())
	return respond(w, http.StatusOK, map[string]any{"campaigns": list}, err)
}

func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request) error {
	if s.NPS == nil {
		return s.npsOff()
	}
	var in campaignBody
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.NPS.Create(r.Context(), nps.CampaignInput(in))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/nps/campaigns/"+strconv.FormatInt(c.ID, 10))
	return respond(w, http.StatusCreated, c, nil)
}

func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request) error {
	if s.NPS == nil {
		return s.npsOff()
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.NPS.Get(r.Context(), id)
	return respond(w, http.StatusOK, c, err)
}

func (s *Server) sendCampaign(w http.ResponseWriter, r *http.Request) error {
	if s.NPS == nil {
		return s.npsOff()
	}
	c, err := withPrecondition(r, func(id, v int64) (*nps.Campaign, error) { return s.NPS.Send(r.Context(), id, v) })
	return respond(w, http.StatusOK, c, err)
}

func (s *Server) campaignResults(w http.ResponseWriter, r *http.Request) error {
	if s.NPS == nil {
		return s.npsOff()
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := s.NPS.CampaignResults(r.Context(), id)
	return respond(w, http.StatusOK, res, err)
}

// --- agent pages

type npsCampaignsData struct {
	Campaigns []*nps.Campaign
	Form      campaignForm
	Errors    desk.Fields
}

type campaignForm struct {
	Name, Question, Accounts, Tier, Industry, Owner string
}

func (s *Server) npsCampaignsPage(w http.ResponseWriter, r *http.Request) error {
	return s.showCampaigns(w, r, http.StatusOK, campaignForm{}, nil)
}

func (s *Server) showCampaigns(w http.ResponseWriter, r *http.Request, status int, f campaignForm, errs desk.Fields) error {
	if s.NPS == nil {
		return s.npsOff()
	}
	list, err := s.NPS.List(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, status, "nps_campaigns.html", page{Title: "nps.campaigns", Nav: "organizations",
		Data: npsCampaignsData{Campaigns: list, Form: f, Errors: errs}})
}

func (s *Server) createCampaignPage(w http.ResponseWriter, r *http.Request) error {
	if s.NPS == nil {
		return s.npsOff()
	}
	if err := formOnly(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.body_unreadable")
	}
	f := campaignForm{Name: r.PostForm.Get("name"), Question: r.PostForm.Get("question"),
		Accounts: r.PostForm.Get("accounts"), Tier: r.PostForm.Get("tier"), Industry: r.PostForm.Get("industry"),
		Owner: r.PostForm.Get("owner_id")}
	in := nps.CampaignInput{Name: f.Name, Question: f.Question, Segment: nps.Segment{Tier: f.Tier, Industry: f.Industry}}
	errs := desk.Fields{}
	for _, part := range strings.FieldsFunc(f.Accounts, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' }) {
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			errs["organization_ids"] = desk.M("nps.invalid.accounts")
			break
		}
		in.OrganizationIDs = append(in.OrganizationIDs, id)
	}
	if f.Owner != "" {
		id, err := strconv.ParseInt(f.Owner, 10, 64)
		if err != nil {
			errs["segment.owner_id"] = desk.M("nps.invalid.accounts")
		}
		in.Segment.OwnerID = &id
	}
	if len(errs) > 0 {
		return s.showCampaigns(w, r, http.StatusBadRequest, f, errs)
	}
	c, err := s.NPS.Create(r.Context(), in)
	if errs, ok := refusal(err); ok {
		return s.showCampaigns(w, r, HTTPStatus(err), f, errs)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/nps/campaigns/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	return nil
}

type npsCampaignData struct {
	Campaign *nps.Campaign
	Results  *nps.Results
	Groups   []npsGroup
	Errors   desk.Fields
}

// npsGroup is a table of results: by account, tier or industry.
type npsGroup struct {
	Title string // nps.by_account, nps.by_tier or nps.by_industry
	Rows  []nps.Result
}

func (s *Server) npsCampaignPage(w http.ResponseWriter, r *http.Request) error {
	return s.showCampaign(w, r, http.StatusOK, nil)
}

func (s *Server) showCampaign(w http.ResponseWriter, r *http.Request, status int, errs desk.Fields) error {
	if s.NPS == nil {
		return s.npsOff()
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.NPS.Get(r.Context(), id)
	if err != nil {
		return err
	}
	res, err := s.NPS.CampaignResults(r.Context(), id)
	if err != nil {
		return err
	}
	return s.render(w, r, status, "nps_campaign.html", page{Title: "nps.campaigns", Nav: "organizations",
		Data: npsCampaignData{Campaign: c, Results: res, Errors: errs, Groups: []npsGroup{{"nps.by_account", res.Accounts},
			{"nps.by_tier", res.Tiers}, {"nps.by_industry", res.Industries}}}})
}

func (s *Server) sendCampaignPage(w http.ResponseWriter, r *http.Request) error {
	if s.NPS == nil {
		return s.npsOff()
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := formOnly(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.body_unreadable")
	}
	v, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	_, err = s.NPS.Send(r.Context(), id, v)
	if errs, ok := refusal(err); ok {
		return s.showCampaign(w, r, HTTPStatus(err), errs)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/nps/campaigns/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// --- the customer's survey page

type npsSurveyData struct {
	Token    string
	Survey   *nps.Response // nil: not one of our links
	Question string
	Open     bool
	Score    int // -1: none chosen
	Reason   string
	Thanks   bool
	Errors   desk.Fields
	Closed   string // why no answer is taken (a catalog key)
	LinkLang string
	Scores   []int
}

// npsLang is the survey page's language: the visitor's choice, else the
// browser's (Accept-Language), else the contact's.
func (s *Server) npsLang(r *http.Request) string {
	switch r.URL.Query().Get("lang") {
	case "en":
		return "en"
	case "hi":
		return "hi"
	}
	return s.lang(r)
}

func (s *Server) npsSurveyPage(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	d := npsSurveyData{Token: token, Score: -1, Thanks: r.URL.Query().Get("thanks") == "1"}
	if s.NPS != nil {
		sv, err := s.NPS.ByToken(r.Context(), token)
		if err != nil && desk.ErrorCode(err) != desk.ENOTFOUND {
			return err
		}
		d.Survey = sv
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("score")); err == nil && n >= 0 && n <= 10 {
		d.Score = n
	}
	return s.showNPSSurvey(w, r, http.StatusOK, d)
}

func (s *Server) showNPSSurvey(w http.ResponseWriter, r *http.Request, status int, d npsSurveyData) error {
	now := s.Clock.Now()
	d.LinkLang = s.npsLang(r)
	d.Scores = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if d.Survey == nil {
		status, d.Closed = http.StatusNotFound, "nps.not_found"
	} else {
		d.Open = d.Survey.Open(now)
		d.Question = d.Survey.Question
		if d.Score < 0 && d.Survey.Score != nil {
			d.Score = *d.Survey.Score
		}
		if d.Reason == "" {
			d.Reason = d.Survey.Reason
		}
		switch {
		case !d.Open && d.Survey.ExpiresAt != nil && now.Before(*d.Survey.ExpiresAt):
			d.Closed = "nps.closed"
		case !d.Open:
			d.Closed = "nps.expired"
		}
	}
	w.Header().Set("Referrer-Policy", "no-referrer") // the token stays in this page
	return s.render(w, r, status, "nps_survey.html", page{Title: "nps.title", Data: d, Lang: d.LinkLang})
}

func (s *Server) answerNPSSurvey(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if s.NPS == nil {
		return s.showNPSSurvey(w, r, http.StatusNotFound, npsSurveyData{Token: token, Score: -1})
	}
	score, err := strconv.Atoi(r.PostFormValue("score"))
	if err != nil {
		score = -1
	}
	reason := r.PostFormValue("reason")
	sv, err := s.NPS.Answer(r.Context(), token, score, reason)
	switch desk.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/nps/"+token+"?thanks=1&lang="+s.npsLang(r), http.StatusSeeOther)
		return nil
	case desk.ENOTFOUND:
		return s.showNPSSurvey(w, r, http.StatusNotFound, npsSurveyData{Token: token, Score: -1})
	case desk.EINVALID, desk.EUNPROCESSABLE, desk.ECONFLICT:
		d := npsSurveyData{Token: token, Survey: sv, Score: score, Reason: reason, Errors: desk.ErrorFields(err)}
		if len(d.Errors) == 0 {
			d.Errors = desk.Fields{"": desk.ErrorMsg(err)}
		}
		return s.showNPSSurvey(w, r, HTTPStatus(err), d)
	}
	return err
}
