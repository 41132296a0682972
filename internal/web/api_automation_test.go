package web_test

import (
	"net/http"
	"testing"
)

// Automations, macros and assignment through the API, on each database.
func TestAutomationAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		tk := d.mustCreateTicket("ada", map[string]any{"subject": "Total outage"})
		tid := tk.id("id")
		rule := map[string]any{"name": "Outages are urgent", "trigger": map[string]any{"event": "ticket.created"},
			"conditions": []any{map[string]any{"field": "subject", "op": "contains", "value": "outage"}},
			"actions":    []any{map[string]any{"type": "set", "field": "priority", "value": "urgent"}}}
		d.run([]scenario{
			{name: "an agent may not manage automations", method: "GET", path: "/api/v1/automations", as: "ravi",
				wantStatus: http.StatusForbidden, wantCode: "forbidden"},
			{name: "a rule on a field that does not exist is refused", method: "POST", path: "/api/v1/automations", as: "ada",
				body: map[string]any{"name": "x", "trigger": map[string]any{"event": "ticket.created"},
					"conditions": []any{map[string]any{"field": "mood", "op": "is", "value": "angry"}},
					"actions":    []any{map[string]any{"type": "add_tags", "tags": []string{"x"}}}},
				wantStatus: http.StatusBadRequest, wantCode: "invalid"},
			{name: "a rule that would trigger itself is refused", method: "POST", path: "/api/v1/automations", as: "ada",
				body: map[string]any{"name": "x", "trigger": map[string]any{"event": "ticket.updated"},
					"actions": []any{map[string]any{"type": "add_tags", "tags": []string{"x"}}}},
				wantStatus: http.StatusBadRequest, wantCode: "invalid"},
			{name: "a template reaching outside its data is refused", method: "POST", path: "/api/v1/automations", as: "ada",
				body: map[string]any{"name": "x", "trigger": map[string]any{"event": "ticket.created"},
					"actions": []any{map[string]any{"type": "reply", "text": "{{ .Ticket }}"}}},
				wantStatus: http.StatusBadRequest, wantCode: "invalid"},
			{name: "dry run lists what a rule would touch", method: "POST", path: "/api/v1/automations/dry-run", as: "ada",
				body: rule, wantStatus: http.StatusOK, want: []check{{"tickets.0.id", tid}}},
			{name: "create", method: "POST", path: "/api/v1/automations", as: "ada", body: rule,
				wantStatus: http.StatusCreated, want: []check{{"name", "Outages are urgent"}, {"active", true}, {"version", 1}}},
			{name: "list", method: "GET", path: "/api/v1/automations", as: "ada", wantStatus: http.StatusOK,
				want: []check{{"automations.0.trigger.event", "ticket.created"}, {"next_cursor", nil}}},
			{name: "execution log, empty", method: "GET", path: "/api/v1/automations/1/runs", as: "ada", wantStatus: http.StatusOK},
			{name: "macro with an unknown variable is refused", method: "POST", path: "/api/v1/macros", as: "ravi",
				body:       map[string]any{"name": "Hi", "scope": "personal", "reply": "Hi {{ticket.requester.phone}}"},
				wantStatus: http.StatusBadRequest, wantCode: "invalid"},
			{name: "an agent's personal macro", method: "POST", path: "/api/v1/macros", as: "ravi",
				body: map[string]any{"name": "Greeting", "scope": "personal", "reply": "Namaste {{ticket.requester.name}}",
					"actions": []any{map[string]any{"type": "add_tags", "tags": []string{"greeted"}}}},
				wantStatus: http.StatusCreated, want: []check{{"usage_count", 0}}},
			{name: "an agent may not make a shared macro", method: "POST", path: "/api/v1/macros", as: "ravi",
				body: map[string]any{"name": "All", "scope": "shared", "reply": "x"}, wantStatus: http.StatusForbidden},
			{name: "preview", method: "POST", path: "/api/v1/macros/1/preview", as: "ravi", body: map[string]any{"ticket_id": tid},
				wantStatus: http.StatusOK, want: []check{{"reply", "Namaste Kavya"}, {"changes.0", "+ greeted"}}},
			{name: "someone else's personal macro does not exist for them", method: "POST", path: "/api/v1/macros/1/preview",
				as: "meera", body: map[string]any{"ticket_id": tid}, wantStatus: http.StatusNotFound},
			{name: "apply", method: "POST", path: "/api/v1/macros/1/apply", as: "ravi", body: map[string]any{"ticket_id": tid},
				wantStatus: http.StatusOK, want: []check{{"tags.0", "greeted"}}},
			{name: "usage counted", method: "GET", path: "/api/v1/macros?q=greet", as: "ravi", wantStatus: http.StatusOK,
				want: []check{{"macros.0.usage_count", 1}}},
			{name: "team assignment defaults", method: "GET", path: "/api/v1/teams/" + id(d.Teams[1].ID) + "/assignment", as: "ravi",
				wantStatus: http.StatusOK, want: []check{{"mode", "off"}, {"version", 0}}},
			{name: "an agent may not set assignment", method: "PATCH", path: "/api/v1/teams/" + id(d.Teams[1].ID) + "/assignment",
				as: "ravi", body: map[string]any{"mode": "round_robin"}, wantStatus: http.StatusForbidden},
			{name: "set assignment", method: "PATCH", path: "/api/v1/teams/" + id(d.Teams[1].ID) + "/assignment", as: "ada",
				body: map[string]any{"mode": "skills", "capacity": 5, "hand_back": true}, wantStatus: http.StatusOK,
				want: []check{{"mode", "skills"}, {"version", 1}}},
			{name: "bad mode", method: "PATCH", path: "/api/v1/teams/" + id(d.Teams[1].ID) + "/assignment", as: "ada",
				body: map[string]any{"mode": "lottery"}, wantStatus: http.StatusBadRequest},
			{name: "skills and languages", method: "PATCH", path: "/api/v1/agents/" + id(d.Agents["ravi"].ID) + "/routing", as: "ada",
				body: map[string]any{"skills": []string{"Billing"}, "languages": []string{"hi"}, "capacity": 3}, wantStatus: http.StatusOK,
				want: []check{{"skills.0", "billing"}, {"languages.0", "hi"}}},
			{name: "set own availability", method: "PATCH", path: "/api/v1/presence", as: "ravi",
				body: map[string]any{"status": "away"}, wantStatus: http.StatusOK, want: []check{{"status", "away"}}},
			{name: "unknown availability", method: "PATCH", path: "/api/v1/presence", as: "ravi",
				body: map[string]any{"status": "asleep"}, wantStatus: http.StatusBadRequest},
			{name: "an agent does not see the team board", method: "GET", path: "/api/v1/teams/" + id(d.Teams[1].ID) + "/presence",
				as: "ravi", wantStatus: http.StatusForbidden},
			{name: "a supervisor sees it", method: "GET", path: "/api/v1/teams/" + id(d.Teams[1].ID) + "/presence",
				as: "sunil", wantStatus: http.StatusOK},
		})
		h := http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]}, "If-Match": {`"v9"`}}
		if r := d.send("PATCH", "/api/v1/automations/1", h, map[string]any{"active": false}); r.Status != http.StatusPreconditionFailed {
			t.Errorf("stale PATCH: %d %s", r.Status, r.Raw)
		}
	})
}
