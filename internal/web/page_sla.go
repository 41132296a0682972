package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/sla"
	"github.com/sahayak/sahayak/internal/ticket"
)

// slaData is what the business-hours, SLA policy and escalation rule admin
// pages receive. A refused form is shown again with what was typed.
type slaData struct {
	Calendars []*sla.Calendar
	Policies  []*sla.Policy
	Rules     []*sla.Rule
	Rule      *sla.Rule // the one whose log is shown
	Runs      []sla.Run
	Older     *string
	Teams     []*people.Team
	Form      map[string]string
	Failed    string // "new" or the id of the refused form
	Errors    desk.Fields

	Weekdays   []string
	Zones      []string
	Priorities []string
	Channels   []string
	Types      []string
	Metrics    []string
	Triggers   []string
	Pausable   []string
	Tiers      []int
}

// Blank, BlankPolicy and BlankRule are what the forms for new ones start from.
func (d slaData) Blank() *sla.Calendar { return &sla.Calendar{} }

// BlankPolicy starts active, in business time, pausing where the default does.
func (d slaData) BlankPolicy() *sla.Policy {
	return &sla.Policy{Active: true, Time: sla.BusinessTime, PauseOn: sla.DefaultPauseOn}
}

// BlankRule starts active.
func (d slaData) BlankRule() *sla.Rule { return &sla.Rule{Active: true} }

// TierIs reports whether the rule escalates to the tier.
func (d slaData) TierIs(r *sla.Rule, tier int) bool { return r.Tier != nil && *r.Tier == tier }

// Value is the refused form's value for a field when it is the form being
// shown again, else def.
func (d slaData) Value(form, field, def string) string {
	if d.Failed == form {
		return d.Form[field]
	}
	return def
}

// Periods writes a day's working periods as the form takes them.
func (d slaData) Periods(c *sla.Calendar, day string) string {
	var parts []string
	for _, p := range c.Hours[day] {
		parts = append(parts, p.Start.String()+"-"+p.End.String())
	}
	return strings.Join(parts, ", ")
}

// HolidayLines writes a calendar's holidays one a line.
func (d slaData) HolidayLines(c *sla.Calendar) string {
	var b strings.Builder
	for _, h := range c.Holidays {
		b.WriteString(h.Date + " " + h.Name + "\n")
	}
	return b.String()
}

// Target is a policy's target in minutes for a priority and metric ("" for none).
func (d slaData) Target(p *sla.Policy, priority, metric string) string {
	t, ok := p.Targets[priority]
	if !ok {
		return ""
	}
	m := map[string]int{sla.FirstResponse: t.FirstResponse, sla.NextResponse: t.NextResponse, sla.Resolution: t.Resolution}[metric]
	if m == 0 {
		return ""
	}
	return strconv.Itoa(m)
}

// IDs writes ids comma-separated.
func (d slaData) IDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}

func (s *Server) slaPage(w http.ResponseWriter, r *http.Request, status int, name, title, nav string, d slaData) error {
	ctx := r.Context()
	var err error
	if d.Teams, err = s.People.Teams(ctx); err != nil {
		return err
	}
	if d.Calendars, err = s.SLA.Calendars(ctx); err != nil {
		return err
	}
	switch name {
	case "admin_sla_policies.html":
		d.Policies, err = s.SLA.Policies(ctx)
	case "admin_escalation_rules.html":
		d.Rules, err = s.SLA.Rules(ctx)
	}
	if err != nil {
		return err
	}
	d.Weekdays, d.Priorities, d.Channels, d.Types, d.Metrics, d.Triggers = sla.Weekdays, ticket.Priorities,
		ticket.Channels, ticket.Types, sla.Metrics, sla.Triggers
	d.Zones = []string{"Asia/Kolkata", "Asia/Dubai", "Asia/Singapore", "Europe/London", "Europe/Berlin", "America/New_York",
		"America/Los_Angeles", "UTC"}
	d.Tiers = []int{1, 2, 3}
	d.Pausable = []string{ticket.CategoryNew, ticket.CategoryOpen, ticket.CategoryPending, ticket.CategoryOnHold}
	return s.render(w, r, status, name, page{Title: title, Nav: nav, Data: d})
}

// slaDone goes back to the list, or shows the refused form again.
func (s *Server) slaDone(w http.ResponseWriter, r *http.Request, err error, failed, back, name, title, nav string) error {
	switch desk.ErrorCode(err) {
	case "":
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	case desk.EINVALID, desk.ECONFLICT, desk.EUNPROCESSABLE, desk.ESTALE, desk.ENOTFOUND:
		form := map[string]string{}
		for k := range r.PostForm {
			form[k] = strings.Join(r.PostForm[k], ",")
		}
		errs := desk.ErrorFields(err)
		if len(errs) == 0 {
			errs = desk.Fields{"": desk.ErrorMsg(err)}
		}
		return s.slaPage(w, r, HTTPStatus(err), name, title, nav, slaData{Form: form, Failed: failed, Errors: errs})
	}
	return err
}

