package web_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestMailboxesAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		team := id(d.Teams[1].ID)
		created := d.mustCall(201, "POST", "/api/v1/mailboxes", "ada", map[string]any{
			"address": "Support@Example.test", "name": "Acme Support", "team_id": d.Teams[1].ID, "signature": "— Acme",
			"imap": map[string]any{"host": "imap.example.test", "port": 993, "security": "tls", "username": "support",
				"password": "imap-s3cret"},
			"smtp": map[string]any{"host": "smtp.example.test", "port": 587, "username": "support", "password": "smtp-s3cret"}})
		mid := id(created.id("id"))
		if created.Header.Get("Location") != "/api/v1/mailboxes/"+mid || created.Header.Get("ETag") != `"v1"` {
			t.Fatalf("created: Location %q ETag %q", created.Header.Get("Location"), created.Header.Get("ETag"))
		}
		if strings.Contains(string(created.Raw), "s3cret") {
			t.Fatalf("a password in the answer: %s", created.Raw)
		}
		noSecrets := func(t *testing.T, d *testDesk) {
			for _, path := range []string{"/api/v1/mailboxes", "/api/v1/mailboxes/" + mid, "/api/v1/audit"} {
				if r := d.mustCall(200, "GET", path, "ada", nil); strings.Contains(string(r.Raw), "s3cret") {
					t.Errorf("%s shows a password: %s", path, r.Raw)
				}
			}
		}
		d.run([]scenario{
			{name: "the address is kept in lower case, passwords only as set", method: "GET", path: "/api/v1/mailboxes/" + mid,
				as: "ada", wantStatus: 200, want: []check{{"address", "support@example.test"}, {"name", "Acme Support"},
					{"team_id", d.Teams[1].ID}, {"imap.password_set", true}, {"imap.password", nil}, {"smtp.password_set", true},
					{"smtp.security", "starttls"}, {"imap.folder", "INBOX"}, {"active", true}, {"version", 1}},
				after: noSecrets},
			{name: "admins list mailboxes, a page at a time", method: "GET", path: "/api/v1/mailboxes?limit=1", as: "ada",
				wantStatus: 200, want: []check{{"mailboxes.#", 1}, {"next_cursor", nil}}},
			{name: "an agent may not see mailboxes", method: "GET", path: "/api/v1/mailboxes", as: "ravi", wantStatus: 403,
				wantCode: "forbidden"},
			{name: "a second mailbox with the same address is refused", method: "POST", path: "/api/v1/mailboxes", as: "ada",
				body: map[string]any{"address": "support@example.test"}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.address", "another mailbox has this address"}}},
			{name: "a bad security and port are refused, naming the fields", method: "PATCH", path: "/api/v1/mailboxes/" + mid,
				as: "ada", body: map[string]any{"imap": map[string]any{"security": "ssl3", "port": 70000}}, wantStatus: 400,
				wantCode: "invalid", after: func(t *testing.T, d *testDesk) {
					r := d.call("PATCH", "/api/v1/mailboxes/"+mid, "ada", map[string]any{"imap": map[string]any{"security": "ssl3", "port": 70000}})
					fields, _ := r.get("error.fields").(map[string]any)
					if fields["imap.security"] != "must be one of tls, starttls, none" || fields["imap.port"] == nil {
						t.Errorf("fields: %s", r.Raw)
					}
				}},
			{name: "a team that is not there is refused", method: "PATCH", path: "/api/v1/mailboxes/" + mid, as: "ada",
				body: map[string]any{"team_id": 99999}, wantStatus: 400, wantCode: "invalid"},
			{name: "an absent password is kept", method: "PATCH", path: "/api/v1/mailboxes/" + mid, as: "ada",
				body: map[string]any{"name": "Acme Help", "imap": map[string]any{"username": "help"}}, wantStatus: 200,
				want: []check{{"name", "Acme Help"}, {"imap.username", "help"}, {"imap.password_set", true}, {"version", 2}}},
			{name: "an empty password removes it", method: "PATCH", path: "/api/v1/mailboxes/" + mid, as: "ada",
				body: map[string]any{"smtp": map[string]any{"password": ""}, "team_id": 0}, wantStatus: 200,
				want:  []check{{"smtp.password_set", false}, {"imap.password_set", true}, {"team_id", nil}, {"version", 3}},
				after: noSecrets},
			{name: "an unknown field is refused", method: "PATCH", path: "/api/v1/mailboxes/" + mid, as: "ada",
				body: map[string]any{"password": "x"}, wantStatus: 400, wantCode: "invalid"},
			{name: "an agent may not change one", method: "PATCH", path: "/api/v1/mailboxes/" + mid, as: "ravi",
				body: map[string]any{"name": "x"}, wantStatus: 403, wantCode: "forbidden"},
		})
		_ = team

		// A stale If-Match changes nothing; the current one does.
		h := http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]}, "If-Match": {`"v1"`}}
		if r := d.send("PATCH", "/api/v1/mailboxes/"+mid, h, map[string]any{"name": "Stale"}); r.Status != 412 ||
			r.errorCode() != "stale" {
			t.Fatalf("stale PATCH: %d %s", r.Status, r.Raw)
		}
		h.Set("If-Match", `"v3"`)
		if r := d.send("PATCH", "/api/v1/mailboxes/"+mid, h, map[string]any{"name": "Fresh"}); r.Status != 200 ||
			r.Header.Get("ETag") != `"v4"` {
			t.Fatalf("fresh PATCH: %d %s", r.Status, r.Raw)
		}
		h.Set("If-Match", `"v3"`)
		if r := d.send("DELETE", "/api/v1/mailboxes/"+mid, h, nil); r.Status != 412 {
			t.Fatalf("stale DELETE: %d %s", r.Status, r.Raw)
		}
		audit := d.mustCall(200, "GET", "/api/v1/audit?action=mailbox.", "ada", nil)
		assertChecks(t, audit, []check{{"entries.0.action", "mailbox.updated"}, {"entries.0.data.fields.0", "name"},
			{"entries.#", 4}})
		h.Set("If-Match", `"v4"`)
		if r := d.send("DELETE", "/api/v1/mailboxes/"+mid, h, nil); r.Status != 204 {
			t.Fatalf("DELETE: %d %s", r.Status, r.Raw)
		}
		d.mustCall(404, "GET", "/api/v1/mailboxes/"+mid, "ada", nil)
	})
}

