package web

import (
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// Pages of feedback and opportunities: forms on the ticket page and the
// organization page, the feedback list across accounts, and the board of
// opportunities by stage.

// readForm parses a form post (CSRF is checked by the middleware).
func readForm(r *http.Request) error {
	if err := formOnly(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.body_unreadable")
	}
	return nil
}

// formAmount reads an optional amount field ("" for none).
func formAmount(r *http.Request, name string, errs desk.Fields) *float64 {
	v := strings.TrimSpace(r.PostForm.Get(name))
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		errs[name] = desk.M("account.invalid.amount")
		return nil
	}
	return &f
}

// postedID reads an optional id field ("" for none).
func postedID(r *http.Request, name string, errs desk.Fields) *int64 {
	v := strings.TrimSpace(r.PostForm.Get(name))
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		errs[name] = desk.M("invalid.id")
		return nil
	}
	return &n
}

func formText(r *http.Request, name string) *string {
	v := r.PostForm.Get(name)
	return &v
}

// refusedFlash tells the next page why a form was refused.
func (s *Server) refusedFlash(w http.ResponseWriter, r *http.Request, errs desk.Fields) {
	lang := s.lang(r)
	var parts []string
	for field, m := range errs {
		text := s.msg(lang, m)
		if field != "" {
			text = field + ": " + text
		}
		parts = append(parts, text)
	}
	sort.Strings(parts)
	s.flash(w, "fail", "account.flash_refused", strings.Join(parts, "; "))
}

// feedbackForm reads the fields of a feedback form.
func feedbackForm(r *http.Request, orgID int64, ticketID *int64, errs desk.Fields) account.FeedbackInput {
	return account.FeedbackInput{OrganizationID: orgID, TicketID: ticketID, Kind: r.PostForm.Get("kind"),
		Category: r.PostForm.Get("category"), Body: r.PostForm.Get("body"), MessageID: postedID(r, "message_id", errs),
		CheckinID: postedID(r, "checkin_id", errs)}
}

// opportunityForm reads the fields of a flag-an-opportunity form.
func opportunityForm(r *http.Request, orgID int64, ticketID *int64, errs desk.Fields) account.OpportunityInput {
	in := account.OpportunityInput{OrganizationID: orgID, TicketID: ticketID, Title: formText(r, "title"),
		Kind: formText(r, "kind"), Value: formAmount(r, "value", errs), Notes: formText(r, "notes"),
		MessageID: postedID(r, "message_id", errs), CheckinID: postedID(r, "checkin_id", errs)}
	if c := strings.TrimSpace(r.PostForm.Get("currency")); c != "" {
		in.Currency = &c
	}
	if e := strings.TrimSpace(r.PostForm.Get("sales_email")); e != "" {
		in.SalesEmail = &e
	}
	return in
}

// ticketFeedbackPage records feedback from the ticket page.
func (s *Server) ticketFeedbackPage(w http.ResponseWriter, r *http.Request) error {
	return s.fromTicket(w, r, "#account-slot", func(id int64, errs desk.Fields) error {
		in := feedbackForm(r, 0, &id, errs)
		if len(errs) > 0 {
			return desk.Invalid(errs)
		}
		_, err := s.Accounts.RecordFeedback(r.Context(), in)
		return err
	}, "account.flash_feedback")
}

// ticketOpportunityPage flags an opportunity from the ticket page.
func (s *Server) ticketOpportunityPage(w http.ResponseWriter, r *http.Request) error {
	return s.fromTicket(w, r, "#account-slot", func(id int64, errs desk.Fields) error {
		in := opportunityForm(r, 0, &id, errs)
		if len(errs) > 0 {
			return desk.Invalid(errs)
		}
		_, err := s.Accounts.FlagOpportunity(r.Context(), in)
		return err
	}, "account.flash_opportunity")
}

