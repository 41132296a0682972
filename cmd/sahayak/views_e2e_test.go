package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sahayak/sahayak/internal/i18n"
)

// TestViewsJourney drives the real binary in Chromium through the views at
// desktop (1280 px) and phone (390 px) width, in English and Hindi: an
// agent lands on their own open tickets beside the sidebar of views with
// counts, the top menu fits one line at 1280 px (the admin's too, whose
// admin pages sit under Settings), "/" focuses the jump box and a number
// opens that ticket, a filtered list is saved as a view that the sidebar
// then counts, a new ticket moves the sidebar's count live, and the view is
// deleted. At 1440 px the ticket page shows the view's list beside it.
func TestViewsJourney(t *testing.T) {
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
	ravi := api(t, admin, "create agent", "POST", "/api/v1/agents",
		`{"email":"ravi@example.com","name":"Ravi Kumar","role":"agent","password":"ravi-password-1"}`)["id"].(float64)
	api(t, admin, "create team", "POST", "/api/v1/teams", fmt.Sprintf(`{"name":"Frontline","tier":1,"member_ids":[%d]}`, int64(ravi)))
	newTicket := func(subject string, tags string) int64 {
		return int64(api(t, admin, "create ticket", "POST", "/api/v1/tickets", fmt.Sprintf(
			`{"subject":%q,"body":"x","requester":{"email":"asha@example.com","name":"Asha"},"assignee_id":%d,"tags":[%s]}`,
			subject, int64(ravi), tags))["id"].(float64))
	}
	first := newTicket("Printer jams", `"VIP"`)
	newTicket("Refund please", `"billing"`)
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

			// Landing: ravi's own open tickets, the sidebar beside them.
			do(t, agent, "tickets", chromedp.Navigate(srv.url+"/tickets"))
			mine := eval[float64](t, agent, "mine count", `Number(document.querySelector('#view-sidebar a[data-view="mine"] .count').textContent)`)
			waitFor(t, agent, "landed on mine", fmt.Sprintf(`document.querySelector('#view-sidebar a[aria-current]').dataset.view === "mine" &&
				document.querySelector("h1").textContent === %q && document.querySelectorAll("#ticket-list tr[data-row]").length === %d`,
				tr("view.mine"), int(mine)))
			if mine < 2 {
				t.Errorf("mine counts %v, want at least 2", mine)
			}
			for _, key := range []string{"mine", "unassigned", "teams", "escalated", "pending", "solved", "all"} {
				waitFor(t, agent, "sidebar "+key, fmt.Sprintf(`!!document.querySelector('#view-sidebar a[data-view=%q]')`, key))
			}
			fitsWidth(agent, "the list with the sidebar")
			if c.width >= 1280 {
				// The top menu is one line, its links all shown, for the
				// agent and for the admin with the Settings menu.
				for who, ctx := range map[string]context.Context{"agent": agent, "admin": admin} {
					do(t, ctx, "tickets", chromedp.Navigate(srv.url+"/tickets"))
					if got := eval[string](t, ctx, "one line", `(() => {
						const h = document.querySelector("header.top"), nav = document.querySelector(".main-nav");
						const tops = [...h.children].filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect());
						const mid = tops.map(r => r.top + r.height / 2);
						if (Math.max(...mid) - Math.min(...mid) < 12 && nav.scrollWidth <= nav.clientWidth + 1) return "";
						return "nav " + nav.scrollWidth + "/" + nav.clientWidth + ", heights " + mid.join(",") })()`); got != "" {
						t.Errorf("the %s's top menu wraps or is cut at %d px in %s: %s", who, c.width, c.lang, got)
					}
				}
				do(t, admin, "open settings", chromedp.Click(chromedp.CSS(`#settings-menu`)))
				waitFor(t, admin, "settings menu", `document.querySelector("#settings-panel").offsetParent !== null &&
					!!document.querySelector('#settings-panel a[href="/admin/agents"]')`)
				shoot(t, admin, "views-settings-"+name)
			}
			shoot(t, agent, "views-list-"+name)

			// "/" focuses the jump box; a number opens the ticket.
			do(t, agent, "press /", chromedp.KeyEvent("/"))
			waitFor(t, agent, "jump box focused", `document.activeElement && document.activeElement.id === "jump-box"`)
			// CDP sends the key's character as an event of its own, which the
			// page's preventDefault on keydown does not stop (a person's "/"
			// is not typed): clear it.
			eval[bool](t, agent, "clear", `(document.activeElement.value = "", true)`)
			resp, err := chromedp.RunResponse(agent, chromedp.KeyEvent(strconv.FormatInt(first, 10)+"\r"))
			if err != nil || resp.Status != 200 {
				t.Fatalf("jump to %d: %v %v", first, err, resp)
			}
			waitFor(t, agent, "ticket page", fmt.Sprintf(`location.pathname === "/tickets/%d"`, first))

			// Tags without regard to case, saved as a view that the sidebar counts.
			do(t, agent, "filter", chromedp.Navigate(srv.url+"/tickets?view=mine&tag=Vip"))
			waitFor(t, agent, "filtered", `document.querySelectorAll("#ticket-list tr[data-row]").length === 1`)
			do(t, agent, "open the view tools", chromedp.Click(chromedp.CSS(`#view-tools > summary`)))
			view := "VIP " + name
			do(t, agent, "name", chromedp.SetValue(chromedp.CSS(`#view-name`), view))
			submit(t, agent, `#save-view-button`)
			waitFor(t, agent, "saved view", fmt.Sprintf(`document.querySelector("h1").textContent === %q &&
				document.querySelector('#view-sidebar a[aria-current] .count').textContent === "1" &&
				document.querySelector("#flash").textContent === %q`, view, tr("views.flash_saved")))
			fitsWidth(agent, "the saved view")
			shoot(t, agent, "views-saved-"+name)

			// A new ticket moves the count live (debounced), without a reload.
			waitLive(t, agent)
			before := eval[string](t, agent, "mine", `document.querySelector('#view-sidebar a[data-view="mine"] .count').textContent`)
			newTicket(fmt.Sprintf("Live %s %d", name, time.Now().UnixNano()), "")
			waitFor(t, agent, "count moved live", fmt.Sprintf(`window.__sameDocument === true &&
				document.querySelector('#view-sidebar a[data-view="mine"] .count').textContent !== %q`, before))

			// Delete the view.
			eval[bool](t, agent, "the view tools are open on a saved view", `document.querySelector("#view-tools").open`)
			submit(t, agent, `#delete-view`)
			waitFor(t, agent, "view gone", fmt.Sprintf(`document.querySelector("#flash").textContent === %q &&
				![...document.querySelectorAll("#view-sidebar a")].some(a => a.textContent.includes(%q))`, tr("views.flash_deleted"), view))
		})
	}

	// A wide screen: views, the view's tickets and the ticket side by side.
	do(t, agent, "wide", chromedp.EmulateViewport(1440, 900))
	do(t, agent, "list", chromedp.Navigate(srv.url+"/tickets?view=mine"))
	do(t, agent, "ticket", chromedp.Navigate(srv.url+"/tickets/"+strconv.FormatInt(first, 10)))
	waitFor(t, agent, "pane", fmt.Sprintf(`!document.querySelector("#workspace-pane").hidden &&
		!!document.querySelector('#pane-list a[aria-current][href="/tickets/%d"]') &&
		document.querySelector("#pane-list").getBoundingClientRect().right <= document.querySelector(".ticket-page").getBoundingClientRect().left`, first))
	shoot(t, agent, "views-ticket-wide")
}
