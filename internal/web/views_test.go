package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Saved views over the API: personal ones are their owner's alone; a view
// shared with a team is made and changed by the team's lead (or whoever
// manages teams) and seen by its members; versions guard every write.
func TestSavedViewsAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		tier1 := d.Teams[1].ID
		var mine, shared int64
		d.run([]scenario{
			{name: "an agent saves a personal view", method: "POST", path: "/api/v1/views", as: "ravi",
				body: map[string]any{"name": "VIP unsolved", "query": map[string]any{"statuses": []string{"unsolved"},
					"tags": []string{"VIP"}, "assignee": "me"}},
				wantStatus: 201, want: []check{{"scope", "personal"}, {"owner_id", d.Agents["ravi"].ID}, {"query.tags.0", "vip"},
					{"query.statuses.0", "unsolved"}, {"version", 1}},
				after: func(t *testing.T, d *testDesk) {
					mine = d.mustCall(200, "GET", "/api/v1/views", "ravi", nil).id("views.0.id")
				}},
			{name: "nobody else sees it", method: "GET", path: "/api/v1/views", as: "meera", wantStatus: 200,
				want: []check{{"views.#", 0}}},
			{name: "an agent may not share a view with their team", method: "POST", path: "/api/v1/views", as: "ravi",
				body: map[string]any{"name": "Team queue", "scope": "team", "team_id": tier1}, wantStatus: 403, wantCode: "forbidden"},
			{name: "the team's lead may", method: "POST", path: "/api/v1/views", as: "lena",
				body: map[string]any{"name": "Frontline urgent", "scope": "team", "team_id": tier1,
					"query": map[string]any{"priorities": []string{"urgent"}, "statuses": []string{"unsolved"}}},
				wantStatus: 201, want: []check{{"scope", "team"}, {"team_id", tier1}, {"owner_id", nil}},
				after: func(t *testing.T, d *testDesk) {
					r := d.mustCall(200, "GET", "/api/v1/views", "ravi", nil)
					assertChecks(t, r, []check{{"views.#", 2}, {"views.1.name", "Frontline urgent"}}) // by id
					shared = r.id("views.1.id")
				}},
			{name: "a bad query is refused naming the field", method: "POST", path: "/api/v1/views", as: "ravi",
				body:       map[string]any{"name": "x", "query": map[string]any{"priorities": []string{"whenever"}}},
				wantStatus: 400, wantCode: "invalid"},
			{name: "an unknown query field is refused", method: "POST", path: "/api/v1/views", as: "ravi",
				body: map[string]any{"name": "x", "query": map[string]any{"colour": "red"}}, wantStatus: 400},
		})
		d.run([]scenario{
			{name: "a member of another team does not see the team's view", method: "GET", path: "/api/v1/views/" + id(shared),
				as: "meera", wantStatus: 404, wantCode: "not_found"},
			{name: "a member may read but not change it", method: "PATCH", path: "/api/v1/views/" + id(shared), as: "ravi",
				body: map[string]any{"name": "Mine now"}, wantStatus: 403, wantCode: "forbidden"},
			{name: "the owner renames their view", method: "PATCH", path: "/api/v1/views/" + id(mine), as: "ravi",
				body: map[string]any{"name": "VIPs"}, wantStatus: 200, want: []check{{"name", "VIPs"}, {"version", 2},
					{"query.tags.0", "vip"}}},
		})
		stale := d.send("PATCH", "/api/v1/views/"+id(mine), http.Header{"Authorization": {"Bearer " + d.Tokens["ravi"]},
			"If-Match": {`"v1"`}}, map[string]any{"name": "Late"})
		if stale.Status != 412 || stale.errorCode() != "stale" {
			t.Fatalf("stale If-Match: %d %s", stale.Status, stale.Raw)
		}
		got := d.mustCall(200, "GET", "/api/v1/views/"+id(mine), "ravi", nil)
		if got.Header.Get("ETag") != `"v2"` {
			t.Errorf("ETag %q, want \"v2\"", got.Header.Get("ETag"))
		}
		del := d.send("DELETE", "/api/v1/views/"+id(mine), http.Header{"Authorization": {"Bearer " + d.Tokens["ravi"]},
			"If-Match": {`"v2"`}}, nil)
		if del.Status != 204 {
			t.Fatalf("delete: %d %s", del.Status, del.Raw)
		}
		d.mustCall(404, "GET", "/api/v1/views/"+id(mine), "ravi", nil)
		d.mustCall(204, "DELETE", "/api/v1/views/"+id(shared), "sunil", nil) // teams:write manages every team's views
	})
}

