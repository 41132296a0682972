package web_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Tickets: create, read, change, reply and note, escalate and hand back,
// merge and link — and the history that records each step.
func TestTicketLifecycle(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		tier1, tier2 := d.Teams[1].ID, d.Teams[2].ID
		ravi, meera := d.Agents["ravi"].ID, d.Agents["meera"].ID
		tk := d.mustCreateTicket("ravi", map[string]any{"team_id": tier1, "tags": []string{"Printer", "vip"}})
		tid := id(tk.id("id"))
		if loc := tk.Header.Get("Location"); loc != "/api/v1/tickets/"+tid {
			t.Errorf("Location = %q", loc)
		}
		assertChecks(t, tk, []check{{"status", "new"}, {"status_category", "new"}, {"priority", "normal"},
			{"channel", "api"}, {"requester.email", "kavya@customer.test"}, {"team_id", tier1},
			{"assignee_id", nil}, {"tags.#", 2}, {"tags.0", "printer"}, {"escalation_level", 0}})
		other := d.mustCreateTicket("ada", map[string]any{"subject": "Duplicate of the fire", "team_id": tier1})
		oid := id(other.id("id"))

		d.run([]scenario{
			{name: "a team member reads the ticket", method: "GET", path: "/api/v1/tickets/" + tid, as: "ravi",
				wantStatus: 200, want: []check{{"subject", "Printer on fire"}}},
			{name: "a tier-1 agent cannot see a ticket of a team they are not in", method: "GET",
				path: "/api/v1/tickets/" + tid, as: "meera", wantStatus: 404, wantCode: "not_found"},
			{name: "nor change it", method: "PATCH", path: "/api/v1/tickets/" + tid, as: "meera",
				body: map[string]any{"priority": "low"}, wantStatus: 404, wantCode: "not_found",
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.ticket(tk.id("id")), []check{{"priority", "normal"}})
				}},
			{name: "a ticket that does not exist is 404", method: "GET", path: "/api/v1/tickets/999999", as: "ada",
				wantStatus: 404, wantCode: "not_found"},
			{name: "an id that is not a number is 404", method: "GET", path: "/api/v1/tickets/abc", as: "ada",
				wantStatus: 404, wantCode: "not_found"},
			{name: "assigning a team member opens the ticket", method: "PATCH", path: "/api/v1/tickets/" + tid, as: "ravi",
				body: map[string]any{"assignee_id": ravi, "priority": "high"}, wantStatus: 200,
				want: []check{{"assignee_id", ravi}, {"status", "open"}, {"priority", "high"}}},
			{name: "an assignee outside the ticket's team is refused and nothing is half-written", method: "PATCH",
				path: "/api/v1/tickets/" + tid, as: "ravi", body: map[string]any{"priority": "urgent", "assignee_id": meera},
				wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.assignee_id", "the agent is not a member of the ticket's team"}},
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.ticket(tk.id("id")), []check{{"priority", "high"}, {"assignee_id", ravi}})
				}},
			{name: "an unknown status is refused", method: "PATCH", path: "/api/v1/tickets/" + tid, as: "ravi",
				body: map[string]any{"status": "sleeping"}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.status", "no such status"}}},
			{name: "a ticket never goes back to new", method: "PATCH", path: "/api/v1/tickets/" + tid, as: "ravi",
				body: map[string]any{"status": "new"}, wantStatus: 400, wantCode: "invalid",
				after: func(t *testing.T, d *testDesk) { assertChecks(t, d.ticket(tk.id("id")), []check{{"status", "open"}}) }},
			{name: "a public reply", method: "POST", path: "/api/v1/tickets/" + tid + "/messages", as: "ravi",
				body: map[string]any{"body": "We are on our way."}, wantStatus: 201,
				want: []check{{"internal", false}, {"author_id", ravi}, {"body_html", "<p>We are on our way.</p>"}},
				after: func(t *testing.T, d *testDesk) {
					if d.ticket(tk.id("id")).get("first_responded_at") == nil {
						t.Error("the first reply did not set first_responded_at")
					}
				}},
			{name: "an internal note", method: "POST", path: "/api/v1/tickets/" + tid + "/messages", as: "ravi",
				body: map[string]any{"body": "Fire brigade called.", "internal": true}, wantStatus: 201,
				want: []check{{"internal", true}}},
			{name: "an empty message is refused", method: "POST", path: "/api/v1/tickets/" + tid + "/messages", as: "ravi",
				body: map[string]any{"body": "  "}, wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.body", "is required"}}},
			{name: "the thread holds the request, the reply and the note", method: "GET",
				path: "/api/v1/tickets/" + tid + "/messages", as: "ravi", wantStatus: 200,
				want: []check{{"messages.#", 3}, {"messages.0.author_kind", "contact"}, {"messages.1.internal", false},
					{"messages.2.internal", true}}},
			{name: "escalation without a reason is refused", method: "POST", path: "/api/v1/tickets/" + tid + "/escalate",
				as: "ravi", body: map[string]any{"team_id": tier2}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.reason", "is required"}}},
			{name: "escalation to a team that does not exist is refused", method: "POST",
				path: "/api/v1/tickets/" + tid + "/escalate", as: "ravi", body: map[string]any{"team_id": 999999, "reason": "x"},
				wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.team_id", "no such team"}}},
			{name: "escalation to the ticket's own team is refused", method: "POST", path: "/api/v1/tickets/" + tid + "/escalate",
				as: "ravi", body: map[string]any{"team_id": tier1, "reason": "help"}, wantStatus: 422, wantCode: "unprocessable"},
			{name: "escalation moves the ticket to tier 2, unassigns it and raises the level", method: "POST",
				path: "/api/v1/tickets/" + tid + "/escalate", as: "ravi",
				body: map[string]any{"team_id": tier2, "reason": "needs a specialist"}, wantStatus: 200,
				want: []check{{"team_id", tier2}, {"assignee_id", nil}, {"escalation_level", 1}}},
			{name: "the escalating tier-1 agent no longer sees it", method: "GET", path: "/api/v1/tickets/" + tid, as: "ravi",
				wantStatus: 404, wantCode: "not_found"},
			{name: "the tier-2 agent now does", method: "GET", path: "/api/v1/tickets/" + tid, as: "meera", wantStatus: 200},
			{name: "escalating from tier 2 down to tier 1 is refused: that is de-escalation", method: "POST",
				path: "/api/v1/tickets/" + tid + "/escalate", as: "tara", body: map[string]any{"team_id": tier1, "reason": "back"},
				wantStatus: 422, wantCode: "unprocessable",
				want: []check{{"error.message", "escalation goes up a tier: Frontline is tier 1, the same as or below Specialists (tier 2)"}}},
			{name: "the tier-2 lead hands it back to tier 1", method: "POST", path: "/api/v1/tickets/" + tid + "/deescalate",
				as: "tara", body: map[string]any{"team_id": tier1, "reason": "solved the hard part"}, wantStatus: 200,
				want: []check{{"team_id", tier1}, {"escalation_level", 0}}},
			{name: "links need a kind that exists", method: "POST", path: "/api/v1/tickets/" + tid + "/links", as: "ravi",
				body: map[string]any{"other_id": other.id("id"), "kind": "cousin"}, wantStatus: 400, wantCode: "invalid"},
			{name: "a ticket is not linked to itself", method: "POST", path: "/api/v1/tickets/" + tid + "/links", as: "ravi",
				body: map[string]any{"other_id": tk.id("id")}, wantStatus: 400, wantCode: "invalid"},
			{name: "links to a missing ticket are refused", method: "POST", path: "/api/v1/tickets/" + tid + "/links", as: "ravi",
				body: map[string]any{"other_id": 999999}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.other_id", "no such ticket"}}},
			{name: "related tickets are linked", method: "POST", path: "/api/v1/tickets/" + tid + "/links", as: "ravi",
				body: map[string]any{"other_id": other.id("id")}, wantStatus: 201,
				want: []check{{"links.#", 1}, {"links.0.kind", "related"}}},
			{name: "the link shows from the other side too", method: "GET", path: "/api/v1/tickets/" + oid + "/links", as: "ravi",
				wantStatus: 200, want: []check{{"links.#", 1}}},
			{name: "following a ticket", method: "POST", path: "/api/v1/tickets/" + tid + "/follow", as: "ravi",
				body: "{}", wantStatus: 200, want: []check{{"follower_ids.#", 1}, {"follower_ids.0", ravi}}},
			{name: "an agent may not merge", method: "POST", path: "/api/v1/tickets/" + oid + "/merge", as: "ravi",
				body: map[string]any{"into_id": tk.id("id")}, wantStatus: 403, wantCode: "forbidden"},
			{name: "a ticket is not merged into itself", method: "POST", path: "/api/v1/tickets/" + oid + "/merge", as: "lena",
				body: map[string]any{"into_id": other.id("id")}, wantStatus: 400, wantCode: "invalid"},
			{name: "nor into a ticket that does not exist", method: "POST", path: "/api/v1/tickets/" + oid + "/merge", as: "lena",
				body: map[string]any{"into_id": 999999}, wantStatus: 400, wantCode: "invalid",
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.ticket(other.id("id")), []check{{"merged_into_id", nil}, {"status", "new"}})
				}},
			{name: "a team lead merges the duplicate", method: "POST", path: "/api/v1/tickets/" + oid + "/merge", as: "lena",
				body: map[string]any{"into_id": tk.id("id")}, wantStatus: 200, want: []check{{"id", tk.id("id")}},
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.ticket(other.id("id")), []check{{"merged_into_id", tk.id("id")}, {"status_category", "closed"}})
					msgs := d.mustCall(200, "GET", "/api/v1/tickets/"+tid+"/messages", "ada", nil)
					assertChecks(t, msgs, []check{{"messages.#", 4}})
					if !strings.Contains(string(msgs.Raw), "Printer on fire") && !strings.Contains(string(msgs.Raw), "It smokes.") {
						t.Errorf("the source's messages did not move: %s", msgs.Raw)
					}
				}},
			{name: "a merged ticket refuses changes", method: "PATCH", path: "/api/v1/tickets/" + oid, as: "ada",
				body: map[string]any{"priority": "low"}, wantStatus: 422, wantCode: "unprocessable",
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.ticket(other.id("id")), []check{{"priority", "normal"}})
				}},
			{name: "and replies", method: "POST", path: "/api/v1/tickets/" + oid + "/messages", as: "ada",
				body: map[string]any{"body": "hello?"}, wantStatus: 422, wantCode: "unprocessable"},
			{name: "solving", method: "PATCH", path: "/api/v1/tickets/" + tid, as: "ravi",
				body: map[string]any{"status": "solved"}, wantStatus: 200,
				want: []check{{"status_category", "solved"}}},
			{name: "closing", method: "PATCH", path: "/api/v1/tickets/" + tid, as: "ravi",
				body: map[string]any{"status": "closed"}, wantStatus: 200, want: []check{{"status_category", "closed"}}},
			{name: "a closed ticket refuses every change", method: "PATCH", path: "/api/v1/tickets/" + tid, as: "ravi",
				body: map[string]any{"status": "open"}, wantStatus: 422, wantCode: "unprocessable",
				after: func(t *testing.T, d *testDesk) { assertChecks(t, d.ticket(tk.id("id")), []check{{"status", "closed"}}) }},
		})

		// The history tells the whole story, each field with its old and
		// new value.
		evs := d.mustCall(200, "GET", "/api/v1/tickets/"+tid+"/events", "ada", nil)
		var kinds []string
		changes := map[string][2]string{}
		list, _ := evs.get("events").([]any)
		for _, e := range list {
			kind := lookup(e, "kind").(string)
			kinds = append(kinds, kind)
			if kind == "ticket.field_changed" {
				f := lookup(e, "data.field").(string)
				if _, seen := changes[f]; !seen {
					changes[f] = [2]string{sprint(lookup(e, "data.old")), sprint(lookup(e, "data.new"))}
				}
			}
		}
		for _, want := range []string{"ticket.created", "ticket.field_changed", "ticket.assigned", "ticket.message_added",
			"ticket.escalated", "ticket.deescalated", "ticket.linked", "ticket.merged_into", "ticket.follower_added"} {
			if !slices.Contains(kinds, want) {
				t.Errorf("history lacks %s: %v", want, kinds)
			}
		}
		for field, want := range map[string][2]string{"priority": {"normal", "high"}, "status": {"new", "open"}} {
			if changes[field] != want {
				t.Errorf("first %s change = %v, want %v", field, changes[field], want)
			}
		}
		src := d.mustCall(200, "GET", "/api/v1/tickets/"+oid+"/events", "ada", nil)
		if !strings.Contains(string(src.Raw), `"ticket.merged"`) {
			t.Errorf("the merged ticket's history lacks ticket.merged: %s", src.Raw)
		}
	})
}

