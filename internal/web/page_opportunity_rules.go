package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
)

// The opportunity rules settings: the rules that suggest opportunities from
// customers' words and tickets' tags (list, add, change, switch off), and
// the default sales contact hand-offs are mailed to, with its language.

type opportunityRulesData struct {
	Rules     []*account.Rule
	Rule      *account.Rule // the rule being changed (its own page)
	Kinds     []string
	Languages []string
	Sales     account.SalesContact
	Form      map[string]string
	Errors    desk.Fields
	// SalesErrors are the sales contact form's, shown beside it.
	SalesErrors desk.Fields
}

// Lines are a rule's phrases, one a line, as the form edits them.
func (opportunityRulesData) Lines(list []string) string { return strings.Join(list, "\n") }

// Commas are a rule's tags, as the form edits them.
func (opportunityRulesData) Commas(list []string) string { return strings.Join(list, ", ") }

func (s *Server) opportunityRulesPage(w http.ResponseWriter, r *http.Request) error {
	return s.showOpportunityRules(w, r, http.StatusOK, opportunityRulesData{})
}

func (s *Server) showOpportunityRules(w http.ResponseWriter, r *http.Request, status int, d opportunityRulesData) error {
	ctx := r.Context()
	var err error
	if d.Rules, err = s.Accounts.Rules(ctx); err != nil {
		return err
	}
	if d.Sales, err = s.Accounts.SalesContact(ctx); err != nil {
		return err
	}
	if d.Form == nil {
		d.Form = map[string]string{"kind": account.RuleKinds[0]}
	}
	d.Kinds, d.Languages = account.RuleKinds, people.Languages
	return s.render(w, r, status, "opportunity_rules.html", page{Title: "opportunity.rules_title", Nav: "opportunities", Data: d})
}

// ruleInput reads the rule form; a field the form does not carry stays as
// it is (the list's switch carries only active).
func ruleInput(r *http.Request) account.RuleInput {
	in := account.RuleInput{Name: sentText(r, "name"), Kind: sentText(r, "kind")}
	if _, ok := r.PostForm["keywords"]; ok {
		var list []string
		for _, l := range strings.Split(r.PostForm.Get("keywords"), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				list = append(list, l)
			}
		}
		in.Keywords = &list
	}
	if _, ok := r.PostForm["tags"]; ok {
		var list []string
		for _, t := range strings.Split(r.PostForm.Get("tags"), ",") {
			if t = strings.TrimSpace(t); t != "" {
				list = append(list, t)
			}
		}
		in.Tags = &list
	}
	if r.PostForm.Get("active_present") != "" {
		on := r.PostForm.Get("active") != ""
		in.Active = &on
	}
	in.IfVersion, _ = strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	return in
}

// sentText is a field the form carried (nil when it did not).
func sentText(r *http.Request, name string) *string {
	if _, ok := r.PostForm[name]; !ok {
		return nil
	}
	v := r.PostForm.Get(name)
	return &v
}

func (s *Server) createOpportunityRulePage(w http.ResponseWriter, r *http.Request) error {
	if err := readForm(r); err != nil {
		return err
	}
	_, err := s.Accounts.CreateRule(r.Context(), ruleInput(r))
	if err == nil {
		s.flash(w, "ok", "opportunity.flash_rule_saved")
	}
	return s.formDone(w, r, err, "/opportunity-rules", func(errs desk.Fields) error {
		return s.showOpportunityRules(w, r, http.StatusBadRequest, opportunityRulesData{Form: postedValues(r), Errors: errs})
	})
}

func (s *Server) opportunityRulePage(w http.ResponseWriter, r *http.Request) error {
	return s.showOpportunityRule(w, r, http.StatusOK, opportunityRulesData{})
}

func (s *Server) showOpportunityRule(w http.ResponseWriter, r *http.Request, status int, d opportunityRulesData) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if d.Rule, err = s.Accounts.GetRule(r.Context(), id); err != nil {
		return err
	}
	d.Kinds = account.RuleKinds
	if d.Form == nil {
		d.Form = map[string]string{"name": d.Rule.Name, "kind": d.Rule.Kind, "keywords": d.Lines(d.Rule.Keywords),
			"tags": d.Commas(d.Rule.Tags)}
		if d.Rule.Active {
			d.Form["active"] = "1"
		}
	}
	return s.render(w, r, status, "opportunity_rule.html", page{Title: "opportunity.rule_edit", Nav: "opportunities", Data: d})
}

// saveOpportunityRulePage changes a rule from its page or switches it on
// or off from the list; a form older than the rule is refused (409).
func (s *Server) saveOpportunityRulePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	_, err = s.Accounts.ChangeRule(r.Context(), id, ruleInput(r))
	switch desk.ErrorCode(err) {
	case "":
		s.flash(w, "ok", "opportunity.flash_rule_saved")
	case desk.ESTALE, desk.ECONFLICT:
		return s.showOpportunityRule(w, r, http.StatusConflict, opportunityRulesData{Errors: desk.Fields{"": desk.ErrorMsg(err)}})
	}
	next := "/opportunity-rules"
	if r.PostForm.Get("back") == "rule" {
		next += "/" + id64(id)
	}
	return s.formDone(w, r, err, next, func(errs desk.Fields) error {
		return s.showOpportunityRule(w, r, http.StatusBadRequest, opportunityRulesData{Form: postedValues(r), Errors: errs})
	})
}

func (s *Server) salesContactPage(w http.ResponseWriter, r *http.Request) error {
	if err := readForm(r); err != nil {
		return err
	}
	lang := r.PostForm.Get("language")
	_, err := s.Accounts.SetSalesContact(r.Context(), r.PostForm.Get("sales_email"), &lang)
	if err == nil {
		s.flash(w, "ok", "opportunity.flash_sales_saved")
	}
	return s.formDone(w, r, err, "/opportunity-rules", func(errs desk.Fields) error {
		return s.showOpportunityRules(w, r, http.StatusBadRequest, opportunityRulesData{SalesErrors: errs})
	})
}
