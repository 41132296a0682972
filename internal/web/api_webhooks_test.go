package web_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/people"
)

func TestWebhooksAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		created := d.mustCall(201, "POST", "/api/v1/webhooks", "ada", map[string]any{
			"url": "https://hooks.example.test/sahayak", "description": "CRM sync", "events": []string{"contact.created", "ticket.created"}})
		hid := id(created.id("id"))
		secret := created.str("secret")
		if !strings.HasPrefix(secret, "whsec_") || created.Header.Get("Location") != "/api/v1/webhooks/"+hid {
			t.Fatalf("created: %s Location %q", created.Raw, created.Header.Get("Location"))
		}
		hookUnchanged := func(t *testing.T, d *testDesk) {
			assertChecks(t, d.mustCall(200, "GET", "/api/v1/webhooks/"+hid, "ada", nil),
				[]check{{"url", "https://hooks.example.test/sahayak"}, {"events.#", 2}, {"version", 1}})
		}
		d.run([]scenario{
			{name: "the secret is never shown again", method: "GET", path: "/api/v1/webhooks/" + hid, as: "ada", wantStatus: 200,
				want: []check{{"secret", nil}, {"active", true}, {"events.0", "contact.created"}, {"failing_since", nil},
					{"consecutive_failures", 0}, {"description", "CRM sync"}}},
			{name: "admins list webhooks", method: "GET", path: "/api/v1/webhooks", as: "ada", wantStatus: 200,
				want: []check{{"webhooks.#", 1}, {"webhooks.0.secret", nil}}},
			{name: "a supervisor may not see them (they hold secrets)", method: "GET", path: "/api/v1/webhooks", as: "sunil",
				wantStatus: 403, wantCode: "forbidden"},
			{name: "an unknown event type is refused", method: "PATCH", path: "/api/v1/webhooks/" + hid, as: "ada",
				body: map[string]any{"events": []string{"ticket.exploded"}, "url": "https://other.test/"}, wantStatus: 400,
				wantCode: "invalid", want: []check{{"error.fields.events", "is not an event type: ticket.exploded"}}, after: hookUnchanged},
			{name: "a URL with credentials is refused", method: "POST", path: "/api/v1/webhooks", as: "ada",
				body: map[string]any{"url": "https://user:pw@hooks.example.test/", "events": []string{"*"}}, wantStatus: 400,
				wantCode: "invalid", want: []check{{"error.fields.url", "must be an http or https address without a password or fragment"}},
				after: func(t *testing.T, d *testDesk) {
					assertChecks(t, d.mustCall(200, "GET", "/api/v1/webhooks", "ada", nil), []check{{"webhooks.#", 1}})
				}},
			{name: "turning it off and on", method: "PATCH", path: "/api/v1/webhooks/" + hid, as: "ada",
				body: map[string]any{"active": false}, wantStatus: 200, want: []check{{"active", false}, {"version", 2}, {"secret", nil}}},
			{name: "rotating the secret shows the new one once", method: "PATCH", path: "/api/v1/webhooks/" + hid, as: "ada",
				body: map[string]any{"rotate_secret": true, "active": true}, wantStatus: 200, want: []check{{"active", true}, {"version", 3}}},
			{name: "an empty log", method: "GET", path: "/api/v1/webhooks/" + hid + "/deliveries", as: "ada", wantStatus: 200,
				want: []check{{"deliveries.#", 0}, {"next_cursor", nil}}},
			{name: "a bad cursor", method: "GET", path: "/api/v1/webhooks/" + hid + "/deliveries?cursor=abc", as: "ada",
				wantStatus: 400, wantCode: "invalid"},
			{name: "replaying a delivery that is not there", method: "POST", path: "/api/v1/webhooks/" + hid + "/deliveries/12345/replay",
				as: "ada", wantStatus: 404, wantCode: "not_found"},
			{name: "the deliveries of a webhook that is not there", method: "GET", path: "/api/v1/webhooks/999/deliveries",
				as: "ada", wantStatus: 404, wantCode: "not_found"},
			{name: "removing it", method: "DELETE", path: "/api/v1/webhooks/" + hid, as: "ada", wantStatus: 204},
			{name: "it is gone", method: "GET", path: "/api/v1/webhooks/" + hid, as: "ada", wantStatus: 404, wantCode: "not_found"},
		})
	})
}

func TestAuditAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		ravi := id(d.Agents["ravi"].ID)
		d.mustCall(200, "PATCH", "/api/v1/agents/"+ravi, "ada", map[string]any{"role": "team_lead"})
		d.mustCall(200, "PATCH", "/api/v1/agents/"+ravi, "ada", map[string]any{"active": false})
		hook := d.mustCall(201, "POST", "/api/v1/webhooks", "ada", map[string]any{"url": "http://127.0.0.1:9/", "events": []string{"*"}})

		all := d.mustCall(200, "GET", "/api/v1/audit", "ada", nil)
		assertChecks(t, all, []check{{"entries.0.action", "webhook.created"}, {"entries.0.target_id", hook.id("id")},
			{"entries.0.actor_name", "Ada"}, {"entries.0.address", "127.0.0.1"},
			{"entries.1.action", "agent.deactivated"}, {"entries.2.action", "agent.role_changed"},
			{"entries.2.data.old", "agent"}, {"entries.2.data.new", "team_lead"}})

		// Page through one entry at a time: newest first, each once.
		var seen []string
		byAda := "/api/v1/audit?action=agent.&actor_id=" + id(d.Agents["ada"].ID) + "&limit=1"
		path := byAda
		for range 5 {
			page := d.mustCall(200, "GET", path, "ada", nil)
			for _, e := range page.get("entries").([]any) {
				seen = append(seen, lookup(e, "action").(string))
			}
			next, _ := page.get("next_cursor").(string)
			if next == "" {
				break
			}
			path = byAda + "&cursor=" + next
		}
		if strings.Join(seen, " ") != "agent.deactivated agent.role_changed" {
			t.Fatalf("paged agent entries: %v", seen)
		}
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		d.run([]scenario{
			{name: "by actor", method: "GET", path: "/api/v1/audit?actor_id=" + ravi, as: "ada", wantStatus: 200,
				want: []check{{"entries.#", 0}, {"next_cursor", nil}}},
			{name: "by time", method: "GET", path: "/api/v1/audit?since=" + future, as: "ada", wantStatus: 200,
				want: []check{{"entries.#", 0}}},
			{name: "a bad time", method: "GET", path: "/api/v1/audit?until=yesterday", as: "ada", wantStatus: 400,
				wantCode: "invalid", want: []check{{"error.fields.until", "must be a time like 2025-03-14T09:30:00Z"}}},
			{name: "an unknown filter", method: "GET", path: "/api/v1/audit?who=ada", as: "ada", wantStatus: 400, wantCode: "invalid"},
			{name: "a supervisor may not read it", method: "GET", path: "/api/v1/audit", as: "sunil", wantStatus: 403, wantCode: "forbidden"},
		})
		for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
			if r := d.call(m, "/api/v1/audit", "ada", nil); r.Status != http.StatusMethodNotAllowed {
				t.Errorf("%s /api/v1/audit: %d, want 405 (the log is read-only)", m, r.Status)
			}
		}
	})
}

// Events about people carry no ticket and are not on the live stream: an
// agent who may not read contacts must not learn of one from it.
func TestPeopleEventsStayOffTheLiveStream(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", d.URL+"/events", nil)
		req.Header.Set("Authorization", "Bearer "+d.Tokens["ravi"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		lines := make(chan string, 100)
		go func() {
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		if _, err := d.People.CreateContact(system(), people.ContactInput{Name: ptrTo("Secret Customer"),
			Emails: &[]string{"secret@customer.test"}}); err != nil {
			t.Fatal(err)
		}
		// A ticket event afterwards proves the stream works and comes after.
		d.mustCreateTicket("ravi", nil)
		for line := range lines {
			if strings.Contains(line, "contact.") || strings.Contains(line, "secret@customer.test") {
				t.Fatalf("the stream told ravi of a contact: %s", line)
			}
			if strings.HasPrefix(line, "event: ticket.created") {
				return
			}
		}
		t.Fatal("the stream ended before the ticket event")
	})
}

func ptrTo[T any](v T) *T { return &v }