// sprint prints a decoded JSON value for comparison ("<nil>" for null).
func sprint(v any) string {
	if v == nil {
		return "<nil>"
	}
	return fmt.Sprint(v)
}

// Every list filter, alone, and paging to the end.
func TestTicketListFilters(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		tier1, tier2 := d.Teams[1].ID, d.Teams[2].ID
		ravi := d.Agents["ravi"].ID
		org := d.mustCall(201, "POST", "/api/v1/organizations", "ada",
			map[string]any{"name": "Acme", "domains": []string{"acme.test"}})
		orgID := org.id("id")
		mk := func(as string, extra map[string]any) int64 { return d.mustCreateTicket(as, extra).id("id") }
		unrouted := mk("ada", nil)
		mine := mk("ravi", map[string]any{"team_id": tier1, "assignee_id": ravi})
		acme := mk("ada", map[string]any{"team_id": tier1, "tags": []string{"vip"},
			"requester": map[string]any{"email": "boss@acme.test", "name": "Boss"}})
		specialist := mk("ada", map[string]any{"team_id": tier2, "tags": []string{"vip"}})
		pending := mk("ada", map[string]any{"team_id": tier1})
		d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(pending), "ada", map[string]any{"status": "pending"})
		latest := d.ticket(pending).str("updated_at")
		all := []int64{unrouted, mine, acme, specialist, pending}
		acmeContact := d.ticket(acme).id("requester.id")
		if got := d.ticket(acme).id("organization_id"); got != orgID {
			t.Errorf("a requester from acme.test belongs to organization %d, want %d", got, orgID)
		}

		for _, tc := range []struct {
			name  string
			as    string
			query string
			want  []int64
		}{
			{"no filter: an admin sees everything", "ada", "", all},
			{"a tier-1 agent sees own, own teams' and unrouted tickets", "ravi", "", []int64{unrouted, mine, acme, pending}},
			{"status category", "ada", "status=pending", []int64{pending}},
			{"status new", "ada", "status=new", []int64{unrouted, acme, specialist}},
			{"assignee", "ada", "assignee_id=" + id(ravi), []int64{mine}},
			{"unassigned", "ada", "assignee_id=0", []int64{unrouted, acme, specialist, pending}},
			{"team", "ada", "team_id=" + id(tier2), []int64{specialist}},
			{"no team", "ada", "team_id=0", []int64{unrouted}},
			{"organization", "ada", "organization_id=" + id(orgID), []int64{acme}},
			{"requester by email", "ada", "requester=BOSS@acme.test", []int64{acme}},
			{"requester by id", "ada", "requester=" + id(acmeContact), []int64{acme}},
			{"tag", "ada", "tag=vip", []int64{acme, specialist}},
			{"updated since", "ada", "updated_since=" + url.QueryEscape(latest), []int64{pending}},
			{"updated since the future", "ada", "updated_since=2999-01-01T00:00:00Z", nil},
			{"filters combine", "ada", "tag=vip&team_id=" + id(tier1), []int64{acme}},
			{"scope applies to filters", "ravi", "tag=vip", []int64{acme}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := d.mustCall(200, "GET", "/api/v1/tickets?"+tc.query, tc.as, nil)
				if got := ticketIDs(r); !sameSet(got, tc.want) {
					t.Errorf("got tickets %v, want %v", got, tc.want)
				}
				if r.get("next_cursor") != nil {
					t.Errorf("a short list has a next_cursor")
				}
			})
		}

		t.Run("bad filters get 400 with the field named", func(t *testing.T) {
			for q, field := range map[string]string{
				"assignee_id=abc": "assignee_id", "team_id=-1": "team_id", "organization_id=1.5": "organization_id",
				"updated_since=yesterday": "updated_since", "limit=0": "limit", "limit=101": "limit", "limit=x": "limit",
				"sort=sideways": "sort", "escalated=maybe": "escalated",
			} {
				r := d.call("GET", "/api/v1/tickets?"+q, "ada", nil)
				if r.Status != 400 || r.errorCode() != "invalid" || r.get("error.fields."+field) == nil {
					t.Errorf("%s: %d %s", q, r.Status, r.Raw)
				}
			}
			r := d.call("GET", "/api/v1/tickets?cursor=not-a-cursor", "ada", nil)
			if r.Status != 400 {
				t.Errorf("a forged cursor: %d %s", r.Status, r.Raw)
			}
		})

		t.Run("cursor paging reaches the end once, every ticket exactly once", func(t *testing.T) {
			for _, sort := range []string{"", "&sort=created", "&sort=oldest"} {
				var seen []int64
				q := "limit=2" + sort
				for pages := 0; ; pages++ {
					if pages > 10 {
						t.Fatalf("sort %q: paging does not end", sort)
					}
					r := d.mustCall(200, "GET", "/api/v1/tickets?"+q, "ada", nil)
					page := ticketIDs(r)
					if len(page) > 2 {
						t.Fatalf("a page of %d with limit=2", len(page))
					}
					seen = append(seen, page...)
					next := r.str("next_cursor")
					if next == "" {
						break
					}
					q = "limit=2" + sort + "&cursor=" + url.QueryEscape(next)
				}
				if len(seen) != len(all) || !sameSet(seen, all) {
					t.Errorf("sort %q: paged through %v, want each of %v once", sort, seen, all)
				}
			}
		})
	})
}

