package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/store/storetest"
)

// An admin sets up business hours, an SLA policy and an escalation rule on
// their pages, reached from the navigation; refused input comes back with
// the reason; a stale form is refused; each page works in Hindi too.
func TestAdminManagesSLAOnThePages(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], map[string]string{"ada": goodPassword})
	session, csrf, _, err := d.Access.SignIn(system(), "ada@desk.test", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, d.URL)
	b.jar["sahayak_session"] = &http.Cookie{Name: "sahayak_session", Value: session}
	html := http.Header{"Accept": {"text/html"}}
	post := func(path string, form url.Values) (*http.Response, string) {
		form.Set("csrf", csrf)
		return b.do("POST", path, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}}, form.Encode())
	}
	// done posts a form that must succeed (303) and reads where it leads.
	done := func(path string, form url.Values) (*http.Response, string) {
		res, page := post(path, form)
		if res.StatusCode != http.StatusSeeOther {
			return res, page
		}
		return b.do("GET", res.Header.Get("Location"), html, "")
	}
	if _, page := b.do("GET", "/tickets", html, ""); !strings.Contains(page, `href="/admin/business-hours"`) ||
		!strings.Contains(page, `href="/admin/sla-policies"`) || !strings.Contains(page, `href="/admin/escalation-rules"`) {
		t.Fatal("the navigation has no links to the SLA pages")
	}
	cal := url.Values{"name": {"Pune"}, "time_zone": {"Asia/Kolkata"}, "hours_monday": {"09:00-13:00, 12:00-18:00"}}
	if res, page := post("/admin/business-hours", cal); res.StatusCode != http.StatusBadRequest ||
		!strings.Contains(page, "the periods 09:00–13:00 and 12:00–18:00 overlap") || !strings.Contains(page, "12:00-18:00") {
		t.Fatalf("overlapping periods: %d", res.StatusCode)
	}
	cal.Set("hours_monday", "09:00-13:00, 14:00-18:00")
	cal.Set("holidays", "2026-01-26 Republic Day")
	if res, page := done("/admin/business-hours", cal); res.StatusCode != http.StatusOK || !strings.Contains(page, "14:00-18:00") ||
		!strings.Contains(page, "2026-01-26 Republic Day") {
		t.Fatalf("create calendar: %d", res.StatusCode)
	}
	cals, err := d.DB.Calendars(context.Background())
	if err != nil || len(cals) != 1 {
		t.Fatalf("calendars: %v %v", cals, err)
	}
	cid := id(cals[0].ID)
	if res, page := done("/admin/business-hours/"+cid+"/holidays", url.Values{"preset": {"india_national"}, "years": {"2026"},
		"version": {"1"}}); res.StatusCode != http.StatusOK || !strings.Contains(page, "2026-10-02 Gandhi Jayanti") {
		t.Fatalf("india preset: %d", res.StatusCode)
	}
	// The version-1 form is now stale.
	if res, _ := post("/admin/business-hours/"+cid, url.Values{"name": {"Old"}, "time_zone": {"Asia/Kolkata"},
		"hours_monday": {"09:00-17:00"}, "version": {"1"}}); res.StatusCode != http.StatusPreconditionFailed {
		t.Fatalf("stale form: %d", res.StatusCode)
	}
	pol := url.Values{"name": {"Urgent"}, "active": {"1"}, "time": {"business"}, "calendar_id": {cid}, "warn_percent": {"75"},
		"pause_on": {"pending", "on_hold"}, "priorities": {"urgent"}, "urgent_first_response": {"30"}, "urgent_resolution": {"480"}}
	if res, page := done("/admin/sla-policies", pol); res.StatusCode != http.StatusOK || !strings.Contains(page, `value="480"`) {
		t.Fatalf("create policy: %d", res.StatusCode)
	}
	pol.Set("urgent_resolution", "-5")
	if res, page := post("/admin/sla-policies", pol); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "targets are minutes") {
		t.Fatalf("bad target: %d", res.StatusCode)
	}
	rule := url.Values{"name": {"Breach to tier 2"}, "active": {"1"}, "trigger": {"sla_breach"}, "target": {"team:99999"}}
	if res, page := post("/admin/escalation-rules", rule); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "no such team") {
		t.Fatalf("rule to a team that does not exist: %d", res.StatusCode)
	}
	rule.Set("target", "tier:2")
	if res, page := done("/admin/escalation-rules", rule); res.StatusCode != http.StatusOK || !strings.Contains(page, "Breach to tier 2") {
		t.Fatalf("create rule: %d", res.StatusCode)
	}
	rules, _ := d.DB.Rules(context.Background())
	if res, page := b.do("GET", "/admin/escalation-rules/"+id(rules[0].ID), html, ""); res.StatusCode != 200 ||
		!strings.Contains(page, `href="/admin/escalation-rules" id="back"`) {
		t.Fatalf("runs page: %d", res.StatusCode)
	}
	// The same pages in Hindi.
	hi := http.Header{"Accept": {"text/html"}, "Accept-Language": {"hi"}}
	d.mustCall(200, "PATCH", "/api/v1/agents/"+id(d.Agents["ada"].ID), "ada", map[string]any{"language": "hi"})
	for path, want := range map[string]string{"/admin/business-hours": "कार्य-समय", "/admin/sla-policies": "SLA नीतियाँ",
		"/admin/escalation-rules": "एस्केलेशन नियम"} {
		if res, page := b.do("GET", path, hi, ""); res.StatusCode != 200 || !strings.Contains(page, want) {
			t.Errorf("%s in Hindi: %d", path, res.StatusCode)
		}
	}
}

// The ticket list page filters by SLA state and sorts by the nearest due
// time, with a countdown per row.
func TestTicketListFiltersBySLAState(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"ada": goodPassword}, func(t *testing.T, d *testDesk) {
		d.mustCall(201, "POST", "/api/v1/sla-policies", "ada", map[string]any{"name": "Urgent", "time": "calendar",
			"conditions": map[string]any{"priorities": []string{"urgent"}},
			"targets":    map[string]any{"urgent": map[string]int{"first_response": 30, "next_response": 0, "resolution": 240}}})
		d.mustCreateTicket("ada", map[string]any{"priority": "urgent", "subject": "Payments down"})
		d.mustCreateTicket("ada", map[string]any{"priority": "low", "subject": "Typo on the invoice"})
		ada := d.signedIn(t, "ada")
		page := ada.page("/tickets?view=all&sla=running&sort=due")
		if !strings.Contains(page, "Payments down") || strings.Contains(page, "Typo on the invoice") ||
			!strings.Contains(page, `class="countdown"`) || !strings.Contains(page, `<option value="running" selected>`) {
			t.Errorf("running SLAs, nearest due first:\n%s", page)
		}
		if page := ada.page("/tickets?view=all&sla=breached"); strings.Contains(page, "Payments down") {
			t.Error("a running SLA is listed as breached")
		}
	})
}
