package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sahayak/sahayak/internal/i18n"
)

// TestFeedbackAndOpportunityInBrowser: an account executive (in English,
// then in Hindi) opens a ticket of their account, records the customer's
// feedback and flags an opportunity from the ticket page, then on the
// account page qualifies it and hands it to sales; the board shows it
// handed off, with the buttons in the agent's language.
func TestFeedbackAndOpportunityInBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium is not installed at " + chromiumPath)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t)
	b := newBrowsers(t)
	admin, ae := b.first, b.second
	signIn(t, admin, srv.url, "admin@localhost", srv.password)
	apiCall(t, admin, "PUT", "/api/v1/sales-contact", map[string]any{"sales_email": "sales@desk.example"})
	const pw = "journey-password-1"
	for _, lang := range []string{"en", "hi"} {
		tr := func(key string, args ...any) string { return cat.T(lang, key, args...) }
		email := "asha." + lang + "@example.com"
		owner := apiCall(t, admin, "POST", "/api/v1/agents", map[string]any{"name": "Asha " + lang, "email": email,
			"role": "account_executive", "password": pw, "language": lang}).id("id")
		domain := lang + ".acme.example"
		org := apiCall(t, admin, "POST", "/api/v1/organizations", map[string]any{"name": "Acme " + lang,
			"domains": []string{domain}, "owner_id": owner, "currency": "INR"}).id("id")
		tk := apiCall(t, admin, "POST", "/api/v1/tickets", map[string]any{"subject": "Seats " + lang, "body": "We are growing.",
			"requester": map[string]any{"email": "kavya@" + domain, "name": "Kavya"}}).id("id")

		signIn(t, ae, srv.url, email, pw)
		do(t, ae, "ticket", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", srv.url, tk)))
		waitFor(t, ae, "account slot", `!!document.getElementById("record-feedback")`)
		eval[bool](t, ae, "open feedback", `document.getElementById("record-feedback-box").open = true`)
		do(t, ae, "fill feedback",
			chromedp.SetValue(chromedp.CSS(`#record-feedback select[name=kind]`), "feature_request"),
			chromedp.SetValue(chromedp.CSS(`#record-feedback input[name=category]`), "reports"),
			chromedp.SetValue(chromedp.CSS(`#record-feedback textarea[name=body]`), "Wants a monthly PDF "+lang))
		submit(t, ae, `#record-feedback button[type=submit]`)
		waitFor(t, ae, "feedback saved", `document.body.textContent.includes(`+fmt.Sprintf("%q", tr("account.flash_feedback"))+`)`)
		eval[bool](t, ae, "open flag", `document.getElementById("flag-opportunity-box").open = true`)
		do(t, ae, "fill opportunity",
			chromedp.SetValue(chromedp.CSS(`#flag-opportunity input[name=title]`), "40 more seats "+lang),
			chromedp.SetValue(chromedp.CSS(`#flag-opportunity select[name=kind]`), "seats"),
			chromedp.SetValue(chromedp.CSS(`#flag-opportunity input[name=value]`), "480000"))
		submit(t, ae, `#flag-opportunity button[type=submit]`)
		waitFor(t, ae, "opportunity saved", `document.body.textContent.includes(`+fmt.Sprintf("%q", tr("account.flash_opportunity"))+`)`)

		do(t, ae, "account", chromedp.Navigate(fmt.Sprintf("%s/organizations/%d#opportunities", srv.url, org)))
		waitFor(t, ae, "identified", `!!document.querySelector('#opportunities [data-stage="identified"] [data-opportunity]')`)
		if !eval[bool](t, ae, "feedback listed", `document.getElementById("feedback").textContent.includes("Wants a monthly PDF `+lang+`")`) {
			t.Errorf("%s: the feedback is not on the account page", lang)
		}
		if got := eval[string](t, ae, "move label", `document.querySelector('#opportunities [data-move="qualified"]').textContent`); got != tr("opportunity.move_qualified") {
			t.Errorf("%s: the move button reads %q", lang, got)
		}
		submit(t, ae, `#opportunities [data-move="qualified"]`)
		waitFor(t, ae, "qualified", `!!document.querySelector('#opportunities [data-stage="qualified"] [data-opportunity]')`)
		submit(t, ae, `#opportunities [data-move="handed_to_sales"]`)
		waitFor(t, ae, "handed off", `!!document.querySelector('#opportunities [data-stage="handed_to_sales"] [data-opportunity]')`)
		if !eval[bool](t, ae, "timeline", `!!document.querySelector('#timeline li[data-kind="opportunity"]') && !!document.querySelector('#timeline li[data-kind="feedback"]')`) {
			t.Errorf("%s: the timeline lacks the feedback or the opportunity", lang)
		}
		shoot(t, ae, "opportunity-"+lang)
		submit(t, ae, `form[action="/logout"] button`)
		waitFor(t, ae, "signed out", `location.pathname === "/login"`)
	}
}
