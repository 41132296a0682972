package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// TestAgentAppInBrowser runs the real binary and drives two signed-in
// browsers through the agent web app: a ticket created on the New ticket
// page appears live on the other agent's view, a reply appears live on the
// other agent's open ticket (with the "is replying" notice first), and the
// app speaks Hindi once the agent chooses it.
//
// Set SAHAYAK_E2E_SCREENSHOTS to a directory to keep screenshots of the
// pages at desktop and phone width.
func TestAgentAppInBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium is not installed at " + chromiumPath)
	}
	started := time.Now()
	srv := startServer(t)
	b := newBrowsers(t)
	subject := fmt.Sprintf("Printer on fire %d", time.Now().UnixNano())
	reply := "We are sending a technician today."

	// The admin signs in and creates a second agent on the admin page.
	admin, other := b.first, b.second
	signIn(t, admin, srv.url, "admin@localhost", srv.password)
	do(t, admin, "create agent",
		chromedp.Navigate(srv.url+"/admin/agents"),
		chromedp.SetValue(chromedp.CSS(`#new-agent input[name=name]`), "Ravi Kumar"),
		chromedp.SetValue(chromedp.CSS(`#new-agent input[name=email]`), "ravi@example.com"),
		chromedp.SetValue(chromedp.CSS(`#new-agent input[name=password]`), "ravi-password-1"),
	)
	submit(t, admin, `#new-agent button[type=submit]`)
	waitFor(t, admin, "agent listed", `[...document.querySelectorAll("input[name=email]")].some(i => i.value === "ravi@example.com")`)

	// The second agent watches the Unassigned view.
	signIn(t, other, srv.url, "ravi@example.com", "ravi-password-1")
	do(t, other, "open unassigned view", chromedp.Navigate(srv.url+"/tickets?view=unassigned"))
	waitLive(t, other)
	shoot(t, other, "view-empty-1280")

	// The admin creates a ticket through the New ticket page...
	do(t, admin, "fill new ticket",
		chromedp.Navigate(srv.url+"/tickets/new"),
		chromedp.SetValue(chromedp.CSS(`#new-ticket input[name=email]`), "meera@example.com"),
		chromedp.SetValue(chromedp.CSS(`#new-ticket input[name=name]`), "Meera"),
		chromedp.SetValue(chromedp.CSS(`#new-ticket input[name=subject]`), subject),
		chromedp.SetValue(chromedp.CSS(`#new-ticket textarea[name=body]`), "The office printer is smoking."),
	)
	submit(t, admin, `#new-ticket button[type=submit]`)
	waitFor(t, admin, "ticket page", fmt.Sprintf(`!!document.querySelector("[data-ticket-page]") && document.querySelector("h1").textContent.includes(%q)`, subject))

	// ...and it appears on the other agent's view without a reload.
	waitFor(t, other, "new ticket live in the view", fmt.Sprintf(
		`document.querySelector("#ticket-list").textContent.includes(%q) && window.__sameDocument === true`, subject))
	shoot(t, other, "view-live-1280")

	// Keyboard: j selects the first row, ? opens the shortcut help.
	do(t, other, "press j and ?", chromedp.KeyEvent("j?"))
	waitFor(t, other, "row selected and help shown", `!!document.querySelector("tr.selected") && !document.querySelector("#help").hidden`)
	shoot(t, other, "help-1280")
	do(t, other, "close help", chromedp.Click(chromedp.CSS("[data-help-close]")))

	// The other agent opens the ticket; the admin types and then replies.
	href := eval[string](t, other, "ticket link", fmt.Sprintf(
		`[...document.querySelectorAll("#ticket-list tr[data-row]")].find(r => r.textContent.includes(%q)).dataset.href`, subject))
	do(t, other, "open ticket", chromedp.Navigate(srv.url+href))
	waitLive(t, other)
	do(t, admin, "start typing", chromedp.SendKeys(chromedp.CSS(`#composer-body`), "We are "))
	waitFor(t, other, "replying notice", `!document.querySelector("#replying").hidden && document.querySelector("#replying").textContent.includes("Administrator")`)
	do(t, admin, "finish typing", chromedp.SendKeys(chromedp.CSS(`#composer-body`), strings.TrimPrefix(reply, "We are ")))
	submit(t, admin, `#composer-send`)
	waitFor(t, admin, "reply in own thread", fmt.Sprintf(`document.querySelector("#thread").textContent.includes(%q)`, reply))
	waitFor(t, other, "reply live in the thread", fmt.Sprintf(
		`document.querySelector("#thread .message.reply:last-child").textContent.includes(%q) && window.__sameDocument === true`, reply))
	shoot(t, other, "ticket-live-1280")

	// A stale properties form keeps a colleague's change (security finding
	// 4): the other agent picks a status (the form is dirty now, so live
	// updates leave it as it was rendered), the admin raises the priority
	// meanwhile, and the other agent's save changes the status only.
	choose := func(field, value string) string {
		return fmt.Sprintf(`(() => { const s = document.querySelector("#properties select[name=%s]"); s.value = %q;
			s.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, field, value)
	}
	eval[bool](t, other, "choose pending", choose("status", "pending"))
	do(t, admin, "open the ticket", chromedp.Navigate(srv.url+href))
	eval[bool](t, admin, "choose urgent", choose("priority", "urgent"))
	submit(t, admin, `#properties button[type=submit]`)
	waitFor(t, admin, "urgent saved", `document.querySelector("#properties select[name=priority]").value === "urgent"`)
	if got := eval[string](t, other, "stale form", `document.querySelector("#properties select[name=priority]").value`); got != "normal" {
		t.Fatalf("the other agent's dirty form was refreshed (priority %q); the scenario needs a stale form", got)
	}
	submit(t, other, `#properties button[type=submit]`)
	waitFor(t, other, "status saved, priority kept", `document.querySelector("#properties select[name=status]").value === "pending" &&
		document.querySelector("#properties select[name=priority]").value === "urgent"`)
	do(t, other, "phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	shoot(t, other, "ticket-390")
	do(t, other, "phone view", chromedp.Navigate(srv.url+"/tickets?view=all"))
	shoot(t, other, "view-390")

	// The admin switches to Hindi; pages render in Devanagari.
	do(t, admin, "choose Hindi",
		chromedp.Navigate(srv.url+"/settings"),
		chromedp.Click(chromedp.CSS(`#language-form input[value=hi]`)),
	)
	submit(t, admin, `#language-save`)
	waitFor(t, admin, "Hindi settings", `document.documentElement.lang === "hi" && document.querySelector("h1").textContent === "सेटिंग्स"`)
	do(t, admin, "Hindi ticket", chromedp.Navigate(srv.url+href))
	waitFor(t, admin, "Hindi ticket page", `document.body.textContent.includes("सार्वजनिक उत्तर") && document.body.textContent.includes("इतिहास")`)
	shoot(t, admin, "ticket-hi-1280")

	// Admin tables fold into labelled rows at phone width, as lists do.
	do(t, admin, "admin at phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(srv.url+"/admin/agents"))
	if !eval[bool](t, admin, "agent inputs fit", `[...document.querySelectorAll("table.admin input:not([type=checkbox]):not([type=hidden]), table.admin select")]
		.every(e => { const r = e.getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth && r.width >= 150 })`) {
		t.Error("at 390px the agents table squeezes or hides its inputs")
	}
	shoot(t, admin, "admin-agents-390")
	t.Logf("browser scenario took %s", time.Since(started).Round(time.Millisecond))
}

type server struct {
	url, password string
}

// startServer builds the binary, starts it on a free port with a fresh data
// directory, and reads the address and the admin password it prints.
func startServer(t *testing.T) server {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(sahayakBinary(t), "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("server log:\n%s", stderr.String())
		}
	})
	found := make(chan server, 1)
	go func() {
		var s server
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if pw, ok := strings.CutPrefix(strings.TrimSpace(line), "password:"); ok {
				s.password = strings.TrimSpace(pw)
			}
			if rest, ok := strings.CutPrefix(line, "sahayak: serving on "); ok {
				s.url, _, _ = strings.Cut(rest, " ")
				found <- s
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-found:
		if s.password == "" {
			t.Fatal("the server printed no admin password")
		}
		return s
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not say where it serves; stderr:\n%s", stderr.String())
	}
	return server{}
}

type browsers struct {
	first, second context.Context
}

// newBrowsers starts one headless Chromium with two separate browser
// contexts, so the two agents have separate cookies and sessions.
func newBrowsers(t *testing.T) browsers {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	first, cancelFirst := chromedp.NewContext(alloc)
	if err := chromedp.Do(first, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	second, cancelSecond := chromedp.NewContext(first, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(second, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("second browser context: %v", err)
	}
	t.Cleanup(func() { cancelSecond(); cancelFirst() })
	return browsers{first: first, second: second}
}

const stepTimeout = 15 * time.Second

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
		body := eval[string](t, ctx, "error page", `document.body.innerText`)
		t.Fatalf("submit %s: status %d\n%s", button, resp.Status, body)
	}
}

// waitFor polls a JavaScript predicate until it holds or the step times out.
func waitFor(t *testing.T, ctx context.Context, what, predicate string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate,
			chromedp.WithPollingInterval(50*time.Millisecond)))
		if err == nil {
			return
		}
		if pageReplaced(err) && ctx.Err() == nil {
			// The page navigated or reloaded while the predicate ran (a
			// live update may reload it): ask the new page.
			time.Sleep(50 * time.Millisecond)
			continue
		}
		body, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.body.innerText.slice(0, 2000)`))
		t.Fatalf("waiting for %s: %v\npage:\n%s", what, err, body)
	}
}

// pageReplaced reports whether a script failed because its page went away
// under it (a navigation or reload destroyed its execution context).
func pageReplaced(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Cannot find context with specified id") ||
		strings.Contains(msg, "Execution context was destroyed") || strings.Contains(msg, "Inspected target navigated or closed")
}

// waitLive waits until the page's event stream is connected and marks the
// document, so that a later check can tell a live update from a reload.
func waitLive(t *testing.T, ctx context.Context) {
	t.Helper()
	waitFor(t, ctx, "live connection", `document.body.dataset.live === "connected"`)
	eval[bool](t, ctx, "mark document", `window.__sameDocument = true`)
}

func signIn(t *testing.T, ctx context.Context, base, email, password string) {
	t.Helper()
	do(t, ctx, "sign-in page",
		chromedp.Navigate(base+"/login"),
		chromedp.SetValue(chromedp.CSS(`input[name=email]`), email),
		chromedp.SetValue(chromedp.CSS(`input[name=password]`), password),
	)
	submit(t, ctx, `button[type=submit]`)
	waitFor(t, ctx, "signed in", `!!document.querySelector("header.top")`)
}

// shoot saves a screenshot when SAHAYAK_E2E_SCREENSHOTS names a directory.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SAHAYAK_E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
