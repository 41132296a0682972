package portal_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

const chromiumPath = "/usr/bin/chromium"

// TestCustomerJourneyAtPhoneWidth drives a phone-sized browser through
// the portal, in English and in Hindi: ask for a link, follow it from the
// mail, sign in, open a ticket with a file, read the agent's answer and
// reply to it. Every page fits 390 px without sideways scrolling and has a
// way back.
//
// Set SAHAYAK_E2E_SCREENSHOTS to a directory to keep screenshots.
func TestCustomerJourneyAtPhoneWidth(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium is not installed at " + chromiumPath)
	}
	d := newDesk(t, storetest.Backends()[0])
	name, addr, role := "Ravi", "ravi@desk.test", auth.RoleAgent
	agent, err := d.people.CreateAgent(d.sys, people.AgentInput{Name: &name, Email: &addr, Role: &role}, auth.HashPassword)
	if err != nil {
		t.Fatal(err)
	}
	asAgent := desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorAgent, ID: agent.ID, Name: agent.Name,
		Permissions: []string{auth.TicketsRead, auth.TicketsReadAll, auth.TicketsReply}})
	file := filepath.Join(t.TempDir(), "screenshot.txt")
	if err := os.WriteFile(file, []byte("error 42 on checkout"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang, email, subject, reply, answer string
		words                               []string // on the ticket list, in the language
	}{
		{"en", "priya@customer.test", "Checkout fails with error 42", "Please clear the cart and try again.", "Cleared it, works now. Thanks!",
			[]string{"My requests", "Sign out"}},
		{"hi", "amit@customer.test", "भुगतान में त्रुटि 42", "कृपया कार्ट ख़ाली करके फिर कोशिश करें।", "कार्ट ख़ाली किया, अब चल रहा है। धन्यवाद!",
			[]string{"मेरे अनुरोध", "साइन आउट"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			d.contact(tc.lang+" customer", tc.email, nil)
			ctx := newBrowser(t) // its own cookies
			do(t, ctx, "phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(d.url+"/portal"))
			if tc.lang == "hi" {
				do(t, ctx, "switch to Hindi", chromedp.Click(chromedp.CSS("#lang-hi")))
				waitFor(t, ctx, "Hindi front page", `document.documentElement.lang === "hi" && document.body.innerText.includes("साइन-इन लिंक")`)
			}
			fits(t, ctx, "front page")
			shoot(t, ctx, "portal-signin-"+tc.lang)
			do(t, ctx, "ask for a link", chromedp.SetValue(chromedp.CSS("#portal-email"), tc.email))
			submit(t, ctx, "#send-link")
			waitFor(t, ctx, "link sent", `!!document.querySelector("#link-sent")`)

			// The link is read from the mail in the outbox.
			link := linkIn(t, d.signInMails()[0])
			do(t, ctx, "open the mailed link", chromedp.Navigate(d.url+link))
			fits(t, ctx, "link page")
			submit(t, ctx, "#confirm-sign-in")
			waitFor(t, ctx, "my tickets", fmt.Sprintf(`document.body.innerText.includes(%q) && document.body.innerText.includes(%q)`,
				tc.words[0], tc.words[1]))
			fits(t, ctx, "ticket list")

			do(t, ctx, "new ticket form", chromedp.Click(chromedp.CSS("#new-ticket")))
			waitFor(t, ctx, "form", `!!document.querySelector("#portal-subject") && !!document.querySelector("#portal-subject ~ #kb-suggestions")`)
			fits(t, ctx, "new ticket form")
			if !eval[bool](t, ctx, "back link", `!!document.querySelector("#back")`) {
				t.Error("the new-ticket form has no way back")
			}
			do(t, ctx, "fill the form",
				chromedp.SetValue(chromedp.CSS("#portal-subject"), tc.subject),
				chromedp.SetValue(chromedp.CSS("#portal-body"), tc.subject+" — "+tc.email),
				chromedp.SetUploadFiles(chromedp.CSS("#portal-files"), []string{file}),
			)
			shoot(t, ctx, "portal-new-"+tc.lang)
			submit(t, ctx, "#submit-ticket")
			waitFor(t, ctx, "ticket page", `!!document.querySelector("#created-note") && (document.querySelector("#thread") || {innerText: ""}).innerText.includes("screenshot.txt")`)
			id := eval[string](t, ctx, "ticket id", `location.pathname.split("/").pop()`)
			var tk *ticket.Ticket
			page, err := d.tickets.List(d.sys, ticket.Filter{Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range page.Tickets {
				if fmt.Sprint(x.ID) == id {
					tk = x
				}
			}
			if tk == nil || tk.Channel != ticket.ChannelPortal || tk.Subject != tc.subject {
				t.Fatalf("ticket %s: %+v", id, tk)
			}

			// The agent answers through the ticket service.
			if _, err := d.tickets.AddMessage(asAgent, tk.ID, ticket.NewMessage{Body: tc.reply}); err != nil {
				t.Fatal(err)
			}
			do(t, ctx, "reload", chromedp.Reload())
			waitFor(t, ctx, "agent's reply", fmt.Sprintf(`(document.querySelector("#thread") || {innerText: ""}).innerText.includes(%q)`, tc.reply))
			do(t, ctx, "reply", chromedp.SetValue(chromedp.CSS("#reply-body"), tc.answer))
			submit(t, ctx, "#send-reply")
			waitFor(t, ctx, "own reply", fmt.Sprintf(`!!document.querySelector("#replied-note") && (document.querySelector("#thread") || {innerText: ""}).innerText.includes(%q)`, tc.answer))
			fits(t, ctx, "ticket page")
			shoot(t, ctx, "portal-ticket-"+tc.lang)
			msgs, err := d.tickets.Messages(d.sys, tk.ID)
			if err != nil || len(msgs) != 3 || msgs[2].BodyText != tc.answer || msgs[2].AuthorKind != desk.ActorContact {
				t.Fatalf("thread after the journey: %d messages, %v", len(msgs), err)
			}
			do(t, ctx, "back to the list", chromedp.Click(chromedp.CSS("#back")))
			waitFor(t, ctx, "list shows the ticket", fmt.Sprintf(`(document.querySelector("#ticket-list") || {innerText: ""}).innerText.includes(%q)`, tc.subject))
		})
	}
}

// newBrowser starts a headless Chromium for the test.
func newBrowser(t *testing.T) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

const stepTimeout = 20 * time.Second

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, what, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// submit clicks a submit button and waits for the page it leads to.
func submit(t *testing.T, ctx context.Context, button string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(button)))
	if err != nil {
		t.Fatalf("submit %s: %v", button, err)
	}
	if resp.Status >= 400 {
		t.Fatalf("submit %s: status %d\n%s", button, resp.Status, eval[string](t, ctx, "page", `document.body.innerText`))
	}
}

// waitFor polls a JavaScript predicate until it holds or the step times out.
func waitFor(t *testing.T, ctx context.Context, what, predicate string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingInterval(50*time.Millisecond)))
		if err == nil {
			return
		}
		if msg := err.Error(); ctx.Err() == nil && (strings.Contains(msg, "Cannot find context") ||
			strings.Contains(msg, "Execution context was destroyed") || strings.Contains(msg, "navigated or closed")) {
			time.Sleep(50 * time.Millisecond) // the page navigated under the predicate: ask the new one
			continue
		}
		body, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.body.innerText.slice(0, 2000)`))
		t.Fatalf("waiting for %s: %v\npage:\n%s", what, err, body)
	}
}

// fits checks that a page needs no sideways scrolling at its width.
func fits(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if !eval[bool](t, ctx, what+" width", `document.documentElement.scrollWidth <= window.innerWidth`) {
		w := eval[float64](t, ctx, "width", `document.documentElement.scrollWidth`)
		t.Errorf("%s is %.0f px wide at a 390 px phone", what, w)
	}
}

// shoot saves a screenshot when SAHAYAK_E2E_SCREENSHOTS names a directory.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SAHAYAK_E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
