package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The account report: JSON by period, a printable page with its way back
// and the schedule form, CSV and XLSX, and the schedule under its ETag.
func TestAccountReportAPIAndPage(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"asha": goodPassword}, func(t *testing.T, d *testDesk) {
		asha := d.Agents["asha"]
		acme := d.mustCall(201, "POST", "/api/v1/organizations", "asha",
			map[string]any{"name": "Acme", "domains": []string{"acme.test"}, "owner_id": asha.ID}).id("id")
		other := d.mustCall(201, "POST", "/api/v1/organizations", "sunil", map[string]any{"name": "Globex"}).id("id")
		chitra := d.mustCall(201, "POST", "/api/v1/contacts", "asha", map[string]any{"name": "Chitra",
			"emails": []string{"chitra@acme.test"}, "organization_id": acme}).id("id")
		stranger := d.mustCall(201, "POST", "/api/v1/contacts", "asha", map[string]any{"name": "Gita",
			"emails": []string{"gita@globex.test"}, "organization_id": other}).id("id")
		base := "/api/v1/organizations/" + id(acme) + "/report"
		d.run([]scenario{
			{name: "a month's report", method: "GET", path: base + "?period=2026-10", as: "ravi", wantStatus: 200,
				want: []check{{"period", "2026-10"}, {"quarterly", false}, {"created", 0}, {"name", "Acme"},
					{"owner_id", asha.ID}, {"sla_compliance", nil}, {"open_items.#", 0}}},
			{name: "a quarter's report", method: "GET", path: base + "?period=2026-Q4", as: "asha", wantStatus: 200,
				want: []check{{"period", "2026-Q4"}, {"quarterly", true}, {"from", "2026-10-01T00:00:00Z"}, {"to", "2027-01-01T00:00:00Z"}}},
			{name: "a period that is not one", method: "GET", path: base + "?period=2026-13", as: "asha", wantStatus: 400,
				wantCode: "invalid"},
			{name: "a period with SQL in it", method: "GET", path: base + "?period=" + url.QueryEscape("2026-10' OR 1=1"), as: "asha",
				wantStatus: 400, wantCode: "invalid"},
			{name: "an account that does not exist", method: "GET", path: "/api/v1/organizations/999999/report", as: "asha",
				wantStatus: 404, wantCode: "not_found"},
			{name: "the schedule starts off", method: "GET", path: base + "/schedule", as: "ravi", wantStatus: 200,
				want: []check{{"schedule", "off"}, {"version", 0}, {"contact_id", nil}}},
			{name: "the owner schedules it monthly to a contact too", method: "PUT", path: base + "/schedule", as: "asha",
				body: map[string]any{"schedule": "monthly", "contact_id": chitra}, wantStatus: 200,
				want: []check{{"schedule", "monthly"}, {"version", 1}, {"contact_id", chitra}}},
			{name: "a schedule that is not one", method: "PUT", path: base + "/schedule", as: "asha",
				body: map[string]any{"schedule": "weekly"}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.schedule", "choose off, monthly or quarterly"}}},
			{name: "a contact of another account", method: "PUT", path: base + "/schedule", as: "asha",
				body: map[string]any{"schedule": "monthly", "contact_id": stranger}, wantStatus: 400, wantCode: "invalid"},
			{name: "a body that is not an object", method: "PUT", path: base + "/schedule", as: "asha", body: "schedule=monthly",
				wantStatus: 400, wantCode: "invalid"},
			{name: "an agent may not change it", method: "PUT", path: base + "/schedule", as: "ravi",
				body: map[string]any{"schedule": "off"}, wantStatus: 403, wantCode: "forbidden"},
			{name: "nobody signed in reads nothing", method: "GET", path: base, wantStatus: 401},
		})
		t.Run("a stale If-Match is refused", func(t *testing.T) {
			h := http.Header{"Authorization": {"Bearer " + d.Tokens["asha"]}, "If-Match": {`"v9"`}}
			if r := d.send("PUT", base+"/schedule", h, map[string]any{"schedule": "off"}); r.Status != 412 {
				t.Errorf("stale schedule change: %d %s", r.Status, r.Raw)
			}
			r := d.mustCall(200, "GET", base+"/schedule", "asha", nil)
			if r.Header.Get("ETag") != `"v1"` || r.str("schedule") != "monthly" {
				t.Errorf("after a stale change: %s %s", r.Header.Get("ETag"), r.Raw)
			}
		})
		t.Run("the printable page, its downloads and its form", func(t *testing.T) {
			b := d.signedIn(t, "asha")
			page := b.page("/organizations/" + id(acme) + "/report?period=2026-10")
			for _, want := range []string{`id="back"`, `href="/organizations/` + id(acme) + `"`, "report.css", `id="download-csv"`,
				`id="download-xlsx"`, `id="schedule-form"`, "2026-09", "2026-11", "Tickets received"} {
				if !strings.Contains(page, want) {
					t.Errorf("the report page lacks %s", want)
				}
			}
			if org := b.page("/organizations/" + id(acme)); !strings.Contains(org, `id="account-report-link"`) {
				t.Error("the account page has no link to its report")
			}
			res, bad := b.do("GET", "/organizations/"+id(acme)+"/report?period=yesterday", htmlHeaders, "")
			if res.StatusCode != 400 || !strings.Contains(bad, "is not a period") {
				t.Errorf("a bad period: %d, want 400 with the reason", res.StatusCode)
			}
			res, csv := b.do("GET", "/organizations/"+id(acme)+"/report.csv?period=2026-10", nil, "")
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
				!strings.Contains(csv, "2026-10") {
				t.Errorf("CSV: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), csv)
			}
			res, xlsx := b.do("GET", "/organizations/"+id(acme)+"/report.xlsx?period=2026-Q4", nil, "")
			if res.StatusCode != 200 || !strings.HasPrefix(xlsx, "PK") {
				t.Errorf("XLSX: %d, starts %q", res.StatusCode, xlsx[:min(4, len(xlsx))])
			}
			form := formFields(t, page, "schedule-form")
			form.Set("schedule", "quarterly")
			if res, body := b.post("/organizations/"+id(acme)+"/report/schedule?period=2026-10", form); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("schedule form: %d\n%s", res.StatusCode, body)
			}
			if r := d.mustCall(200, "GET", base+"/schedule", "asha", nil); r.str("schedule") != "quarterly" || r.id("version") != 2 {
				t.Errorf("after the form: %s", r.Raw)
			}
			// The same (now stale) form again is refused with a message.
			if res, _ := b.post("/organizations/"+id(acme)+"/report/schedule?period=2026-10", form); res.StatusCode != 412 {
				t.Errorf("stale form: %d, want 412", res.StatusCode)
			}
		})
	})
}
