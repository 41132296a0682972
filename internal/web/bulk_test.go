package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Bulk actions: one change to many tickets, each ticket changed whole in its
// own transaction or skipped and reported — never a 500, never half a
// ticket.
func TestBulkTickets(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		tier1, tier2 := d.Teams[1].ID, d.Teams[2].ID
		ravi, meera := d.Agents["ravi"].ID, d.Agents["meera"].ID
		a := d.mustCreateTicket("ada", map[string]any{"team_id": tier1, "tags": []string{"vip"}}).id("id")
		b := d.mustCreateTicket("ada", map[string]any{"team_id": tier1}).id("id")
		hidden := d.mustCreateTicket("ada", map[string]any{"team_id": tier2}).id("id") // ravi cannot see it
		closed := d.mustCreateTicket("ada", map[string]any{"team_id": tier1}).id("id")
		d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(closed), "ada", map[string]any{"status": "closed"})
		merged := d.mustCreateTicket("ada", map[string]any{"team_id": tier1}).id("id")
		d.mustCall(200, "POST", "/api/v1/tickets/"+id(merged)+"/merge", "ada", map[string]any{"into_id": b})
		events := func(t *testing.T, d *testDesk, ticketID int64) int {
			return d.mustCall(200, "GET", "/api/v1/tickets/"+id(ticketID)+"/events", "ada", nil).get("events.#").(int)
		}
		before := map[int64]int{a: events(t, d, a), b: events(t, d, b)}

		d.run([]scenario{
			{name: "status and priority on two tickets; the others are skipped one by one", method: "POST",
				path: "/api/v1/tickets/bulk", as: "ravi",
				body:       map[string]any{"ids": []int64{a, b, hidden, closed, merged, 999999, a}, "status": "pending", "priority": "high"},
				wantStatus: 200, want: []check{{"updated", 2}, {"unchanged", 0}, {"skipped", 4}, {"results.#", 6},
					{"results.0.id", a}, {"results.0.outcome", "updated"}, {"results.1.outcome", "updated"},
					{"results.2.id", hidden}, {"results.2.outcome", "skipped"}, {"results.2.code", "not_found"},
					{"results.3.code", "unprocessable"}, {"results.3.message", "ticket " + id(closed) + " is closed and cannot change"},
					{"results.4.code", "unprocessable"}, {"results.5.code", "not_found"}},
				after: func(t *testing.T, d *testDesk) {
					for _, tk := range []int64{a, b} {
						assertChecks(t, d.ticket(tk), []check{{"status", "pending"}, {"priority", "high"}})
						// One event per changed field of each ticket, as an edit of it alone records.
						if got := events(t, d, tk); got != before[tk]+2 {
							t.Errorf("ticket %d: %d events after the bulk change, want %d", tk, got, before[tk]+2)
						}
					}
					assertChecks(t, d.ticket(hidden), []check{{"status", "new"}, {"priority", "normal"}})
					assertChecks(t, d.ticket(closed), []check{{"status", "closed"}, {"priority", "normal"}})
				}},
			{name: "the same change again leaves them unchanged", method: "POST", path: "/api/v1/tickets/bulk", as: "ravi",
				body: map[string]any{"ids": []int64{a, b}, "status": "pending"}, wantStatus: 200,
				want: []check{{"updated", 0}, {"unchanged", 2}}},
			{name: "tags are added and removed, keeping the others", method: "POST", path: "/api/v1/tickets/bulk", as: "ravi",
				body:       map[string]any{"ids": []int64{a, b}, "add_tags": []string{"Billing"}, "remove_tags": []string{"vip"}},
				wantStatus: 200, want: []check{{"updated", 2}},
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.ticket(a), []check{{"tags.#", 1}, {"tags.0", "billing"}})
					assertChecks(t, d.ticket(b), []check{{"tags.#", 1}, {"tags.0", "billing"}})
				}},
			{name: "an assignee outside one ticket's team skips that ticket whole", method: "POST",
				path: "/api/v1/tickets/bulk", as: "ada",
				body:       map[string]any{"ids": []int64{a, hidden}, "assignee_id": meera, "priority": "urgent"},
				wantStatus: 200, want: []check{{"updated", 1}, {"skipped", 1}, {"results.0.code", "invalid"},
					{"results.0.message", "Assignee: the agent is not a member of the ticket's team"}, {"results.1.outcome", "updated"}},
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.ticket(a), []check{{"priority", "high"}, {"assignee_id", nil}})
					assertChecks(t, d.ticket(hidden), []check{{"priority", "urgent"}, {"assignee_id", meera}})
				}},
			{name: "team and assignee together", method: "POST", path: "/api/v1/tickets/bulk", as: "ada",
				body: map[string]any{"ids": []int64{a, b}, "team_id": tier1, "assignee_id": ravi}, wantStatus: 200,
				want: []check{{"updated", 2}},
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.ticket(b), []check{{"assignee_id", ravi}, {"team_id", tier1}})
				}},
			{name: "unassign with null", method: "POST", path: "/api/v1/tickets/bulk", as: "ada",
				body: map[string]any{"ids": []int64{b}, "assignee_id": nil}, wantStatus: 200, want: []check{{"updated", 1}},
				after: func(t *testing.T, d *testDesk) { assertChecks(t, d.ticket(b), []check{{"assignee_id", nil}}) }},
			{name: "merge many into one", method: "POST", path: "/api/v1/tickets/bulk", as: "ada",
				body: map[string]any{"ids": []int64{a, b, closed}, "merge_into_id": hidden}, wantStatus: 200,
				want: []check{{"updated", 2}, {"skipped", 1}, {"results.2.code", "unprocessable"}},
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.ticket(a), []check{{"merged_into_id", hidden}, {"status", "closed"}})
				}},
		})

		// Bad input: the change itself is wrong, so no ticket is touched.
		fresh := d.mustCreateTicket("ada", map[string]any{"team_id": tier1}).id("id")
		untouched := func(t *testing.T, d *testDesk) {
			assertChecks(t, d.ticket(fresh), []check{{"status", "new"}, {"priority", "normal"}, {"version", 1}})
		}
		bad := func(name, as string, body any, status int, code string, want ...check) scenario {
			return scenario{name: name, method: "POST", path: "/api/v1/tickets/bulk", as: as, body: body,
				wantStatus: status, wantCode: code, want: want, after: untouched}
		}
		d.run([]scenario{
			bad("no ids", "ada", map[string]any{"ids": []int64{}, "status": "open"}, 400, "invalid",
				check{"error.fields.ids", "pick at least one ticket"}),
			bad("ids left out", "ada", map[string]any{"status": "open"}, 400, "invalid"),
			bad("a negative id", "ada", map[string]any{"ids": []int64{fresh, -1}, "status": "open"}, 400, "invalid"),
			bad("more than 100", "ada", map[string]any{"ids": make([]int64, 101), "status": "open"}, 400, "invalid",
				check{"error.fields.ids", "at most 100 tickets at once"}),
			bad("nothing to change", "ada", map[string]any{"ids": []int64{fresh}}, 400, "invalid"),
			bad("an unknown status", "ada", map[string]any{"ids": []int64{fresh}, "status": "sleeping", "priority": "high"},
				400, "invalid", check{"error.fields.status", "no such status"}),
			bad("back to new", "ada", map[string]any{"ids": []int64{fresh}, "status": "new"}, 400, "invalid"),
			bad("an unknown priority", "ada", map[string]any{"ids": []int64{fresh}, "priority": "meh"}, 400, "invalid"),
			bad("a bad tag", "ada", map[string]any{"ids": []int64{fresh}, "add_tags": []string{"two words"}}, 400, "invalid"),
			bad("a team that does not exist", "ada", map[string]any{"ids": []int64{fresh}, "team_id": 999999}, 400, "invalid",
				check{"error.fields.team_id", "no such team"}),
			bad("an agent who does not exist", "ada", map[string]any{"ids": []int64{fresh}, "assignee_id": 999999}, 400, "invalid"),
			bad("a merge with other changes", "ada", map[string]any{"ids": []int64{fresh}, "merge_into_id": b, "status": "open"},
				400, "invalid"),
			bad("a merge into a ticket that does not exist", "ada", map[string]any{"ids": []int64{fresh}, "merge_into_id": 999999},
				400, "invalid", check{"error.fields.merge_into_id", "no such ticket"}),
			bad("a merge by an agent who may not merge", "ravi", map[string]any{"ids": []int64{fresh}, "merge_into_id": b},
				403, "forbidden"),
			bad("an unknown field", "ada", map[string]any{"ids": []int64{fresh}, "status": "open", "owner": 1}, 400, "invalid"),
			bad("not JSON", "ada", "ids=1", 400, "invalid"),
			bad("nobody signed in", "", map[string]any{"ids": []int64{fresh}, "status": "open"}, 401, "unauthorized"),
		})

		// The answer speaks the caller's language.
		speakHindi(t, d, "sunil")
		h := http.Header{"Authorization": {"Bearer " + d.Tokens["sunil"]}}
		r := d.send("POST", "/api/v1/tickets/bulk", h, map[string]any{"ids": []int64{closed}, "priority": "low"})
		if r.Status != 200 || !strings.Contains(r.str("results.0.message"), "बंद") {
			t.Errorf("Hindi bulk answer: %d %s", r.Status, r.Raw)
		}

		// An Idempotency-Key replays the first answer rather than running twice.
		h = http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]}, "Idempotency-Key": {"bulk-1"}}
		first := d.send("POST", "/api/v1/tickets/bulk", h, map[string]any{"ids": []int64{fresh}, "priority": "low"})
		again := d.send("POST", "/api/v1/tickets/bulk", h, map[string]any{"ids": []int64{fresh}, "priority": "low"})
		if first.Status != 200 || again.Status != 200 || string(first.Raw) != string(again.Raw) || again.str("updated") != "1" {
			t.Errorf("idempotent bulk: %d %s / %d %s", first.Status, first.Raw, again.Status, again.Raw)
		}
		if got := events(t, d, fresh); got != 2 { // created, priority
			t.Errorf("the replayed bulk action ran again: %d events", got)
		}
	})
}

