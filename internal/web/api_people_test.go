package web_test

import (
	"testing"

	"github.com/sahayak/sahayak/internal/auth"
)

func TestMe(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		d.run([]scenario{
			{name: "an agent learns who they are", method: "GET", path: "/api/v1/me", as: "ravi", wantStatus: 200,
				want: []check{{"id", d.Agents["ravi"].ID}, {"name", "Ravi"}, {"role", "agent"}, {"team_ids.#", 1},
					{"team_ids.0", d.Teams[1].ID}, {"language", "en"}}},
			{name: "an admin holds every permission", method: "GET", path: "/api/v1/me", as: "ada", wantStatus: 200,
				want: []check{{"permissions.#", len(auth.All)}, {"team_ids.#", 0}}},
			{name: "nobody is nobody", method: "GET", path: "/api/v1/me", wantStatus: 401, wantCode: "unauthorized"},
		})
	})
}

func TestContactsAndOrganizations(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		acme := d.mustCall(201, "POST", "/api/v1/organizations", "ada",
			map[string]any{"name": "Acme", "domains": []string{"Acme.test", "acme.example"}})
		acmeID := acme.id("id")
		assertChecks(t, acme, []check{{"domains.#", 2}, {"domains.0", "acme.test"}})
		c := d.mustCall(201, "POST", "/api/v1/contacts", "ravi",
			map[string]any{"name": "Kavya", "emails": []string{"Kavya@Acme.test"}, "phone": "+91 98765 43210"})
		cid := id(c.id("id"))
		d.run([]scenario{
			{name: "a new contact from an organization's domain joins it", method: "GET", path: "/api/v1/contacts/" + cid,
				as: "ravi", wantStatus: 200, want: []check{{"organization_id", acmeID}, {"emails.0", "kavya@acme.test"}}},
			{name: "a duplicate email is a conflict", method: "POST", path: "/api/v1/contacts", as: "ravi",
				body: map[string]any{"name": "Kavya again", "email": "kavya@acme.test"}, wantStatus: 409, wantCode: "conflict",
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.mustCall(200, "GET", "/api/v1/contacts?q=Kavya", "ravi", nil), []check{{"contacts.#", 1}})
				}},
			{name: "a contact needs a name", method: "POST", path: "/api/v1/contacts", as: "ravi",
				body: map[string]any{"email": "x@y.test"}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.name", "is required"}}},
			{name: "a bad email is named", method: "POST", path: "/api/v1/contacts", as: "ravi",
				body: map[string]any{"name": "X", "emails": []string{"not an email"}}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.emails", `"not an email" is not an email address`}}},
			{name: "contacts filter by organization", method: "GET", path: "/api/v1/contacts?organization_id=" + id(acmeID),
				as: "ravi", wantStatus: 200, want: []check{{"contacts.#", 1}}},
			{name: "a contact is renamed", method: "PATCH", path: "/api/v1/contacts/" + cid, as: "ravi",
				body: map[string]any{"name": "Kavya Rao"}, wantStatus: 200, want: []check{{"name", "Kavya Rao"}, {"organization_id", acmeID}}},
			{name: "a contact is detached from the organization", method: "PATCH", path: "/api/v1/contacts/" + cid, as: "ravi",
				body: map[string]any{"organization_id": nil}, wantStatus: 200, want: []check{{"organization_id", nil}}},
			{name: "a missing organization is named", method: "PATCH", path: "/api/v1/contacts/" + cid, as: "ravi",
				body: map[string]any{"organization_id": 999999}, wantStatus: 400, wantCode: "invalid"},
			{name: "an agent may not create organizations", method: "POST", path: "/api/v1/organizations", as: "ravi",
				body: map[string]any{"name": "Nope"}, wantStatus: 403, wantCode: "forbidden"},
			{name: "a domain another organization owns is a conflict", method: "POST", path: "/api/v1/organizations", as: "asha",
				body: map[string]any{"name": "Acme Clone", "domains": []string{"acme.test"}}, wantStatus: 409, wantCode: "conflict",
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.mustCall(200, "GET", "/api/v1/organizations", "asha", nil), []check{{"organizations.#", 1}})
				}},
			{name: "a domain must be a domain", method: "POST", path: "/api/v1/organizations", as: "asha",
				body: map[string]any{"name": "Bad", "domains": []string{"not a domain"}}, wantStatus: 400, wantCode: "invalid"},
			{name: "an organization is renamed", method: "PATCH", path: "/api/v1/organizations/" + id(acmeID), as: "asha",
				body: map[string]any{"name": "Acme Ltd", "notes": "key account"}, wantStatus: 200,
				want: []check{{"name", "Acme Ltd"}, {"domains.#", 2}}},
			{name: "a contact is deleted", method: "DELETE", path: "/api/v1/contacts/" + cid, as: "ravi", wantStatus: 204},
			{name: "and is gone", method: "GET", path: "/api/v1/contacts/" + cid, as: "ravi", wantStatus: 404, wantCode: "not_found"},
			{name: "an organization is deleted", method: "DELETE", path: "/api/v1/organizations/" + id(acmeID), as: "asha", wantStatus: 204},
			{name: "deleting it again is 404", method: "DELETE", path: "/api/v1/organizations/" + id(acmeID), as: "asha",
				wantStatus: 404, wantCode: "not_found"},
		})
	})
}

