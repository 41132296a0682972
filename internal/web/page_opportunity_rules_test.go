package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The opportunity rules settings page: a supervisor adds a rule (one with
// neither phrases nor tags is refused on the form), switches it off from
// the list, changes it on its page (a stale form is refused), and sets the
// default sales contact with the language of its mail; an account
// executive without accounts:manage cannot open the page.
func TestOpportunityRulesPage(t *testing.T) {
	t.Parallel()
	pw := map[string]string{"sunil": goodPassword, "asha": goodPassword}
	eachBackendWithPasswords(t, pw, func(t *testing.T, d *testDesk) {
		sunil, asha := d.signedIn(t, "sunil"), d.signedIn(t, "asha")
		if !strings.Contains(sunil.page("/opportunities"), `href="/opportunity-rules"`) {
			t.Error("the board has no way to the rules")
		}
		page := sunil.page("/opportunity-rules")
		if !strings.Contains(page, `href="/opportunities"`) || strings.Count(page, `<tr id="rule-`) != 4 {
			t.Fatalf("the rules page (four built in, a way back):\n%s", page)
		}
		form := formFields(t, page, "rule-form")
		form.Set("name", "Annual plan")
		form.Set("kind", "plan_limit")
		if res, body := sunil.post("/opportunity-rules", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "error-box") {
			t.Fatalf("a rule without phrases or tags: %d\n%s", res.StatusCode, body)
		}
		form.Set("keywords", "annual plan\nसालाना योजना")
		form.Set("tags", "upgrade")
		if res, body := sunil.post("/opportunity-rules", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("add a rule: %d\n%s", res.StatusCode, body)
		}
		rule := d.mustCall(200, "GET", "/api/v1/opportunity-rules", "sunil", nil)
		if rule.str("rules.4.name") != "Annual plan" || rule.str("rules.4.keywords.1") != "सालाना योजना" || rule.str("rules.4.active") != "true" {
			t.Fatalf("the rule added: %s", rule.Raw)
		}
		path := "/opportunity-rules/" + id(rule.id("rules.4.id"))
		csrf := form.Get("csrf")
		off := url.Values{"csrf": {csrf}, "version": {"1"}, "active_present": {"1"}}
		if res, body := sunil.post(path, off); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("switch it off: %d\n%s", res.StatusCode, body)
		}
		edit := formFields(t, sunil.page(path), "rule-edit-form")
		if edit.Get("version") != "2" || edit.Get("active") != "" || !strings.Contains(edit.Get("keywords"), "annual plan") {
			t.Errorf("the rule's page after switching off: %v", edit)
		}
		edit.Set("name", "Annual plan (yearly)")
		edit.Set("version", "1")
		if res, _ := sunil.post(path, edit); res.StatusCode != http.StatusConflict {
			t.Errorf("a stale form: %d, want 409", res.StatusCode)
		}
		edit.Set("version", "2")
		edit.Set("active", "1")
		if res, body := sunil.post(path, edit); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("change it: %d\n%s", res.StatusCode, body)
		}
		if got := d.mustCall(200, "GET", "/api/v1"+path, "sunil", nil); got.str("name") != "Annual plan (yearly)" || got.str("active") != "true" {
			t.Errorf("changed: %s", got.Raw)
		}
		sales := url.Values{"csrf": {csrf}, "sales_email": {"sales@desk.test"}, "language": {"hi"}}
		if res, body := sunil.post("/opportunity-rules/sales-contact", sales); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the sales contact: %d\n%s", res.StatusCode, body)
		}
		if got := d.mustCall(200, "GET", "/api/v1/sales-contact", "sunil", nil); got.str("language") != "hi" || got.str("sales_email") != "sales@desk.test" {
			t.Errorf("sales contact: %s", got.Raw)
		}
		if res, _ := asha.do("GET", "/opportunity-rules", htmlHeaders, ""); res.StatusCode == http.StatusOK {
			t.Errorf("an account executive opens the rules settings: %d", res.StatusCode)
		}
	})
}
