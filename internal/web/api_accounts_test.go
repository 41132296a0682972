package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// Organizations grow into accounts: an owner, tier, revenue, renewal,
// parent, custom fields and health, under the organization's ETag.
func TestAccountsAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		asha, ravi := d.Agents["asha"], d.Agents["ravi"]
		acme := d.mustCall(201, "POST", "/api/v1/organizations", "asha",
			map[string]any{"name": "Acme", "domains": []string{"acme.test"}, "owner_id": asha.ID, "tier": "Enterprise",
				"arr": 1200000, "currency": "INR"})
		acmeID := acme.id("id")
		assertChecks(t, acme, []check{{"owner_id", asha.ID}, {"arr", 1.2e6}, {"health.band", "healthy"}, {"health.score", 100},
			{"version", 2}})
		globex := d.mustCall(201, "POST", "/api/v1/organizations", "sunil", map[string]any{"name": "Globex"})
		globexID := globex.id("id")
		future := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
		d.run([]scenario{
			{name: "an organization reads as an account", method: "GET", path: "/api/v1/organizations/" + id(acmeID), as: "ravi",
				wantStatus: 200, want: []check{{"owner_id", asha.ID}, {"tier", "Enterprise"}, {"currency", "INR"}, {"mrr", nil},
					{"parent_id", nil}, {"renewal_date", ""}, {"health.components.#", 4}}},
			{name: "account fields change with If-Match", method: "PATCH", path: "/api/v1/organizations/" + id(acmeID), as: "asha",
				body: map[string]any{"renewal_date": future, "industry": "Logistics", "parent_id": globexID,
					"custom_fields": map[string]any{"seats": 120, "region": "West"}}, wantStatus: 200,
				want: []check{{"renewal_date", future}, {"custom_fields.seats", 120}, {"parent_id", globexID}, {"version", 3},
					{"health.components.#", 5}}},
			{name: "a circle of parents is refused", method: "PATCH", path: "/api/v1/organizations/" + id(globexID), as: "sunil",
				body: map[string]any{"parent_id": acmeID}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.parent_id", "would make the account its own parent (a circle)"}}},
			{name: "a currency that does not exist is refused", method: "PATCH", path: "/api/v1/organizations/" + id(acmeID), as: "asha",
				body: map[string]any{"currency": "XYZ"}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.currency", `"XYZ" is not an ISO 4217 currency (for example INR, USD, EUR)`}}},
			{name: "a renewal in the past is refused", method: "PATCH", path: "/api/v1/organizations/" + id(acmeID), as: "asha",
				body: map[string]any{"renewal_date": "2020-01-01"}, wantStatus: 400, wantCode: "invalid"},
			{name: "an owner who is not an account executive is refused", method: "PATCH", path: "/api/v1/organizations/" + id(globexID),
				as: "sunil", body: map[string]any{"owner_id": ravi.ID}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.owner_id", "Ravi is not an active account executive"}}},
			{name: "a stale If-Match changes nothing", method: "GET", path: "/api/v1/organizations/" + id(acmeID), as: "asha",
				wantStatus: 200, want: []check{{"version", 3}},
				after: func(t *testing.T, d *testDesk) {
					h := http.Header{"Authorization": {"Bearer " + d.Tokens["asha"]}, "If-Match": {`"v2"`}}
					if r := d.send("PATCH", "/api/v1/organizations/"+id(acmeID), h, map[string]any{"tier": "Gold"}); r.Status != 412 {
						t.Errorf("stale write: %d %s", r.Status, r.Raw)
					}
					assertChecks(t, d.mustCall(200, "GET", "/api/v1/organizations/"+id(acmeID), "asha", nil), []check{{"tier", "Enterprise"}})
				}},
			{name: "an agent may not change accounts", method: "PATCH", path: "/api/v1/organizations/" + id(globexID), as: "ravi",
				body: map[string]any{"tier": "Gold"}, wantStatus: 403, wantCode: "forbidden"},
			{name: "lists filter by owner", method: "GET", path: "/api/v1/organizations?owner_id=" + id(asha.ID), as: "ravi",
				wantStatus: 200, want: []check{{"organizations.#", 1}, {"organizations.0.name", "Acme"}, {"organizations.0.health.band", "healthy"}}},
			{name: "lists filter by band", method: "GET", path: "/api/v1/organizations?band=at_risk", as: "ravi",
				wantStatus: 200, want: []check{{"organizations.#", 0}}},
			{name: "lists filter by renewal window", method: "GET", path: "/api/v1/organizations?renewal_within_days=90", as: "ravi",
				wantStatus: 200, want: []check{{"organizations.#", 1}, {"organizations.0.id", acmeID}}},
			{name: "a band that does not exist is named", method: "GET", path: "/api/v1/organizations?band=doomed", as: "ravi",
				wantStatus: 400, wantCode: "invalid"},
			{name: "a bad renewal window is named", method: "GET", path: "/api/v1/organizations?renewal_from=soon", as: "ravi",
				wantStatus: 400, wantCode: "invalid"},
			{name: "lists page", method: "GET", path: "/api/v1/organizations?limit=1", as: "ravi",
				wantStatus: 200, want: []check{{"organizations.#", 1}, {"organizations.0.id", acmeID}}},
			{name: "the weights read", method: "GET", path: "/api/v1/health-weights", as: "ravi",
				wantStatus: 200, want: []check{{"weights.sla_breaches", 20}}},
			{name: "an account executive may not set the weights", method: "PUT", path: "/api/v1/health-weights", as: "asha",
				body: map[string]any{"weights": map[string]any{"sla_breaches": 50}}, wantStatus: 403, wantCode: "forbidden"},
			{name: "a supervisor sets the weights", method: "PUT", path: "/api/v1/health-weights", as: "sunil",
				body: map[string]any{"weights": map[string]any{"sla_breaches": 50, "urgent_open": 50}}, wantStatus: 200,
				want: []check{{"weights.sla_breaches", 50}, {"weights.ticket_volume", 0}}},
			{name: "a weight for nothing is named", method: "PUT", path: "/api/v1/health-weights", as: "sunil",
				body: map[string]any{"weights": map[string]any{"luck": 50}}, wantStatus: 400, wantCode: "invalid"},
			{name: "the health history reads", method: "GET", path: "/api/v1/organizations/" + id(acmeID) + "/health?days=30", as: "ravi",
				wantStatus: 200, want: []check{{"points.#", 0}}},
		})
		// Health follows events: after an urgent ticket, the consumer counts it.
		d.mustCreateTicket("ravi", map[string]any{"priority": "urgent",
			"requester": map[string]any{"email": "kavya@acme.test", "name": "Kavya"}})
		storetest.CatchUpWith(t, d.DB, account.Consumer, func(ctx context.Context) error { return d.Accounts.Catchup(ctx) })
		r := d.mustCall(200, "GET", "/api/v1/organizations/"+id(acmeID)+"/health", "ravi", nil)
		assertChecks(t, r, []check{{"points.#", 1}})
		r = d.mustCall(200, "GET", "/api/v1/organizations/"+id(acmeID), "ravi", nil)
		assertChecks(t, r, []check{{"health.components.1.name", "urgent_open"}, {"health.components.1.value", 1}})
	})
}