func TestAgentsAndTeams(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		nita := d.mustCall(201, "POST", "/api/v1/agents", "ada",
			map[string]any{"email": "nita@desk.test", "name": "Nita", "role": "agent", "language": "hi"})
		nid := id(nita.id("id"))
		secret, _, err := d.Access.CreateToken(system(), nita.id("id"), "tests")
		if err != nil {
			t.Fatal(err)
		}
		d.Tokens["nita"] = secret
		d.run([]scenario{
			{name: "agents never show their password hash", method: "GET", path: "/api/v1/agents/" + nid, as: "ravi",
				wantStatus: 200, want: []check{{"role", "agent"}, {"language", "hi"}, {"active", true}, {"password_hash", nil}}},
			{name: "a duplicate agent email is a conflict", method: "POST", path: "/api/v1/agents", as: "ada",
				body: map[string]any{"email": "nita@desk.test", "name": "Nita 2", "role": "agent"}, wantStatus: 409, wantCode: "conflict"},
			{name: "an unknown role is named", method: "POST", path: "/api/v1/agents", as: "ada",
				body: map[string]any{"email": "x@desk.test", "name": "X", "role": "wizard"}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.role", "no such role"}}},
			{name: "a short password is refused", method: "POST", path: "/api/v1/agents", as: "ada",
				body:       map[string]any{"email": "y@desk.test", "name": "Y", "role": "agent", "password": "short"},
				wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.password", "must be at least 10 characters"}}},
			{name: "an agent may not manage agents", method: "POST", path: "/api/v1/agents", as: "ravi",
				body: map[string]any{"email": "z@desk.test", "name": "Z", "role": "admin"}, wantStatus: 403, wantCode: "forbidden"},
			{name: "an admin cannot deactivate themself", method: "PATCH", path: "/api/v1/agents/" + id(d.Agents["ada"].ID),
				as: "ada", body: map[string]any{"active": false}, wantStatus: 400, wantCode: "invalid"},
			{name: "a role change", method: "PATCH", path: "/api/v1/agents/" + nid, as: "ada",
				body: map[string]any{"role": "team_lead"}, wantStatus: 200, want: []check{{"role", "team_lead"}}},
			{name: "the new role applies to the agent's token", method: "GET", path: "/api/v1/me", as: "nita",
				wantStatus: 200, want: []check{{"role", "team_lead"}}},
			{name: "a team of tier 2", method: "POST", path: "/api/v1/teams", as: "sunil",
				body: map[string]any{"name": "Billing", "tier": 2, "lead_id": nita.id("id")}, wantStatus: 201,
				want: []check{{"tier", 2}, {"lead_id", nita.id("id")}, {"member_ids.#", 1}}},
			{name: "tiers are 1 to 3", method: "POST", path: "/api/v1/teams", as: "sunil",
				body: map[string]any{"name": "Heaven", "tier": 7}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.tier", "must be 1, 2 or 3"}}},
			{name: "members must exist", method: "PATCH", path: "/api/v1/teams/" + id(d.Teams[1].ID), as: "sunil",
				body: map[string]any{"member_ids": []int64{999999}}, wantStatus: 400, wantCode: "invalid",
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.mustCall(200, "GET", "/api/v1/teams/"+id(d.Teams[1].ID), "ravi", nil),
						[]check{{"member_ids.#", 2}})
				}},
			{name: "an agent may not manage teams", method: "PATCH", path: "/api/v1/teams/" + id(d.Teams[1].ID), as: "ravi",
				body: map[string]any{"name": "Mine"}, wantStatus: 403, wantCode: "forbidden"},
			{name: "teams are listed", method: "GET", path: "/api/v1/teams", as: "ravi", wantStatus: 200,
				want: []check{{"teams.#", 4}}},
			{name: "a team is deleted", method: "DELETE", path: "/api/v1/teams/" + id(d.Teams[3].ID), as: "sunil", wantStatus: 204},
			{name: "a deactivated agent", method: "DELETE", path: "/api/v1/agents/" + nid, as: "ada", wantStatus: 204,
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.mustCall(200, "GET", "/api/v1/agents/"+nid, "ada", nil), []check{{"active", false}})
				}},
			{name: "loses API access", method: "GET", path: "/api/v1/me", as: "nita", wantStatus: 401, wantCode: "unauthorized"},
		})
	})
}