func ticketIDs(r response) []int64 {
	var ids []int64
	list, _ := r.get("tickets").([]any)
	for _, x := range list {
		ids = append(ids, int64(lookup(x, "id").(float64)))
	}
	return ids
}

func sameSet(a, b []int64) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// A reply needs tickets:reply and a note tickets:note; the route only asks
// for tickets:read, so the service decides.
func TestMessagePermissions(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		role := d.mustCall(201, "POST", "/api/v1/roles", "ada",
			map[string]any{"name": "replier", "permissions": []string{"tickets:read", "tickets:reply"}})
		assertChecks(t, role, []check{{"builtin", false}, {"permissions.#", 2}})
		agent := d.mustCall(201, "POST", "/api/v1/agents", "ada",
			map[string]any{"email": "rita@desk.test", "name": "Rita", "role": "replier"})
		secret, _, err := d.Access.CreateToken(system(), agent.id("id"), "tests")
		if err != nil {
			t.Fatal(err)
		}
		d.Tokens["rita"] = secret
		tk := d.mustCreateTicket("ada", nil)
		path := "/api/v1/tickets/" + id(tk.id("id")) + "/messages"
		d.run([]scenario{
			{name: "the replier replies", method: "POST", path: path, as: "rita", body: map[string]any{"body": "On it"},
				wantStatus: 201},
			{name: "but may not write a note", method: "POST", path: path, as: "rita",
				body: map[string]any{"body": "secret", "internal": true}, wantStatus: 403, wantCode: "forbidden",
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.mustCall(200, "GET", path, "ada", nil), []check{{"messages.#", 2}})
				}},
			{name: "nor update the ticket", method: "PATCH", path: "/api/v1/tickets/" + id(tk.id("id")), as: "rita",
				body: map[string]any{"priority": "low"}, wantStatus: 403, wantCode: "forbidden"},
		})
	})
}
