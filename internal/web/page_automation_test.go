package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/people"
)

// The macro, automation and availability pages: forms create, refused input
// comes back with its problem, every page links back, and Hindi agents read
// them in Hindi.
func TestAutomationPages(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"sunil": goodPassword, "lena": goodPassword}, func(t *testing.T, d *testDesk) {
		sunil := d.signedIn(t, "sunil")
		page := sunil.page("/macros")
		form := formFields(t, page, "new-macro")
		form.Set("name", "Refund issued")
		form.Set("scope", "shared")
		form.Set("reply", "Namaste {{ticket.requester.name}}")
		form.Set("tags", "refund")
		if res, body := sunil.post("/macros", form); res.StatusCode != http.StatusSeeOther || !strings.Contains(sunil.page("/macros"), "Refund issued") {
			t.Fatalf("create macro: %d\n%s", res.StatusCode, body)
		}
		form.Set("reply", "Hi {{ticket.secret}}")
		if res, body := sunil.post("/macros", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "ticket.secret") {
			t.Errorf("a macro with an unknown variable: %d\n%s", res.StatusCode, body)
		}

		page = sunil.page("/automations")
		// Attributes and action types are named in words beside the
		// identifiers the JSON takes.
		for _, want := range []string{"Requester&#39;s email — <code>requester.email</code>", "Hours since the last update — <code>hours_since_updated</code>",
			"Reply from a template — <code>reply</code>", "Remove tags — <code>remove_tags</code>"} {
			if !strings.Contains(page, want) {
				t.Errorf("the automations page lacks %q", want)
			}
		}
		form = formFields(t, page, "new-automation")
		form.Set("name", "Outages are urgent")
		form.Set("conditions", `[{"field": "subject", "op": "contains", "value": "outage"}]`)
		form.Set("actions", `[{"type": "set", "field": "priority", "value": "urgent"}]`)
		res, body := sunil.post("/automations", form)
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(sunil.page("/automations"), "Outages are urgent") {
			t.Fatalf("create automation: %d\n%s", res.StatusCode, body)
		}
		form.Set("name", "Loop")
		form.Set("event", "ticket.updated")
		form.Set("conditions", "")
		form.Set("actions", `[{"type": "add_tags", "tags": ["x"]}]`)
		if res, body := sunil.post("/automations", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "again and again") {
			t.Errorf("a looping rule: %d\n%s", res.StatusCode, body)
		}
		d.mustCreateTicket("ada", map[string]any{"subject": "Total outage"})
		page = sunil.page("/automations/1")
		if !strings.Contains(page, `href="/automations"`) {
			t.Error("the rule page has no way back")
		}
		res, body = sunil.post("/automations/1/dry-run", formFields(t, page, "dry-run-form"))
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "Total outage") {
			t.Errorf("dry run: %d\n%s", res.StatusCode, body)
		}

		page = sunil.page("/availability")
		for _, team := range []string{"Frontline", "Specialists"} {
			if !strings.Contains(page, team) {
				t.Errorf("the supervisor's board lacks %s", team)
			}
		}
		form = formFields(t, page, "my-availability")
		form.Set("status", "away")
		if res, _ := sunil.post("/availability", form); res.StatusCode != http.StatusSeeOther || !strings.Contains(sunil.page("/availability"), `value="away" selected`) {
			t.Errorf("set availability: %d", res.StatusCode)
		}

		hi := "hi"
		if _, err := d.People.UpdateAgent(system(), d.Agents["lena"].ID, people.AgentInput{Language: &hi}, nil); err != nil {
			t.Fatal(err)
		}
		lena := d.signedIn(t, "lena")
		for path, want := range map[string]string{"/availability": "उपलब्धता", "/macros": "मैक्रो"} {
			if page := lena.page(path); !strings.Contains(page, want) {
				t.Errorf("%s in Hindi lacks %q", path, want)
			}
		}
		if _, err := d.People.UpdateAgent(system(), d.Agents["sunil"].ID, people.AgentInput{Language: &hi}, nil); err != nil {
			t.Fatal(err)
		}
		if page := d.signedIn(t, "sunil").page("/automations"); !strings.Contains(page, "टेम्पलेट से जवाब दें — <code>reply</code>") ||
			!strings.Contains(page, "अनुरोधकर्ता का ईमेल — <code>requester.email</code>") {
			t.Error("the automations page in Hindi does not name attributes and actions in Hindi")
		}
	})
}
