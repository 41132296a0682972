package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/i18n"
	"github.com/sahayak/sahayak/internal/people"
)

//go:embed templates
var templateFS embed.FS

// parseTemplates parses the page templates once per language, so that the
// "t" function needs no language argument and no page pays for cloning.
func parseTemplates(c i18n.Catalog) (map[string]*template.Template, error) {
	if c == nil {
		var err error
		if c, err = i18n.Load(); err != nil {
			return nil, err
		}
	}
	sets := map[string]*template.Template{}
	for _, lang := range i18n.Languages {
		t, err := template.New("").Funcs(template.FuncMap{
			"t":    func(key string, args ...any) string { return c.T(lang, key, args...) },
			"lang": func() string { return lang },
			"msg":  func(m desk.Msg) string { return localize(c, lang, m) },
			"role": func(name string) string { return roleName(c, lang, name) },
			"label": func(field string) string {
				if name, ok := strings.CutPrefix(field, "custom_fields."); ok {
					return name // an admin's own field key
				}
				if c.Has("label." + field) {
					return c.T(lang, "label."+field)
				}
				return field
			},
			"status": func(s string) string {
				if c.Has("status." + s) {
					return c.T(lang, "status."+s)
				}
				return s // an admin's own status name
			},
			"asset":     assetURL,
			"when":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
			"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
			"deref":     derefID,
			"derefTime": func(t *time.Time) time.Time { return *t },
			"derefInt":  func(n *int) int { return *n },
			"ratings":   func() []int { return []int{5, 4, 3, 2, 1} },
			"join":      strings.Join,
			"query":     url.QueryEscape,
			"safe":      func(s string) template.HTML { return template.HTML(s) }, // only for sanitized message HTML
			"can":       func(a desk.Actor, p string) bool { return a.Can(p) },
			"eqid":      func(p *int64, id int64) bool { return p != nil && *p == id },
			"hasID":     slices.Contains[[]int64],
			"hasStr":    slices.Contains[[]string],
			"cf":        customText,
			"str":       func(id int64) string { return strconv.FormatInt(id, 10) },
			"perm":      func(p string) string { return c.T(lang, "perm."+p) },
			"dur":       duration,
			"drill":     drillURL,
			"pct":       percent,
			"dec":       decimal,
			"dict":      dict,
			"fold":      foldQuoted,
			// original is the hidden field of an edit form (see mergeForm).
			"original":  originalOf,
			"adminMenu": adminMenuFor,
			"sub":       func(a, b int) int { return a - b },
			"ptr":       func(id int64) *int64 { return &id },
			"adminNav":  isAdminNav,
			// The choices of a contact in an account (package people).
			"accountRoles":    func() []string { return people.AccountRoles },
			"contactChannels": func() []string { return people.PreferredChannels },
		}).ParseFS(templateFS, "templates/*.html")
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		sets[lang] = t
	}
	return sets, nil
}

