package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/report"
)

// --- feedback

type feedbackIn struct {
	OrganizationID int64  `json:"organization_id"`
	Kind           string `json:"kind"`
	Category       string `json:"category"`
	Body           string `json:"body"`
	TicketID       *int64 `json:"ticket_id"`
	MessageID      *int64 `json:"message_id"`
	CheckinID      *int64 `json:"checkin_id"`
}

func (s *Server) createFeedback(w http.ResponseWriter, r *http.Request) error {
	var in feedbackIn
	if err := decode(r, &in); err != nil {
		return err
	}
	f, err := s.Accounts.RecordFeedback(r.Context(), account.FeedbackInput(in))
	if err == nil {
		locate(w, "/api/v1/feedback/", f.ID)
	}
	return respond(w, http.StatusCreated, f, err)
}

func (s *Server) getFeedback(w http.ResponseWriter, r *http.Request) error {
	f, err := withID(r, func(id int64) (*account.Feedback, error) { return s.Accounts.GetFeedback(r.Context(), id) })
	return respond(w, http.StatusOK, f, err)
}

// feedbackFilter reads the filters of the feedback list and its export.
func feedbackFilter(l *apiQuery) account.FeedbackFilter {
	f := account.FeedbackFilter{OrganizationID: l.id("organization_id"), OwnerID: l.id("owner_id"),
		Kind: l.q.Get("kind"), Category: l.q.Get("category")}
	for name, dst := range map[string]**time.Time{"from": &f.From, "to": &f.To} {
		if v := l.q.Get(name); v != "" {
			t, err := parseDayOrTime(v)
			if err != nil {
				l.errs[name] = desk.M("invalid.rfc3339")
			}
			*dst = &t
		}
	}
	return f
}

// parseDayOrTime reads YYYY-MM-DD (midnight UTC) or an RFC 3339 time.
func parseDayOrTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, v)
}

var feedbackFilters = []string{"organization_id", "owner_id", "kind", "category", "from", "to"}

// listFeedback pages feedback newest first by account, owner, kind,
// category and time.
func (s *Server) listFeedback(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false, feedbackFilters...)
	f := feedbackFilter(l)
	f.BeforeID, f.Limit = l.cursorID(), l.limit+1
	if err := l.err(); err != nil {
		return err
	}
	list, err := s.Accounts.ListFeedback(r.Context(), f)
	if err != nil {
		return err
	}
	items, next := sqlPage(l, list, func(f *account.Feedback) int64 { return f.ID })
	writePage(w, "feedback", items, next, nil)
	return nil
}

// FeedbackColumns are the columns of a feedback export.
var feedbackColumns = []string{"id", "created_at", "organization_id", "organization", "kind", "category", "body",
	"ticket_id", "message_id", "checkin_id", "agent_id"}

// exportFeedback streams the feedback a list selects as CSV, without a row
// cap, recorded in the audit log before the first byte.
func (s *Server) exportFeedback(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l := readList(r, false, feedbackFilters...)
	f := feedbackFilter(l)
	if err := l.err(); err != nil {
		return err
	}
	// The list's own checks (kind, another owner's book) answer before the
	// audit entry and the first byte.
	if _, err := s.Accounts.ListFeedback(ctx, account.FeedbackFilter{OrganizationID: f.OrganizationID,
		OwnerID: f.OwnerID, Kind: f.Kind, Limit: 1}); err != nil {
		return err
	}
	if err := s.Audit.Record(ctx, audit.Export, "feedback", 0, map[string]any{"format": "csv",
		"query": r.URL.RawQuery}); err != nil {
		return err
	}
	csvHeaders(w, "feedback")
	out := report.NewCSV(w)
	if err := out.Write(feedbackColumns...); err != nil {
		return nil // the client went away
	}
	flusher, _ := w.(http.Flusher)
	opt := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	err := s.Accounts.EachFeedback(ctx, f, func(list []*account.Feedback) error {
		for _, fb := range list {
			if err := out.Write(strconv.FormatInt(fb.ID, 10), fb.CreatedAt.UTC().Format(time.RFC3339),
				strconv.FormatInt(fb.OrganizationID, 10), fb.OrganizationName, fb.Kind, fb.Category, fb.Body,
				opt(fb.TicketID), opt(fb.MessageID), opt(fb.CheckinID), opt(fb.AgentID)); err != nil {
				return err
			}
		}
		if err := out.Flush(); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("export feedback", "err", err)
		}
		return nil
	}
	return out.Flush()
}

// --- opportunities

type opportunityIn struct {
	OrganizationID int64          `json:"organization_id"`
	Title          *string        `json:"title"`
	Kind           *string        `json:"kind"`
	Value          optionalAmount `json:"value"`
	Currency       *string        `json:"currency"`
	TicketID       *int64         `json:"ticket_id"`
	MessageID      *int64         `json:"message_id"`
	CheckinID      *int64         `json:"checkin_id"`
	SalesEmail     *string        `json:"sales_email"`
	Notes          *string        `json:"notes"`
	Stage          *string        `json:"stage"`
}