// fromTicket runs a form of the ticket page's account slot on a ticket the
// agent may see, and goes back to the ticket with the outcome.
func (s *Server) fromTicket(w http.ResponseWriter, r *http.Request, anchor string, fn func(id int64, errs desk.Fields) error, done string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	if _, err := s.Tickets.Get(r.Context(), id); err != nil {
		return err
	}
	err = fn(id, desk.Fields{})
	if errs, ok := refusal(err); ok {
		s.refusedFlash(w, r, errs)
	} else if err != nil {
		return err
	} else {
		s.flash(w, "ok", done)
	}
	return backToTicket(w, r, id, anchor)
}

// orgFeedbackPage records feedback from the organization page.
func (s *Server) orgFeedbackPage(w http.ResponseWriter, r *http.Request) error {
	return s.fromOrganization(w, r, "#feedback", func(id int64, errs desk.Fields) error {
		in := feedbackForm(r, id, postedID(r, "ticket_id", errs), errs)
		if len(errs) > 0 {
			return desk.Invalid(errs)
		}
		_, err := s.Accounts.RecordFeedback(r.Context(), in)
		return err
	})
}

// orgOpportunityPage flags an opportunity from the organization page.
func (s *Server) orgOpportunityPage(w http.ResponseWriter, r *http.Request) error {
	return s.fromOrganization(w, r, "#opportunities", func(id int64, errs desk.Fields) error {
		in := opportunityForm(r, id, postedID(r, "ticket_id", errs), errs)
		if len(errs) > 0 {
			return desk.Invalid(errs)
		}
		_, err := s.Accounts.FlagOpportunity(r.Context(), in)
		return err
	})
}

// accountFormPage changes the account fields of an organization from its
// page, at the version the form was read at.
func (s *Server) accountFormPage(w http.ResponseWriter, r *http.Request) error {
	return s.fromOrganization(w, r, "#account", func(id int64, errs desk.Fields) error {
		in := account.Input{Tier: formText(r, "tier"), Currency: formText(r, "currency"),
			RenewalDate: formText(r, "renewal_date"), Industry: formText(r, "industry")}
		in.ARR, in.MRR = formAmount(r, "arr", errs), formAmount(r, "mrr", errs)
		in.ClearARR, in.ClearMRR = in.ARR == nil, in.MRR == nil
		zero := int64(0)
		if in.OwnerID = postedID(r, "owner_id", errs); in.OwnerID == nil {
			in.OwnerID = &zero
		}
		if in.ParentID = postedID(r, "parent_id", errs); in.ParentID == nil {
			in.ParentID = &zero
		}
		v, err := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
		if err != nil || v <= 0 {
			errs["version"] = desk.M("invalid.id")
		}
		in.IfVersion = v
		if len(errs) > 0 {
			return desk.Invalid(errs)
		}
		_, err = s.Accounts.Update(r.Context(), id, in)
		return err
	})
}