// dict builds a map for passing several values to a sub-template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// customText shows a custom field's value in a form input.
func customText(values map[string]any, key string) string {
	switch v := values[key].(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		if v {
			return "true"
		}
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// page is what every page template receives.
type page struct {
	Title string
	Lang  string
	Actor desk.Actor
	CSRF  string
	Nav   string
	Data  any
	Error string
	// Flash is the outcome of the last save (see flash.go).
	Flash *flashMsg
}

// render executes a page template in the viewer's language. Rendering into a
// buffer first means a template error becomes a clean 500, not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) error {
	a, _ := desk.ActorFrom(r.Context())
	p.Actor = a
	if c := csrfFrom(r.Context()); c != "" {
		p.CSRF = c // the session's secret; the sign-in page brings its own
	}
	if p.Lang == "" {
		p.Lang = s.lang(r) // a page for a customer may bring theirs
	}
	if p.Flash == nil {
		p.Flash = s.takeFlash(w, r)
	}
	t := s.pages[p.Lang]
	if t == nil {
		t = s.pages["en"]
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// lang is the viewer's language: the agent's own choice, else the
// browser's Accept-Language.
func (s *Server) lang(r *http.Request) string {
	if a, ok := desk.ActorFrom(r.Context()); ok && a.Language != "" {
		return a.Language
	}
	return i18n.Pick(r.Header.Get("Accept-Language"))
}

// tr translates a catalog key in the viewer's language, for text built in Go
// (history sentences, flash messages).
func (s *Server) tr(r *http.Request, key string, args ...any) string {
	return s.Catalog.T(s.lang(r), key, args...)
}

// errorPage is what error.html shows beside the message: a word on what
// to do for the statuses an agent meets, and where they were before.
type errorPage struct {
	Status   int
	Help     string // catalog key, or ""
	Previous string // the page that led here, when it is one of ours
}

// renderError shows an error inside the app's layout, in the viewer's
// language, with a way back: to the tickets (or the sign-in page) and to
// the page before.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status := HTTPStatus(err)
	msg := s.msg(s.lang(r), desk.ErrorMsg(err))
	title := "errors.page.title_" + strconv.Itoa(status)
	if !s.Catalog.Has(title) {
		title = "errors.page.title"
	}
	d := errorPage{Status: status, Previous: previousPage(r)}
	if help := "errors.page.help_" + strconv.Itoa(status); s.Catalog.Has(help) {
		d.Help = help
	}
	if rerr := s.render(w, r, status, "error.html", page{Title: title, Error: msg, Data: d}); rerr != nil {
		http.Error(w, msg, status)
	}
}

// previousPage is the Referer's path when it is a page of this site other
// than the one that failed.
func previousPage(r *http.Request) string {
	u, err := url.Parse(r.Referer())
	if err != nil || u.Host != r.Host || u.RequestURI() == r.URL.RequestURI() || strings.HasPrefix(u.Path, "/api/") {
		return ""
	}
	return localPath(u.RequestURI(), "")
}

// pageNotFound answers every address no route takes outside the API with
// the 404 page inside the app's layout (signed in: with the menu), never
// Go's plain "404 page not found".
func (s *Server) pageNotFound(w http.ResponseWriter, r *http.Request) {
	if a, csrf, _, err := s.authenticate(r); err == nil {
		r = r.WithContext(context.WithValue(desk.WithActor(r.Context(), a), csrfKey{}, csrf))
		noteActor(r.Context(), a)
	}
	if !acceptsHTML(r) {
		s.writeError(w, r, desk.E(desk.ENOTFOUND, "errors.page.no_page", r.URL.Path))
		return
	}
	s.renderError(w, r, desk.E(desk.ENOTFOUND, "errors.page.no_page", r.URL.Path))
}

// favicon sends browsers that ask the old way to the icon.
func (s *Server) favicon(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, assetURL("favicon.svg"), http.StatusMovedPermanently)
	return nil
}

// pageRoutes registers the agent web app.
func (s *Server) pageRoutes() {
	s.handle("GET /login", auth.Public, s.loginPage)
	s.handle("POST /login", auth.Public, s.login)
	s.handle("POST /logout", auth.SignedIn, s.logout)
	s.handle("GET /{$}", auth.SignedIn, s.home)
	s.handle("GET /favicon.ico", auth.Public, s.favicon)
	// Satisfaction surveys: the link's token is the customer's only key.
	s.handle("GET /survey/{token}", auth.Public, s.surveyPage)
	s.handle("POST /survey/{token}", auth.Public, s.answerSurvey)
	// NPS surveys: the same, for a campaign's contact.
	s.handle("GET /nps/{token}", auth.Public, s.npsSurveyPage)
	s.handle("POST /nps/{token}", auth.Public, s.answerNPSSurvey)
	// The knowledge base, public: agents signed in see internal articles
	// too (the handlers read a session if there is one).
	s.handle("GET /kb", auth.Public, s.kbHome)
	s.handle("GET /kb/search", auth.Public, s.kbSearchPage)
	s.handle("GET /kb/sections/{id}", auth.Public, s.kbSectionPage)
	s.handle("GET /kb/articles/{id}", auth.Public, s.kbArticlePage)
	s.handle("POST /kb/articles/{id}/vote", auth.Public, s.kbVote) // double-submit cookie, rate limit
	s.handle("GET /kb/images/{sha256}", auth.Public, s.kbImage)
	s.handle("GET /kb/suggest", auth.Public, s.kbSuggest)
	s.handle("POST /kb/suggest/opened", auth.Public, s.kbSuggestionOpened)        // JSON, same site only
	s.handle("POST /kb/suggest/submitted", auth.Public, s.kbSuggestionsSubmitted) // JSON, same site only
	s.handle("GET /admin/kb", auth.KBWrite, s.kbAdminPage)
	s.handle("POST /admin/kb/categories", auth.KBWrite, s.createKBCategoryPage)
	s.handle("POST /admin/kb/categories/{id}", auth.KBWrite, s.updateKBCategoryPage)
	s.handle("POST /admin/kb/sections", auth.KBWrite, s.createKBSectionPage)
	s.handle("POST /admin/kb/sections/{id}", auth.KBWrite, s.updateKBSectionPage)
	s.handle("GET /admin/kb/articles/new", auth.KBWrite, s.newKBArticlePage)
	s.handle("POST /admin/kb/articles", auth.KBWrite, s.createKBArticlePage)
	s.handle("GET /admin/kb/articles/{id}", auth.KBWrite, s.kbArticleEditor)
	s.handle("POST /admin/kb/articles/{id}", auth.KBWrite, s.saveKBArticlePage) // save the draft, or save and publish
	s.handle("GET /admin/kb/articles/{id}/versions/{number}", auth.KBWrite, s.kbVersionPage)
	s.handle("POST /admin/kb/articles/{id}/versions/{number}/restore", auth.KBWrite, s.restoreKBVersionPage)
	s.handle("POST /admin/kb/articles/{id}/unpublish", auth.KBWrite, s.unpublishKBArticlePage)
	s.handle("GET /admin/kb/articles/{id}/delete", auth.KBWrite, s.confirmDeleteKBArticlePage)
	s.handle("POST /admin/kb/articles/{id}/delete", auth.KBWrite, s.deleteKBArticlePage)

	s.handle("GET /tickets", auth.TicketsRead, s.ticketsPage)
	s.handle("GET /tickets/new", auth.TicketsCreate, s.newTicketPage)
	s.handle("GET /views/sidebar", auth.TicketsRead, s.sidebarFragment)
	s.handle("POST /views", auth.TicketsRead, s.createViewPage)
	s.handle("POST /views/landing", auth.TicketsRead, s.landingViewPage)
	s.handle("POST /views/{id}", auth.TicketsRead, s.updateViewPage)
	s.handle("POST /views/{id}/delete", auth.TicketsRead, s.deleteViewPage)
	s.handle("GET /go", auth.TicketsRead, s.jumpPage)
	s.handle("GET /admin", auth.SignedIn, s.adminMenuPage)
	s.handle("POST /tickets/bulk", auth.TicketsUpdate, s.bulkPage)
	s.handle("POST /tickets/new", auth.TicketsCreate, s.createTicketPage)
	s.handle("GET /tickets/{id}", auth.TicketsRead, s.ticketPage)
	s.handle("POST /tickets/{id}", auth.TicketsUpdate, s.updateTicketPage)
	s.handle("POST /tickets/{id}/messages", auth.TicketsRead, s.addMessagePage) // reply or note: the service checks which
	s.handle("POST /tickets/{id}/escalate", auth.TicketsEscalate, s.escalatePage)
	s.handle("POST /tickets/{id}/deescalate", auth.TicketsEscalate, s.deescalatePage)
	s.handle("POST /tickets/{id}/merge", auth.TicketsMerge, s.mergePage)
	s.handle("POST /tickets/{id}/follow", auth.TicketsRead, s.followPage)

	s.handle("GET /supervisor", auth.ReportsTeam, s.supervisorPage)
	s.handle("POST /supervisor/escalations/{id}/{decision}", auth.TicketsUpdate, s.escalationDecision) // accept, send-back, reassign
	s.handle("GET /reports", auth.ReportsRead, s.reportsPage)
	s.handle("GET /reports/tickets", auth.ReportsRead, s.reportTicketsPage)
	s.handle("GET /reports/trends", auth.ReportsTeam, s.trendsPage)
	s.handle("GET /reports/goals", auth.ReportsTeam, s.goalsPage)
	s.handle("POST /reports/goals", auth.ReportsTeam, s.saveGoalForm)
	s.handle("POST /reports/goals/{id}/delete", auth.ReportsTeam, s.deleteGoalForm)
	s.handle("GET /reports/digests", auth.ReportsTeam, s.digestsPage)
	s.handle("POST /reports/digests", auth.ReportsTeam, s.saveDigestForm)
	s.handle("POST /reports/digests/{id}/delete", auth.ReportsTeam, s.deleteDigestForm)
	s.handle("POST /reports/trends/notes", auth.ReportsTeam, s.saveComplaintNote)
	s.handle("GET /reports/export.csv", auth.ReportsExport, s.exportReport)
	s.handle("GET /reports/export.xlsx", auth.ReportsExport, s.exportReportXLSX)
	s.handle("GET /tickets/export.csv", auth.ReportsExport, s.exportTickets)
	s.handle("GET /tickets/export.xlsx", auth.ReportsExport, s.exportTicketsXLSX)
	s.handle("GET /search", auth.TicketsRead, s.searchResultsPage)

	s.handle("GET /contacts", auth.ContactsRead, s.contactsPage)
	s.handle("POST /contacts", auth.ContactsWrite, s.createContactPage)
	s.handle("GET /contacts/{id}", auth.ContactsRead, s.contactPage)
	s.handle("POST /contacts/{id}", auth.ContactsWrite, s.updateContactPage)
	s.handle("POST /contacts/{id}/delete", auth.ContactsWrite, s.deleteContactPage)
	s.handle("GET /organizations", auth.OrganizationsRead, s.organizationsPage)
	s.handle("POST /organizations", auth.OrganizationsWrite, s.createOrganizationPage)
	s.handle("GET /organizations/{id}", auth.OrganizationsRead, s.organizationPage)
	s.handle("POST /organizations/{id}", auth.OrganizationsWrite, s.updateOrganizationPage)
	s.handle("POST /organizations/{id}/delete", auth.OrganizationsWrite, s.deleteOrganizationPage)
	s.handle("POST /organizations/{id}/checkins", auth.OrganizationsWrite, s.logCheckinPage)
	s.handle("GET /organizations/{id}/report", auth.OrganizationsRead, s.accountReportPage)
	s.handle("GET /organizations/{id}/report.csv", auth.OrganizationsRead, s.exportAccountReport("csv"))
	s.handle("GET /organizations/{id}/report.xlsx", auth.OrganizationsRead, s.exportAccountReport("xlsx"))
	s.handle("POST /organizations/{id}/report/schedule", auth.OrganizationsWrite, s.saveReportSchedulePage)
	s.handle("GET /nps/campaigns", auth.NPSManage, s.npsCampaignsPage)
	s.handle("POST /nps/campaigns", auth.NPSManage, s.createCampaignPage)
	s.handle("GET /nps/campaigns/{id}", auth.NPSManage, s.npsCampaignPage)
	s.handle("POST /nps/campaigns/{id}/send", auth.NPSManage, s.sendCampaignPage)
	s.handle("GET /book", auth.OrganizationsRead, s.bookPage)
	s.handle("POST /organizations/{id}/account", auth.OrganizationsWrite, s.accountFormPage)
	s.handle("POST /organizations/{id}/feedback", auth.OrganizationsWrite, s.orgFeedbackPage)
	s.handle("POST /organizations/{id}/opportunities", auth.OrganizationsWrite, s.orgOpportunityPage)
	s.handle("POST /tickets/{id}/feedback", auth.OrganizationsWrite, s.ticketFeedbackPage)
	s.handle("POST /tickets/{id}/opportunities", auth.OrganizationsWrite, s.ticketOpportunityPage)
	s.handle("POST /opportunities/{id}/stage", auth.OrganizationsWrite, s.opportunityStagePage)
	s.handle("GET /opportunities", auth.OrganizationsRead, s.opportunitiesPage)
	s.handle("GET /opportunity-rules", auth.AccountsManage, s.opportunityRulesPage)
	s.handle("POST /opportunity-rules", auth.AccountsManage, s.createOpportunityRulePage)
	s.handle("POST /opportunity-rules/sales-contact", auth.AccountsManage, s.salesContactPage)
	s.handle("GET /opportunity-rules/{id}", auth.AccountsManage, s.opportunityRulePage)
	s.handle("POST /opportunity-rules/{id}", auth.AccountsManage, s.saveOpportunityRulePage)
	s.handle("GET /feedback", auth.OrganizationsRead, s.feedbackPage)
	s.handle("GET /feedback/export.csv", auth.OrganizationsRead, s.exportFeedback)

	s.handle("GET /settings", auth.SignedIn, s.settingsPage)
	s.handle("POST /settings/language", auth.SignedIn, s.setLanguagePage)
	s.handle("POST /settings/tokens", auth.TokensWrite, s.createTokenPage)
	s.handle("POST /settings/tokens/{id}/revoke", auth.TokensWrite, s.revokeTokenPage)

	s.handle("GET /admin/agents", auth.AgentsRead, s.agentsPage)
	s.handle("POST /admin/agents", auth.AgentsWrite, s.createAgentPage)
	s.handle("POST /admin/agents/{id}", auth.AgentsWrite, s.updateAgentPage)
	s.handle("GET /admin/teams", auth.TeamsRead, s.teamsPage)
	s.handle("POST /admin/teams", auth.TeamsWrite, s.createTeamPage)
	s.handle("POST /admin/teams/{id}", auth.TeamsWrite, s.updateTeamPage)
	s.handle("GET /admin/roles", auth.RolesRead, s.rolesPage)
	s.handle("POST /admin/roles", auth.RolesWrite, s.createRolePage)
	s.handle("POST /admin/roles/{id}", auth.RolesWrite, s.updateRolePage)
	s.handle("GET /admin/fields", auth.FieldsRead, s.fieldsPage)
	s.handle("POST /admin/fields", auth.FieldsWrite, s.createFieldPage)
	s.handle("POST /admin/fields/{id}", auth.FieldsWrite, s.updateFieldPage)
	s.handle("GET /admin/outbox", auth.MailboxesRead, s.outboxPage)
	s.handle("POST /admin/mailboxes/{id}/smtp/test", auth.MailboxesWrite, s.testSMTPPage)
	s.handle("GET /admin/outbox/{id}", auth.MailboxesRead, s.outboxMailPage)
	s.handle("GET /admin/outbox/{id}/html", auth.MailboxesRead, s.outboxMailHTML)
	s.handle("GET /admin/business-hours", auth.SLARead, s.calendarsPage)
	s.handle("POST /admin/business-hours", auth.SLAWrite, s.createCalendarPage)
	s.handle("POST /admin/business-hours/{id}", auth.SLAWrite, s.updateCalendarPage)
	s.handle("POST /admin/business-hours/{id}/delete", auth.SLAWrite, s.deleteCalendarPage)
	s.handle("POST /admin/business-hours/{id}/holidays", auth.SLAWrite, s.importHolidaysPage)
	s.handle("GET /admin/sla-policies", auth.SLARead, s.policiesPage)
	s.handle("POST /admin/sla-policies", auth.SLAWrite, s.createPolicyPage)
	s.handle("POST /admin/sla-policies/{id}", auth.SLAWrite, s.updatePolicyPage)
	s.handle("POST /admin/sla-policies/{id}/delete", auth.SLAWrite, s.deletePolicyPage)
	s.handle("GET /admin/escalation-rules", auth.SLARead, s.rulesPage)
	s.handle("POST /admin/escalation-rules", auth.SLAWrite, s.createRulePage)
	s.handle("GET /admin/escalation-rules/{id}", auth.SLARead, s.ruleRunsPage)
	s.handle("POST /admin/escalation-rules/{id}", auth.SLAWrite, s.updateRulePage)
	s.handle("POST /admin/escalation-rules/{id}/delete", auth.SLAWrite, s.deleteRulePage)
	s.handle("GET /admin/webhooks", auth.WebhooksWrite, s.webhooksPage)
	s.handle("POST /admin/webhooks", auth.WebhooksWrite, s.createWebhookPage)
	s.handle("GET /admin/webhooks/{id}", auth.WebhooksWrite, s.webhookPage)
	s.handle("POST /admin/webhooks/{id}", auth.WebhooksWrite, s.updateWebhookPage)
	s.handle("POST /admin/webhooks/{id}/delete", auth.WebhooksWrite, s.deleteWebhookPage)
	s.handle("POST /admin/webhooks/{id}/deliveries/{delivery_id}/replay", auth.WebhooksWrite, s.replayDeliveryPage)
	s.handle("GET /admin/mailboxes", auth.MailboxesRead, s.mailboxesPage)
	s.handle("POST /admin/mailboxes", auth.MailboxesWrite, s.createMailboxPage)
	s.handle("POST /admin/mailboxes/{id}", auth.MailboxesWrite, s.updateMailboxPage)
	s.handle("POST /admin/mailboxes/{id}/delete", auth.MailboxesWrite, s.deleteMailboxPage)

	s.handle("GET /macros", auth.TicketsRead, s.macrosPage)
	s.handle("POST /macros", auth.TicketsRead, s.createMacroPage)
	s.handle("POST /macros/{id}/delete", auth.TicketsRead, s.deleteMacroPage)
	s.handle("GET /scorecards", auth.QAReview, s.scorecardsPage)
	s.handle("POST /scorecards", auth.QAReview, s.createScorecardPage)
	s.handle("GET /scorecards/{id}", auth.QAReview, s.scorecardPage)
	s.handle("POST /scorecards/{id}", auth.QAReview, s.updateScorecardPage)
	s.handle("GET /reviews", auth.TicketsRead, s.reviewsPage) // an agent sees their own QA history
	s.handle("GET /reviews/{id}", auth.TicketsRead, s.reviewPage)
	s.handle("POST /reviews/{id}/acknowledge", auth.TicketsRead, s.answerReviewPage("acknowledge"))
	s.handle("POST /reviews/{id}/dispute", auth.TicketsRead, s.answerReviewPage("dispute"))
	s.handle("POST /reviews/{id}/resolve", auth.QAReview, s.answerReviewPage("resolve"))
	s.handle("GET /review-queue", auth.QAReview, s.reviewQueuePage)
	s.handle("POST /review-queue/build", auth.QAReview, s.buildReviewQueuePage)
	s.handle("POST /review-queue/rules", auth.QAReview, s.saveSamplingRulesPage)
	s.handle("GET /tickets/{id}/review", auth.QAReview, s.newReviewPage)
	s.handle("POST /tickets/{id}/review", auth.QAReview, s.createReviewPage)
	s.handle("GET /qa", auth.TicketsRead, s.qaPage)             // scoped: own, teams or all
	s.handle("GET /coaching", auth.TicketsRead, s.coachingPage) // one's own history, or the agents one coaches
	s.handle("POST /coaching", auth.CoachingWrite, s.createCoachingPage)
	s.handle("GET /coaching/{id}", auth.TicketsRead, s.coachingSessionPage)     // the agent, their leads and supervisors
	s.handle("POST /coaching/actions/{id}", auth.TicketsRead, s.actionDonePage) // the owner or a coach
	s.handle("GET /tickets/{id}/calibrate", auth.QAReview, s.calibratePage)
	s.handle("POST /tickets/{id}/calibrate", auth.QAReview, s.createCalibrationPage)
	s.handle("GET /calibrations/{id}", auth.TicketsRead, s.calibrationPage)
	s.handle("POST /calibrations/{id}/score", auth.TicketsRead, s.calibrationActionPage("score"))
	s.handle("POST /calibrations/{id}/reveal", auth.QAReview, s.calibrationActionPage("reveal"))
	s.handle("POST /calibrations/{id}/agree", auth.QAReview, s.calibrationActionPage("agree"))
	s.handle("GET /teams/{id}/tasks", auth.TicketsRead, s.boardPage) // the team's members, leads, supervisors
	s.handle("POST /teams/{id}/tasks", auth.TicketsRead, s.boardFormPage)
	s.handle("GET /training", auth.SignedIn, s.myTrainingPage)
	s.handle("GET /training/team", auth.TrainingManage, s.teamTrainingPage)
	s.handle("GET /training/assignments/{id}", auth.SignedIn, s.trainingAssignmentPage) // its agent or training:manage
	s.handle("POST /training/assignments/{id}/modules/{key}/read", auth.SignedIn, s.readModulePage)
	s.handle("POST /training/assignments/{id}/modules/{key}/quiz", auth.SignedIn, s.quizPage)
	s.handle("GET /courses", auth.TrainingManage, s.coursesPage)
	s.handle("POST /courses", auth.TrainingManage, s.createCoursePage)
	s.handle("GET /courses/{id}", auth.TrainingManage, s.coursePage)
	s.handle("POST /courses/{id}", auth.TrainingManage, s.updateCoursePage)
	s.handle("POST /courses/{id}/modules", auth.TrainingManage, s.addModulePage)
	s.handle("POST /courses/{id}/modules/{key}", auth.TrainingManage, s.updateModulePage)
	s.handle("POST /courses/{id}/assign", auth.TrainingManage, s.assignCoursePage)
	s.handle("GET /performance-reviews", auth.SignedIn, s.perfReviewsPage) // the agent, their leads, supervisors
	s.handle("POST /performance-reviews", auth.CoachingWrite, s.createPerfReviewPage)
	s.handle("GET /performance-reviews/{id}", auth.SignedIn, s.perfReviewPage)
	s.handle("POST /performance-reviews/{id}", auth.SignedIn, s.answerPerfReviewPage("save"))
	s.handle("POST /performance-reviews/{id}/share", auth.CoachingWrite, s.answerPerfReviewPage("share"))
	s.handle("POST /performance-reviews/{id}/acknowledge", auth.SignedIn, s.answerPerfReviewPage("acknowledge"))
	s.handle("GET /automations", auth.AutomationsWrite, s.automationsPage)
	s.handle("POST /automations", auth.AutomationsWrite, s.createAutomationPage)
	s.handle("GET /automations/{id}", auth.AutomationsWrite, s.automationPage)
	s.handle("POST /automations/{id}/dry-run", auth.AutomationsWrite, s.dryRunAutomationPage)
	s.handle("POST /automations/{id}/toggle", auth.AutomationsWrite, s.toggleAutomationPage)
	s.handle("POST /automations/{id}/delete", auth.AutomationsWrite, s.deleteAutomationPage)
	s.handle("GET /availability", auth.SignedIn, s.availabilityPage)
	s.handle("POST /availability", auth.SignedIn, s.setAvailabilityPage)
	s.handle("POST /availability/teams/{id}", auth.AssignmentWrite, s.setTeamAssignmentPage)
	s.handle("GET /availability/stream", auth.SignedIn, s.availabilityStream)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	// Supervisors and team leads land on their home; agents on the tickets.
	if a, _ := desk.ActorFrom(r.Context()); a.Can(auth.ReportsTeam) {
		http.Redirect(w, r, "/supervisor", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/tickets", http.StatusSeeOther)
	return nil
}
