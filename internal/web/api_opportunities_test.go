package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Feedback and opportunities through the API: recorded from a ticket,
// listed, exported; opportunities flagged, moved along the stages (and
// refused off them), handed to sales with the webhook-visible event; bad
// input answered 400 naming the field.
func TestFeedbackAndOpportunitiesAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		asha := d.Agents["asha"]
		acme := d.mustCall(201, "POST", "/api/v1/organizations", "asha",
			map[string]any{"name": "Acme", "domains": []string{"acme.test"}, "owner_id": asha.ID, "currency": "INR"}).id("id")
		tk := d.mustCreateTicket("ravi", map[string]any{"subject": "We need more seats",
			"requester": map[string]any{"email": "kavya@acme.test"}}).id("id")
		d.run([]scenario{
			{name: "feedback from a ticket takes the ticket's account", method: "POST", path: "/api/v1/feedback", as: "asha",
				body:       map[string]any{"ticket_id": tk, "kind": "feature_request", "category": "Reports", "body": "Monthly PDF, please."},
				wantStatus: 201, want: []check{{"organization_id", acme}, {"category", "reports"}, {"kind", "feature_request"}}},
			{name: "an unknown kind is refused", method: "POST", path: "/api/v1/feedback", as: "asha",
				body: map[string]any{"ticket_id": tk, "kind": "rant", "body": "x"}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.kind", "the kind must be one of: praise, complaint, feature_request"}}},
			{name: "an agent records none", method: "POST", path: "/api/v1/feedback", as: "ravi",
				body: map[string]any{"ticket_id": tk, "kind": "praise", "body": "x"}, wantStatus: 403, wantCode: "forbidden"},
			{name: "feedback lists by kind", method: "GET", path: "/api/v1/feedback?kind=feature_request&organization_id=" + id(acme),
				as: "ravi", wantStatus: 200, want: []check{{"feedback.#", 1}, {"feedback.0.organization_name", "Acme"}}},
			{name: "a bad date is named", method: "GET", path: "/api/v1/feedback?from=yesterday", as: "sunil",
				wantStatus: 400, wantCode: "invalid"},
			{name: "a bad currency is refused", method: "POST", path: "/api/v1/opportunities", as: "asha",
				body:       map[string]any{"ticket_id": tk, "title": "40 seats", "value": 100, "currency": "RUPEE"},
				wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.currency", `"RUPEE" is not an ISO 4217 currency (for example INR, USD, EUR)`}}},
			{name: "an opportunity is flagged from a ticket", method: "POST", path: "/api/v1/opportunities", as: "asha",
				body:       map[string]any{"ticket_id": tk, "title": "40 more seats", "kind": "seats", "value": 480000},
				wantStatus: 201, want: []check{{"stage", "identified"}, {"currency", "INR"}, {"organization_id", acme}}},
		})
		oppID := d.mustCall(200, "GET", "/api/v1/opportunities?organization_id="+id(acme), "ravi", nil).id("opportunities.0.id")
		opp := "/api/v1/opportunities/" + id(oppID)
		contact := "/api/v1/contacts/" + id(d.mustCall(200, "GET", "/api/v1/contacts?organization_id="+id(acme), "asha", nil).id("contacts.0.id"))
		d.run([]scenario{
			{name: "a stage off the path is refused", method: "PATCH", path: opp, as: "asha",
				body: map[string]any{"stage": "won"}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.stage", "an opportunity cannot move from identified to won"}}},
			{name: "an unknown stage is refused", method: "PATCH", path: opp, as: "asha",
				body: map[string]any{"stage": "closed"}, wantStatus: 400, wantCode: "invalid"},
			{name: "qualified", method: "PATCH", path: opp, as: "asha",
				body: map[string]any{"stage": "qualified"}, wantStatus: 200, want: []check{{"stage", "qualified"}}},
			{name: "no sales contact: the hand-off is refused", method: "PATCH", path: opp, as: "asha",
				body: map[string]any{"stage": "handed_to_sales"}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.sales_email", "no sales contact: give an address or set the desk's default"}}},
			{name: "an AE may not set the default sales contact", method: "PUT", path: "/api/v1/sales-contact", as: "asha",
				body: map[string]any{"sales_email": "sales@desk.test"}, wantStatus: 403, wantCode: "forbidden"},
			{name: "a supervisor sets it", method: "PUT", path: "/api/v1/sales-contact", as: "sunil",
				body: map[string]any{"sales_email": "sales@desk.test"}, wantStatus: 200,
				want: []check{{"sales_email", "sales@desk.test"}, {"language", "en"}}},
			{name: "a language the desk does not ship is refused", method: "PUT", path: "/api/v1/sales-contact", as: "sunil",
				body: map[string]any{"sales_email": "sales@desk.test", "language": "fr"}, wantStatus: 400, wantCode: "invalid"},
			{name: "handed to sales", method: "PATCH", path: opp, as: "asha",
				body: map[string]any{"stage": "handed_to_sales"}, wantStatus: 200,
				want: []check{{"stage", "handed_to_sales"}, {"sales_email", "sales@desk.test"}}},
			{name: "the timeline shows feedback and the opportunity", method: "GET",
				path: "/api/v1/organizations/" + id(acme) + "/timeline?kind=feedback,opportunity", as: "ravi", wantStatus: 200,
				want: []check{{"items.#", 2}}},
			{name: "rules are listed, four built in", method: "GET", path: "/api/v1/opportunity-rules", as: "ravi", wantStatus: 200,
				want: []check{{"rules.#", 4}, {"rules.0.kind", "seats"}}},
			{name: "an AE may not add a rule", method: "POST", path: "/api/v1/opportunity-rules", as: "asha",
				body: map[string]any{"name": "x", "kind": "seats", "keywords": []string{"seat"}}, wantStatus: 403, wantCode: "forbidden"},
			{name: "a rule of an unknown kind is refused", method: "POST", path: "/api/v1/opportunity-rules", as: "sunil",
				body: map[string]any{"name": "x", "kind": "upsell", "keywords": []string{"seat"}}, wantStatus: 400, wantCode: "invalid"},
			{name: "a contact gets a role in the account", method: "PATCH", path: contact, as: "asha",
				body:       map[string]any{"account_role": "decision_maker", "preferred_channel": "phone", "preferred_language": "hi"},
				wantStatus: 200, want: []check{{"account_role", "decision_maker"}, {"preferred_channel", "phone"}}},
			{name: "an unknown role is refused", method: "PATCH", path: contact, as: "asha",
				body: map[string]any{"account_role": "boss"}, wantStatus: 400, wantCode: "invalid"},
		})
		// The hand-off is an event webhooks may subscribe to.
		d.mustCall(201, "POST", "/api/v1/webhooks", "ada", map[string]any{"url": "https://crm.example/hook",
			"events": []string{"opportunity.handed_off"}})
		// The export is CSV of the same feedback, recorded in the audit log.
		h := http.Header{"Authorization": {"Bearer " + d.Tokens["sunil"]}}
		r := d.send("GET", "/api/v1/feedback/export.csv?organization_id="+id(acme), h, nil)
		if r.Status != 200 || !strings.Contains(string(r.Raw), "Monthly PDF, please.") || !strings.HasPrefix(string(r.Raw), "\uFEFFid,created_at") {
			t.Errorf("export: %d\n%s", r.Status, r.Raw)
		}
		audit := d.mustCall(200, "GET", "/api/v1/audit", "ada", nil)
		if !strings.Contains(string(audit.Raw), `"feedback"`) {
			t.Errorf("the export is not in the audit log: %s", audit.Raw)
		}
	})
}

// The pages: the ticket page records feedback and flags an opportunity, the
// organization page edits the account (a stale form is refused) and moves
// the opportunity, the board and the feedback list show them.
func TestFeedbackAndOpportunityPages(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"asha": goodPassword, "sunil": goodPassword}, func(t *testing.T, d *testDesk) {
		asha := d.Agents["asha"]
		acme := d.mustCall(201, "POST", "/api/v1/organizations", "asha",
			map[string]any{"name": "Acme", "domains": []string{"acme.test"}, "owner_id": asha.ID}).id("id")
		tk := d.mustCreateTicket("ravi", map[string]any{"requester": map[string]any{"email": "kavya@acme.test"}}).id("id")
		b := d.signedIn(t, "asha")
		tp := b.page("/tickets/" + id(tk))
		form := formFields(t, tp, "record-feedback")
		form.Set("kind", "praise")
		form.Set("category", "support")
		form.Set("body", "बहुत अच्छी सेवा, धन्यवाद!")
		if res, page := b.post("/tickets/"+id(tk)+"/feedback", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("record feedback: %d\n%s", res.StatusCode, page)
		}
		form = formFields(t, tp, "flag-opportunity")
		form.Set("title", "Second team wants in")
		form.Set("kind", "new_team")
		if res, page := b.post("/tickets/"+id(tk)+"/opportunities", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("flag: %d\n%s", res.StatusCode, page)
		}
		// A bad currency comes back as a message, not a 500.
		form.Set("currency", "ABC")
		form.Set("value", "10")
		res, _ := b.post("/tickets/"+id(tk)+"/opportunities", form)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("refused flag: %d", res.StatusCode)
		}
		if page := b.page("/tickets/" + id(tk)); !strings.Contains(page, "ISO 4217") {
			t.Errorf("the refusal is not shown on the ticket page")
		}
		op := b.page("/organizations/" + id(acme))
		for _, want := range []string{"बहुत अच्छी सेवा", "Second team wants in", `id="edit-account"`, `data-stage="identified"`} {
			if !strings.Contains(op, want) {
				t.Errorf("the organization page lacks %q", want)
			}
		}
		// The account form: a change at the page's version saves; the same
		// stale form again is refused with a message.
		acct := formFields(t, op, "edit-account")
		acct.Set("tier", "Gold")
		acct.Set("currency", "INR")
		acct.Set("arr", "1200000")
		if res, page := b.post("/organizations/"+id(acme)+"/account", acct); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("account form: %d\n%s", res.StatusCode, page)
		}
		if res, page := b.post("/organizations/"+id(acme)+"/account", acct); res.StatusCode != http.StatusPreconditionFailed ||
			!strings.Contains(page, `id="edit-account"`) {
			t.Errorf("a stale account form: %d", res.StatusCode)
		}
		// An AE may not give the account away; a supervisor may, but only to
		// an account executive.
		give := formFields(t, b.page("/organizations/"+id(acme)), "edit-account")
		give.Set("owner_id", id(d.Agents["ravi"].ID))
		if res, _ := b.post("/organizations/"+id(acme)+"/account", give); res.StatusCode != http.StatusForbidden {
			t.Errorf("an AE gives the account away: %d", res.StatusCode)
		}
		sunil := d.signedIn(t, "sunil")
		bad := formFields(t, sunil.page("/organizations/"+id(acme)), "edit-account")
		bad.Set("owner_id", id(d.Agents["ravi"].ID))
		if res, page := sunil.post("/organizations/"+id(acme)+"/account", bad); res.StatusCode != 400 || !strings.Contains(page, "account executive") {
			t.Errorf("an owner who is not an AE: %d", res.StatusCode)
		}
		got := d.mustCall(200, "GET", "/api/v1/organizations/"+id(acme), "asha", nil)
		assertChecks(t, got, []check{{"tier", "Gold"}, {"currency", "INR"}})
		// Moving on the board.
		oppID := d.mustCall(200, "GET", "/api/v1/opportunities?organization_id="+id(acme), "asha", nil).id("opportunities.0.id")
		o := d.mustCall(200, "GET", "/api/v1/opportunities/"+id(oppID), "asha", nil)
		res, _ = b.post("/opportunities/"+id(oppID)+"/stage", url.Values{"csrf": {formFields(t, op, "flag-opportunity").Get("csrf")},
			"stage": {"qualified"}, "version": {id(o.id("version"))}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("move: %d", res.StatusCode)
		}
		if page := b.page("/opportunities"); !strings.Contains(page, `data-stage="qualified"`) || !strings.Contains(page, "Second team wants in") {
			t.Errorf("the board after the move")
		}
		// The feedback list across accounts, and its export.
		fl := sunil.page("/feedback?kind=praise")
		if !strings.Contains(fl, "बहुत अच्छी सेवा") || !strings.Contains(fl, `href="/feedback/export.csv?kind=praise"`) {
			t.Errorf("the feedback list:\n%s", fl)
		}
		res, csv := sunil.do("GET", "/feedback/export.csv?kind=praise", nil, "")
		if res.StatusCode != 200 || !strings.Contains(csv, "बहुत अच्छी सेवा") {
			t.Errorf("export from the page: %d", res.StatusCode)
		}
	})
}
