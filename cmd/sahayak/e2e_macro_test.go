package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestMacroInBrowser: the admin makes a shared macro on the Macros page,
// opens a ticket, presses "m", types to find the macro, previews its reply
// (rendered for this ticket) and applies it; the reply and the macro's tag
// are on the ticket afterwards.
func TestMacroInBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium is not installed at " + chromiumPath)
	}
	srv := startServer(t)
	b := newBrowsers(t)
	admin := b.first
	signIn(t, admin, srv.url, "admin@localhost", srv.password)
	subject := fmt.Sprintf("Refund for order %d", time.Now().UnixNano())

	do(t, admin, "fill new ticket",
		chromedp.Navigate(srv.url+"/tickets/new"),
		chromedp.SetValue(chromedp.CSS(`#new-ticket input[name=email]`), "meera@example.com"),
		chromedp.SetValue(chromedp.CSS(`#new-ticket input[name=name]`), "Meera"),
		chromedp.SetValue(chromedp.CSS(`#new-ticket input[name=subject]`), subject),
		chromedp.SetValue(chromedp.CSS(`#new-ticket textarea[name=body]`), "Please refund me."),
	)
	submit(t, admin, `#new-ticket button[type=submit]`)
	waitFor(t, admin, "ticket page", `!!document.getElementById("composer")`)
	ticketURL := eval[string](t, admin, "ticket url", `location.href`)

	do(t, admin, "fill new macro",
		chromedp.Navigate(srv.url+"/macros"),
		chromedp.SetValue(chromedp.CSS(`#new-macro input[name=name]`), "Refund issued"),
		chromedp.SetValue(chromedp.CSS(`#new-macro select[name=scope]`), "shared"),
		chromedp.SetValue(chromedp.CSS(`#new-macro textarea[name=reply]`), "Namaste {{ticket.requester.name}}, your refund is on its way."),
		chromedp.SetValue(chromedp.CSS(`#new-macro input[name=tags]`), "refund"),
	)
	submit(t, admin, `#new-macro button[type=submit]`)
	waitFor(t, admin, "macro listed", `document.body.innerText.includes("Refund issued")`)

	do(t, admin, "open the ticket", chromedp.Navigate(ticketURL))
	waitFor(t, admin, "picker", `!!document.getElementById("macro-search")`)
	// "m" anywhere on the page goes to the picker's search.
	do(t, admin, "press m", chromedp.KeyEvent("m"))
	waitFor(t, admin, "search focused", `document.activeElement && document.activeElement.id === "macro-search"`)
	// chromedp sends the key's character apart from its keydown, so the
	// "m" lands in the box that a real browser's preventDefault keeps empty.
	eval[string](t, admin, "clear the search", `document.getElementById("macro-search").value = ""`)
	do(t, admin, "type to filter", chromedp.SendKeys(chromedp.CSS(`#macro-search`), "refund"))
	do(t, admin, "choose", chromedp.KeyEvent("\r"))
	waitFor(t, admin, "preview", `!document.getElementById("macro-preview").hidden`)
	got := eval[string](t, admin, "preview text", `document.getElementById("macro-preview-reply").textContent`)
	if want := "Namaste Meera, your refund is on its way."; got != want {
		t.Fatalf("preview = %q, want %q", got, want)
	}
	if n := eval[int](t, admin, "thread", `document.querySelectorAll("#thread .message").length`); n != 1 {
		t.Fatalf("the preview sent something: %d messages", n)
	}
	shoot(t, admin, "macro-preview-1280")
	do(t, admin, "apply", chromedp.Click(chromedp.CSS(`#macro-apply`)))
	// Applying reloads the page; let the reload start before looking.
	time.Sleep(1500 * time.Millisecond)
	waitFor(t, admin, "reply in the thread", `[...document.querySelectorAll("#thread .message")].some(m => m.innerText.includes("your refund is on its way"))`)
	tags := eval[string](t, admin, "tags", `document.querySelector("#properties input[name=tags]").value`)
	if !strings.Contains(tags, "refund") {
		t.Errorf("tags after the macro: %q", tags)
	}
}
