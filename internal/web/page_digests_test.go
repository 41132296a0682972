package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Digests through the API (list shape, ETag/If-Match, Location, scope, bad
// input with codes) and the page: a supervisor mails everything to chosen
// people; Frontline's lead mails their own team's figures only.
func TestDigestsAPIAndPage(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"lena": goodPassword}, func(t *testing.T, d *testDesk) {
		front, spec := d.Teams[1].ID, d.Teams[2].ID
		lena, ravi, meera := d.Agents["lena"].ID, d.Agents["ravi"].ID, d.Agents["meera"].ID
		all := d.mustCall(201, "POST", "/api/v1/reports/digests", "sunil", map[string]any{"name": "Floor", "period": "weekly",
			"recipient_ids": []int64{lena, ravi}})
		did := id(all.id("id"))
		if all.Header.Get("ETag") != `"v1"` || all.Header.Get("Location") != "/api/v1/reports/digests/"+did {
			t.Errorf("a new digest: ETag %q, Location %q", all.Header.Get("ETag"), all.Header.Get("Location"))
		}
		for name, c := range map[string]struct {
			as       string
			body     map[string]any
			want     int
			wantCode string
		}{
			"an unknown period":             {"sunil", map[string]any{"name": "x", "period": "hourly", "recipient_ids": []int64{ravi}}, 400, "invalid"},
			"a recipient who is not":        {"sunil", map[string]any{"name": "x", "period": "daily", "recipient_ids": []int64{999999}}, 400, "invalid"},
			"a team the lead does not lead": {"lena", map[string]any{"name": "x", "period": "daily", "team_id": spec, "recipient_ids": []int64{meera}}, 403, "forbidden"},
			"a lead without a team":         {"lena", map[string]any{"name": "x", "period": "daily", "recipient_ids": []int64{ravi}}, 400, "invalid"},
			"an agent":                      {"ravi", map[string]any{"name": "x", "period": "daily", "team_id": front, "recipient_ids": []int64{ravi}}, 403, "forbidden"},
		} {
			r := d.call("POST", "/api/v1/reports/digests", c.as, c.body)
			if r.Status != c.want || !strings.Contains(string(r.Raw), `"code":"`+c.wantCode+`"`) {
				t.Errorf("%s: %d %s", name, r.Status, r.Raw)
			}
		}
		d.mustCall(201, "POST", "/api/v1/reports/digests", "lena", map[string]any{"name": "Frontline daily", "period": "daily",
			"team_id": front, "recipient_ids": []int64{ravi, lena}})
		if n := len(d.mustCall(200, "GET", "/api/v1/reports/digests", "lena", nil).get("digests").([]any)); n != 1 {
			t.Errorf("the lead sees %d digests, want their team's 1", n)
		}
		if n := len(d.mustCall(200, "GET", "/api/v1/reports/digests", "sunil", nil).get("digests").([]any)); n != 2 {
			t.Errorf("the supervisor sees %d digests, want 2", n)
		}
		if r := d.call("GET", "/api/v1/reports/digests/"+did, "lena", nil); r.Status != http.StatusNotFound {
			t.Errorf("the lead reading the supervisor's digest: %d", r.Status)
		}
		patch := func(ifMatch string) response {
			h := http.Header{"Authorization": {"Bearer " + d.Tokens["sunil"]}, "If-Match": {ifMatch}}
			return d.send("PATCH", "/api/v1/reports/digests/"+did, h, map[string]any{"period": "monthly"})
		}
		if r := patch(`"v1"`); r.Status != 200 || r.Header.Get("ETag") != `"v2"` {
			t.Errorf("a current change: %d %s", r.Status, r.Raw)
		}
		if r := patch(`"v1"`); r.Status != http.StatusPreconditionFailed {
			t.Errorf("a stale change: %d", r.Status)
		}
		// The page lists the lead's digest, links back, and sets one up.
		lp := d.signedIn(t, "lena")
		page := lp.page("/reports/digests")
		for _, want := range []string{"Frontline daily", `href="/reports"`, `name="recipient_ids"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the digests page lacks %q", want)
			}
		}
		if !strings.Contains(lp.page("/reports"), `href="/reports/digests"`) {
			t.Errorf("the reports page does not lead to the digests")
		}
		csrf := csrfField.FindStringSubmatch(page)[1]
		res, _ := lp.post("/reports/digests", url.Values{"csrf": {csrf}, "name": {"Frontline weekly"}, "period": {"weekly"},
			"team_id": {id(front)}, "recipient_ids": {id(ravi)}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the digest form: %d", res.StatusCode)
		}
		if n := len(d.mustCall(200, "GET", "/api/v1/reports/digests", "lena", nil).get("digests").([]any)); n != 2 {
			t.Errorf("after the form the lead sees %d digests, want 2", n)
		}
	})
}
