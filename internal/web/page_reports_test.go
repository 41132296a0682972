package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/xuri/excelize/v2"
)

// The supervisor home shows the floor, the unassigned queue and the
// escalations waiting for a decision, and takes the three decisions; the
// KPI page draws its charts and every figure leads to its tickets.
func TestSupervisorHomeAndReportPages(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"sunil": goodPassword, "tara": goodPassword, "ravi": goodPassword},
		func(t *testing.T, d *testDesk) {
			front, spec := d.Teams[1].ID, d.Teams[2].ID
			d.mustCreateTicket("ravi", map[string]any{"subject": "Waiting alone", "team_id": front})
			escalated := func(subject string) string {
				tk := d.mustCreateTicket("ravi", map[string]any{"subject": subject, "team_id": front})
				d.mustCall(200, "POST", "/api/v1/tickets/"+id(tk.id("id"))+"/escalate", "ravi",
					map[string]any{"team_id": spec, "reason": "needs a specialist"})
				return id(tk.id("id"))
			}
			back, take, give := escalated("Send me back"), escalated("Take me"), escalated("Give me away")
			storetest.CatchUpWith(t, d.DB, report.Consumer, d.Reports.CatchUp)

			sunil := d.signedIn(t, "sunil")
			res, _ := sunil.do("GET", "/", htmlHeaders, "")
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/supervisor" {
				t.Fatalf("a supervisor lands on %d %q", res.StatusCode, res.Header.Get("Location"))
			}
			home := sunil.page("/supervisor")
			for _, want := range []string{"Frontline", "Specialists", "Waiting alone", "Send me back", `data-presence-stream`,
				`data-live-region="list"`, `href="/reports"`} {
				if !strings.Contains(home, want) {
					t.Errorf("the supervisor home lacks %q", want)
				}
			}
			if res, _ := d.signedIn(t, "ravi").do("GET", "/supervisor", htmlHeaders, ""); res.StatusCode != http.StatusForbidden {
				t.Errorf("an agent on the supervisor home: %d", res.StatusCode)
			}

			tara := d.signedIn(t, "tara")
			page := tara.page("/supervisor")
			csrf := csrfField.FindStringSubmatch(page)[1]
			decide := func(ticketID, decision string, form url.Values) {
				t.Helper()
				form.Set("csrf", csrf)
				res, body := tara.post("/supervisor/escalations/"+ticketID+"/"+decision, form)
				if res.StatusCode != http.StatusSeeOther {
					t.Fatalf("%s %s: %d\n%s", decision, ticketID, res.StatusCode, body)
				}
			}
			decide(back, "send-back", url.Values{"team_id": {id(front)}, "note": {"try the reset first"}})
			decide(take, "accept", url.Values{})
			decide(give, "reassign", url.Values{"agent_id": {id(d.Agents["meera"].ID)}})
			if tk := d.ticket(mustID(t, back)); tk.id("team_id") != front {
				t.Errorf("sent back: team %d", tk.id("team_id"))
			}
			if tk := d.ticket(mustID(t, take)); tk.id("assignee_id") != d.Agents["tara"].ID {
				t.Errorf("accepted: assignee %d", tk.id("assignee_id"))
			}
			if tk := d.ticket(mustID(t, give)); tk.id("assignee_id") != d.Agents["meera"].ID {
				t.Errorf("reassigned: assignee %d", tk.id("assignee_id"))
			}
			if res, _ := tara.post("/supervisor/escalations/"+back+"/send-back", url.Values{"csrf": {csrf}, "team_id": {id(front)}}); res.StatusCode != http.StatusBadRequest {
				t.Errorf("send back without a note: %d", res.StatusCode)
			}

			rep := sunil.page("/reports?group_by=team")
			for _, want := range []string{"<svg", "Frontline", `/reports/tickets?metric=created`} {
				if !strings.Contains(rep, want) {
					t.Errorf("the KPI page lacks %q", want)
				}
			}
			link := regexpHref.FindStringSubmatch(rep)
			if link == nil {
				t.Fatal("no drill-down link")
			}
			drill := sunil.page(strings.ReplaceAll(link[1], "&amp;", "&"))
			if !strings.Contains(drill, "Waiting alone") {
				t.Errorf("the drill-down does not list the tickets created:\n%s", drill)
			}
			if res, _ := sunil.do("GET", "/reports?from=2026-02-01&to=2020-01-01", htmlHeaders, ""); res.StatusCode != http.StatusBadRequest {
				t.Errorf("an inverted range on the page: %d", res.StatusCode)
			}

			// Exports: every ticket of the list, formulas defused, and an audit entry.
			d.mustCreateTicket("ravi", map[string]any{"subject": "=HYPERLINK(\"x\")", "team_id": front})
			res, body := sunil.do("GET", "/tickets/export.csv?view=all", nil, "")
			lines := strings.Split(strings.TrimSpace(body), "\n")
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" || len(lines) != 6 ||
				!strings.Contains(body, `'=HYPERLINK`) || !strings.HasPrefix(lines[0], "\uFEFFid,subject") {
				t.Errorf("ticket export: %d %q, %d lines\n%s", res.StatusCode, res.Header.Get("Content-Type"), len(lines), body)
			}
			res, body = sunil.do("GET", "/reports/export.csv?group_by=team", nil, "")
			if res.StatusCode != 200 || !strings.Contains(body, "group,created") || !strings.Contains(body, "\n*,") {
				t.Errorf("report export: %d\n%s", res.StatusCode, body)
			}
			// The same as spreadsheets: every ticket, the formula kept as text.
			res, body = sunil.do("GET", "/tickets/export.xlsx?view=all", nil, "")
			rows := xlsxRows(t, body)
			if res.StatusCode != 200 || !strings.HasSuffix(res.Header.Get("Content-Disposition"), `.xlsx"`) || len(rows) != 6 ||
				rows[0][0] != "id" || !slices.ContainsFunc(rows, func(r []string) bool { return r[1] == `=HYPERLINK("x")` }) {
				t.Errorf("ticket xlsx export: %d %q, rows %q", res.StatusCode, res.Header.Get("Content-Disposition"), rows)
			}
			res, body = sunil.do("GET", "/reports/export.xlsx?group_by=team", nil, "")
			if rows := xlsxRows(t, body); res.StatusCode != 200 || len(rows) < 2 || rows[0][0] != "group" || rows[1][0] != "*" {
				t.Errorf("report xlsx export: %d %q", res.StatusCode, rows)
			}
			audit := d.mustCall(200, "GET", "/api/v1/audit?action=export", "ada", nil)
			if n := len(audit.get("entries").([]any)); n != 4 {
				t.Errorf("%d export entries in the audit log, want 4", n)
			}
			if res, _ := d.signedIn(t, "ravi").do("GET", "/tickets/export.csv?view=all", nil, ""); res.StatusCode != http.StatusForbidden {
				t.Errorf("an agent exporting: %d", res.StatusCode)
			}
		})
}

// xlsxRows reads the first sheet of a workbook.
func xlsxRows(t *testing.T, body string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Errorf("not a workbook: %v", err)
		return nil
	}
	defer f.Close()
	rows, err := f.GetRows("Sheet1")
	if err != nil {
		t.Errorf("read sheet: %v", err)
	}
	return rows
}

// regexpHref finds a drill-down link to the tickets created, in a table.
var regexpHref = regexp.MustCompile(`<td><a href="(/reports/tickets\?metric=created[^"]*)"`)

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
