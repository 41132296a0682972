package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sahayak/sahayak/internal/i18n"
)

// TestTicketPageJourneys drives the ticket page in Chromium at desktop and
// phone width, in English and in Hindi: reply and set a status in one step,
// attach files by dropping and pasting them and send with Ctrl+Enter, add a
// note (the button says so), escalate a ticket out of one's own sight and
// land back on one's view with a message, merge through the picker and its
// confirmation, and see a colleague's conflicting change named on a stale
// form. Each save must end in the success (or conflict) message in the
// agent's language, and nothing may scroll sideways at phone width.
func TestTicketPageJourneys(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium is not installed at " + chromiumPath)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	srv := startServer(t)
	b := newBrowsers(t)
	admin, agent := b.first, b.second
	signIn(t, admin, srv.url, "admin@localhost", srv.password)

	// The cast, made through the API from the admin's browser session.
	const pw = "journey-password-1"
	people := map[string]int64{}
	for _, lang := range []string{"en", "hi"} {
		for _, p := range []struct{ name, role string }{{"ravi", "agent"}, {"lena", "team_lead"}} {
			email := p.name + "." + lang + "@example.com"
			res := apiCall(t, admin, "POST", "/api/v1/agents", map[string]any{"name": strings.ToUpper(p.name[:1]) + p.name[1:] + " " + lang,
				"email": email, "role": p.role, "password": pw, "language": lang})
			people[p.name+"."+lang] = res.id("id")
		}
	}
	front := apiCall(t, admin, "POST", "/api/v1/teams", map[string]any{"name": "Frontline", "tier": 1,
		"member_ids": []int64{people["ravi.en"], people["ravi.hi"], people["lena.en"], people["lena.hi"]}}).id("id")
	specialists := apiCall(t, admin, "POST", "/api/v1/teams", map[string]any{"name": "Specialists", "tier": 2}).id("id")
	seq := 0
	newTicket := func(subject string) int64 {
		seq++
		return apiCall(t, admin, "POST", "/api/v1/tickets", map[string]any{"subject": fmt.Sprintf("%s %d", subject, seq),
			"body": "Please help.", "team_id": front, "requester": map[string]any{"email": "kavya@customer.example", "name": "Kavya"}}).id("id")
	}
	subjectOf := func(n int64) string {
		return apiCall(t, admin, "GET", fmt.Sprintf("/api/v1/tickets/%d", n), nil).str("subject")
	}

	for _, lang := range []string{"en", "hi"} {
		tr := func(key string, args ...any) string { return cat.T(lang, key, args...) }
		for _, width := range []int64{1280, 390} {
			name := fmt.Sprintf("%s-%d", lang, width)
			t.Run(name, func(t *testing.T) {
				do(t, agent, "viewport", chromedp.EmulateViewport(width, 860))
				signIn(t, agent, srv.url, "lena."+lang+"@example.com", pw)
				open := func(n int64) {
					do(t, agent, "open ticket", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", srv.url, n)))
					waitFor(t, agent, "ticket page", `!!document.querySelector("[data-ticket-page]")`)
				}
				fits := func(what string) {
					if width < 800 && !eval[bool](t, agent, "width", `document.documentElement.scrollWidth <= innerWidth`) {
						t.Errorf("%s scrolls sideways at %d px", what, width)
					}
				}

				// Send and set status: one click replies and moves the ticket on.
				n := newTicket("Send and set")
				open(n)
				fits("the ticket page")
				do(t, agent, "write reply", chromedp.SetValue(chromedp.CSS(`#composer-body`), "We shipped the part."))
				submit(t, agent, `#send-status button[data-send-status="pending"]`)
				waitFor(t, agent, "reply sent, status pending", fmt.Sprintf(`document.querySelector("#flash").textContent.includes(%q) &&
					document.querySelector("#ticket-summary .pill").classList.contains("st-pending") &&
					document.querySelector("#thread").textContent.includes("We shipped the part.")`, tr("ticketpage.flash_sent_status", tr("status.pending"))))
				shoot(t, agent, "ticket-send-status-"+name)

				// Files dropped and pasted into the composer, sent with Ctrl+Enter.
				n = newTicket("Attachments")
				open(n)
				do(t, agent, "write reply", chromedp.SetValue(chromedp.CSS(`#composer-body`), "Logs attached."))
				if got := eval[int](t, agent, "drop and paste", `(() => {
					const drop = new DataTransfer();
					drop.items.add(new File(["paper jam at tray 2"], "drop.txt", {type: "text/plain"}));
					document.querySelector("#composer-drop").dispatchEvent(new DragEvent("drop", {dataTransfer: drop, bubbles: true, cancelable: true}));
					const clip = new DataTransfer();
					clip.items.add(new File([new Uint8Array([137, 80, 78, 71])], "paste.png", {type: "image/png"}));
					document.querySelector("#composer-body").dispatchEvent(new ClipboardEvent("paste", {clipboardData: clip, bubbles: true, cancelable: true}));
					return document.querySelector("#composer-files").files.length })()`); got != 2 {
					t.Fatalf("the composer holds %d files after a drop and a paste, want 2", got)
				}
				waitFor(t, agent, "files listed", `document.querySelector("#composer-file-list").textContent.includes("drop.txt") &&
					document.querySelector("#composer-file-list").textContent.includes("paste.png")`)
				shoot(t, agent, "ticket-files-"+name)
				keySubmit(t, agent, `#composer-body`)
				waitFor(t, agent, "reply with files", fmt.Sprintf(`document.querySelector("#flash").textContent.includes(%q) &&
					[...document.querySelectorAll("#thread .attachments li")].map(li => li.textContent).join(" ").includes("drop.txt") &&
					[...document.querySelectorAll("#thread .attachments li")].map(li => li.textContent).join(" ").includes("paste.png")`, tr("ticketpage.flash_sent")))

				// A note is added, not sent, and offers no status buttons.
				do(t, agent, "choose note", chromedp.Click(chromedp.CSS(`#composer input[name=internal][value="true"]`)))
				waitFor(t, agent, "note mode", fmt.Sprintf(`document.querySelector("#composer-send").textContent === %q &&
					document.querySelector("#send-status").hidden`, tr("ticketpage.add_note")))
				do(t, agent, "write note", chromedp.SetValue(chromedp.CSS(`#composer-body`), "Customer on the gold plan."))
				keySubmit(t, agent, `#composer-body`)
				waitFor(t, agent, "note added", fmt.Sprintf(`document.querySelector("#flash").textContent.includes(%q) &&
					document.querySelector("#thread .message.note:last-child").textContent.includes("Customer on the gold plan.")`, tr("ticketpage.flash_note_added")))

				// Merge through the picker and its confirmation.
				src, dst := newTicket("Cannot sign in"), newTicket("Sign-in broken")
				dstSubject := subjectOf(dst)
				open(src)
				pick := fmt.Sprintf("#%d %s", dst, dstSubject)
				if !eval[bool](t, agent, "picker offers the other ticket", fmt.Sprintf(
					`[...document.querySelectorAll("#merge-candidates option")].some(o => o.value === %q)`, pick)) {
					t.Fatalf("the merge picker does not offer %q", pick)
				}
				do(t, agent, "pick", chromedp.SetValue(chromedp.CSS(`#merge input[name=into]`), pick))
				submit(t, agent, `#merge button[type=submit]`)
				waitFor(t, agent, "confirmation with both tickets", fmt.Sprintf(`document.querySelector("#merge-confirm").textContent.includes(%q) &&
					document.querySelector("#merge-confirm").textContent.includes(%q)`, subjectOf(src), dstSubject))
				fits("the merge confirmation")
				shoot(t, agent, "ticket-merge-confirm-"+name)
				submit(t, agent, `#merge-confirm-form button[type=submit]`)
				waitFor(t, agent, "merged", fmt.Sprintf(`location.pathname === "/tickets/%d" && document.querySelector("#flash").textContent.includes(%q)`,
					dst, tr("ticketpage.flash_merged", fmt.Sprint(src), fmt.Sprint(dst))))
				open(src)
				waitFor(t, agent, "merged ticket points on, offers nothing that fails", fmt.Sprintf(
					`!!document.querySelector("#merged-banner a[href='/tickets/%d']") && !document.querySelector("#composer") &&
					!document.querySelector("#escalate") && !document.querySelector("#merge") && !document.querySelector("#properties button[type=submit]")`, dst))

				// A stale properties form: a colleague's change to the same field is named.
				n = newTicket("Stale form")
				open(n)
				eval[bool](t, agent, "choose high", `(() => { const s = document.querySelector("#properties select[name=priority]"); s.value = "high";
					s.dispatchEvent(new Event("change", {bubbles: true})); return true })()`)
				apiCall(t, admin, "PATCH", fmt.Sprintf("/api/v1/tickets/%d", n), map[string]any{"priority": "urgent"})
				submitAny(t, agent, `#properties button[type=submit]`)
				waitFor(t, agent, "conflict named", fmt.Sprintf(`document.querySelector("#conflict").textContent.includes("Administrator") &&
					document.querySelector("#conflict").textContent.includes(%q) && document.querySelector("#flash").classList.contains("fail")`,
					tr("priority.urgent")))
				fits("the conflict")
				shoot(t, agent, "ticket-conflict-"+name)

				// Escalating out of one's teams leads back to one's view, told so.
				signIn(t, agent, srv.url, "ravi."+lang+"@example.com", pw)
				n = newTicket("Escalate away")
				open(n)
				do(t, agent, "choose team", chromedp.SetValue(chromedp.CSS(`#escalate select[name=team_id]`), fmt.Sprint(specialists)),
					chromedp.SetValue(chromedp.CSS(`#escalate input[name=reason]`), "Needs a specialist"))
				if eval[bool](t, agent, "only higher tiers", `[...document.querySelectorAll("#escalate option")].some(o => o.textContent.includes("Frontline"))`) {
					t.Error("escalation offers the ticket's own tier")
				}
				submit(t, agent, `#escalate button[type=submit]`)
				waitFor(t, agent, "back on the view", fmt.Sprintf(`location.pathname === "/tickets" && document.querySelector("#flash").textContent.includes(%q)`,
					tr("ticketpage.flash_escalated_away", fmt.Sprint(n), "Specialists")))
				fits("the view after escalating")
				shoot(t, agent, "escalated-away-"+name)
			})
		}
	}
	t.Logf("ticket page journeys took %s", time.Since(started).Round(time.Millisecond))
}

// apiAnswer is a JSON API answer read in the browser.
type apiAnswer struct {
	Status int            `json:"status"`
	Body   map[string]any `json:"body"`
}

func (a apiAnswer) id(key string) int64 { f, _ := a.Body[key].(float64); return int64(f) }
func (a apiAnswer) str(key string) string {
	s, _ := a.Body[key].(string)
	return s
}

// apiCall sends a JSON API request from a signed-in browser page (the
// session cookie and its CSRF secret), failing the test on an error answer.
func apiCall(t *testing.T, ctx context.Context, method, path string, body any) apiAnswer {
	t.Helper()
	raw := "null"
	if body != nil {
		j, _ := json.Marshal(body)
		raw = string(j)
	}
	cctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	out, err := chromedp.Run(cctx, chromedp.Evaluate[string](fmt.Sprintf(`(async () => {
		const body = %s;
		const r = await fetch(%q, {method: %q, credentials: "same-origin", headers: {"Content-Type": "application/json",
			"Accept": "application/json", "X-CSRF-Token": document.body.dataset.csrf}, body: body === null ? undefined : JSON.stringify(body)});
		return JSON.stringify({status: r.status, body: await r.json().catch(() => null)}) })()`, raw, path, method), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	var a apiAnswer
	if err := json.Unmarshal([]byte(out), &a); err != nil || a.Status >= 400 {
		t.Fatalf("%s %s: %s", method, path, out)
	}
	return a
}

// keySubmit presses Ctrl+Enter in a field and waits for the page it leads to.
func keySubmit(t *testing.T, ctx context.Context, field string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Focus(chromedp.CSS(field)),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	if err != nil {
		t.Fatalf("Ctrl+Enter in %s: %v", field, err)
	}
	if resp.Status >= 400 {
		t.Fatalf("Ctrl+Enter in %s: status %d", field, resp.Status)
	}
}

// submitAny clicks a submit button and waits for the page, whatever its status.
func submitAny(t *testing.T, ctx context.Context, button string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(button))); err != nil {
		t.Fatalf("submit %s: %v", button, err)
	}
}
