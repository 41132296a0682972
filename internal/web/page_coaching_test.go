package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The coaching, QA dashboard and team board pages: a lead records a 1:1
// from the form, the agent reads it, another agent gets 404; the board
// refuses a move made from a stale form.
func TestCoachingAndBoardPages(t *testing.T) {
	t.Parallel()
	pw := map[string]string{"lena": goodPassword, "ravi": goodPassword, "meera": goodPassword}
	eachBackendWithPasswords(t, pw, func(t *testing.T, d *testDesk) {
		lena, ravi, meera := d.signedIn(t, "lena"), d.signedIn(t, "ravi"), d.signedIn(t, "meera")
		page := lena.page("/coaching")
		form := formFields(t, page, "coaching-form")
		form.Set("agent_id", id(d.Agents["ravi"].ID))
		form.Set("notes", "Greet first.\n<b>not bold</b>")
		form.Set("action_title", "Read the greeting guide")
		form.Set("action_owner_id", "0")
		if res, body := lena.post("/coaching", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "needs an owner") {
			t.Fatalf("an action item without owner: %d\n%s", res.StatusCode, body)
		}
		form.Set("action_owner_id", id(d.Agents["ravi"].ID))
		form.Set("action_due_at", time.Now().AddDate(0, 0, 3).Format(time.DateOnly))
		if res, body := lena.post("/coaching", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("record a session: %d\n%s", res.StatusCode, body)
		}
		if p := ravi.page("/coaching/1"); !strings.Contains(p, "&lt;b&gt;not bold&lt;/b&gt;") || !strings.Contains(p, `href="/coaching?agent_id=`) {
			t.Errorf("the agent's session page:\n%s", p)
		}
		if res, _ := meera.do("GET", "/coaching/1", htmlHeaders, ""); res.StatusCode != http.StatusNotFound {
			t.Errorf("another agent reads the session: %d", res.StatusCode)
		}
		if p := lena.page("/qa"); !strings.Contains(p, `id="qa-weeks"`) {
			t.Errorf("QA dashboard:\n%s", p)
		}
		if p := lena.page("/supervisor"); !strings.Contains(p, `id="sup-qa"`) {
			t.Errorf("supervisor home has no QA tile")
		}

		board := "/teams/" + id(d.Teams[1].ID) + "/tasks"
		form = formFields(t, lena.page(board), "task-form")
		form.Set("title", "Rewrite the refund macro")
		form.Set("owner_id", id(d.Agents["ravi"].ID))
		if res, body := lena.post(board, form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("add a card: %d\n%s", res.StatusCode, body)
		}
		move := url.Values{"csrf": {formFields(t, lena.page(board), "task-form").Get("csrf")}, "task_id": {"1"}, "version": {"1"}, "status": {"doing"}}
		if res, body := lena.post(board, move); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("move: %d\n%s", res.StatusCode, body)
		}
		if res, _ := lena.post(board, move); res.StatusCode != http.StatusConflict {
			t.Errorf("a move from a stale form: %d, want 409", res.StatusCode)
		}
		if res, _ := meera.do("GET", board, htmlHeaders, ""); res.StatusCode != http.StatusNotFound {
			t.Errorf("another team's agent sees the board: %d", res.StatusCode)
		}
	})
}
