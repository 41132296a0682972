package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// A lead opens a calibration session from a ticket's page: fewer than two
// reviewers is refused on the form, two open it and each reviewer finds
// the blind form; an agent without qa:review cannot open one.
func TestCalibrationSessionPage(t *testing.T) {
	t.Parallel()
	pw := map[string]string{"lena": goodPassword, "ravi": goodPassword, "sunil": goodPassword}
	eachBackendWithPasswords(t, pw, func(t *testing.T, d *testDesk) {
		ravi, sunil, lena := d.Agents["ravi"].ID, d.Agents["sunil"].ID, d.Agents["lena"].ID
		tk := d.mustCreateTicket("lena", map[string]any{"subject": "Card declined", "team_id": d.Teams[1].ID, "assignee_id": ravi})
		tid := id(tk.id("id"))
		d.mustCall(http.StatusCreated, "POST", "/api/v1/tickets/"+tid+"/messages", "ravi", map[string]any{"body": "Let me check."})
		d.mustCall(http.StatusCreated, "POST", "/api/v1/scorecards", "lena", qaScorecard())
		asLena, asRavi, asSunil := d.signedIn(t, "lena"), d.signedIn(t, "ravi"), d.signedIn(t, "sunil")
		if !strings.Contains(asLena.page("/tickets/"+tid+"/review"), `href="/tickets/`+tid+`/calibrate"`) {
			t.Error("the review form has no way to a calibration")
		}
		page := asLena.page("/tickets/" + tid + "/calibrate")
		if !strings.Contains(page, `href="/tickets/`+tid+`"`) {
			t.Error("the calibration form has no way back to the ticket")
		}
		form := formFields(t, page, "new-calibration")
		form.Set("agent_id", id(ravi))
		form["reviewer_ids"] = []string{id(sunil)}
		if res, body := asLena.post("/tickets/"+tid+"/calibrate", form); res.StatusCode != http.StatusBadRequest ||
			!strings.Contains(body, "error-box") {
			t.Fatalf("one reviewer: %d\n%s", res.StatusCode, body)
		}
		form["reviewer_ids"] = []string{id(sunil), id(lena)}
		res, body := asLena.post("/tickets/"+tid+"/calibrate", form)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/calibrations/") {
			t.Fatalf("open a session: %d\n%s", res.StatusCode, body)
		}
		if p := asSunil.page(res.Header.Get("Location")); !strings.Contains(p, `id="calibration-score-form"`) {
			t.Errorf("the invited reviewer has no blind form:\n%s", p)
		}
		if res, _ := asRavi.do("GET", "/tickets/"+tid+"/calibrate", htmlHeaders, ""); res.StatusCode == http.StatusOK {
			t.Errorf("an agent without qa:review opens the form: %d", res.StatusCode)
		}
	})
}