// fromOrganization runs a form of the organization page and shows the page
// again with what was refused, or goes back to it.
func (s *Server) fromOrganization(w http.ResponseWriter, r *http.Request, anchor string, fn func(id int64, errs desk.Fields) error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	err = fn(id, desk.Fields{})
	if errs, ok := refusal(err); ok {
		return s.showOrganization(w, r, HTTPStatus(err), nil, errs)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/organizations/"+strconv.FormatInt(id, 10)+"?saved"+anchor, http.StatusSeeOther)
	return nil
}

// opportunityStagePage moves an opportunity from a board or the
// organization page, at the version the page showed.
func (s *Server) opportunityStagePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	v, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	stage := r.PostForm.Get("stage")
	in := account.OpportunityInput{Stage: &stage, IfVersion: v}
	if e := strings.TrimSpace(r.PostForm.Get("sales_email")); e != "" {
		in.SalesEmail = &e
	}
	o, err := s.Accounts.ChangeOpportunity(r.Context(), id, in)
	if errs, ok := refusal(err); ok {
		s.refusedFlash(w, r, errs)
	} else if err != nil {
		return err
	} else {
		s.flash(w, "ok", "opportunity.flash_moved")
	}
	back := "/opportunities"
	if r.PostForm.Get("back") == "organization" && o != nil {
		back = "/organizations/" + strconv.FormatInt(o.OrganizationID, 10) + "#opportunities"
	} else if r.PostForm.Get("back") == "organization" {
		if org, err := strconv.ParseInt(r.PostForm.Get("organization_id"), 10, 64); err == nil && org > 0 {
			back = "/organizations/" + strconv.FormatInt(org, 10) + "#opportunities"
		}
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// stageColumn is one stage of a board with its opportunities.
type stageColumn struct {
	Stage string
	Items []*account.Opportunity
}

// board groups opportunities by stage, in the stages' order.
func board(list []*account.Opportunity) []stageColumn {
	cols := make([]stageColumn, len(account.Stages))
	for i, st := range account.Stages {
		cols[i].Stage = st
		for _, o := range list {
			if o.Stage == st {
				cols[i].Items = append(cols[i].Items, o)
			}
		}
	}
	return cols
}

type opportunitiesData struct {
	Owner   int64
	Own     bool
	AllBook bool
	Columns []stageColumn
}

// opportunitiesPage is the board of the opportunities of an owner's book
// (the caller's own unless they read every book and ask for another).
func (s *Server) opportunitiesPage(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	f := account.OpportunityFilter{Limit: 500}
	d := opportunitiesData{Owner: a.ID, Own: true}
	switch v := r.URL.Query().Get("owner"); v {
	case "":
		f.OwnerID = &a.ID
	case "all":
		d.AllBook, d.Own = true, false
	default:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return desk.Invalid(desk.Fields{"owner": desk.M("invalid.id")})
		}
		f.OwnerID, d.Owner, d.Own = &n, n, n == a.ID
	}
	list, err := s.Accounts.Opportunities(r.Context(), f)
	if err != nil {
		return err
	}
	d.Columns = board(list)
	return s.render(w, r, http.StatusOK, "opportunities.html", page{Title: "opportunity.board_title", Nav: "opportunities", Data: d})
}

type feedbackData struct {
	Items []*account.Feedback
	Kinds []string
	Kind  string
	Cat   string
	From  string
	To    string
	OrgID string
	// Export and More are the export of this list and its next page
	// (query strings built from url.Values, so safe as URLs).
	Export  template.URL
	More    template.URL
	CanRead bool
}

// feedbackPage lists feedback across accounts for product teams, by kind,
// category, account and date, with a CSV export of the same.
func (s *Server) feedbackPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d := feedbackData{Kinds: account.FeedbackKinds, Kind: q.Get("kind"), Cat: q.Get("category"), From: q.Get("from"),
		To: q.Get("to"), OrgID: q.Get("organization_id")}
	l := &apiQuery{q: q, errs: desk.Fields{}}
	f := feedbackFilter(l)
	if c := q.Get("before"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n <= 0 {
			l.errs["before"] = desk.M("invalid.cursor")
		}
		f.BeforeID = n
	}
	if err := l.err(); err != nil {
		return err
	}
	f.Limit = 51
	list, err := s.Accounts.ListFeedback(r.Context(), f)
	if err != nil {
		return err
	}
	qq := url.Values{}
	for k, v := range q {
		if k != "before" {
			qq[k] = v
		}
	}
	d.Export = template.URL("/feedback/export.csv?" + qq.Encode())
	if len(list) > 50 {
		list = list[:50]
		qq.Set("before", strconv.FormatInt(list[49].ID, 10))
		d.More = template.URL("/feedback?" + qq.Encode())
	}
	d.Items = list
	a, _ := desk.ActorFrom(r.Context())
	d.CanRead = a.Can(auth.AccountsReadAll) || a.Can(auth.AccountsManage)
	return s.render(w, r, http.StatusOK, "feedback.html", page{Title: "feedback.title", Nav: "feedback", Data: d})
}
