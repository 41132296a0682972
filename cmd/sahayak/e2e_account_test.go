package main

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAccountInBrowser: the admin makes an organization, opens it, sees
// the account panel (health, timeline), logs a check-in from the agenda
// template and finds it on the timeline; then, at phone width, "My book"
// and the account page still fit the screen and lead back.
func TestAccountInBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium is not installed at " + chromiumPath)
	}
	srv := startServer(t)
	b := newBrowsers(t)
	admin := b.first
	signIn(t, admin, srv.url, "admin@localhost", srv.password)
	name := fmt.Sprintf("Acme %d", time.Now().UnixNano())

	do(t, admin, "organizations", chromedp.Navigate(srv.url+"/organizations"))
	eval[bool](t, admin, "open the form", `document.querySelector("details.people-new").open = true`)
	do(t, admin, "fill new organization", chromedp.SetValue(chromedp.CSS(`#new-organization input[name=name]`), name))
	submit(t, admin, `#new-organization button[type=submit]`)
	waitFor(t, admin, "organization page", `!!document.getElementById("account")`)
	if band := eval[string](t, admin, "band", `document.querySelector("#account .band").className`); band != "band band-healthy" {
		t.Errorf("a new account's band: %q", band)
	}
	eval[bool](t, admin, "open the check-in form", `document.querySelector("#checkins details").open = true`)
	do(t, admin, "fill the check-in",
		chromedp.SetValue(chromedp.CSS(`#log-checkin textarea[name=attendees]`), "Kavya (CTO)"),
		chromedp.SetValue(chromedp.CSS(`#log-checkin select[name=outcome]`), "positive"),
	)
	if notes := eval[string](t, admin, "agenda", `document.querySelector("#log-checkin textarea[name=notes]").value`); len(notes) < 10 {
		t.Errorf("the notes do not start from the agenda: %q", notes)
	}
	submit(t, admin, `#log-checkin button[type=submit]`)
	waitFor(t, admin, "check-in on the timeline", `!!document.querySelector('#timeline li[data-kind="checkin"]')`)
	shoot(t, admin, "account-1280")

	do(t, admin, "phone width", chromedp.EmulateViewport(390, 844), chromedp.Navigate(srv.url+"/book"))
	waitFor(t, admin, "book", `!!document.querySelector("table.book")`)
	if w := eval[int](t, admin, "book width", `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the book is %d px wide at 390", w)
	}
	do(t, admin, "back to organizations", chromedp.Click(chromedp.CSS(`.crumbs a`)))
	time.Sleep(1500 * time.Millisecond) // let the navigation start before looking
	waitFor(t, admin, "organizations", `location.pathname === "/organizations"`)
	do(t, admin, "open the account", chromedp.Navigate(srv.url+"/organizations"))
	waitFor(t, admin, "listed", `[...document.querySelectorAll("a")].some(a => a.textContent === `+fmt.Sprintf("%q", name)+`)`)
	eval[bool](t, admin, "click", `(() => { [...document.querySelectorAll("a")].find(a => a.textContent === `+fmt.Sprintf("%q", name)+`).click(); return true })()`)
	time.Sleep(1500 * time.Millisecond)
	waitFor(t, admin, "account page", `!!document.getElementById("timeline")`)
	if w := eval[int](t, admin, "account width", `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the account page is %d px wide at 390", w)
	}
	shoot(t, admin, "account-390")
}