func (in opportunityIn) input() account.OpportunityInput {
	return account.OpportunityInput{OrganizationID: in.OrganizationID, Title: in.Title, Kind: in.Kind, Value: in.Value.v,
		ClearValue: in.Value.set && in.Value.v == nil, Currency: in.Currency, TicketID: in.TicketID,
		MessageID: in.MessageID, CheckinID: in.CheckinID, SalesEmail: in.SalesEmail, Notes: in.Notes, Stage: in.Stage}
}

func (s *Server) createOpportunity(w http.ResponseWriter, r *http.Request) error {
	var in opportunityIn
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Stage != nil {
		return desk.Invalid(desk.Fields{"stage": desk.M("opportunity.invalid.stage_on_create")})
	}
	o, err := s.Accounts.FlagOpportunity(r.Context(), in.input())
	if err == nil {
		locate(w, "/api/v1/opportunities/", o.ID)
	}
	return respond(w, http.StatusCreated, o, err)
}

func (s *Server) getOpportunity(w http.ResponseWriter, r *http.Request) error {
	o, err := withID(r, func(id int64) (*account.Opportunity, error) { return s.Accounts.GetOpportunity(r.Context(), id) })
	return respond(w, http.StatusOK, o, err)
}

// updateOpportunity changes an opportunity and moves its stage (If-Match
// guards the version).
func (s *Server) updateOpportunity(w http.ResponseWriter, r *http.Request) error {
	var in opportunityIn
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.OrganizationID != 0 || in.TicketID != nil || in.MessageID != nil || in.CheckinID != nil {
		return desk.Invalid(desk.Fields{"organization_id": desk.M("opportunity.invalid.source_fixed")})
	}
	o, err := withPrecondition(r, func(id, v int64) (*account.Opportunity, error) {
		p := in.input()
		p.IfVersion = v
		return s.Accounts.ChangeOpportunity(r.Context(), id, p)
	})
	return respond(w, http.StatusOK, o, err)
}

// listOpportunities pages opportunities newest first by account, owner and stage.
func (s *Server) listOpportunities(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false, "organization_id", "owner_id", "stage")
	f := account.OpportunityFilter{OrganizationID: l.id("organization_id"), OwnerID: l.id("owner_id"),
		Stage: l.q.Get("stage"), BeforeID: l.cursorID(), Limit: l.limit + 1}
	if err := l.err(); err != nil {
		return err
	}
	list, err := s.Accounts.Opportunities(r.Context(), f)
	if err != nil {
		return err
	}
	items, next := sqlPage(l, list, func(o *account.Opportunity) int64 { return o.ID })
	writePage(w, "opportunities", items, next, nil)
	return nil
}

// --- rules and the sales contact

type opportunityRuleIn struct {
	Name     *string   `json:"name"`
	Kind     *string   `json:"kind"`
	Keywords *[]string `json:"keywords"`
	Tags     *[]string `json:"tags"`
	Active   *bool     `json:"active"`
}

func (in opportunityRuleIn) input() account.RuleInput {
	return account.RuleInput{Name: in.Name, Kind: in.Kind, Keywords: in.Keywords, Tags: in.Tags, Active: in.Active}
}

func (s *Server) listOpportunityRules(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Accounts.Rules(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": list})
	return nil
}

func (s *Server) createOpportunityRule(w http.ResponseWriter, r *http.Request) error {
	var in opportunityRuleIn
	if err := decode(r, &in); err != nil {
		return err
	}
	rule, err := s.Accounts.CreateRule(r.Context(), in.input())
	if err == nil {
		locate(w, "/api/v1/opportunity-rules/", rule.ID)
	}
	return respond(w, http.StatusCreated, rule, err)
}

func (s *Server) getOpportunityRule(w http.ResponseWriter, r *http.Request) error {
	rule, err := withID(r, func(id int64) (*account.Rule, error) { return s.Accounts.GetRule(r.Context(), id) })
	return respond(w, http.StatusOK, rule, err)
}

func (s *Server) updateOpportunityRule(w http.ResponseWriter, r *http.Request) error {
	var in opportunityRuleIn
	if err := decode(r, &in); err != nil {
		return err
	}
	rule, err := withPrecondition(r, func(id, v int64) (*account.Rule, error) {
		p := in.input()
		p.IfVersion = v
		return s.Accounts.ChangeRule(r.Context(), id, p)
	})
	return respond(w, http.StatusOK, rule, err)
}

func (s *Server) deleteOpportunityRule(w http.ResponseWriter, r *http.Request) error {
	_, err := withID(r, func(id int64) (struct{}, error) { return struct{}{}, s.Accounts.DeleteRule(r.Context(), id) })
	return noContent(w, err)
}

func (s *Server) getSalesContact(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Accounts.SalesContact(r.Context())
	return respond(w, http.StatusOK, v, err)
}

func (s *Server) putSalesContact(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		SalesEmail string  `json:"sales_email"`
		Language   *string `json:"language"` // absent: unchanged
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	v, err := s.Accounts.SetSalesContact(r.Context(), in.SalesEmail, in.Language)
	return respond(w, http.StatusOK, v, err)
}
