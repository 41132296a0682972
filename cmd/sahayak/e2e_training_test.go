package main

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestTrainingInBrowser is the training journey: a lead assigns a course
// on its page, the agent takes its quiz from My training, the lead writes
// and shares a performance review, and the agent acknowledges it at phone
// width.
func TestTrainingInBrowser(t *testing.T) {
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
	course := apiCall(t, admin, "POST", "/api/v1/courses", map[string]any{"title": "Refund policy", "pass_mark": 100,
		"modules": []any{map[string]any{"title": "Check", "body": "Refunds within **14 days**.",
			"questions": []any{map[string]any{"text": "How many days?", "options": []string{"7", "14"}, "correct": []int{1}}}}}}).id("id")

	due := time.Now().AddDate(0, 0, 7).Format("2006-01-02")
	do(t, admin, "assign", chromedp.Navigate(fmt.Sprintf("%s/courses/%d", srv.url, course)),
		chromedp.SetValue(chromedp.CSS(`#assign-course select[name=agent_id]`), fmt.Sprint(ravi)),
		chromedp.SetValue(chromedp.CSS(`#assign-course input[name=due]`), due))
	submit(t, admin, `#assign`)
	waitFor(t, admin, "assigned", `document.body.innerText.includes("Assigned to 1")`)

	signIn(t, agent, srv.url, "ravi@example.com", password)
	do(t, agent, "my training", chromedp.Navigate(srv.url+"/training"), chromedp.EmulateViewport(390, 800))
	waitFor(t, agent, "the course listed", `!!document.querySelector('#my-training a[href^="/training/assignments/"]')`)
	do(t, agent, "open it", chromedp.Click(chromedp.CSS(`#my-training a[href^="/training/assignments/"]`)))
	waitFor(t, agent, "the quiz", `!!document.getElementById("quiz-m1")`)
	do(t, agent, "answer", chromedp.Click(chromedp.CSS(`#quiz-m1 input[name=q0][value="1"]`)))
	submit(t, agent, `#quiz-m1 button[type=submit]`)
	waitFor(t, agent, "completed", `document.body.innerText.includes("Completed") && !document.getElementById("quiz-m1")`)

	do(t, admin, "reviews of ravi", chromedp.Navigate(fmt.Sprintf("%s/performance-reviews?agent_id=%d", srv.url, ravi)),
		chromedp.SetValue(chromedp.CSS(`#new-perf-review textarea[name=assessment]`), "Careful with refunds."))
	submit(t, admin, `#start-perf-review`)
	waitFor(t, admin, "the review", `!!document.getElementById("share")`)
	if !eval[bool](t, admin, "training in the facts", `document.getElementById("perf-training").innerText.includes("Refund policy")`) {
		t.Error("the review does not list the course")
	}
	submit(t, admin, `#share`)
	waitFor(t, admin, "shared", `document.getElementById("perf-state").innerText.includes("Shared")`)

	do(t, agent, "the shared review", chromedp.Navigate(srv.url+"/performance-reviews/1"),
		chromedp.SetValue(chromedp.CSS(`#self-form textarea[name=self_assessment]`), "I learnt the rules."))
	submit(t, agent, `#save-self`)
	waitFor(t, agent, "saved", `!!document.getElementById("acknowledge")`)
	shoot(t, agent, "perf-review-390")
	submit(t, agent, `#acknowledge`)
	waitFor(t, agent, "acknowledged", `document.getElementById("perf-state").innerText.includes("Acknowledged") && !document.getElementById("acknowledge-form")`)
}
