package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/people"
)

// The training pages: a lead writes a course in the editor (a quiz with no
// correct answer is refused with its reason), assigns it to the team; the
// agent takes it from My training (a wrong answer shows which, a right one
// completes it); the lead writes a performance review, the agent adds a
// self-assessment and acknowledges it; every page links back and reads in
// Hindi.
func TestTrainingPages(t *testing.T) {
	t.Parallel()
	pw := map[string]string{"lena": goodPassword, "ravi": goodPassword, "meera": goodPassword}
	eachBackendWithPasswords(t, pw, func(t *testing.T, d *testDesk) {
		lena := d.signedIn(t, "lena")
		page := lena.page("/courses")
		form := formFields(t, page, "new-course")
		form.Set("title", "Refund policy")
		form.Set("pass_mark", "100")
		if res, body := lena.post("/courses", form); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/courses/1" {
			t.Fatalf("create course: %d\n%s", res.StatusCode, body)
		}
		page = lena.page("/courses/1")
		form = formFields(t, page, "new-module")
		form.Set("title", "Check")
		form.Set("body", "Refunds within **14 days**.<script>alert(1)</script>")
		form.Set("quiz", "? How many days?\n- 7\n- 14\n")
		if res, body := lena.post("/courses/1/modules", form); res.StatusCode != http.StatusBadRequest ||
			!strings.Contains(body, "at least one correct answer") {
			t.Fatalf("a quiz with no correct answer: %d\n%s", res.StatusCode, body)
		}
		form.Set("quiz", "? How many days?\n- 7\n* 14\n")
		if res, body := lena.post("/courses/1/modules", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("add module: %d\n%s", res.StatusCode, body)
		}
		page = lena.page("/courses/1")
		form = formFields(t, page, "assign-course")
		form.Set("team_id", id(d.Teams[1].ID))
		form.Set("due", time.Now().AddDate(0, 0, -2).Format("2006-01-02"))
		if res, body := lena.post("/courses/1/assign", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "in the future") {
			t.Fatalf("a due date in the past: %d\n%s", res.StatusCode, body)
		}
		form.Set("due", time.Now().AddDate(0, 0, 7).Format("2006-01-02"))
		if res, body := lena.post("/courses/1/assign", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("assign: %d\n%s", res.StatusCode, body)
		}
		if page := lena.page("/training/team?team_id=" + id(d.Teams[1].ID)); !strings.Contains(page, "Refund policy") ||
			!strings.Contains(page, `href="/training"`) {
			t.Errorf("team progress:\n%s", page)
		}

		rv := d.signedIn(t, "ravi")
		page = rv.page("/training")
		if !strings.Contains(page, "Refund policy") || !strings.Contains(page, `href="/tickets"`) {
			t.Fatalf("my training:\n%s", page)
		}
		list := d.mustCall(http.StatusOK, "GET", "/api/v1/course-assignments", "ravi", nil)
		aid := id(list.id("course_assignments.0.id"))
		page = rv.page("/training/assignments/" + aid)
		if !strings.Contains(page, "<strong>14 days</strong>") || strings.Contains(page, "<script>alert") {
			t.Errorf("the module's Markdown:\n%s", page)
		}
		form = formFields(t, page, "quiz-m1")
		form.Set("q0", "0")
		if res, body := rv.post("/training/assignments/"+aid+"/modules/m1/quiz", form); res.StatusCode != http.StatusOK ||
			!strings.Contains(body, "wrong") || !strings.Contains(body, "You scored 0%") {
			t.Fatalf("a wrong answer: %d\n%s", res.StatusCode, body)
		}
		form.Set("q0", "1")
		if res, body := rv.post("/training/assignments/"+aid+"/modules/m1/quiz", form); res.StatusCode != http.StatusConflict {
			t.Fatalf("a stale form: %d\n%s", res.StatusCode, body)
		}
		form = formFields(t, rv.page("/training/assignments/"+aid), "quiz-m1")
		form.Set("q0", "1")
		if res, body := rv.post("/training/assignments/"+aid+"/modules/m1/quiz", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("a right answer: %d\n%s", res.StatusCode, body)
		}
		if page := rv.page("/training"); !strings.Contains(page, "Completed") {
			t.Errorf("completed course:\n%s", page)
		}

		page = lena.page("/performance-reviews?agent_id=" + id(d.Agents["ravi"].ID))
		form = formFields(t, page, "new-perf-review")
		form.Set("assessment", "A careful month.")
		res, body := lena.post("/performance-reviews", form)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/performance-reviews/1" {
			t.Fatalf("start review: %d\n%s", res.StatusCode, body)
		}
		if res, body := lena.post("/performance-reviews", form); res.StatusCode != http.StatusConflict || !strings.Contains(body, "already has a review") {
			t.Errorf("a second review of the period: %d\n%s", res.StatusCode, body)
		}
		page = lena.page("/performance-reviews/1")
		for _, want := range []string{"Refund policy", "No goals.", "A careful month.", `data-print`} {
			if !strings.Contains(page, want) {
				t.Errorf("the lead's review page lacks %q", want)
			}
		}
		if res, _ := rv.do("GET", "/performance-reviews/1", nil, ""); res.StatusCode != http.StatusNotFound {
			t.Errorf("the agent sees a draft: %d", res.StatusCode)
		}
		if res, body := lena.post("/performance-reviews/1/share", formFields(t, page, "share-form")); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("share: %d\n%s", res.StatusCode, body)
		}
		if res, _ := d.signedIn(t, "meera").do("GET", "/performance-reviews/1", nil, ""); res.StatusCode != http.StatusNotFound {
			t.Errorf("a peer reads the review: %d", res.StatusCode)
		}
		page = rv.page("/performance-reviews/1")
		form = formFields(t, page, "self-form")
		form.Set("self_assessment", "I learnt the refund rules.")
		if res, body := rv.post("/performance-reviews/1", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("self-assessment: %d\n%s", res.StatusCode, body)
		}
		page = rv.page("/performance-reviews/1")
		if res, body := rv.post("/performance-reviews/1/acknowledge", formFields(t, page, "acknowledge-form")); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("acknowledge: %d\n%s", res.StatusCode, body)
		}
		page = lena.page("/performance-reviews/1")
		if !strings.Contains(page, "I learnt the refund rules.") || strings.Contains(page, `id="assessment-form"`) {
			t.Errorf("the acknowledged review:\n%s", page)
		}

		hi := "hi"
		if _, err := d.People.UpdateAgent(system(), d.Agents["ravi"].ID, people.AgentInput{Language: &hi}, nil); err != nil {
			t.Fatal(err)
		}
		rv = d.signedIn(t, "ravi")
		for path, want := range map[string]string{"/training": "मेरा प्रशिक्षण", "/performance-reviews/1": "स्व-मूल्यांकन",
			"/training/assignments/" + aid: "पूरा"} {
			if page := rv.page(path); !strings.Contains(page, want) {
				t.Errorf("%s in Hindi lacks %q", path, want)
			}
		}
		if res, _ := rv.do("GET", "/courses", nil, ""); res.StatusCode != http.StatusForbidden {
			t.Errorf("an agent on the catalogue: %d", res.StatusCode)
		}
	})
}