func formVersion(r *http.Request) int64 {
	v, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	return v
}

func formList(r *http.Request, name string) []string {
	var out []string
	for _, v := range strings.Split(r.PostFormValue(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// formIDs reads ids from checkboxes or a comma-separated field; a word that
// is not an id becomes -1, which the service refuses as an unknown id.
func formIDs(r *http.Request, name string) []int64 {
	vals := r.PostForm[name]
	if len(vals) == 1 {
		vals = formList(r, name)
	}
	out := []int64{}
	for _, v := range vals {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			id = -1
		}
		out = append(out, id)
	}
	return out
}

func formInt(r *http.Request, name string) int {
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(name)))
	if err != nil && r.PostFormValue(name) != "" {
		return -1
	}
	return n
}

// --- business hours

const (
	calendarsPage  = "admin_business_hours.html"
	calendarsTitle = "hours.title"
	calendarsNav   = "admin-hours"
)

func (s *Server) calendarsPage(w http.ResponseWriter, r *http.Request) error {
	return s.slaPage(w, r, http.StatusOK, calendarsPage, calendarsTitle, calendarsNav, slaData{})
}

// calendarForm reads the calendar form: a day's periods as
// "09:00-13:00, 14:00-18:00", holidays one a line as "2026-01-26 Name".
func calendarForm(r *http.Request, c *sla.Calendar) {
	c.Name, c.TimeZone = strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("time_zone"))
	c.Hours = map[string][]sla.Period{}
	for _, day := range sla.Weekdays {
		for _, part := range formList(r, "hours_"+day) {
			a, b, _ := strings.Cut(strings.ReplaceAll(part, "–", "-"), "-")
			start, ok1 := sla.ParseMinute(strings.TrimSpace(a))
			end, ok2 := sla.ParseMinute(strings.TrimSpace(b))
			if !ok1 || !ok2 {
				start, end = -1, -1
			}
			c.Hours[day] = append(c.Hours[day], sla.Period{Start: start, End: end})
		}
	}
	c.Holidays = nil
	for _, line := range strings.Split(r.PostFormValue("holidays"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			date, name, _ := strings.Cut(line, " ")
			c.Holidays = append(c.Holidays, sla.Holiday{Date: date, Name: strings.TrimSpace(name)})
		}
	}
	c.TeamIDs = formIDs(r, "team_ids")
	if len(r.PostForm["team_ids"]) == 0 {
		c.TeamIDs = []int64{}
	}
}

func (s *Server) createCalendarPage(w http.ResponseWriter, r *http.Request) error {
	var c sla.Calendar
	calendarForm(r, &c)
	_, err := s.SLA.CreateCalendar(r.Context(), c)
	return s.slaDone(w, r, err, "new", "/admin/business-hours", calendarsPage, calendarsTitle, calendarsNav)
}

func (s *Server) updateCalendarPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, err = s.SLA.UpdateCalendar(r.Context(), id, formVersion(r), func(c *sla.Calendar) { calendarForm(r, c) })
	return s.slaDone(w, r, err, strconv.FormatInt(id, 10), "/admin/business-hours", calendarsPage, calendarsTitle, calendarsNav)
}

func (s *Server) deleteCalendarPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = s.SLA.DeleteCalendar(r.Context(), id, formVersion(r))
	return s.slaDone(w, r, err, strconv.FormatInt(id, 10), "/admin/business-hours", calendarsPage, calendarsTitle, calendarsNav)
}

func (s *Server) importHolidaysPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var years []int
	for _, y := range formList(r, "years") {
		n, err := strconv.Atoi(y)
		if err != nil {
			n = -1
		}
		years = append(years, n)
	}
	_, err = s.SLA.ImportHolidays(r.Context(), id, formVersion(r), r.PostFormValue("preset"), years, r.PostFormValue("ics"))
	return s.slaDone(w, r, err, strconv.FormatInt(id, 10), "/admin/business-hours", calendarsPage, calendarsTitle, calendarsNav)
}

// --- SLA policies

const (
	policiesPage  = "admin_sla_policies.html"
	policiesTitle = "sla.title"
	policiesNav   = "admin-sla"
)

func (s *Server) policiesPage(w http.ResponseWriter, r *http.Request) error {
	return s.slaPage(w, r, http.StatusOK, policiesPage, policiesTitle, policiesNav, slaData{})
}