// countOf reads a view's count from the sidebar.
func countOf(t *testing.T, page, key string) string {
	t.Helper()
	re := regexp.MustCompile(`data-view="` + regexp.QuoteMeta(key) + `"[^>]*>[\s\S]*?<span class="count"[^>]*>([^<]*)</span>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no view %s in the sidebar", key)
	}
	return m[1]
}

// The list page: the sidebar of views with counts, the unsolved filter
// with several statuses, tags without regard to case, the jump box, and
// saving, changing and deleting a view, and the landing view.
func TestViewsPages(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"ravi": goodPassword}, func(t *testing.T, d *testDesk) {
		tier1 := d.Teams[1].ID
		ravi := d.Agents["ravi"].ID
		a := d.mustCreateTicket("ada", map[string]any{"team_id": tier1, "assignee_id": ravi, "tags": []string{"vip"}}).id("id")
		b := d.mustCreateTicket("ada", map[string]any{"team_id": tier1}).id("id")
		c := d.mustCreateTicket("ada", map[string]any{"team_id": tier1, "assignee_id": ravi}).id("id")
		d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(c), "ada", map[string]any{"status": "solved"})
		d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(b), "ada", map[string]any{"status": "pending"})
		br := d.signedIn(t, "ravi")

		list := br.page("/tickets")
		if !strings.Contains(list, `aria-current="page">`) || countOf(t, list, "mine") != "1" || countOf(t, list, "teams") != "2" ||
			countOf(t, list, "pending") != "1" || countOf(t, list, "solved") != "1" || countOf(t, list, "all") != "3" {
			t.Fatalf("sidebar counts wrong:\n%s", list)
		}
		if !strings.Contains(list, `href="/tickets/`+id(a)+`"`) {
			t.Errorf("ravi did not land on his own ticket")
		}
		// Beside a ticket on a wide screen: the view's sidebar and first tickets.
		pane := br.page("/views/sidebar?list=1&current=" + id(a) + "&view=mine")
		if !strings.Contains(pane, `id="pane-list"`) || !strings.Contains(pane, `<a href="/tickets/`+id(a)+`" aria-current="page">`) {
			t.Errorf("the pane beside ticket %d does not list it:\n%s", a, pane)
		}
		// Several statuses; "unsolved" among them.
		page := br.page("/tickets?view=all&status=pending&status=solved")
		if strings.Contains(page, `href="/tickets/`+id(a)+`"`) || !strings.Contains(page, `href="/tickets/`+id(b)+`"`) ||
			!strings.Contains(page, `href="/tickets/`+id(c)+`"`) {
			t.Errorf("status=pending&status=solved shows the wrong tickets")
		}
		page = br.page("/tickets?view=all&status=unsolved")
		if !strings.Contains(page, `href="/tickets/`+id(a)+`"`) || strings.Contains(page, `href="/tickets/`+id(c)+`"`) {
			t.Errorf("status=unsolved shows the wrong tickets")
		}
		// Tags match without regard to case, with suggestions.
		page = br.page("/tickets?view=all&tag=VIP")
		if !strings.Contains(page, `href="/tickets/`+id(a)+`"`) || strings.Contains(page, `href="/tickets/`+id(b)+`"`) {
			t.Errorf("tag=VIP does not find the vip ticket")
		}
		if !strings.Contains(page, `<datalist id="tag-suggestions"><option value="vip">`) {
			t.Errorf("no tag suggestions")
		}
		// Jump to a number from anywhere.
		for q, want := range map[string]string{id(b): "/tickets/" + id(b), "#" + id(a): "/tickets/" + id(a), "vip": "/search?q=vip"} {
			res, _ := br.do("GET", "/go?q="+url.QueryEscape(q), htmlHeaders, "")
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
				t.Errorf("jump %q: %d to %q, want %q", q, res.StatusCode, res.Header.Get("Location"), want)
			}
		}
		if !strings.Contains(br.page("/contacts"), `data-jump`) {
			t.Errorf("the jump box is not on every page")
		}

		// Save the filtered list as a view, see it in the sidebar, change it, land on it, delete it.
		csrf := formFields(t, page, "save-view").Get("csrf")
		form := formFields(t, page, "save-view")
		form.Set("name", "My VIPs")
		res, _ := br.post("/views", form)
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/tickets?view=saved%3A") {
			t.Fatalf("save view: %d to %q", res.StatusCode, loc)
		}
		saved := br.page(loc)
		key, _ := url.QueryUnescape(strings.TrimPrefix(loc, "/tickets?view="))
		if countOf(t, saved, key) != "1" || !strings.Contains(saved, "My VIPs") || !strings.Contains(saved, `href="/tickets/`+id(a)+`"`) {
			t.Fatalf("the saved view does not show:\n%s", saved)
		}
		edit := formFields(t, saved, "edit-view")
		edit.Set("name", "VIPs")
		if res, body := br.post(strings.Replace(key, "saved:", "/views/", 1), edit); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit view: %d\n%s", res.StatusCode, body)
		}
		if res, _ := br.post("/views/landing", url.Values{"csrf": {csrf}, "view": {key}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("landing: %d", res.StatusCode)
		}
		landed := br.page("/tickets")
		if !strings.Contains(landed, `<h1 id="view-title">VIPs</h1>`) {
			t.Errorf("did not land on the chosen view")
		}
		// A stale edit form is refused with a message, not applied.
		if res, _ := br.post(strings.Replace(key, "saved:", "/views/", 1), edit); res.StatusCode != http.StatusSeeOther {
			t.Errorf("stale edit: %d", res.StatusCode)
		} else if !strings.Contains(br.page("/tickets"), "flash-msg fail") {
			t.Errorf("stale edit shows no failure")
		}
		del := formFields(t, br.page("/tickets?view="+url.QueryEscape(key)), "edit-view")
		del.Del("name")
		if res, _ := br.post(strings.Replace(key, "saved:", "/views/", 1)+"/delete", url.Values{"csrf": {csrf}, "version": {del.Get("version")}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete view: %d", res.StatusCode)
		}
		if strings.Contains(br.page("/tickets"), "VIPs") {
			t.Errorf("the deleted view is still there")
		}
	})
}
