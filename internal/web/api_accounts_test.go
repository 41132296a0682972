package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
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

// The account executive's day: the book ranks their accounts at risk
// first, the account page shows health, timeline and check-ins, and a
// check-in logged from the page lands on the timeline (API and pages).
func TestBookTimelineAndCheckins(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"asha": goodPassword}, func(t *testing.T, d *testDesk) {
		asha := d.Agents["asha"]
		mk := func(name, domain string) int64 {
			return d.mustCall(201, "POST", "/api/v1/organizations", "asha",
				map[string]any{"name": name, "domains": []string{domain}, "owner_id": asha.ID, "checkin_rule": "FREQ=MONTHLY"}).id("id")
		}
		calm, stormy := mk("Calm Co", "calm.test"), mk("Stormy Ltd", "stormy.test")
		for range 3 {
			d.mustCreateTicket("ravi", map[string]any{"priority": "urgent", "requester": map[string]any{"email": "x@stormy.test"}})
		}
		storetest.CatchUpWith(t, d.DB, account.Consumer, func(ctx context.Context) error { return d.Accounts.Catchup(ctx) })
		d.run([]scenario{
			{name: "the book ranks the stormy account first", method: "GET", path: "/api/v1/book", as: "asha", wantStatus: 200,
				want: []check{{"accounts.#", 2}, {"accounts.0.organization_id", stormy}, {"accounts.0.urgent_tickets", 3},
					{"accounts.1.name", "Calm Co"}}},
			{name: "another's book reads by owner", method: "GET", path: "/api/v1/book?owner_id=" + id(asha.ID), as: "sunil",
				wantStatus: 200, want: []check{{"accounts.#", 2}}},
			{name: "a cadence too frequent is refused", method: "PATCH", path: "/api/v1/organizations/" + id(calm), as: "asha",
				body: map[string]any{"checkin_rule": "FREQ=HOURLY"}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.checkin_rule", "recurs more often than once a day"}}},
			{name: "a cadence that never recurs is refused", method: "PATCH", path: "/api/v1/organizations/" + id(calm), as: "asha",
				body: map[string]any{"checkin_rule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31"}, wantStatus: 400, wantCode: "invalid"},
			{name: "a check-in is logged", method: "POST", path: "/api/v1/checkins", as: "asha",
				body: map[string]any{"organization_id": calm, "notes": "Quarterly review", "attendees": []string{"Kavya"},
					"outcome": "positive", "follow_ups": []string{"Send the quote"}}, wantStatus: 201,
				want: []check{{"organization_id", calm}, {"attendees.0", "Kavya"}}},
			{name: "an agent may not log one", method: "POST", path: "/api/v1/checkins", as: "ravi",
				body: map[string]any{"organization_id": calm}, wantStatus: 403, wantCode: "forbidden"},
			{name: "check-ins list", method: "GET", path: "/api/v1/checkins?organization_id=" + id(calm), as: "ravi",
				wantStatus: 200, want: []check{{"checkins.#", 1}, {"checkins.0.outcome", "positive"}}},
			{name: "check-ins need an account", method: "GET", path: "/api/v1/checkins", as: "ravi", wantStatus: 400, wantCode: "invalid"},
			{name: "nothing is due this week", method: "GET", path: "/api/v1/checkins/due?within_days=7", as: "asha",
				wantStatus: 200, want: []check{{"due.#", 0}}},
			{name: "within two months both are due", method: "GET", path: "/api/v1/checkins/due?within_days=62&owner_id=" + id(asha.ID),
				as: "asha", wantStatus: 200, want: []check{{"due.#", 2}, {"due.0.overdue", false}}},
			{name: "the timeline pages", method: "GET", path: "/api/v1/organizations/" + id(stormy) + "/timeline?limit=4", as: "ravi",
				wantStatus: 200, want: []check{{"items.#", 4}},
				after: func(t *testing.T, d *testDesk) {
					first := d.mustCall(200, "GET", "/api/v1/organizations/"+id(stormy)+"/timeline?limit=4", "ravi", nil)
					next := first.str("next_cursor")
					rest := d.mustCall(200, "GET", "/api/v1/organizations/"+id(stormy)+"/timeline?limit=10&cursor="+next, "ravi", nil)
					assertChecks(t, rest, []check{{"items.#", 2}, {"next_cursor", nil}})
				}},
			{name: "the timeline filters by kind", method: "GET", path: "/api/v1/organizations/" + id(calm) + "/timeline?kind=checkin",
				as: "ravi", wantStatus: 200, want: []check{{"items.#", 1}, {"items.0.kind", "checkin"}, {"items.0.ticket_id", nil}}},
			{name: "an unknown kind is named", method: "GET", path: "/api/v1/organizations/" + id(calm) + "/timeline?kind=gossip",
				as: "ravi", wantStatus: 400, wantCode: "invalid"},
			{name: "a bad cursor is named", method: "GET", path: "/api/v1/organizations/" + id(calm) + "/timeline?cursor=AAAA",
				as: "ravi", wantStatus: 400, wantCode: "invalid"},
			{name: "a missing account's timeline is 404", method: "GET", path: "/api/v1/organizations/999999/timeline",
				as: "ravi", wantStatus: 404, wantCode: "not_found"},
		})
		// The pages: the book links to the account, whose page logs a check-in.
		s := d.signedIn(t, "asha")
		book := s.page("/book")
		if i, j := strings.Index(book, "Stormy Ltd"), strings.Index(book, "Calm Co"); i < 0 || j < 0 || i > j ||
			!strings.Contains(book, `href="/organizations/`+id(stormy)+`"`) {
			t.Errorf("the book:\n%s", book)
		}
		acct := s.page("/organizations/" + id(calm))
		for _, want := range []string{"band-healthy", "Quarterly review", `id="log-checkin"`, "FREQ=MONTHLY", `href="/book"`} {
			if !strings.Contains(acct, want) {
				t.Errorf("the account page lacks %q", want)
			}
		}
		csrf := csrfField.FindStringSubmatch(acct)[1]
		res, page := s.post("/organizations/"+id(calm)+"/checkins", url.Values{"csrf": {csrf}, "notes": {"Call about seats"},
			"attendees": {"Kavya\nRahul"}, "outcome": {"neutral"}, "follow_ups": {""}})
		if res.StatusCode != 303 {
			t.Fatalf("log from the page: %d\n%s", res.StatusCode, page)
		}
		res, page = s.post("/organizations/"+id(calm)+"/checkins", url.Values{"csrf": {csrf}, "outcome": {"ecstatic"}})
		if res.StatusCode != 400 || !strings.Contains(page, `id="log-checkin"`) {
			t.Errorf("a refused check-in: %d", res.StatusCode)
		}
		if acct = s.page("/organizations/" + id(calm) + "?kind=checkin"); strings.Count(acct, `data-kind="checkin"`) != 2 {
			t.Errorf("the timeline shows %d check-ins", strings.Count(acct, `data-kind="checkin"`))
		}
		// The ticket page shows the ticket's account, read-only: owner and health.
		tk := d.mustCreateTicket("ravi", map[string]any{"requester": map[string]any{"email": "y@calm.test"}})
		tp := s.page("/tickets/" + id(tk.id("id")))
		slot := tp[strings.Index(tp, `id="account-slot"`):]
		slot = slot[:strings.Index(slot, "</div>")]
		if !strings.Contains(slot, "Asha") || !strings.Contains(slot, "band-healthy") || strings.HasPrefix(slot, `id="account-slot" data-slot="account" hidden`) {
			t.Errorf("the ticket's account panel: %s", slot)
		}
	})
}
