package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// Five new "refund" complaints this week (none before) rise; the trend page
// shows them with a sparkline that leads to the tickets, and takes the
// action taken, which the API reads back with its version and refuses to
// overwrite when stale.
func TestComplaintTrendsPageAndRecord(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"sunil": goodPassword, "ravi": goodPassword},
		func(t *testing.T, d *testDesk) {
			front := d.Teams[1].ID
			for i := 0; i < 5; i++ {
				d.mustCreateTicket("ravi", map[string]any{"subject": "Refund missing", "team_id": front, "tags": []string{"refund:late"}})
			}
			storetest.CatchUpWith(t, d.DB, report.Consumer, d.Reports.CatchUp)
			week := time.Now().UTC().Format(time.DateOnly)

			api := d.mustCall(200, "GET", "/api/v1/reports/trends?dim=topic&week="+week, "sunil", nil)
			rows := api.get("rows").([]any)
			if len(rows) != 1 || rows[0].(map[string]any)["key"] != "refund" || rows[0].(map[string]any)["rising"] != true {
				t.Fatalf("topic trends: %s", api.Raw)
			}
			if r := d.call("GET", "/api/v1/reports/trends?dim=colour", "sunil", nil); r.Status != http.StatusBadRequest {
				t.Errorf("an unknown dimension: %d", r.Status)
			}
			if r := d.call("GET", "/api/v1/reports/trends", "ravi", nil); r.Status != http.StatusForbidden {
				t.Errorf("an agent reading trends: %d", r.Status)
			}

			sunil := d.signedIn(t, "sunil")
			page := sunil.page("/reports/trends?dim=tag&week=" + week)
			for _, want := range []string{"refund:late", `class="rising"`, "<svg class=\"trend-spark\"", "/reports/tickets?", `href="/reports"`} {
				if !strings.Contains(page, want) {
					t.Errorf("the trend page lacks %q", want)
				}
			}
			csrf := csrfField.FindStringSubmatch(page)[1]
			form := url.Values{"csrf": {csrf}, "dim": {"tag"}, "key": {"refund:late"}, "week": {week}, "version": {"0"},
				"note": {"Courier delayed; refunds pushed manually"}}
			if res, body := sunil.post("/reports/trends/notes", form); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("saving the record: %d\n%s", res.StatusCode, body)
			}
			if page := sunil.page("/reports/trends?dim=tag&week=" + week); !strings.Contains(page, "Courier delayed") {
				t.Errorf("the record is not on the page")
			}
			// The same form again (version 0) is stale now.
			if res, _ := sunil.post("/reports/trends/notes", form); res.StatusCode != http.StatusSeeOther {
				t.Errorf("a stale form: %d", res.StatusCode)
			}
			rec := d.mustCall(200, "GET", "/api/v1/reports/complaints?dim=tag&key=refund:late&week="+week, "sunil", nil)
			if len(rec.get("versions").([]any)) != 1 || rec.Header.Get("ETag") != `"v1"` {
				t.Errorf("the record: %s %q", rec.Raw, rec.Header.Get("ETag"))
			}
			put := func(ifMatch string) response {
				h := http.Header{"Authorization": {"Bearer " + d.Tokens["sunil"]}, "If-Match": {ifMatch}}
				return d.send("PUT", "/api/v1/reports/complaints", h, map[string]any{"dim": "tag", "key": "refund:late",
					"week": week, "note": "Courier replaced"})
			}
			if r := put(`"v1"`); r.Status != 200 || r.Header.Get("ETag") != `"v2"` {
				t.Errorf("a current write: %d %s", r.Status, r.Raw)
			}
			if r := put(`"v1"`); r.Status != http.StatusPreconditionFailed {
				t.Errorf("a stale write: %d %s", r.Status, r.Raw)
			}
			if r := d.call("PUT", "/api/v1/reports/complaints", "sunil", map[string]any{"dim": "tag", "key": "x", "week": "soon", "note": ""}); r.Status != http.StatusBadRequest {
				t.Errorf("a bad week: %d", r.Status)
			}
		})
}
