package web_test

import (
	"context"
	"testing"
)

func TestBusinessHoursSLAAndEscalationRulesAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		day := []map[string]string{{"start": "09:00", "end": "13:00"}, {"start": "14:00", "end": "18:00"}}
		cal := d.mustCall(201, "POST", "/api/v1/business-hours", "ada", map[string]any{"name": "Pune office",
			"time_zone": "Asia/Kolkata", "hours": map[string]any{"monday": day, "friday": day}})
		cid := id(cal.id("id"))
		overlap := map[string]any{"hours": map[string]any{"monday": []map[string]string{{"start": "09:00", "end": "13:00"},
			{"start": "12:00", "end": "15:00"}}}}
		inverted := map[string]any{"hours": map[string]any{"monday": []map[string]string{{"start": "18:00", "end": "09:00"}}}}
		mood := map[string]any{"name": "VIP", "conditions": map[string]any{"mood": []string{"angry"}}}
		d.run([]scenario{
			{name: "an unknown zone", method: "POST", path: "/api/v1/business-hours", as: "ada",
				body:       map[string]any{"name": "x", "time_zone": "Asia/Pune", "hours": map[string]any{"monday": day}},
				wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.time_zone",
					`"Asia/Pune" is not a known IANA time zone (for example Asia/Kolkata, Europe/London)`}}},
			{name: "overlapping periods", method: "PATCH", path: "/api/v1/business-hours/" + cid, as: "ada", body: overlap,
				wantStatus: 400, after: fieldSays("PATCH", "/api/v1/business-hours/"+cid, overlap, "hours.monday",
					"the periods 09:00–13:00 and 12:00–15:00 overlap")},
			{name: "an inverted period", method: "PATCH", path: "/api/v1/business-hours/" + cid, as: "ada",
				body: inverted, wantStatus: 400, after: fieldSays("PATCH", "/api/v1/business-hours/"+cid, inverted, "hours.monday",
					"the period 18:00–09:00 ends before it starts")},
			{name: "the Indian national holidays", method: "POST", path: "/api/v1/business-hours/" + cid + "/holidays", as: "ada",
				body: map[string]any{"preset": "india_national", "years": []int{2026}}, wantStatus: 200,
				want: []check{{"holidays.#", 3}, {"holidays.0.date", "2026-01-26"}, {"holidays.2.name", "Gandhi Jayanti"}, {"version", 2}}},
			{name: "an .ics file", method: "POST", path: "/api/v1/business-hours/" + cid + "/holidays", as: "ada",
				body:       map[string]any{"ics": "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261108\r\nSUMMARY:Diwali\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
				wantStatus: 200, want: []check{{"holidays.#", 4}, {"holidays.3.name", "Diwali"}}},
			{name: "agents may not change business hours", method: "PATCH", path: "/api/v1/business-hours/" + cid, as: "ravi",
				body: map[string]any{"name": "x"}, wantStatus: 403, wantCode: "forbidden"},
			{name: "a policy with a condition on a field that does not exist", method: "POST", path: "/api/v1/sla-policies", as: "ada",
				body: mood, wantStatus: 400, wantCode: "invalid", after: fieldSays("POST", "/api/v1/sla-policies", mood, "conditions.mood",
					"there is no ticket field \"mood\" to set a condition on; use one of organization_ids, channels, priorities, types, tags, team_ids")},
			{name: "a rule that would escalate nowhere", method: "POST", path: "/api/v1/escalation-rules", as: "ada",
				body: map[string]any{"name": "x", "trigger": "urgent"}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.team_id", "give a team or a tier to escalate to, not both"}}},
		})
		pol := d.mustCall(201, "POST", "/api/v1/sla-policies", "ada", map[string]any{"name": "Urgent", "calendar_id": cal.id("id"),
			"time": "calendar", "warn_percent": 80, "conditions": map[string]any{"priorities": []string{"urgent"}},
			"targets": map[string]any{"urgent": map[string]int{"first_response": 30, "next_response": 0, "resolution": 240}}})
		assertChecks(t, pol, []check{{"conditions.priorities.0", "urgent"}, {"conditions.tags.#", 0}, {"pause_on.#", 2}})
		d.mustCall(200, "GET", "/api/v1/sla-policies", "tara", nil)
		d.mustCall(201, "POST", "/api/v1/escalation-rules", "ada", map[string]any{"name": "Breach to tier 2",
			"trigger": "sla_breach", "tier": 2})
		rules := d.mustCall(200, "GET", "/api/v1/escalation-rules", "sunil", nil)
		assertChecks(t, rules, []check{{"rules.#", 1}, {"rules.0.trigger", "sla_breach"}, {"rules.0.tier", 2}})

		// The answer to the create already carries the SLA of a ticket the
		// policy covers (worked out right after the commit, not by the
		// consumer a moment later), and so does the answer to a PATCH.
		tk := d.mustCreateTicket("ada", map[string]any{"priority": "urgent"})
		tid := tk.id("id")
		assertChecks(t, tk, []check{{"sla.policy_id", pol.id("id")}, {"sla.paused", false}, {"sla.breached.#", 0},
			{"sla.next_response_due_at", nil}})
		if tk.str("sla.first_response_due_at") == "" || tk.str("sla.resolution_due_at") == "" {
			t.Fatalf("no due times: %s", tk.Raw)
		}
		if got := d.ticket(tid); got.str("sla.resolution_due_at") != tk.str("sla.resolution_due_at") {
			t.Fatalf("read %s, created %s", got.Raw, tk.Raw)
		}
		paused := d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(tid), "ada", map[string]any{"status": "pending"})
		assertChecks(t, paused, []check{{"sla.paused", true}, {"sla.first_response_due_at", nil}, {"sla.resolution_due_at", nil}})
		d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(tid), "ada", map[string]any{"status": "open"})
		if err := d.SLA.Refresh(context.Background(), tid); err != nil {
			t.Fatal(err)
		}
		list := d.mustCall(200, "GET", "/api/v1/tickets?sort=due&sla=running", "ada", nil)
		assertChecks(t, list, []check{{"tickets.#", 1}, {"tickets.0.id", tid}})
		d.mustCall(400, "GET", "/api/v1/tickets?sla=late", "ada", nil)
	})
}

// fieldSays sends a refused request again and checks the message for a
// dotted field name, which check paths cannot spell.
func fieldSays(method, path string, body any, field, want string) func(t *testing.T, d *testDesk) {
	return func(t *testing.T, d *testDesk) {
		t.Helper()
		r := d.call(method, path, "ada", body)
		fields, _ := r.get("error.fields").(map[string]any)
		if msg := fields[field]; msg != want {
			t.Fatalf("%s = %v, want %q\n%s", field, msg, want, r.Raw)
		}
	}
}
