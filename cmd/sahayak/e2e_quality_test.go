package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestReviewInBrowser: the admin makes a scorecard on its page and reviews
// an agent's ticket from the ticket's review form; the agent, in another
// browser, finds the review and disputes it with a reason.
func TestReviewInBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium is not installed at " + chromiumPath)
	}
	srv := startServer(t)
	b := newBrowsers(t)
	admin, agent := b.first, b.second
	signIn(t, admin, srv.url, "admin@localhost", srv.password)
	const password = "a long enough passphrase 42"
	ravi := apiCall(t, admin, "POST", "/api/v1/agents", map[string]any{"email": "ravi@example.com", "name": "Ravi",
		"role": "agent", "password": password}).id("id")
	tk := apiCall(t, admin, "POST", "/api/v1/tickets", map[string]any{"subject": "Card declined",
		"requester": map[string]any{"email": "meera@example.com", "name": "Meera"}, "body": "My card was declined.",
		"assignee_id": ravi}).id("id")

	do(t, admin, "new scorecard", chromedp.Navigate(srv.url+"/scorecards"),
		chromedp.SetValue(chromedp.CSS(`#new-scorecard input[name=name]`), "Chat QA"))
	submit(t, admin, `#new-scorecard button[type=submit]`)
	waitFor(t, admin, "scorecard page", `document.body.innerText.includes("Chat QA")`)

	do(t, admin, "review form", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d/review", srv.url, tk)),
		chromedp.SetValue(chromedp.CSS(`#new-review select[name="answer.greeting"]`), "yes"),
		chromedp.SetValue(chromedp.CSS(`#new-review select[name="answer.correct"]`), "4"),
		chromedp.SetValue(chromedp.CSS(`#new-review select[name="answer.privacy"]`), "yes"),
		chromedp.SetValue(chromedp.CSS(`#new-review textarea[name=summary]`), "Kind and right."))
	submit(t, admin, `#submit-review`)
	waitFor(t, admin, "review page", `!!document.getElementById("review-summary")`)
	if h := eval[string](t, admin, "score", `document.querySelector("h1").innerText`); h != "Review 1: 88.0" {
		t.Fatalf("heading %q", h)
	}

	signIn(t, agent, srv.url, "ravi@example.com", password)
	do(t, agent, "QA history", chromedp.Navigate(srv.url+"/reviews"))
	waitFor(t, agent, "the review listed", `!!document.querySelector('#reviews a[href="/reviews/1"]')`)
	do(t, agent, "open it", chromedp.Navigate(srv.url+"/reviews/1"),
		chromedp.EmulateViewport(390, 800),
		chromedp.SetValue(chromedp.CSS(`#dispute-form textarea[name=reason]`), "The customer asked me not to use their name."))
	shoot(t, agent, "review-dispute-390")
	submit(t, agent, `#dispute`)
	waitFor(t, agent, "disputed", `document.body.innerText.includes("disputed") && !document.getElementById("dispute-form")`)
}
