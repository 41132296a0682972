package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/people"
)

// The QA pages: a lead makes a scorecard and reviews a conversation from
// the ticket, the agent disputes from the review page, a supervisor
// resolves; refused input comes back with its problem, pages link back, and
// Hindi agents read them in Hindi.
func TestQualityPages(t *testing.T) {
	t.Parallel()
	pw := map[string]string{"sunil": goodPassword, "lena": goodPassword, "ravi": goodPassword}
	eachBackendWithPasswords(t, pw, func(t *testing.T, d *testDesk) {
		lena := d.signedIn(t, "lena")
		page := lena.page("/scorecards")
		form := formFields(t, page, "new-scorecard")
		form.Set("name", "Chat QA")
		bad := strings.Replace(form.Get("sections"), `"weight": 40`, `"weight": 30`, 1)
		form.Set("sections", bad)
		if res, body := lena.post("/scorecards", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "add up to 100") {
			t.Fatalf("weights that do not add up: %d\n%s", res.StatusCode, body)
		}
		form = formFields(t, page, "new-scorecard")
		form.Set("name", "Chat QA")
		if res, body := lena.post("/scorecards", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create scorecard: %d\n%s", res.StatusCode, body)
		}
		if page := lena.page("/scorecards/1"); !strings.Contains(page, "Chat QA") || !strings.Contains(page, `href="/scorecards"`) {
			t.Errorf("scorecard page:\n%s", page)
		}

		ravi := d.Agents["ravi"].ID
		tk := d.mustCreateTicket("lena", map[string]any{"subject": "Card declined", "team_id": d.Teams[1].ID, "assignee_id": ravi})
		tid := id(tk.id("id"))
		msg := d.mustCall(http.StatusCreated, "POST", "/api/v1/tickets/"+tid+"/messages", "ravi", map[string]any{"body": "Let me check that."})
		if page := lena.page("/tickets/" + tid); !strings.Contains(page, `href="/tickets/`+tid+`/review"`) {
			t.Fatal("the ticket page offers no review")
		}
		page = lena.page("/tickets/" + tid + "/review")
		form = formFields(t, page, "new-review")
		form.Set("agent_id", id(ravi))
		form.Set("answer.greeting", "yes")
		form.Set("answer.correct", "4")
		form.Set("comment."+id(msg.id("id")), "Say what you will check")
		if res, body := lena.post("/tickets/"+tid+"/review", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "is required") {
			t.Fatalf("an unanswered criterion: %d\n%s", res.StatusCode, body)
		}
		form.Set("answer.privacy", "yes")
		res, body := lena.post("/tickets/"+tid+"/review", form)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/reviews/1" {
			t.Fatalf("review: %d %s\n%s", res.StatusCode, res.Header.Get("Location"), body)
		}
		if page := lena.page("/tickets/" + tid); !strings.Contains(page, `href="/reviews/1"`) {
			t.Error("the ticket page does not show its review")
		}

		rv := d.signedIn(t, "ravi")
		page = rv.page("/reviews/1")
		for _, want := range []string{"88.0", "Say what you will check", "Let me check that.", `id="dispute"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the agent's review page lacks %q", want)
			}
		}
		form = formFields(t, page, "dispute-form")
		if res, body := rv.post("/reviews/1/dispute", form); res.StatusCode != http.StatusBadRequest {
			t.Errorf("a dispute without a reason: %d\n%s", res.StatusCode, body)
		}
		form.Set("reason", "I did greet")
		if res, body := rv.post("/reviews/1/dispute", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("dispute: %d\n%s", res.StatusCode, body)
		}
		if res, body := rv.post("/reviews/1/dispute", form); res.StatusCode != http.StatusUnprocessableEntity && res.StatusCode != http.StatusConflict {
			t.Errorf("a second dispute: %d\n%s", res.StatusCode, body)
		}
		if page := rv.page("/reviews"); !strings.Contains(page, "Average score 88.0") {
			t.Errorf("the agent's QA history:\n%s", page)
		}

		sunil := d.signedIn(t, "sunil")
		page = sunil.page("/reviews/1")
		form = formFields(t, page, "resolve-form")
		form.Set("resolution", "Stands")
		if res, body := sunil.post("/reviews/1/resolve", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("resolve: %d\n%s", res.StatusCode, body)
		}
		if page := sunil.page("/reviews/1"); !strings.Contains(page, "resolved") || strings.Contains(page, `id="review-resolve"`) {
			t.Error("the resolved review still offers resolving")
		}

		d.mustCall(http.StatusOK, "PATCH", "/api/v1/tickets/"+tid, "lena", map[string]any{"status": "solved"})
		page = sunil.page("/review-queue")
		if res, body := sunil.post("/review-queue/build", formFields(t, page, "build-queue")); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("build the queue: %d\n%s", res.StatusCode, body)
		}
		page = sunil.page("/review-queue")
		if !strings.Contains(page, `href="/reviews"`) || !strings.Contains(page, "queue_item_id=") {
			t.Errorf("the queue page:\n%s", page)
		}
		form = formFields(t, page, "sampling-rules")
		form.Set("per_agent", "99")
		if res, body := sunil.post("/review-queue/rules", form); res.StatusCode != http.StatusBadRequest {
			t.Errorf("a sample too big: %d\n%s", res.StatusCode, body)
		}

		hi := "hi"
		if _, err := d.People.UpdateAgent(system(), d.Agents["ravi"].ID, people.AgentInput{Language: &hi}, nil); err != nil {
			t.Fatal(err)
		}
		rv = d.signedIn(t, "ravi")
		for path, want := range map[string]string{"/reviews": "QA इतिहास", "/reviews/1": "समाधान हो गया"} {
			if page := rv.page(path); !strings.Contains(page, want) {
				t.Errorf("%s in Hindi lacks %q", path, want)
			}
		}
		if res, _ := rv.do("GET", "/scorecards", nil, ""); res.StatusCode != http.StatusForbidden {
			t.Errorf("an agent on the scorecards: %d", res.StatusCode)
		}
	})
}
