package main

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSLACountdownInBrowser runs the real binary: an admin sets up business
// hours (every hour of every day) and an SLA policy on the admin pages,
// creates a ticket, and finds on the ticket page and on the list sorted by
// due time a countdown to its first response that moves by itself.
func TestSLACountdownInBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium is not installed at " + chromiumPath)
	}
	srv := startServer(t)
	b := newBrowsers(t)
	admin := b.first
	signIn(t, admin, srv.url, "admin@localhost", srv.password)
	steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(srv.url + "/admin/business-hours"),
		chromedp.SetValue(chromedp.CSS(`#new-calendar input[name=name]`), "Always"),
		chromedp.SetValue(chromedp.CSS(`#new-calendar input[name=time_zone]`), "Asia/Kolkata")}
	for _, day := range []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"} {
		steps = append(steps, chromedp.SetValue(chromedp.CSS(`#new-calendar input[name=hours_`+day+`]`), "00:00-24:00"))
	}
	do(t, admin, "fill calendar", steps...)
	submit(t, admin, `#new-calendar button[type=submit]`)
	waitFor(t, admin, "calendar listed", `!!document.querySelector("form[id^=calendar-]")`)

	do(t, admin, "fill policy", chromedp.Navigate(srv.url+"/admin/sla-policies"),
		chromedp.SetValue(chromedp.CSS(`#new-policy input[name=name]`), "Everyone"),
		chromedp.SetValue(chromedp.CSS(`#new-policy input[name=normal_first_response]`), "45"),
		chromedp.SetValue(chromedp.CSS(`#new-policy input[name=normal_resolution]`), "600"))
	submit(t, admin, `#new-policy button[type=submit]`)
	waitFor(t, admin, "policy listed", `!!document.querySelector("form[id^=policy-]")`)

	subject := fmt.Sprintf("Refund not received %d", time.Now().UnixNano())
	do(t, admin, "fill new ticket", chromedp.Navigate(srv.url+"/tickets/new"),
		chromedp.SetValue(chromedp.CSS(`#new-ticket input[name=email]`), "farah@example.com"),
		chromedp.SetValue(chromedp.CSS(`#new-ticket input[name=name]`), "Farah"),
		chromedp.SetValue(chromedp.CSS(`#new-ticket input[name=subject]`), subject),
		chromedp.SetValue(chromedp.CSS(`#new-ticket textarea[name=body]`), "Three weeks now."))
	submit(t, admin, `#new-ticket button[type=submit]`)
	href := eval[string](t, admin, "ticket address", `location.pathname`)

	// The SLA consumer works the ticket out in the background: reload until
	// the ticket page shows its due times.
	deadline := time.Now().Add(20 * time.Second)
	for {
		do(t, admin, "open the ticket", chromedp.Navigate(srv.url+href))
		if eval[bool](t, admin, "sla shown", `!!document.querySelector("#ticket-sla time[data-due]")`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the ticket page shows no SLA due time")
		}
		time.Sleep(300 * time.Millisecond)
	}
	// 45 minutes of first response: the countdown reads 44m ss and moves.
	waitFor(t, admin, "countdown", `/^4[45]m \d\ds$/.test(document.querySelector("#ticket-sla time[data-due]").textContent)`)
	first := eval[string](t, admin, "countdown text", `document.querySelector("#ticket-sla time[data-due]").textContent`)
	waitFor(t, admin, "countdown moves", fmt.Sprintf(`document.querySelector("#ticket-sla time[data-due]").textContent !== %q`, first))
	shoot(t, admin, "sla-ticket-1280")

	do(t, admin, "list by due", chromedp.Navigate(srv.url+"/tickets?view=all&sort=due"))
	waitFor(t, admin, "countdown in the list", fmt.Sprintf(`[...document.querySelectorAll("#ticket-list tr[data-row]")].some(r =>
		r.textContent.includes(%q) && /\d+m \d\ds/.test(r.querySelector("time[data-due]").textContent))`, subject))
	shoot(t, admin, "sla-list-1280")
}
