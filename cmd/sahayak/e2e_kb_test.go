package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestKnowledgeBaseInBrowser: the admin keeps the knowledge base on its
// pages — a category and section, an article written and published in
// English, its Hindi version written and published — and inserts its link
// into a reply from the ticket page's suggestions; a reader with no
// account, at phone width, finds it from /kb in Hindi, switches to English
// and says it helped.
func TestKnowledgeBaseInBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium is not installed at " + chromiumPath)
	}
	srv := startServer(t)
	b := newBrowsers(t)
	admin, reader := b.first, b.second
	signIn(t, admin, srv.url, "admin@localhost", srv.password)

	do(t, admin, "knowledge base page", chromedp.Navigate(srv.url+"/admin/kb"),
		chromedp.SetValue(chromedp.CSS(`#kb-new-category input[name=name]`), "Billing"),
		chromedp.SetValue(chromedp.CSS(`#kb-new-category input[name=name_hi]`), "बिलिंग"))
	submit(t, admin, `#kb-new-category button[type=submit]`)
	do(t, admin, "section", chromedp.SetValue(chromedp.CSS(`#kb-new-section input[name=name]`), "Invoices"),
		chromedp.SetValue(chromedp.CSS(`#kb-new-section input[name=name_hi]`), "चालान"))
	submit(t, admin, `#kb-new-section button[type=submit]`)

	do(t, admin, "new article", chromedp.Navigate(srv.url+"/admin/kb/articles/new"),
		chromedp.SetValue(chromedp.CSS(`#kb-title`), "Download an invoice"),
		chromedp.SetValue(chromedp.CSS(`#kb-body`), "Open **Billing**, then *Invoices*, and press Download.\n\n<script>alert(1)</script>"))
	submit(t, admin, `#kb-save`)
	waitFor(t, admin, "the draft", `!!document.getElementById("kb-publish") && document.getElementById("kb-state").innerText.includes("Draft")`)
	submit(t, admin, `#kb-publish`)
	waitFor(t, admin, "published", `document.getElementById("kb-state").innerText.includes("version 1")`)

	do(t, admin, "its Hindi version", chromedp.Click(chromedp.CSS(`#kb-translate`)))
	waitFor(t, admin, "the translation form", `!!document.querySelector('#kb-editor input[name=translation_of]')`)
	do(t, admin, "write it", chromedp.SetValue(chromedp.CSS(`#kb-title`), "चालान डाउनलोड करें"),
		chromedp.SetValue(chromedp.CSS(`#kb-body`), "**बिलिंग** खोलें, फिर *चालान*, और डाउनलोड दबाएँ।"))
	submit(t, admin, `#kb-save`)
	waitFor(t, admin, "the Hindi draft", `!!document.getElementById("kb-publish")`)
	submit(t, admin, `#kb-publish`)
	waitFor(t, admin, "Hindi published", `document.getElementById("kb-state").innerText.includes("version 1")`)

	// A reader with no account, at phone width, in Hindi.
	do(t, reader, "help center", chromedp.EmulateViewport(390, 800), chromedp.Navigate(srv.url+"/kb?lang=hi"))
	waitFor(t, reader, "Hindi home", `document.documentElement.lang === "hi" && document.body.innerText.includes("बिलिंग")`)
	shoot(t, reader, "kb-home-390")
	if w := eval[int](t, reader, "no sideways scroll", `document.documentElement.scrollWidth`); w > 390 {
		t.Fatalf("the home is %d px wide at 390", w)
	}
	do(t, reader, "the section", chromedp.Click(chromedp.CSS(`.kb-category a[href^="/kb/sections/"]`)))
	waitFor(t, reader, "the Hindi article listed", `document.body.innerText.includes("चालान डाउनलोड करें")`)
	do(t, reader, "open it", chromedp.Click(chromedp.CSS(`.kb-articles a`)))
	waitFor(t, reader, "the Hindi article", `!!document.getElementById("kb-article") && document.body.innerText.includes("बिलिंग")`)
	do(t, reader, "switch to English", chromedp.Click(chromedp.CSS(`#kb-translations a[data-translation=en]`)))
	waitFor(t, reader, "the English article", `(document.getElementById("kb-article-title") || {}).innerText === "Download an invoice"`)
	if n := eval[int](t, reader, "no script", `document.querySelectorAll("#kb-article script").length`); n != 0 {
		t.Fatalf("the article kept %d scripts", n)
	}
	if !eval[bool](t, reader, "way back", `!!document.getElementById("kb-back") && !!document.getElementById("kb-crumbs")`) {
		t.Fatal("no way back from the article")
	}
	do(t, reader, "helpful", chromedp.Click(chromedp.CSS(`#kb-vote input[value=yes]`)),
		chromedp.SetValue(chromedp.CSS(`#kb-vote textarea[name=comment]`), "Found it."))
	shoot(t, reader, "kb-article-390")
	submit(t, reader, `#kb-vote button[type=submit]`)
	waitFor(t, reader, "thanks", `!!document.getElementById("kb-thanks")`)
	a := apiCall(t, admin, "GET", "/api/v1/kb/articles/1", nil)
	if a.Body["helpful_yes"] != float64(1) {
		t.Fatalf("the vote was not counted: %v", a.Body)
	}

	// The agent's ticket page suggests the article and inserts its link.
	tk := apiCall(t, admin, "POST", "/api/v1/tickets", map[string]any{"subject": "Cannot download my invoice",
		"requester": map[string]any{"email": "meera@example.com", "name": "Meera"}, "body": "Where is it?"}).id("id")
	deadline := time.Now().Add(stepTimeout)
	for {
		s := apiCall(t, admin, "GET", "/kb/suggest?q=invoice", nil)
		if list, _ := s.Body["suggestions"].([]any); len(list) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	do(t, admin, "ticket page", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", srv.url, tk)))
	waitFor(t, admin, "suggestions", `!!document.querySelector('#kb-panel [data-kb-insert]')`)
	do(t, admin, "insert the link", chromedp.Click(chromedp.CSS(`#kb-panel [data-kb-insert]`)))
	body := eval[string](t, admin, "composer", `document.getElementById("composer-body").value`)
	if !strings.Contains(body, "Download an invoice: "+srv.url+"/kb/articles/1") {
		t.Fatalf("the composer holds %q", body)
	}
}
