package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/webhook"
)

// An admin manages webhooks on their page: reached from every page's
// navigation, a secret shown once, the delivery log with a way back, replay,
// turning a webhook off and on — every form with its CSRF value, in both
// languages.
func TestAdminManagesWebhooksOnThePage(t *testing.T) {
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
		return b.do("POST", path, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}}, form.Encode())
	}

	if _, page := b.do("GET", "/tickets", html, ""); !strings.Contains(page, `href="/admin/webhooks"`) {
		t.Fatal("the navigation has no link to the webhooks page")
	}
	newHook := url.Values{"url": {"https://crm.example.test/in"}, "description": {"CRM"}, "events_present": {"1"},
		"events": {"contact.created", "ticket.created"}}
	if res, _ := post("/admin/webhooks", newHook); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a form without its CSRF value: %d, want 403", res.StatusCode)
	}
	newHook.Set("csrf", csrf)
	res, page := post("/admin/webhooks", newHook)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="new-secret">whsec_`) {
		t.Fatalf("create: %d\n%s", res.StatusCode, page)
	}
	hooks, err := d.DB.Webhooks(context.Background())
	if err != nil || len(hooks) != 1 {
		t.Fatalf("webhooks after the form: %v %v", hooks, err)
	}
	h := hooks[0]
	if _, page = b.do("GET", "/admin/webhooks", html, ""); strings.Contains(page, "whsec_") || !strings.Contains(page, "crm.example.test") {
		t.Fatal("the list shows the secret again, or not the webhook")
	}

	// A refused change shows the form again with the reason.
	res, page = post("/admin/webhooks/"+id(h.ID), url.Values{"csrf": {csrf}, "url": {"ftp://nope"}, "events_present": {"1"}, "events": {"*"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "must be an http or https address") {
		t.Fatalf("bad URL: %d", res.StatusCode)
	}
	// Off, then on again ("enable").
	for _, active := range []string{"", "1"} {
		form := url.Values{"csrf": {csrf}, "active_present": {"1"}}
		if active != "" {
			form.Set("active", active)
		}
		if res, _ := post("/admin/webhooks/"+id(h.ID), form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("toggle active=%q: %d", active, res.StatusCode)
		}
		got, _ := d.DB.Webhook(context.Background(), h.ID)
		if got.Active != (active != "") {
			t.Fatalf("active=%q left the webhook active=%v", active, got.Active)
		}
	}

	// The delivery log, with replay and a way back.
	d.mustCall(201, "POST", "/api/v1/contacts", "ada", map[string]any{"name": "Bala", "email": "bala@x.test"})
	if _, err := d.DB.RecordDelivery(context.Background(), &webhook.Delivery{WebhookID: h.ID, EventID: 1,
		EventType: "contact.created", StatusCode: 503, Error: "receiver answered 503", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	_, page = b.do("GET", "/admin/webhooks/"+id(h.ID), html, "")
	for _, want := range []string{`id="back"`, `href="/admin/webhooks"`, "receiver answered 503", "/replay", `name="csrf"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the log page lacks %s", want)
		}
	}
	list, _ := d.DB.Deliveries(context.Background(), h.ID, 0, 10)
	res, _ = post("/admin/webhooks/"+id(h.ID)+"/deliveries/"+id(list[0].ID)+"/replay", url.Values{"csrf": {csrf}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "replayed=") {
		t.Fatalf("replay: %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	// A form rendered before a colleague's change is refused, not applied
	// over it: the colleague's description stays, and the page shows the
	// current values with the reason; so is a stale delete.
	_, page = b.do("GET", "/admin/webhooks", html, "")
	stale := formFields(t, page, "webhook-"+id(h.ID))
	staleDelete := formFields(t, page, "delete-webhook-"+id(h.ID))
	d.mustCall(200, "PATCH", "/api/v1/webhooks/"+id(h.ID), "ada", map[string]any{"description": "CRM (production)"})
	stale.Set("url", "https://old-tab.example.test/in")
	res, page = post("/admin/webhooks/"+id(h.ID), stale)
	if res.StatusCode != http.StatusPreconditionFailed || !strings.Contains(page, "CRM (production)") {
		t.Fatalf("a stale edit form: %d, want 412 showing the current values\n%s", res.StatusCode, page)
	}
	if got, _ := d.DB.Webhook(context.Background(), h.ID); got.URL != "https://crm.example.test/in" || got.Description != "CRM (production)" {
		t.Fatalf("after the stale form: url %q, description %q", got.URL, got.Description)
	}
	if res, _ := post("/admin/webhooks/"+id(h.ID)+"/delete", staleDelete); res.StatusCode != http.StatusPreconditionFailed {
		t.Fatalf("a stale delete: %d, want 412", res.StatusCode)
	}

	// In Hindi too.
	hi := "hi"
	if _, err := d.People.UpdateAgent(system(), d.Agents["ada"].ID, people.AgentInput{Language: &hi}, nil); err != nil {
		t.Fatal(err)
	}
	if _, page = b.do("GET", "/admin/webhooks", html, ""); !strings.Contains(page, "नया वेबहुक") {
		t.Fatal("the page is not in Hindi")
	}
	if res, _ := post("/admin/webhooks/"+id(h.ID)+"/delete", url.Values{"csrf": {csrf}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if hooks, _ := d.DB.Webhooks(context.Background()); len(hooks) != 0 {
		t.Fatal("the webhook is still there")
	}
}
