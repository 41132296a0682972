package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Bad input gets a clear 4xx with the JSON error shape, and nothing is
// written.
func TestBadInput(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		tk := d.mustCreateTicket("ada", map[string]any{"team_id": d.Teams[1].ID})
		tid := id(tk.id("id"))
		valid := `{"subject":"Hello","body":"Hi","requester":{"email":"x@y.test"}}`
		noNewTickets := func(t *testing.T, d *testDesk) {
			assertChecks(t, d.mustCall(200, "GET", "/api/v1/tickets", "ada", nil), []check{{"tickets.#", 1}})
		}
		unchanged := func(t *testing.T, d *testDesk) {
			assertChecks(t, d.ticket(tk.id("id")), []check{{"subject", "Printer on fire"}, {"priority", "normal"}})
		}
		huge := `{"subject":"big","body":"` + strings.Repeat("x", 1<<20) + `","requester":{"email":"x@y.test"}}`
		d.run([]scenario{
			{name: "malformed JSON", method: "POST", path: "/api/v1/tickets", as: "ada", body: `{"subject": "x",`,
				wantStatus: 400, wantCode: "invalid", after: noNewTickets},
			{name: "not JSON at all", method: "POST", path: "/api/v1/tickets", as: "ada", body: `subject=x`,
				wantStatus: 400, wantCode: "invalid", after: noNewTickets},
			{name: "an empty body", method: "POST", path: "/api/v1/tickets", as: "ada", body: ``,
				wantStatus: 400, wantCode: "invalid", after: noNewTickets},
			{name: "two JSON values", method: "POST", path: "/api/v1/tickets", as: "ada", body: valid + valid,
				wantStatus: 400, wantCode: "invalid", after: noNewTickets},
			{name: "an unknown field is named", method: "POST", path: "/api/v1/tickets", as: "ada",
				body:       `{"subject":"x","body":"y","requester":{"email":"x@y.test"},"sujbect":"typo"}`,
				wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.sujbect", "is not a known field"}},
				after: noNewTickets},
			{name: "a field of the wrong type is named", method: "POST", path: "/api/v1/tickets", as: "ada",
				body:       `{"subject":5,"body":"y","requester":{"email":"x@y.test"}}`,
				wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.subject", "must be a string"}},
				after: noNewTickets},
			{name: "a body over 1 MiB", method: "POST", path: "/api/v1/tickets", as: "ada", body: huge,
				wantStatus: 413, wantCode: "too_large", after: noNewTickets},
			{name: "invalid UTF-8 in a subject", method: "POST", path: "/api/v1/tickets", as: "ada",
				body:       []byte("{\"subject\":\"caf\xe9\",\"body\":\"y\",\"requester\":{\"email\":\"x@y.test\"}}"),
				wantStatus: 400, wantCode: "invalid", after: noNewTickets},
			{name: "a control character in a subject", method: "POST", path: "/api/v1/tickets", as: "ada",
				body:       `{"subject":"ring\u0007bell","body":"y","requester":{"email":"x@y.test"}}`,
				wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.subject", "must not contain control characters"}},
				after: noNewTickets},
			{name: "a NUL in a subject", method: "POST", path: "/api/v1/tickets", as: "ada",
				body:       `{"subject":"nul\u0000","body":"y","requester":{"email":"x@y.test"}}`,
				wantStatus: 400, wantCode: "invalid", after: noNewTickets},
			{name: "a subject too long", method: "POST", path: "/api/v1/tickets", as: "ada",
				body:       map[string]any{"subject": strings.Repeat("स", 251), "body": "y", "requester": map[string]any{"email": "x@y.test"}},
				wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.subject", "is too long"}}, after: noNewTickets},
			{name: "every problem is named at once", method: "POST", path: "/api/v1/tickets", as: "ada",
				body: map[string]any{"subject": "", "body": "", "requester": map[string]any{"email": "nope"}, "priority": "meh",
					"channel": "pigeon", "status": "closed", "team_id": 999999},
				wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.subject", "is required"}, {"error.fields.body", "is required"},
					{"error.fields.priority", "must be one of low, normal, high, urgent"}, {"error.fields.status", "must be an open status"},
					{"error.fields.team_id", "no such team"}},
				after: noNewTickets},
			{name: "a requester is required", method: "POST", path: "/api/v1/tickets", as: "ada",
				body: `{"subject":"x","body":"y"}`, wantStatus: 400, wantCode: "invalid", after: noNewTickets},
			{name: "a negative id", method: "PATCH", path: "/api/v1/tickets/" + tid, as: "ada",
				body: `{"priority":"high","assignee_id":-3}`, wantStatus: 400, wantCode: "invalid", after: unchanged,
				want: []check{{"error.fields.assignee_id", "must be a positive whole number (an id)"}}},
			{name: "a fractional id", method: "PATCH", path: "/api/v1/tickets/" + tid, as: "ada",
				body: `{"priority":"high","team_id":1.5}`, wantStatus: 400, wantCode: "invalid", after: unchanged,
				want: []check{{"error.fields.team_id", "must be a positive whole number (an id)"}}},
			{name: "an id as a string", method: "PATCH", path: "/api/v1/tickets/" + tid, as: "ada",
				body: `{"priority":"high","team_id":"1"}`, wantStatus: 400, wantCode: "invalid", after: unchanged},
			{name: "an enormous number", method: "PATCH", path: "/api/v1/tickets/" + tid, as: "ada",
				body: `{"priority":"high","team_id":1e400}`, wantStatus: 400, wantCode: "invalid", after: unchanged},
			{name: "tags must be a list", method: "PATCH", path: "/api/v1/tickets/" + tid, as: "ada",
				body: `{"tags":"a,b"}`, wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.tags", "must be an array"}},
				after: unchanged},
			{name: "PATCH of a ticket that does not exist", method: "PATCH", path: "/api/v1/tickets/999999", as: "ada",
				body: `{"priority":"high"}`, wantStatus: 404, wantCode: "not_found"},
			{name: "a reply to a ticket that does not exist", method: "POST", path: "/api/v1/tickets/999999/messages", as: "ada",
				body: `{"body":"hi"}`, wantStatus: 404, wantCode: "not_found"},
			{name: "an escaped backslash before u0000 is plain text", method: "POST", path: "/api/v1/tickets", as: "ada",
				body: `{"subject":"C:\\\\u0000","body":"y","requester":{"email":"x@y.test"}}`, wantStatus: 201,
				want: []check{{"subject", `C:\\u0000`}}},
			{name: "no credentials", method: "GET", path: "/api/v1/tickets", wantStatus: 401, wantCode: "unauthorized"},
			{name: "an unknown token", method: "GET", path: "/api/v1/tickets", as: "nobody", wantStatus: 401, wantCode: "unauthorized"},
		})

		t.Run("a malformed Authorization header", func(t *testing.T) {
			for _, h := range []string{"Basic YWRhOnB3", "Bearer", "Bearer ", "bearer " + d.Tokens["ada"], d.Tokens["ada"]} {
				dd := *d
				dd.t = t
				r := dd.send("GET", "/api/v1/me", http.Header{"Authorization": {h}}, nil)
				if r.Status != 401 || r.errorCode() != "unauthorized" {
					t.Errorf("Authorization %q: %d %s", h, r.Status, r.Raw)
				}
			}
		})
	})
}

