package main

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sahayak/sahayak/internal/i18n"
)

// TestWorkspaceJourneys drives the real binary in Chromium through the
// workspace journeys at desktop (1280 px) and phone (390 px) width, in
// English and Hindi: bulk actions picked with shift-click, a contact created,
// edited and deleted, organizations paged and searched, 404 and 403 pages
// with their way back, and a notification read as a sentence.
func TestWorkspaceJourneys(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium is not installed at " + chromiumPath)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t)
	b := newBrowsers(t)
	admin, agent := b.first, b.second
	signIn(t, admin, srv.url, "admin@localhost", srv.password)
	adminID := eval[float64](t, admin, "admin id", `Number(document.body.dataset.agent)`)

	// A second agent (the agent role: no admin pages), and 55 organizations
	// so that the list has a second page.
	api(t, admin, "create agent", "POST", "/api/v1/agents", `{"email":"ravi@example.com","name":"Ravi Kumar","role":"agent","password":"ravi-password-1"}`)
	for i := range 55 {
		api(t, admin, "create organization", "POST", "/api/v1/organizations", fmt.Sprintf(`{"name":"Firm %02d","domains":["firm%02d.example"]}`, i, i))
	}
	signIn(t, agent, srv.url, "ravi@example.com", "ravi-password-1")

	for _, c := range []struct {
		width, height int
		lang          string
	}{{1280, 800, "en"}, {390, 844, "en"}, {1280, 800, "hi"}, {390, 844, "hi"}} {
		name := fmt.Sprintf("%d-%s", c.width, c.lang)
		tr := func(key string, args ...any) string { return cat.T(c.lang, key, args...) }
		t.Run(name, func(t *testing.T) {
			for _, ctx := range []context.Context{admin, agent} {
				do(t, ctx, "viewport", chromedp.EmulateViewport(int64(c.width), int64(c.height), chromedp.EmulateMobile))
				do(t, ctx, "home", chromedp.Navigate(srv.url+"/tickets"))
				formPost(t, ctx, "language", "/settings/language", "language="+c.lang)
			}
			fitsWidth := func(ctx context.Context, what string) {
				t.Helper()
				if !eval[bool](t, ctx, what+" fits", `document.documentElement.scrollWidth <= innerWidth + 1`) {
					t.Errorf("%s scrolls sideways at %d px", what, c.width)
				}
			}

			// Bulk: pick the first new ticket, shift-click the third (the
			// one between is picked too), set the status, read the summary.
			var subjects []string
			for i := range 3 {
				s := fmt.Sprintf("Bulk %s %d %d", name, i, time.Now().UnixNano())
				subjects = append(subjects, s)
				api(t, admin, "create ticket", "POST", "/api/v1/tickets",
					fmt.Sprintf(`{"subject":%q,"body":"x","requester":{"email":"bulk@example.com","name":"Bulk"}}`, s))
			}
			do(t, admin, "list", chromedp.Navigate(srv.url+"/tickets?view=all&sort=created"))
			row := func(s string) string {
				return fmt.Sprintf(`[...document.querySelectorAll("#ticket-list tr[data-row]")].find(r => r.textContent.includes(%q))`, s)
			}
			pick := func(s string) string {
				return fmt.Sprintf(`#ticket-list tr[data-ticket="%d"] input[data-bulk-pick]`,
					int64(eval[float64](t, admin, "ticket id", `Number(`+row(s)+`.dataset.ticket)`)))
			}
			do(t, admin, "pick the first", chromedp.Click(chromedp.CSS(pick(subjects[2]))))
			shiftClick(t, admin, pick(subjects[0]))
			waitFor(t, admin, "three picked", fmt.Sprintf(`document.querySelectorAll("input[data-bulk-pick]:checked").length === 3 &&
				document.querySelector("[data-bulk-count]").textContent === %q && !document.querySelector("[data-bulk-actions]").hidden`, tr("bulk.selected", 3)))
			fitsWidth(admin, "the list with the bulk form")
			shoot(t, admin, "bulk-"+name)
			eval[bool](t, admin, "choose pending", `(() => { const s = document.querySelector("#bulk-form select[name=status]"); s.value = "pending"; return true })()`)
			submit(t, admin, `#bulk-form button[type=submit]`)
			waitFor(t, admin, "summary", fmt.Sprintf(`document.querySelector("[data-bulk-summary]").textContent.includes(%q)`, tr("bulk.summary", 3, 0, 0)))
			shoot(t, admin, "bulk-summary-"+name)
			submit(t, admin, `[data-bulk-back]`) // a link: submit waits for the page it leads to
			waitFor(t, admin, "statuses pending", fmt.Sprintf(`[%q, %q, %q].every(s => {
				const r = [...document.querySelectorAll("#ticket-list tr[data-row]")].find(r => r.textContent.includes(s));
				return r && r.textContent.includes(%q) })`, subjects[0], subjects[1], subjects[2], tr("status.pending")))

			// A contact: create, edit, delete.
			contact := fmt.Sprintf("Meera %s", name)
			email := fmt.Sprintf("meera-%s@example.com", name)
			do(t, admin, "contacts", chromedp.Navigate(srv.url+"/contacts"),
				chromedp.Click(chromedp.CSS(`details.people-new > summary`)),
				chromedp.SetValue(chromedp.CSS(`#new-contact input[name=name]`), contact),
				chromedp.SetValue(chromedp.CSS(`#new-contact textarea[name=emails]`), email))
			fitsWidth(admin, "the contact list")
			submit(t, admin, `#new-contact button[type=submit]`)
			waitFor(t, admin, "contact saved", fmt.Sprintf(`document.querySelector("h1").textContent === %q && !!document.querySelector("[data-saved]")`, contact))
			fitsWidth(admin, "the contact page")
			shoot(t, admin, "contact-"+name)
			do(t, admin, "edit contact", chromedp.Click(chromedp.CSS(`details:has(#edit-contact) > summary`)))
			do(t, admin, "rename", chromedp.SetValue(chromedp.CSS(`#edit-contact input[name=name]`), contact+" Rao"))
			submit(t, admin, `#edit-contact button[type=submit]`)
			waitFor(t, admin, "contact renamed", fmt.Sprintf(`document.querySelector("h1").textContent === %q`, contact+" Rao"))
			do(t, admin, "open edit again", chromedp.Click(chromedp.CSS(`details:has(#edit-contact) > summary`)))
			submit(t, admin, `#delete-contact button[type=submit]`)
			waitFor(t, admin, "contact gone", fmt.Sprintf(`location.pathname === "/contacts" && !document.body.textContent.includes(%q)`, contact))

			// Organizations: a second page, and search.
			do(t, admin, "organizations", chromedp.Navigate(srv.url+"/organizations"))
			waitFor(t, admin, "first page", `document.querySelectorAll("tr[data-row]").length === 50 && !!document.querySelector("a[rel=next]")`)
			fitsWidth(admin, "the organization list")
			shoot(t, admin, "organizations-"+name)
			submit(t, admin, `a[rel=next]`)
			waitFor(t, admin, "second page", `document.querySelectorAll("tr[data-row]").length === 5 && document.body.textContent.includes("Firm 54")`)
			do(t, admin, "search", chromedp.Navigate(srv.url+"/organizations"),
				chromedp.SetValue(chromedp.CSS(`form[action="/organizations"] input[name=q]`), "firm07"))
			submit(t, admin, `form[action="/organizations"] button[type=submit]`)
			waitFor(t, admin, "found by domain", `document.querySelectorAll("tr[data-row]").length === 1 && document.body.textContent.includes("Firm 07")`)

			// 404 and 403: inside the app, in the language, with a way back.
			do(t, admin, "no such page", chromedp.Navigate(srv.url+"/no/such/page"))
			waitFor(t, admin, "404 page", fmt.Sprintf(`document.querySelector("[data-error-page='404'] h1").textContent === %q && !!document.querySelector("header.top")`,
				tr("errors.page.title_404")))
			fitsWidth(admin, "the 404 page")
			shoot(t, admin, "404-"+name)
			submit(t, admin, `[data-way-back]`)
			waitFor(t, admin, "back at the tickets", `location.pathname === "/tickets" && !!document.querySelector("#ticket-list")`)
			do(t, agent, "admin page", chromedp.Navigate(srv.url+"/admin/webhooks"))
			waitFor(t, agent, "403 page", fmt.Sprintf(`document.querySelector("[data-error-page='403'] h1").textContent === %q &&
				document.body.textContent.includes(%q)`, tr("errors.page.title_403"), tr("perm.webhooks:write")))
			shoot(t, agent, "403-"+name)
			submit(t, agent, `[data-way-back]`)
			waitFor(t, agent, "back at the tickets", `location.pathname === "/tickets"`)

			// A notification: the agent assigns a ticket to the admin, who
			// reads who did it, the ticket's number and subject, and when.
			subject := fmt.Sprintf("Please add dark mode %s", name)
			created := api(t, agent, "ticket", "POST", "/api/v1/tickets",
				fmt.Sprintf(`{"subject":%q,"body":"x","requester":{"email":"asha@example.com","name":"Asha"}}`, subject))
			tid := int64(created["id"].(float64))
			api(t, agent, "assign", "PATCH", fmt.Sprintf("/api/v1/tickets/%d", tid), fmt.Sprintf(`{"assignee_id":%d}`, int64(adminID)))
			want := tr("notif.text.assigned", "Ravi Kumar", fmt.Sprintf("#%d %s", tid, subject))
			for deadline := time.Now().Add(stepTimeout); ; time.Sleep(200 * time.Millisecond) {
				list := api(t, admin, "notifications", "GET", "/api/v1/notifications?limit=5", "")
				items, _ := list["notifications"].([]any)
				if len(items) > 0 && items[0].(map[string]any)["text"] == want {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no notification %q: %v", want, list)
				}
			}
			do(t, admin, "tickets", chromedp.Navigate(srv.url+"/tickets"), chromedp.Click(chromedp.CSS(`#notif-toggle`)))
			waitFor(t, admin, "notification", fmt.Sprintf(`(() => {
				const a = [...document.querySelectorAll("#notif-list a")].find(a => a.textContent.startsWith(%q));
				return !!a && a.getAttribute("href") === "/tickets/%d" && a.querySelector("time").textContent.length > 3 })()`, want, tid))
			shoot(t, admin, "notification-"+name)
			submit(t, admin, fmt.Sprintf(`#notif-list a[href="/tickets/%d"]`, tid))
			waitFor(t, admin, "the ticket", fmt.Sprintf(`location.pathname === "/tickets/%d"`, tid))
		})
	}
}

