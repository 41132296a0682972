package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// NPS campaigns over the API (with bad input), and the customer's survey
// page: a forged link is a clear page in the browser's language, not a 500.
func TestNPSCampaignsAPIAndSurveyPage(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		acme := d.mustCall(201, "POST", "/api/v1/organizations", "sunil", map[string]any{"name": "Acme"}).id("id")
		d.mustCall(201, "POST", "/api/v1/contacts", "asha", map[string]any{"name": "Chitra",
			"emails": []string{"chitra@acme.test"}, "organization_id": acme})
		c := d.mustCall(201, "POST", "/api/v1/nps/campaigns", "asha", map[string]any{"name": "Q4 pulse",
			"organization_ids": []int64{acme}})
		cid := id(c.id("id"))
		d.run([]scenario{
			{name: "a campaign reads back", method: "GET", path: "/api/v1/nps/campaigns/" + cid, as: "asha", wantStatus: 200,
				want: []check{{"status", "draft"}, {"recipients", 0}, {"organization_ids.#", 1}}},
			{name: "no audience is refused", method: "POST", path: "/api/v1/nps/campaigns", as: "asha",
				body: map[string]any{"name": "x"}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.organization_ids", "choose accounts, or a segment by tier, industry or owner"}}},
			{name: "an unknown account is refused", method: "POST", path: "/api/v1/nps/campaigns", as: "asha",
				body: map[string]any{"name": "x", "organization_ids": []int64{424242}}, wantStatus: 400, wantCode: "invalid"},
			{name: "a wrongly typed body is refused", method: "POST", path: "/api/v1/nps/campaigns", as: "asha",
				body: map[string]any{"name": 7}, wantStatus: 400, wantCode: "invalid"},
			{name: "an agent may not run campaigns", method: "GET", path: "/api/v1/nps/campaigns", as: "ravi",
				wantStatus: 403, wantCode: "forbidden"},
			{name: "sending at a stale version is refused", method: "GET", path: "/api/v1/nps/campaigns/" + cid, as: "asha",
				wantStatus: 200, after: func(t *testing.T, d *testDesk) {
					h := http.Header{"Authorization": {"Bearer " + d.Tokens["asha"]}, "If-Match": {`"v7"`}}
					if r := d.send("POST", "/api/v1/nps/campaigns/"+cid+"/send", h, nil); r.Status != 412 {
						t.Errorf("stale send: %d %s", r.Status, r.Raw)
					}
				}},
			{name: "sending chooses the recipients", method: "POST", path: "/api/v1/nps/campaigns/" + cid + "/send",
				as: "asha", wantStatus: 200, want: []check{{"status", "sending"}, {"recipients", 1}}},
			{name: "a second send is refused", method: "POST", path: "/api/v1/nps/campaigns/" + cid + "/send",
				as: "asha", wantStatus: 422},
			{name: "results with no answers have no score", method: "GET", path: "/api/v1/nps/campaigns/" + cid + "/results",
				as: "sunil", wantStatus: 200, want: []check{{"campaign.score", nil}, {"accounts.#", 0}}},
			{name: "a campaign that does not exist", method: "GET", path: "/api/v1/nps/campaigns/999", as: "asha",
				wantStatus: 404, wantCode: "not_found"},
		})
		for _, lang := range []struct{ accept, want string }{{"en", "This survey link is not valid"},
			{"hi", "यह सर्वेक्षण लिंक मान्य नहीं है"}} {
			res, page := newBrowser(t, d.URL).do("GET", "/nps/nps_forged", http.Header{"Accept": {"text/html"},
				"Accept-Language": {lang.accept}}, "")
			if res.StatusCode != 404 || !strings.Contains(page, lang.want) || !strings.Contains(page, `id="back"`) {
				t.Errorf("forged link in %s: %d\n%s", lang.accept, res.StatusCode, page)
			}
		}
	})
}