// garbageBodies are whole request bodies that are not what any route wants.
var garbageBodies = []string{
	"", " ", "null", "true", "0", "-1", `"text"`, "[]", "[{}]", "{", "}", "{}{}", `{"a":1}`, "\xff\xfe{}", "\ufeff{}",
	`{"":null}`, strings.Repeat("[", 20000) + strings.Repeat("]", 20000), `{"x":` + strings.Repeat(`{"x":`, 500) + "1" +
		strings.Repeat("}", 501),
}

// garbageValues are JSON values tried for every field a route knows.
var garbageValues = []string{
	"null", "true", "-1", "1.5", "1e400", "99999999999999999999999", `""`, `"\u0000"`, `"\ud800"`,
	`"` + strings.Repeat("ह", 300) + `"`, "[]", `[null,-1,"a",{}]`, `{"a":{"b":[]}}`,
}

// garbageQueries are query strings tried on every GET route.
var garbageQueries = []string{
	"status=%00", "tag=%00", "requester=%00", "q=%00", "cursor=%00", "tag=%ff", "requester=-1", "q=%27%20OR%201%3D1--",
	"limit=-1", "limit=99999999999999999999", "assignee_id=99999999999999999999", "updated_since=0000-00-00T00:00:00Z",
	"cursor=" + strings.Repeat("A", 5000), "sort=%00", "since=%00", "until=yesterday", "action=%27", "actor_id=-5",
	"actor_kind=%00",
	// Search syntax: unbalanced quotes, lone operators, FTS5 and tsquery syntax, 10,000 characters.
	"q=%22unbalanced", "q=-", "q=%3A", "q=NEAR(a%20b)", "q=a%20%26%20!b%20%3C-%3E%20c", "q=*", "q=%5C", "q=status%3A",
	"q=" + strings.Repeat("%E0%A4%95", 10000), "q=x&from=yesterday", "q=x&type=%00", "q=x&cursor=MA", "q=x&to=2026-02-30",
}

// knownKeys is every field name of every request body in the API.
var knownKeys = []string{
	"subject", "body", "body_html", "requester", "status", "priority", "type", "channel", "tags", "custom_fields",
	"team_id", "assignee_id", "internal", "reason", "into_id", "other_id", "kind", "name", "emails", "email", "phone",
	"language", "organization_id", "domains", "notes", "role", "active", "password", "tier", "lead_id", "member_ids",
	"description", "permissions", "key", "label", "options", "required", "position", "category",
	"url", "events", "rotate_secret",
}