// api sends a JSON request from the signed-in page (the session cookie and
// its CSRF token) and returns the answer, failing on an error status.
func api(t *testing.T, ctx context.Context, what, method, path, body string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](fmt.Sprintf(`fetch(%q, {method: %q, credentials: "same-origin",
		headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": document.body.dataset.csrf}, body: %q || undefined})
		.then(async r => ({status: r.status, body: await r.json().catch(() => null)}))`, path, method, body), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if st, _ := res["status"].(float64); st >= 400 {
		t.Fatalf("%s: %s %s: %v", what, method, path, res)
	}
	out, _ := res["body"].(map[string]any)
	return out
}

// formPost submits a URL-encoded form from the signed-in page.
func formPost(t *testing.T, ctx context.Context, what, path, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	st, err := chromedp.Run(ctx, chromedp.Evaluate[float64](fmt.Sprintf(`fetch(%q, {method: "POST", credentials: "same-origin",
		headers: {"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": document.body.dataset.csrf}, body: %q})
		.then(r => r.status)`, path, body), chromedp.EvalAwaitPromise))
	if err != nil || st >= 400 {
		t.Fatalf("%s: %v (status %v)", what, err, st)
	}
}

// shiftClick clicks an element with the shift key held, as a person picking
// a range does.
func shiftClick(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(sel)))
	if err != nil || len(nodes) == 0 {
		t.Fatalf("shift-click %s: %v", sel, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.MouseClickNode(nodes[0], chromedp.ButtonModifiers(kb.ModifierShift))); err != nil {
		t.Fatalf("shift-click %s: %v", sel, err)
	}
}
