package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// fixtureIDs creates one spare object of every kind a route's {id} may name
// and returns their ids by kind. Spares may be changed or deleted by the
// tests that walk the route table without disturbing the cast.
func fixtureIDs(d *testDesk) map[string]string {
	d.t.Helper()
	ids := map[string]string{}
	ids["ticket"] = id(d.mustCreateTicket("ada", nil).id("id"))
	ids["contact"] = id(d.mustCall(201, "POST", "/api/v1/contacts", "ada", map[string]any{"name": "Spare", "email": "spare@x.test"}).id("id"))
	ids["organization"] = id(d.mustCall(201, "POST", "/api/v1/organizations", "ada", map[string]any{"name": "Spare"}).id("id"))
	ids["agent"] = id(d.mustCall(201, "POST", "/api/v1/agents", "ada",
		map[string]any{"email": "spare@desk.test", "name": "Spare", "role": "agent"}).id("id"))
	ids["team"] = id(d.mustCall(201, "POST", "/api/v1/teams", "ada", map[string]any{"name": "Spare"}).id("id"))
	ids["role"] = id(d.mustCall(201, "POST", "/api/v1/roles", "ada", map[string]any{"name": "spare"}).id("id"))
	ids["field"] = id(d.mustCall(201, "POST", "/api/v1/fields", "ada", map[string]any{"key": "spare", "label": "Spare", "kind": "text"}).id("id"))
	ids["token"] = id(d.mustCall(201, "POST", "/api/v1/tokens", "ada", map[string]any{"name": "spare"}).id("id"))
	d.mustCall(201, "POST", "/api/v1/tags", "ada", map[string]any{"name": "spare"})
	ids["webhook"] = id(d.mustCall(201, "POST", "/api/v1/webhooks", "ada",
		map[string]any{"url": "http://127.0.0.1:9/spare", "events": []string{"*"}}).id("id"))
	return ids
}

// concretePath fills a route pattern's wildcards with existing things.
func concretePath(pattern string, ids map[string]string) string {
	p := strings.TrimSuffix(pattern, "{$}")
	p = strings.ReplaceAll(p, "{file...}", "app.css")
	p = strings.ReplaceAll(p, "{name}", "spare")
	if !strings.Contains(p, "{") {
		return p
	}
	kind := "ticket"
	for _, k := range []string{"contact", "organization", "agent", "team", "role", "field", "token", "webhook"} {
		if strings.Contains(p, "/"+k+"s/") {
			kind = k
		}
	}
	for strings.Contains(p, "{") {
		start, end := strings.Index(p, "{"), strings.Index(p, "}")
		p = p[:start] + ids[kind] + p[end+1:]
	}
	return p
}

// Every route names a permission; a role without it gets 403 from the
// middleware, a role with it gets past the middleware, and nobody gets 401
// (API) or the sign-in page (pages).
func TestRouteByRole(t *testing.T) {
	t.Parallel()
	// The permission check is the same on every backend; SQLite is enough.
	b := storetest.Backends()[0]
	d := newDesk(t, b, nil)
	ids := fixtureIDs(d)
	roles := map[string][]string{}
	for _, r := range auth.BuiltinRoles {
		roles[r.Name] = r.Permissions
	}
	for _, rt := range d.Server.Routes() {
		if rt.Permission == "" {
			t.Errorf("%s %s names no permission", rt.Method, rt.Path)
			continue
		}
		if rt.Permission != auth.Public && rt.Permission != auth.SignedIn && !auth.Known(rt.Permission) {
			t.Errorf("%s %s names an unknown permission %q", rt.Method, rt.Path, rt.Permission)
		}
		if rt.Permission == auth.Public {
			continue
		}
		path := concretePath(rt.Path, ids)
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			// Unauthenticated.
			r := probe(t, d, rt.Method, path, "", !rt.API)
			if rt.API {
				if r.Status != 401 || r.errorCode() != "unauthorized" {
					t.Errorf("without credentials: %d %s", r.Status, r.Raw)
				}
			} else if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
				t.Errorf("without credentials: %d to %q, want a redirect to /login", r.Status, r.Header.Get("Location"))
			}
			if rt.Permission == auth.SignedIn {
				return
			}
			for _, role := range []string{auth.RoleAgent, auth.RoleTeamLead, auth.RoleSupervisor, auth.RoleAccountExecutive, auth.RoleAdmin} {
				holds := slices.Contains(roles[role], rt.Permission)
				who := someoneWithRole[role]
				if !holds {
					// Pages answer HTML to browsers; the API answers JSON.
					r := probe(t, d, rt.Method, path, who, !rt.API)
					if r.Status != 403 {
						t.Errorf("%s lacks %s but got %d", role, rt.Permission, r.Status)
					}
					if !rt.API && !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
						t.Errorf("%s: a page's 403 is %q, want HTML", role, r.Header.Get("Content-Type"))
					}
					continue
				}
				r := probe(t, d, rt.Method, path, who, false)
				if r.Status == 403 && strings.Contains(r.str("error.message"), "("+rt.Permission+")") {
					t.Errorf("%s holds %s but the middleware refused: %s", role, rt.Permission, r.Raw)
				}
				if r.Status == 401 || r.Status >= 500 {
					t.Errorf("%s: %d %s", role, r.Status, r.Raw)
				}
			}
		})
	}
}

// probe sends a request as a browser (Accept: text/html) or an API client,
// with an empty JSON object as the body of writes. Live-update streams are
// cut as soon as their headers arrive.
func probe(t *testing.T, d *testDesk, method, path, as string, browser bool) response {
	t.Helper()
	var sent string
	if method == "POST" || method == "PATCH" {
		sent = "{}"
	}
	body := strings.NewReader(sent)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, d.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if as != "" {
		req.Header.Set("Authorization", "Bearer "+d.Tokens[as])
	}
	req.Header.Set("Content-Type", "application/json")
	if browser {
		req.Header.Set("Accept", "text/html")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out := response{Status: res.StatusCode, Header: res.Header}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		return out
	}
	if out.Raw, err = io.ReadAll(res.Body); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	checkContract(t, req, []byte(sent), res, out.Raw)
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(out.Raw, &out.JSON); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
		}
	}
	return out
}
