package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sahayak/sahayak/internal/i18n"
)

// TestExportProgressJourney: the ticket list's CSV export runs on the page,
// which counts the rows as they stream in against the total the server
// announced, then offers the file; the XLSX export and
// the report's export do the same; closing the panel leads back to the
// list — at desktop and phone width, in English and Hindi.
func TestExportProgressJourney(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium is not installed at " + chromiumPath)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	_, base, pw := serveWithAdmin(t)
	admin := newBrowsers(t).first
	signIn(t, admin, base, "admin@localhost", pw)
	const tickets = 40
	for i := range tickets {
		// Quotes and commas make quoted CSV fields: the page must not miscount.
		api(t, admin, "ticket", "POST", "/api/v1/tickets", fmt.Sprintf(
			`{"subject":"Export \"%d\", please","body":"x","requester":{"email":"c%d@example.com","name":"C"}}`, i, i))
	}
	for _, c := range journeyCases {
		name := c.name()
		tr := func(key string) string { return cat.T(c.lang, key) }
		say := func(key string, done, total int) string {
			return strings.NewReplacer("{done}", fmt.Sprint(done), "{total}", fmt.Sprint(total)).Replace(tr(key))
		}
		t.Run(name, func(t *testing.T) {
			c.prepare(t, base+"/tickets", admin)
			do(t, admin, "all tickets", chromedp.Navigate(base+"/tickets?view=all"))
			waitFor(t, admin, "export script", `document.querySelector("#export-progress")?.dataset.ready === "1"`)

			finished := func(what string, rows, total int) {
				t.Helper()
				waitFor(t, admin, what+" ready", fmt.Sprintf(`(() => { const p = document.querySelector("#export-progress");
					return !p.hidden && p.dataset.rows === %q && p.querySelector(".export-status").textContent === %q &&
						!p.querySelector(".export-save").hidden && p.querySelector(".export-save").href.startsWith("blob:") })()`,
					fmt.Sprint(rows), say("export.done", rows, total)))
				if !eval[bool](t, admin, what+" fits", `document.documentElement.scrollWidth <= innerWidth + 1`) {
					t.Errorf("%s: the page scrolls sideways at %d px", what, c.width)
				}
			}
			// The file offered is the bytes counted (the page's CSP keeps a
			// script from reading a blob: URL back, so its name is checked).
			saved := func(what string) string {
				t.Helper()
				return eval[string](t, admin, what+" file", `document.querySelector("#export-progress .export-save").download`)
			}

			// CSV of the list: every row counted, the file holds them all.
			do(t, admin, "export csv", chromedp.Click(chromedp.CSS(`button[formaction="/tickets/export.csv"]`)))
			finished("tickets csv", tickets, tickets)
			if file := saved("tickets csv"); !strings.HasPrefix(file, "tickets-") || !strings.HasSuffix(file, ".csv") {
				t.Errorf("the saved CSV is %q", file)
			}
			if got := eval[string](t, admin, "location", `location.pathname`); got != "/tickets" {
				t.Errorf("the export left the list for %s", got)
			}
			shoot(t, admin, "export-"+name)
			// The way back: closing the panel leaves the list as it was.
			do(t, admin, "close", chromedp.Click(chromedp.CSS(`#export-progress .export-close`)))
			waitFor(t, admin, "panel closed", `document.querySelector("#export-progress").hidden && !!document.querySelector("#ticket-list")`)

			// XLSX arrives whole: the page says ready with the total.
			do(t, admin, "export xlsx", chromedp.Click(chromedp.CSS(`button[formaction="/tickets/export.xlsx"]`)))
			finished("tickets xlsx", tickets, tickets)
			if file := saved("tickets xlsx"); !strings.HasSuffix(file, ".xlsx") {
				t.Errorf("the saved spreadsheet is %q", file)
			}

			// The report's CSV: the whole and no group, one row.
			do(t, admin, "reports", chromedp.Navigate(base+"/reports"))
			waitFor(t, admin, "export script", `document.querySelector("#export-progress")?.dataset.ready === "1"`)
			do(t, admin, "export report", chromedp.Click(chromedp.CSS(`a[data-export][href^="/reports/export.csv"]`)))
			finished("report csv", 1, 1)
			do(t, admin, "close", chromedp.Click(chromedp.CSS(`#export-progress .export-close`)))
			eval[bool](t, admin, "back", `(() => { document.querySelector('.page-head a[href="/tickets"]').click(); return true })()`)
			waitFor(t, admin, "back on the list", `location.pathname === "/tickets" && !!document.querySelector("#ticket-list")`)
		})
	}
}