func policyForm(r *http.Request, p *sla.Policy) {
	p.Name, p.Time = strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("time")
	p.Position, p.WarnPercent = formInt(r, "position"), formInt(r, "warn_percent")
	p.Active = r.PostFormValue("active") != ""
	p.CalendarID = nil
	if v := r.PostFormValue("calendar_id"); v != "" {
		id := formIDs(r, "calendar_id")[0]
		p.CalendarID = &id
	}
	p.PauseOn = r.PostForm["pause_on"]
	if p.PauseOn == nil {
		p.PauseOn = []string{}
	}
	p.Conditions = sla.Conditions{Priorities: r.PostForm["priorities"], Channels: r.PostForm["channels"],
		Types: r.PostForm["types"], Tags: formList(r, "tags")}
	if len(r.PostForm["team_ids"]) > 0 {
		p.Conditions.TeamIDs = formIDs(r, "team_ids")
	}
	if r.PostFormValue("organization_ids") != "" {
		p.Conditions.OrganizationIDs = formIDs(r, "organization_ids")
	}
	p.Targets = map[string]sla.Target{}
	for _, prio := range ticket.Priorities {
		t := sla.Target{FirstResponse: formInt(r, prio+"_"+sla.FirstResponse), NextResponse: formInt(r, prio+"_"+sla.NextResponse),
			Resolution: formInt(r, prio+"_"+sla.Resolution)}
		if t != (sla.Target{}) {
			p.Targets[prio] = t
		}
	}
}

func (s *Server) createPolicyPage(w http.ResponseWriter, r *http.Request) error {
	var p sla.Policy
	policyForm(r, &p)
	_, err := s.SLA.CreatePolicy(r.Context(), p)
	return s.slaDone(w, r, err, "new", "/admin/sla-policies", policiesPage, policiesTitle, policiesNav)
}

func (s *Server) updatePolicyPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, err = s.SLA.UpdatePolicy(r.Context(), id, formVersion(r), func(p *sla.Policy) { policyForm(r, p) })
	return s.slaDone(w, r, err, strconv.FormatInt(id, 10), "/admin/sla-policies", policiesPage, policiesTitle, policiesNav)
}

func (s *Server) deletePolicyPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = s.SLA.DeletePolicy(r.Context(), id, formVersion(r))
	return s.slaDone(w, r, err, strconv.FormatInt(id, 10), "/admin/sla-policies", policiesPage, policiesTitle, policiesNav)
}

// --- escalation rules

const (
	rulesPage  = "admin_escalation_rules.html"
	rulesTitle = "escrule.title"
	rulesNav   = "admin-escrules"
)

func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request) error {
	return s.slaPage(w, r, http.StatusOK, rulesPage, rulesTitle, rulesNav, slaData{})
}

func ruleForm(r *http.Request, x *sla.Rule) {
	x.Name, x.Trigger = strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("trigger")
	x.Position, x.ReopenCount = formInt(r, "position"), formInt(r, "reopen_count")
	x.Active = r.PostFormValue("active") != ""
	x.Metrics, x.Keywords = r.PostForm["metrics"], formList(r, "keywords")
	x.OrganizationIDs = []int64{}
	if r.PostFormValue("organization_ids") != "" {
		x.OrganizationIDs = formIDs(r, "organization_ids")
	}
	x.TeamID, x.Tier = nil, nil
	if v := r.PostFormValue("target"); strings.HasPrefix(v, "team:") {
		id, err := strconv.ParseInt(strings.TrimPrefix(v, "team:"), 10, 64)
		if err != nil {
			id = -1
		}
		x.TeamID = &id
	} else if strings.HasPrefix(v, "tier:") {
		tier, err := strconv.Atoi(strings.TrimPrefix(v, "tier:"))
		if err != nil {
			tier = -1
		}
		x.Tier = &tier
	}
}

func (s *Server) createRulePage(w http.ResponseWriter, r *http.Request) error {
	var x sla.Rule
	ruleForm(r, &x)
	_, err := s.SLA.CreateRule(r.Context(), x)
	return s.slaDone(w, r, err, "new", "/admin/escalation-rules", rulesPage, rulesTitle, rulesNav)
}

func (s *Server) updateRulePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, err = s.SLA.UpdateRule(r.Context(), id, formVersion(r), func(x *sla.Rule) { ruleForm(r, x) })
	return s.slaDone(w, r, err, strconv.FormatInt(id, 10), "/admin/escalation-rules", rulesPage, rulesTitle, rulesNav)
}

func (s *Server) deleteRulePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = s.SLA.DeleteRule(r.Context(), id, formVersion(r))
	return s.slaDone(w, r, err, strconv.FormatInt(id, 10), "/admin/escalation-rules", rulesPage, rulesTitle, rulesNav)
}

// ruleRunsPage shows a rule's execution log, newest first.
func (s *Server) ruleRunsPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	limit, before, err := pageQuery(r, 100, 50)
	if err != nil {
		return err
	}
	d := slaData{}
	if d.Rule, err = s.SLA.Rule(r.Context(), id); err != nil {
		return err
	}
	if d.Runs, err = s.SLA.Runs(r.Context(), id, before, limit); err != nil {
		return err
	}
	if len(d.Runs) > 0 {
		d.Older = nextCursor(len(d.Runs), limit, d.Runs[len(d.Runs)-1].ID)
	}
	return s.render(w, r, http.StatusOK, "admin_escalation_runs.html", page{Title: "escrule.runs", Nav: rulesNav, Data: d})
}