// The list page's bulk form: the same action, answered with a summary page
// that names each ticket's outcome and leads back to the list.
func TestBulkPage(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"ravi": goodPassword, "asha": goodPassword}, func(t *testing.T, d *testDesk) {
		tier1 := d.Teams[1].ID
		a := d.mustCreateTicket("ada", map[string]any{"team_id": tier1}).id("id")
		closed := d.mustCreateTicket("ada", map[string]any{"team_id": tier1}).id("id")
		d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(closed), "ada", map[string]any{"status": "closed"})
		speakHindi(t, d, "ravi")
		s := d.signedIn(t, "ravi")
		list := s.page("/tickets?view=all")
		for _, want := range []string{`id="bulk-form"`, `name="ids" value="` + id(a) + `" form="bulk-form"`, `data-bulk-all`} {
			if !strings.Contains(list, want) {
				t.Errorf("the list lacks %s", want)
			}
		}
		csrf := csrfField.FindStringSubmatch(list)[1]
		form := url.Values{"csrf": {csrf}, "ids": {id(a), id(closed), "999999"}, "status": {"pending"}, "back": {"/tickets?view=all"}}
		res, page := s.post("/tickets/bulk", form)
		if res.StatusCode != 200 {
			t.Fatalf("bulk page: %d\n%s", res.StatusCode, page)
		}
		for _, want := range []string{"1 बदले गए, 0 पहले से वैसे ही थे, 2 छोड़े गए", `href="/tickets?view=all"`, "सूची पर वापस जाएँ",
			"टिकट " + id(closed)} {
			if !strings.Contains(page, want) {
				t.Errorf("the summary lacks %q:\n%s", want, page)
			}
		}
		assertChecks(t, d.ticket(a), []check{{"status", "pending"}})
		// A form that asks nothing, or leads elsewhere, is refused in words with the way back.
		res, page = s.post("/tickets/bulk", url.Values{"csrf": {csrf}, "ids": {id(a)}, "back": {"//evil.example/"}})
		if res.StatusCode != 400 || !strings.Contains(page, "बदलने के लिए कुछ चुनें") || !strings.Contains(page, `href="/tickets"`) {
			t.Errorf("empty bulk form: %d\n%s", res.StatusCode, page)
		}
		// An agent who may not change tickets sees no checkboxes.
		if list := d.signedIn(t, "asha").page("/tickets?view=all"); strings.Contains(list, "bulk-form") {
			t.Error("an agent without tickets:update is offered bulk actions")
		}
	})
}