func TestRoles(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		roles := d.mustCall(200, "GET", "/api/v1/roles", "ada", nil)
		builtin := map[string]int64{}
		list, _ := roles.get("roles").([]any)
		for _, r := range list {
			builtin[lookup(r, "name").(string)] = int64(lookup(r, "id").(float64))
		}
		if len(builtin) != 5 {
			t.Fatalf("want the 5 built-in roles, got %v", builtin)
		}
		custom := d.mustCall(201, "POST", "/api/v1/roles", "ada", map[string]any{"name": "triage", "description": "Sorts the inbox",
			"permissions": []string{"tickets:read", "tickets:update", "tickets:read"}})
		rid := id(custom.id("id"))
		assertChecks(t, custom, []check{{"permissions.#", 2}})
		gopal := d.mustCall(201, "POST", "/api/v1/agents", "ada", map[string]any{"email": "gopal@desk.test", "name": "Gopal", "role": "triage"})
		secret, _, err := d.Access.CreateToken(system(), gopal.id("id"), "tests")
		if err != nil {
			t.Fatal(err)
		}
		d.Tokens["gopal"] = secret
		tk := id(d.mustCreateTicket("ada", nil).id("id"))
		d.run([]scenario{
			{name: "a custom role's permission works", method: "PATCH", path: "/api/v1/tickets/" + tk, as: "gopal",
				body: map[string]any{"priority": "urgent"}, wantStatus: 200, want: []check{{"priority", "urgent"}}},
			{name: "a permission it lacks is refused", method: "POST", path: "/api/v1/tickets", as: "gopal",
				body:       map[string]any{"subject": "x", "body": "y", "requester": map[string]any{"email": "a@b.test"}},
				wantStatus: 403, wantCode: "forbidden"},
			{name: "an unknown permission is named", method: "PATCH", path: "/api/v1/roles/" + rid, as: "ada",
				body: map[string]any{"permissions": []string{"tickets:read", "universe:rule"}}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.permissions", `"universe:rule" is not a permission`}}},
			{name: "a granted permission takes effect", method: "PATCH", path: "/api/v1/roles/" + rid, as: "ada",
				body: map[string]any{"permissions": []string{"tickets:read", "tickets:update", "tickets:create"}}, wantStatus: 200},
			{name: "so the custom role now creates tickets", method: "POST", path: "/api/v1/tickets", as: "gopal",
				body: map[string]any{"subject": "x", "body": "y", "requester": map[string]any{"email": "a@b.test"}}, wantStatus: 201},
			{name: "a duplicate role name is a conflict", method: "POST", path: "/api/v1/roles", as: "ada",
				body: map[string]any{"name": "triage"}, wantStatus: 409, wantCode: "conflict"},
			{name: "a built-in role cannot be deleted", method: "DELETE", path: "/api/v1/roles/" + id(builtin["agent"]), as: "ada",
				wantStatus: 422, wantCode: "unprocessable"},
			{name: "a built-in role keeps its name", method: "PATCH", path: "/api/v1/roles/" + id(builtin["agent"]), as: "ada",
				body: map[string]any{"name": "minion"}, wantStatus: 400, wantCode: "invalid"},
			{name: "the admin role keeps every permission", method: "PATCH", path: "/api/v1/roles/" + id(builtin["admin"]), as: "ada",
				body: map[string]any{"permissions": []string{}}, wantStatus: 422, wantCode: "unprocessable"},
			{name: "a supervisor reads roles but may not change them", method: "DELETE", path: "/api/v1/roles/" + rid, as: "sunil",
				wantStatus: 403, wantCode: "forbidden"},
			{name: "a role an agent holds cannot be deleted", method: "DELETE", path: "/api/v1/roles/" + rid, as: "ada",
				wantStatus: 409, wantCode: "conflict"},
			{name: "once nobody holds it", method: "PATCH", path: "/api/v1/agents/" + id(gopal.id("id")), as: "ada",
				body: map[string]any{"role": "agent"}, wantStatus: 200},
			{name: "a custom role is deleted", method: "DELETE", path: "/api/v1/roles/" + rid, as: "ada", wantStatus: 204},
			{name: "and is gone", method: "GET", path: "/api/v1/roles/" + rid, as: "ada", wantStatus: 404, wantCode: "not_found"},
		})
	})
}

