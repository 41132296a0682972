package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Goals through the API (ETag/If-Match, scope) and the pages: the lead of
// Frontline sets goals for the team and for Ravi, sees their progress on
// the supervisor home and the reports page; Ravi sees his own.
func TestGoalsAPIAndPages(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"lena": goodPassword, "ravi": goodPassword, "tara": goodPassword},
		func(t *testing.T, d *testDesk) {
			front, spec := d.Teams[1].ID, d.Teams[2].ID
			team := d.mustCall(201, "POST", "/api/v1/goals", "lena", map[string]any{"team_id": front, "metric": "solved",
				"op": "at_least", "target": 200, "period": "month"})
			gid := id(team.id("id"))
			if team.Header.Get("ETag") != `"v1"` {
				t.Errorf("a new goal's ETag: %q", team.Header.Get("ETag"))
			}
			d.mustCall(201, "POST", "/api/v1/goals", "lena", map[string]any{"team_id": front, "agent_id": d.Agents["ravi"].ID,
				"metric": "first_response_median", "op": "at_most", "target": 3600, "period": "week"})
			for name, c := range map[string]struct {
				as   string
				body map[string]any
				want int
			}{
				"another team's goal":     {"lena", map[string]any{"team_id": spec, "metric": "solved", "op": "at_least", "target": 1, "period": "week"}, 403},
				"an agent setting a goal": {"ravi", map[string]any{"agent_id": d.Agents["ravi"].ID, "metric": "solved", "op": "at_least", "target": 1, "period": "week"}, 403},
				"an unknown metric":       {"lena", map[string]any{"team_id": front, "metric": "joy", "op": "at_least", "target": 1, "period": "week"}, 400},
				"a CSAT of 90 (not 0.9)":  {"lena", map[string]any{"team_id": front, "metric": "csat", "op": "at_least", "target": 90, "period": "week"}, 400},
			} {
				if r := d.call("POST", "/api/v1/goals", c.as, c.body); r.Status != c.want {
					t.Errorf("%s: %d %s", name, r.Status, r.Raw)
				}
			}
			patch := func(ifMatch string) response {
				h := http.Header{"Authorization": {"Bearer " + d.Tokens["lena"]}, "If-Match": {ifMatch}}
				return d.send("PATCH", "/api/v1/goals/"+gid, h, map[string]any{"target": 150})
			}
			if r := patch(`"v1"`); r.Status != 200 || r.Header.Get("ETag") != `"v2"` {
				t.Errorf("a current change: %d %s", r.Status, r.Raw)
			}
			if r := patch(`"v1"`); r.Status != http.StatusPreconditionFailed {
				t.Errorf("a stale change: %d", r.Status)
			}
			if r := d.call("GET", "/api/v1/goals/"+gid, "tara", nil); r.Status != http.StatusNotFound {
				t.Errorf("another team's lead reading the goal: %d", r.Status)
			}
			lena := d.mustCall(200, "GET", "/api/v1/goals", "lena", nil)
			if n := len(lena.get("goals").([]any)); n != 2 {
				t.Errorf("the lead sees %d goals, want 2", n)
			}
			mine := d.mustCall(200, "GET", "/api/v1/goals", "ravi", nil)
			if gs := mine.get("goals").([]any); len(gs) != 1 || gs[0].(map[string]any)["goal"].(map[string]any)["metric"] != "first_response_median" {
				t.Errorf("the agent's goals: %s", mine.Raw)
			}

			home := d.signedIn(t, "lena").page("/supervisor")
			for _, want := range []string{`id="goals"`, "Tickets solved", "≥ 150", "Median first response"} {
				if !strings.Contains(home, want) {
					t.Errorf("the supervisor home lacks %q", want)
				}
			}
			if rep := d.signedIn(t, "ravi").page("/reports"); !strings.Contains(rep, "Median first response") || strings.Contains(rep, "Tickets solved") {
				t.Errorf("the agent's reports page shows other goals or not his own")
			}
			// The goals page sets one (minutes in the form) and removes it.
			lp := d.signedIn(t, "lena")
			page := lp.page("/reports/goals")
			csrf := csrfField.FindStringSubmatch(page)[1]
			res, _ := lp.post("/reports/goals", url.Values{"csrf": {csrf}, "team_id": {id(front)}, "metric": {"resolution_median"},
				"op": {"at_most"}, "target": {"90"}, "period": {"quarter"}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("the goal form: %d", res.StatusCode)
			}
			all := d.mustCall(200, "GET", "/api/v1/goals", "lena", nil).get("goals").([]any)
			last := all[len(all)-1].(map[string]any)["goal"].(map[string]any)
			if last["metric"] != "resolution_median" || last["target"] != float64(5400) {
				t.Errorf("the form's goal: %v", last)
			}
			res, _ = lp.post("/reports/goals/"+id(int64(last["id"].(float64)))+"/delete", url.Values{"csrf": {csrf}, "version": {"1"}})
			if res.StatusCode != http.StatusSeeOther || len(d.mustCall(200, "GET", "/api/v1/goals", "lena", nil).get("goals").([]any)) != 2 {
				t.Errorf("removing from the page: %d", res.StatusCode)
			}
			d.mustCall(204, "DELETE", "/api/v1/goals/"+gid, "lena", nil)
		})
}
