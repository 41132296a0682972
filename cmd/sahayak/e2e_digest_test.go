package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/app/apptest"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/digest"
	"github.com/sahayak/sahayak/internal/i18n"
	"github.com/sahayak/sahayak/internal/report"
)

// tomorrow is the system clock a day ahead: the digest job run "tomorrow"
// mails today, the last whole day by then.
type tomorrow struct{}

func (tomorrow) Now() time.Time { return time.Now().Add(24 * time.Hour) }

// TestDigestJourney: a supervisor creates a daily digest for chosen agents
// on /reports/digests, the digest job runs (directly, a day ahead), and the
// admin finds the mail in the outbox with its numbers and its chart — at
// desktop and phone width, in English and Hindi; the digests page leads
// back to the reports.
func TestDigestJourney(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium is not installed at " + chromiumPath)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, base, pw := serveWithAdmin(t)
	b := newBrowsers(t)
	admin, boss := b.first, b.second
	signIn(t, admin, base, "admin@localhost", pw)
	api(t, admin, "mailbox", "POST", "/api/v1/mailboxes", `{"address":"support@example.com","name":"Support","active":true}`)
	api(t, admin, "supervisor", "POST", "/api/v1/agents", `{"email":"sunita@example.com","name":"Sunita Rao","role":"supervisor","password":"sunita-password-1"}`)
	api(t, admin, "agent", "POST", "/api/v1/agents", `{"email":"ravi@example.com","name":"Ravi Kumar","role":"agent","password":"ravi-password-1"}`)
	for i := range 3 {
		api(t, admin, "ticket", "POST", "/api/v1/tickets", fmt.Sprintf(
			`{"subject":"Digest %d","body":"x","requester":{"email":"c%d@example.com","name":"C"}}`, i, i))
	}
	signIn(t, boss, base, "sunita@example.com", "sunita-password-1")
	// The consumer counts the tickets before the digest is read.
	sys := desk.WithActor(ctx, desk.System)
	for deadline := time.Now().Add(stepTimeout); ; time.Sleep(100 * time.Millisecond) {
		rep, err := a.Reports.KPIs(sys, report.Query{})
		if err == nil && rep.KPIs.Created == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tickets were not counted: %v", err)
		}
	}
	job := digest.New(a.DB, a.Reports, a.Access, a.MailOut, tomorrow{}, slog.New(slog.NewTextHandler(io.Discard, nil)),
		i18n.Builtin().T, base)

	for _, c := range journeyCases {
		name := c.name()
		tr := func(key string, args ...any) string { return cat.T(c.lang, key, args...) }
		t.Run(name, func(t *testing.T) {
			c.prepare(t, base+"/reports", admin, boss)
			fitsWidth := func(ctx context.Context, what string) {
				t.Helper()
				if !eval[bool](t, ctx, what+" fits", `document.documentElement.scrollWidth <= innerWidth + 1`) {
					t.Errorf("%s scrolls sideways at %d px", what, c.width)
				}
			}

			// The supervisor makes a daily digest for herself and Ravi.
			digestName := "Daily " + name
			do(t, boss, "digests page", chromedp.Navigate(base+"/reports/digests"))
			waitFor(t, boss, "digests page", fmt.Sprintf(`document.querySelector("h1").textContent === %q`, tr("digest.title")))
			do(t, boss, "fill the digest",
				chromedp.SetValue(chromedp.CSS(`form[action="/reports/digests"] input[name=name]`), digestName),
				chromedp.SetValue(chromedp.CSS(`form[action="/reports/digests"] select[name=period]`), "daily"))
			eval[bool](t, boss, "choose recipients", `(() => { for (const o of document.querySelectorAll("select[name=recipient_ids] option"))
				o.selected = o.textContent === "Sunita Rao" || o.textContent === "Ravi Kumar"; return true })()`)
			submit(t, boss, `form[action="/reports/digests"] button[type=submit]`)
			waitFor(t, boss, "digest listed", fmt.Sprintf(`[...document.querySelectorAll("ul.digests li")].some(li =>
				li.textContent.includes(%q) && li.textContent.includes("Sunita Rao") && li.textContent.includes("Ravi Kumar") &&
				li.textContent.includes(%q))`, digestName, tr("digest.p_daily")))
			fitsWidth(boss, "the digests page")
			shoot(t, boss, "digests-"+name)

			// The digest job runs: this digest's day goes out, to both.
			if n, err := job.SendDue(sys); err != nil || n < 1 {
				t.Fatalf("digest job: %d sent, %v", n, err)
			}

			// The admin finds Sunita's mail in the outbox, in her language.
			subject := tr("digest.mail_subject", digestName, time.Now().UTC().Format(time.DateOnly)+" – "+time.Now().UTC().Format(time.DateOnly))
			row := fmt.Sprintf(`[...document.querySelectorAll("#outbox tbody tr")].find(r => r.textContent.includes(%q) &&
				r.textContent.includes("sunita@example.com"))`, subject)
			deadline := time.Now().Add(stepTimeout)
			for {
				do(t, admin, "outbox", chromedp.Navigate(base+"/admin/outbox"))
				if eval[bool](t, admin, "mail listed", `!!`+row) || time.Now().After(deadline) {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			waitFor(t, admin, "digest mail in the outbox", `!!`+row)
			fitsWidth(admin, "the outbox")
			href := eval[string](t, admin, "mail link", row+`.querySelector("a").getAttribute("href")`)
			for deadline := time.Now().Add(stepTimeout); ; time.Sleep(200 * time.Millisecond) {
				do(t, admin, "the mail", chromedp.Navigate(base+href))
				if eval[bool](t, admin, "built", `!!document.querySelector("#mail-text")`) || time.Now().After(deadline) {
					break
				}
			}
			// The numbers, as text: three created today.
			waitFor(t, admin, "numbers in the mail", fmt.Sprintf(`document.querySelector("#mail-text").textContent.includes(%q) &&
				document.querySelector("#mail-text").textContent.includes(%q)`, tr("report.created")+": 3", digestName))
			fitsWidth(admin, "the outbox mail")
			shoot(t, admin, "outbox-mail-"+name)
			src := eval[string](t, admin, "mail frame", `document.querySelector("iframe#mail-html").getAttribute("src")`)
			// The mail as it reads: the chart and the table of numbers.
			do(t, admin, "the mail's HTML", chromedp.Navigate(base+src))
			waitFor(t, admin, "chart and numbers", fmt.Sprintf(`!!document.querySelector("svg.chart") &&
				document.querySelectorAll("svg.chart path, svg.chart polyline, svg.chart rect").length > 0 &&
				[...document.querySelectorAll("tr")].some(r => r.querySelector("th")?.textContent === %q && r.querySelector("td")?.textContent === "3") &&
				document.documentElement.lang === %q`, tr("report.created"), c.lang))
			shoot(t, admin, "mail-html-"+name)
			// Way back: the mail leads to the outbox; the digests page to the reports.
			do(t, admin, "back to the mail", chromedp.Navigate(base+href))
			waitFor(t, admin, "outbox link", `document.querySelector("#back").getAttribute("href") === "/admin/outbox"`)
			do(t, boss, "back to the reports", chromedp.Navigate(base+"/reports/digests"))
			eval[bool](t, boss, "follow the way back", `(() => { document.querySelector('.page-head a[href="/reports"]').click(); return true })()`)
			waitFor(t, boss, "reports page", fmt.Sprintf(`location.pathname === "/reports" && document.querySelector("h1")?.textContent === %q`, tr("report.title")))
		})
	}
}

// serveWithAdmin serves a fresh desk in this process (so a test may run its
// jobs directly) and returns it, its base URL and the admin's password.
func serveWithAdmin(t *testing.T) (*app.App, string, string) {
	t.Helper()
	a, addr := apptest.Serve(t, app.Config{DataDir: t.TempDir(), JobPoll: 50 * time.Millisecond})
	var out bytes.Buffer
	if err := a.EnsureAdmin(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	_, pw, _ := strings.Cut(out.String(), "password:")
	pw, _, _ = strings.Cut(strings.TrimSpace(pw), "\n")
	return a, "http://" + addr, strings.TrimSpace(pw)
}

// journeyCase is a width and a language a browser journey runs at.
type journeyCase struct {
	width, height int
	lang          string
}

// journeyCases: desktop and phone, English and Hindi.
var journeyCases = []journeyCase{{1280, 800, "en"}, {390, 844, "en"}, {1280, 800, "hi"}, {390, 844, "hi"}}

func (c journeyCase) name() string { return fmt.Sprintf("%d-%s", c.width, c.lang) }

// prepare sizes each signed-in browser and sets its agent's language, from
// the page at url.
func (c journeyCase) prepare(t *testing.T, url string, browsers ...context.Context) {
	t.Helper()
	for _, ctx := range browsers {
		do(t, ctx, "viewport", chromedp.EmulateViewport(int64(c.width), int64(c.height), chromedp.EmulateMobile))
		do(t, ctx, "start page", chromedp.Navigate(url))
		formPost(t, ctx, "language", "/settings/language", "language="+c.lang)
	}
}