func TestCustomFieldsStatusesAndTags(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		for _, f := range []map[string]any{
			{"key": "order_ref", "label": "Order", "kind": "text"},
			{"key": "units", "label": "Units", "kind": "number"},
			{"key": "bought_on", "label": "Bought on", "kind": "date"},
			{"key": "plan", "label": "Plan", "kind": "dropdown", "options": []string{"free", "pro"}},
			{"key": "urgent_fix", "label": "Hotfix", "kind": "checkbox"},
		} {
			d.mustCall(201, "POST", "/api/v1/fields", "ada", f)
		}
		tkID := d.mustCreateTicket("ada", nil).id("id")
		tk := id(tkID)
		patch := func(name string, fields map[string]any, status int, want []check) scenario {
			return scenario{name: name, method: "PATCH", path: "/api/v1/tickets/" + tk, as: "ravi",
				body: map[string]any{"custom_fields": fields}, wantStatus: status, want: want}
		}
		// A bad value is refused with the field named, and the good value
		// stays.
		bad := func(name, key string, v, keep any) scenario {
			s := patch(name, map[string]any{key: v}, 400, []check{{"error.code", "invalid"}})
			s.after = func(t *testing.T, d *testDesk) {
				assertChecks(t, d.ticket(tkID), []check{{"custom_fields." + key, keep}})
			}
			return s
		}
		d.run([]scenario{
			{name: "a field needs a valid key", method: "POST", path: "/api/v1/fields", as: "ada",
				body: map[string]any{"key": "Bad Key", "label": "x", "kind": "text"}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.key", "must be lower-case letters, digits and underscores, starting with a letter"}}},
			{name: "a field needs a known kind", method: "POST", path: "/api/v1/fields", as: "ada",
				body: map[string]any{"key": "x", "label": "x", "kind": "colour"}, wantStatus: 400, wantCode: "invalid"},
			{name: "a dropdown needs options", method: "POST", path: "/api/v1/fields", as: "ada",
				body: map[string]any{"key": "y", "label": "y", "kind": "dropdown"}, wantStatus: 400, wantCode: "invalid"},
			{name: "a duplicate key is a conflict", method: "POST", path: "/api/v1/fields", as: "ada",
				body: map[string]any{"key": "units", "label": "y", "kind": "number"}, wantStatus: 409, wantCode: "conflict"},
			{name: "an agent may not define fields", method: "POST", path: "/api/v1/fields", as: "ravi",
				body: map[string]any{"key": "z", "label": "z", "kind": "text"}, wantStatus: 403, wantCode: "forbidden"},
			patch("every kind with a good value", map[string]any{"order_ref": "A-17", "units": 3, "bought_on": "2026-01-31",
				"plan": "pro", "urgent_fix": true}, 200,
				[]check{{"custom_fields.order_ref", "A-17"}, {"custom_fields.units", 3}, {"custom_fields.bought_on", "2026-01-31"},
					{"custom_fields.plan", "pro"}, {"custom_fields.urgent_fix", true}}),
			patch("an unknown field is named", map[string]any{"colour": "red"}, 400,
				[]check{{"error.code", "invalid"}}),
			bad("text must be text", "order_ref", 17, "A-17"),
			bad("a number must be a number", "units", "three", 3),
			bad("a date must be a date", "bought_on", "31/01/2026", "2026-01-31"),
			bad("a dropdown value must be an option", "plan", "enterprise", "pro"),
			bad("a checkbox is true or false", "urgent_fix", "yes", true),
			patch("null clears a field", map[string]any{"plan": nil}, 200, []check{{"custom_fields.plan", nil},
				{"custom_fields.units", 3}}),
			{name: "a required field must be given on create", method: "PATCH", path: "/api/v1/fields/" + id(fieldID(d, "plan")),
				as: "ada", body: map[string]any{"required": true}, wantStatus: 200},
			{name: "so a ticket without it is refused", method: "POST", path: "/api/v1/tickets", as: "ravi",
				body:       map[string]any{"subject": "x", "body": "y", "requester": map[string]any{"email": "a@b.test"}},
				wantStatus: 400, wantCode: "invalid"},
			{name: "a field's kind is fixed", method: "PATCH", path: "/api/v1/fields/" + id(fieldID(d, "plan")), as: "ada",
				body: map[string]any{"kind": "text"}, wantStatus: 400, wantCode: "invalid"},
			{name: "a field is deleted", method: "DELETE", path: "/api/v1/fields/" + id(fieldID(d, "plan")), as: "ada", wantStatus: 204},
			{name: "statuses are listed", method: "GET", path: "/api/v1/statuses", as: "ravi", wantStatus: 200},
			{name: "a status inside a category", method: "POST", path: "/api/v1/statuses", as: "ada",
				body: map[string]any{"name": "waiting_on_vendor", "category": "on_hold"}, wantStatus: 201},
			{name: "is usable at once", method: "PATCH", path: "/api/v1/tickets/" + tk, as: "ravi",
				body: map[string]any{"status": "waiting_on_vendor"}, wantStatus: 200,
				want: []check{{"status", "waiting_on_vendor"}, {"status_category", "on_hold"}}},
			{name: "no status goes in the new category", method: "POST", path: "/api/v1/statuses", as: "ada",
				body: map[string]any{"name": "fresh", "category": "new"}, wantStatus: 400, wantCode: "invalid"},
			{name: "a tag", method: "POST", path: "/api/v1/tags", as: "tara", body: map[string]any{"name": "Refund"},
				wantStatus: 201, want: []check{{"name", "refund"}}},
			{name: "a tag has no spaces", method: "POST", path: "/api/v1/tags", as: "tara", body: map[string]any{"name": "two words"},
				wantStatus: 400, wantCode: "invalid"},
			{name: "an agent may not manage tags", method: "POST", path: "/api/v1/tags", as: "ravi",
				body: map[string]any{"name": "mine"}, wantStatus: 403, wantCode: "forbidden"},
			{name: "tags are listed", method: "GET", path: "/api/v1/tags", as: "ravi", wantStatus: 200,
				want: []check{{"tags.0", "refund"}}},
			{name: "a tag is deleted", method: "DELETE", path: "/api/v1/tags/refund", as: "tara", wantStatus: 204},
		})
		// Field errors are keyed by the field's path.
		r := d.call("PATCH", "/api/v1/tickets/"+tk, "ravi", map[string]any{"custom_fields": map[string]any{"colour": "red"}})
		if fields, _ := r.get("error.fields").(map[string]any); fields["custom_fields.colour"] != "is not a defined field" {
			t.Errorf("unknown field: %s", r.Raw)
		}
	})
}