// Never a 500 for bad input: every POST and PATCH route gets garbage bodies,
// and every field a route knows gets values of every wrong shape.
func TestGarbageNeverFails(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		ids := fixtureIDs(d)
		for _, rt := range d.Server.Routes() {
			path := concretePath(rt.Path, ids)
			if rt.Method == "GET" && !isStream(rt.Path) {
				for _, q := range garbageQueries {
					if r := d.call("GET", path+"?"+q, "ada", nil); r.Status >= 500 {
						t.Errorf("GET %s?%s: status %d\n%s", path, q, r.Status, r.Raw)
					}
				}
				continue
			}
			if rt.Method != "POST" && rt.Method != "PATCH" {
				continue
			}
			try := func(body []byte) int {
				r := d.call(rt.Method, path, "ada", body)
				if r.Status >= 500 {
					t.Errorf("%s %s with %.200q: status %d\n%s", rt.Method, rt.Path, body, r.Status, r.Raw)
				}
				return r.Status
			}
			for _, b := range garbageBodies {
				try([]byte(b))
			}
			if !rt.API {
				// A page's form handler reads form fields, not JSON: every
				// JSON field would reach it as the same empty form.
				// TestFormsRefuseNULAndInvalidUTF8 tries its fields.
				continue
			}
			for _, key := range knownKeys {
				probe := d.call(rt.Method, path, "ada", map[string]any{key: nil})
				if strings.HasPrefix(probe.str("error.message"), "unknown field") {
					continue
				}
				for _, v := range garbageValues {
					if key == "password" && strings.HasPrefix(v, `"`) {
						continue // a valid password is hashed slowly, on purpose
					}
					var buf bytes.Buffer
					buf.WriteString(`{"` + key + `":` + v + `}`)
					if !json.Valid(buf.Bytes()) && !strings.Contains(v, "1e400") && !strings.Contains(v, "\\ud800") {
						t.Fatalf("test bug: %s is not JSON", buf.Bytes())
					}
					try(buf.Bytes())
				}
			}
		}
	})
}

// The browser's forms get the same care as JSON bodies: a NUL or invalid
// UTF-8 in any form field is a 400, never a 500 from PostgreSQL.
func TestFormsRefuseNULAndInvalidUTF8(t *testing.T) {
	t.Parallel()
	fields := []string{"subject", "body", "name", "email", "reason", "tags", "into", "label", "options", "key",
		"description", "language", "role", "status", "priority", "type", "team_id", "assignee_id", "kind", "tier"}
	eachBackend(t, func(t *testing.T, d *testDesk) {
		ids := fixtureIDs(d)
		for _, rt := range d.Server.Routes() {
			if rt.API || rt.Method != "POST" || rt.Path == "/login" {
				continue
			}
			path := concretePath(rt.Path, ids)
			for _, bad := range []string{"a\x00b", "caf\xe9"} {
				form := url.Values{}
				for _, f := range fields {
					form.Set(f, bad)
				}
				h := http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]}, "Accept": {"text/html"},
					"Content-Type": {"application/x-www-form-urlencoded"}}
				if r := d.send("POST", path, h, form.Encode()); r.Status != http.StatusBadRequest {
					t.Errorf("POST %s with %q in every field: status %d, want 400", rt.Path, bad, r.Status)
				}
			}
		}
	})
}

// A null is refused where a field cannot be null: decoding it as absent would
// silently drop what the client asked for. Where null means "clear"
// (assignee_id, team_id, organization_id, lead_id) it clears.
func TestNullOnlyWhereAFieldCanBeNull(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		ids := fixtureIDs(d)
		tk := "/api/v1/tickets/" + ids["ticket"]
		d.mustCall(200, "PATCH", tk, "ada", map[string]any{"assignee_id": d.Agents["ravi"].ID})
		d.run([]scenario{
			{name: "a null body", method: "PATCH", path: tk, as: "ada", body: "null", wantStatus: 400,
				wantCode: "invalid", want: []check{{"error.fields.body", "must be an object"}}},
			{name: "a null subject", method: "PATCH", path: tk, as: "ada", body: `{"subject":null}`, wantStatus: 400,
				wantCode: "invalid", want: []check{{"error.fields.subject", "must be a string"}}},
			{name: "null tags", method: "PATCH", path: tk, as: "ada", body: `{"tags":null}`, wantStatus: 400,
				wantCode: "invalid", want: []check{{"error.fields.tags", "must be an array"}}},
			{name: "a null requester email", method: "POST", path: "/api/v1/tickets", as: "ada",
				body: `{"subject":"s","body":"b","requester":{"email":null}}`, wantStatus: 400, wantCode: "invalid"},
			{name: "a null name of a contact", method: "PATCH", path: "/api/v1/contacts/" + ids["contact"], as: "ada",
				body: `{"name":null}`, wantStatus: 400, wantCode: "invalid"},
			{name: "a null assignee unassigns", method: "PATCH", path: tk, as: "ada", body: `{"assignee_id":null}`,
				wantStatus: 200, want: []check{{"assignee_id", nil}}},
			{name: "a new ticket with a null team and assignee has neither", method: "POST", path: "/api/v1/tickets",
				as: "ada", body: `{"subject":"s","body":"b","requester":{"email":"k@x.test"},"team_id":null,"assignee_id":null}`,
				wantStatus: 201, want: []check{{"team_id", nil}, {"assignee_id", nil}}},
		})
	})
}