// Raw mail posted to a mailbox becomes a ticket once; the same message
// again is answered as a duplicate; only message/rfc822 is taken.
func TestInboundMailAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		box := d.mustCall(201, "POST", "/api/v1/mailboxes", "ada", map[string]any{"address": "help@acme.test"})
		path := "/api/v1/mailboxes/" + id(box.id("id")) + "/inbound"
		raw := "From: =?UTF-8?B?4KSw4KS14KS/?= <ravi@example.in>\r\nTo: help@acme.test\r\nSubject: =?UTF-8?B?4KSu4KSm4KSm?=\r\n" +
			"Message-ID: <api-1@example.in>\r\n\r\nनमस्ते\x00\r\n"
		h := http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]}, "Content-Type": {"message/rfc822"}}
		first := d.send("POST", path, h, raw)
		if first.Status != 200 || first.str("outcome") != "new_ticket" || first.get("duplicate") != false {
			t.Fatalf("first: %d %s", first.Status, first.Raw)
		}
		tk := d.ticket(first.id("ticket_id"))
		assertChecks(t, tk, []check{{"subject", "मदद"}, {"channel", "email"}, {"requester.email", "ravi@example.in"}})
		again := d.send("POST", path, h, raw)
		if again.Status != 200 || again.get("duplicate") != true || again.id("ticket_id") != first.id("ticket_id") {
			t.Fatalf("again: %d %s", again.Status, again.Raw)
		}
		h.Set("Content-Type", "text/plain")
		if r := d.send("POST", path, h, raw); r.Status != 415 {
			t.Fatalf("text/plain: %d %s", r.Status, r.Raw)
		}
		h.Set("Content-Type", "message/rfc822")
		h.Set("Authorization", "Bearer "+d.Tokens["ravi"])
		if r := d.send("POST", path, h, raw); r.Status != 403 {
			t.Fatalf("an agent: %d %s", r.Status, r.Raw)
		}
	})
}