func fieldID(d *testDesk, key string) int64 {
	r := d.mustCall(200, "GET", "/api/v1/fields", "ada", nil)
	list, _ := r.get("fields").([]any)
	for _, f := range list {
		if lookup(f, "key") == key {
			return int64(lookup(f, "id").(float64))
		}
	}
	return 0
}

func TestTokens(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		created := d.mustCall(201, "POST", "/api/v1/tokens", "ravi", map[string]any{"name": "laptop"})
		secret := created.str("token")
		tokID := id(created.id("id"))
		d.Tokens["laptop"] = secret
		d.run([]scenario{
			{name: "the new token works", method: "GET", path: "/api/v1/me", as: "laptop", wantStatus: 200,
				want: []check{{"id", d.Agents["ravi"].ID}}},
			{name: "an agent lists their own tokens, never the secrets", method: "GET", path: "/api/v1/tokens", as: "ravi",
				wantStatus: 200, want: []check{{"tokens.#", 2}, {"tokens.1.name", "laptop"}, {"tokens.1.token", nil}}},
			{name: "nobody else's token can be revoked", method: "DELETE", path: "/api/v1/tokens/" + tokID, as: "meera",
				wantStatus: 404, wantCode: "not_found"},
			{name: "a token is revoked", method: "DELETE", path: "/api/v1/tokens/" + tokID, as: "ravi", wantStatus: 204},
			{name: "a revoked token is refused", method: "GET", path: "/api/v1/me", as: "laptop", wantStatus: 401,
				wantCode: "unauthorized"},
			{name: "a token needs a name", method: "POST", path: "/api/v1/tokens", as: "ravi", body: map[string]any{"name": " "},
				wantStatus: 400, wantCode: "invalid"},
		})
	})
}

