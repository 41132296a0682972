package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Under /api/v1 every answer is JSON, the misses included: an unknown path
// is a 404, a known path with the wrong method a 405 naming the methods that
// work, a body that is not JSON a 415, and a 401 says how to authenticate.
func TestAPIErrorsAreJSON(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		tk := d.mustCreateTicket("ada", nil)
		tid := id(tk.id("id"))
		oneTicket := func(t *testing.T, d *testDesk) {
			assertChecks(t, d.mustCall(200, "GET", "/api/v1/tickets", "ada", nil), []check{{"tickets.#", 1}})
		}
		d.run([]scenario{
			{name: "an unknown route is a JSON 404", method: "GET", path: "/api/v1/nothing-here", as: "ada",
				wantStatus: 404, wantCode: "not_found"},
			{name: "an unknown route is a 404 without credentials too", method: "GET", path: "/api/v1/nothing-here",
				wantStatus: 404, wantCode: "not_found"},
			{name: "an unknown path under a known one", method: "GET", path: "/api/v1/tickets/" + tid + "/nothing", as: "ada",
				wantStatus: 404, wantCode: "not_found"},
			{name: "a wrong method is a JSON 405", method: "DELETE", path: "/api/v1/tickets", as: "ada",
				wantStatus: 405, wantCode: "method_not_allowed", after: oneTicket},
			{name: "PUT on a ticket is a 405", method: "PUT", path: "/api/v1/tickets/" + tid, as: "ada",
				body: `{"subject":"x"}`, wantStatus: 405, wantCode: "method_not_allowed"},
		})
		for _, c := range []struct {
			method, path, allow string
		}{
			{"DELETE", "/api/v1/tickets", "GET, HEAD, POST"},
			{"PUT", "/api/v1/tickets/" + tid, "GET, HEAD, PATCH"},
			{"POST", "/api/v1/tags/spare", "DELETE, GET, HEAD"},
			{"GET", "/api/v1/notifications/read", "POST"},
		} {
			r := d.call(c.method, c.path, "ada", nil)
			if r.Status != 405 || r.Header.Get("Allow") != c.allow {
				t.Errorf("%s %s: %d, Allow %q; want 405 with Allow %q", c.method, c.path, r.Status, r.Header.Get("Allow"), c.allow)
			}
		}
		if r := d.call("OPTIONS", "/api/v1/tickets", "ada", nil); r.Status != 405 || r.Header.Get("Allow") != "GET, HEAD, POST" {
			t.Errorf("OPTIONS: %d, Allow %q", r.Status, r.Header.Get("Allow"))
		}

		valid := `{"subject":"Hello","body":"Hi","requester":{"email":"x@y.test"}}`
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "", "application/jsonx", "multipart/form-data; boundary=x"} {
			req, err := http.NewRequest("POST", d.URL+"/api/v1/tickets", strings.NewReader(valid))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+d.Tokens["ada"])
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 415 || !strings.Contains(string(raw), `"code":"unsupported_media_type"`) {
				t.Errorf("Content-Type %q: %d %s, want 415 unsupported_media_type", ct, res.StatusCode, raw)
			}
		}
		for _, ct := range []string{"application/json", "application/json; charset=utf-8"} {
			h := http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]}, "Content-Type": {ct}}
			if r := d.send("PATCH", "/api/v1/tickets/"+tid, h, `{"priority":"high"}`); r.Status != 200 {
				t.Errorf("Content-Type %q: %d %s, want 200", ct, r.Status, r.Raw)
			}
		}
		oneTicket(t, d)

		for _, c := range []struct{ name, auth, want string }{
			{"no credentials", "", `Bearer realm="sahayak"`},
			{"an unknown token", "Bearer shk_nope", `Bearer realm="sahayak", error="invalid_token"`},
			{"another scheme", "Basic YWRhOnB3", `Bearer realm="sahayak", error="invalid_token"`},
		} {
			h := http.Header{}
			if c.auth != "" {
				h.Set("Authorization", c.auth)
			}
			r := d.send("GET", "/api/v1/tickets", h, nil)
			if r.Status != 401 || r.Header.Get("WWW-Authenticate") != c.want {
				t.Errorf("%s: %d, WWW-Authenticate %q; want 401 with %q", c.name, r.Status, r.Header.Get("WWW-Authenticate"), c.want)
			}
		}
	})
}

// Every 201 names what it created in Location, and the address reads it back.
func TestCreatedHasLocation(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		tk := d.mustCreateTicket("ada", nil)
		other := d.mustCreateTicket("ada", nil)
		tid := id(tk.id("id"))
		for _, c := range []struct {
			path string
			body any
		}{
			{"/api/v1/tickets", map[string]any{"subject": "S", "body": "B", "requester": map[string]any{"email": "l@x.test"}}},
			{"/api/v1/tickets/" + tid + "/messages", map[string]any{"body": "A reply"}},
			{"/api/v1/tickets/" + tid + "/links", map[string]any{"other_id": other.id("id")}},
			{"/api/v1/contacts", map[string]any{"name": "C", "email": "c@x.test"}},
			{"/api/v1/organizations", map[string]any{"name": "O"}},
			{"/api/v1/agents", map[string]any{"email": "new@desk.test", "name": "New", "role": "agent"}},
			{"/api/v1/teams", map[string]any{"name": "T"}},
			{"/api/v1/roles", map[string]any{"name": "r"}},
			{"/api/v1/fields", map[string]any{"key": "k", "label": "K", "kind": "text"}},
			{"/api/v1/statuses", map[string]any{"name": "waiting_on_vendor", "category": "on_hold"}},
			{"/api/v1/tags", map[string]any{"name": "vip"}},
			{"/api/v1/tokens", map[string]any{"name": "ci"}},
		} {
			r := d.mustCall(201, "POST", c.path, "ada", c.body)
			loc := r.Header.Get("Location")
			if !strings.HasPrefix(loc, "/api/v1/") {
				t.Errorf("POST %s: Location %q", c.path, loc)
				continue
			}
			got := d.call("GET", loc, "ada", nil)
			if got.Status != 200 {
				t.Errorf("POST %s: GET %s answers %d\n%s", c.path, loc, got.Status, got.Raw)
			}
			if r.id("id") != 0 && got.id("id") != r.id("id") {
				t.Errorf("POST %s: GET %s reads id %d, created %d", c.path, loc, got.id("id"), r.id("id"))
			}
		}
	})
}