// Tickets change only with an event. Deleting a team or an organization that
// tickets point to would clear their team or organization silently (and an
// unrouted ticket becomes visible to every agent), so it is refused, as for
// a contact who has tickets.
func TestDeletingWhatTicketsPointTo(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		acme := d.mustCall(201, "POST", "/api/v1/organizations", "ada", map[string]any{"name": "Acme", "domains": []string{"acme.test"}})
		tk := d.mustCreateTicket("ada", map[string]any{"team_id": d.Teams[3].ID,
			"requester": map[string]any{"email": "kavya@acme.test", "name": "Kavya"}})
		tid, team := id(tk.id("id")), id(d.Teams[3].ID)
		if tk.id("organization_id") != acme.id("id") {
			t.Fatalf("test bug: the ticket is not Acme's: %s", tk.Raw)
		}
		unchanged := func(t *testing.T, d *testDesk) {
			assertChecks(t, d.ticket(tk.id("id")), []check{{"team_id", d.Teams[3].ID}, {"organization_id", acme.id("id")}})
		}
		d.run([]scenario{
			{name: "a team with tickets stays", method: "DELETE", path: "/api/v1/teams/" + team, as: "ada",
				wantStatus: 409, wantCode: "conflict", after: unchanged},
			{name: "an organization with tickets stays", method: "DELETE", path: "/api/v1/organizations/" + id(acme.id("id")),
				as: "ada", wantStatus: 409, wantCode: "conflict", after: unchanged},
			{name: "a contact with tickets stays", method: "DELETE", path: "/api/v1/contacts/" + id(tk.id("requester.id")),
				as: "ada", wantStatus: 409, wantCode: "conflict", after: unchanged},
			{name: "the ticket moves to another team", method: "PATCH", path: "/api/v1/tickets/" + tid, as: "ada",
				body: map[string]any{"team_id": d.Teams[1].ID}, wantStatus: 200},
			{name: "and the empty team can go", method: "DELETE", path: "/api/v1/teams/" + team, as: "ada", wantStatus: 204},
		})
	})
}

// Nobody hands out more than they hold: a custom role that may manage agents
// or roles cannot make anyone (least of all its holder) an admin.
func TestNoGrantBeyondOwnPermissions(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		perms := []string{"agents:read", "agents:write", "roles:read", "roles:write", "tickets:read"}
		hr := d.mustCall(201, "POST", "/api/v1/roles", "ada", map[string]any{"name": "hr", "permissions": perms})
		hrID := id(hr.id("id"))
		hema := d.mustCall(201, "POST", "/api/v1/agents", "ada", map[string]any{"email": "hema@desk.test", "name": "Hema", "role": "hr"})
		secret, _, err := d.Access.CreateToken(system(), hema.id("id"), "tests")
		if err != nil {
			t.Fatal(err)
		}
		d.Tokens["hema"] = secret
		stillHR := func(t *testing.T, d *testDesk) {
			assertChecks(t, d.mustCall(200, "GET", "/api/v1/me", "hema", nil), []check{{"role", "hr"}, {"permissions.#", len(perms)}})
		}
		d.run([]scenario{
			{name: "she may not make herself admin", method: "PATCH", path: "/api/v1/agents/" + id(hema.id("id")), as: "hema",
				body: map[string]any{"role": "admin"}, wantStatus: 403, wantCode: "forbidden", after: stillHR},
			{name: "nor create an admin", method: "POST", path: "/api/v1/agents", as: "hema",
				body: map[string]any{"email": "x@desk.test", "name": "X", "role": "admin"}, wantStatus: 403, wantCode: "forbidden"},
			{name: "nor grant her own role what she lacks", method: "PATCH", path: "/api/v1/roles/" + hrID, as: "hema",
				body: map[string]any{"permissions": append(perms, "tickets:read_all")}, wantStatus: 403, wantCode: "forbidden",
				after: stillHR},
			{name: "nor create a role beyond her own", method: "POST", path: "/api/v1/roles", as: "hema",
				body: map[string]any{"name": "boss", "permissions": []string{"tokens:write"}}, wantStatus: 403, wantCode: "forbidden"},
			{name: "she may hand out a role within her own", method: "POST", path: "/api/v1/agents", as: "hema",
				body: map[string]any{"email": "y@desk.test", "name": "Y", "role": "hr"}, wantStatus: 201},
			{name: "and the admin still grants anything", method: "PATCH", path: "/api/v1/agents/" + id(hema.id("id")), as: "ada",
				body: map[string]any{"role": "admin"}, wantStatus: 200},
		})
	})
}
