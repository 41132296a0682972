package web_test

import (
	"net/http"
	"sync"
	"testing"
)

// versionedResource is one kind of API resource with a version: how to make
// one, a change to PATCH it with, and what its DELETE does.
type versionedResource struct {
	name    string
	path    string // the collection
	create  func(d *testDesk) map[string]any
	patch   map[string]any
	field   string // a field the patch changes
	deleted bool   // DELETE removes it (agents are deactivated, tokens revoked)
}

var versionedResources = []versionedResource{
	{name: "ticket", path: "/api/v1/tickets", create: func(d *testDesk) map[string]any {
		return map[string]any{"subject": "Printer on fire", "body": "It smokes.",
			"requester": map[string]any{"email": "kavya@customer.test"}}
	}, patch: map[string]any{"priority": "urgent"}, field: "priority"},
	{name: "contact", path: "/api/v1/contacts", create: func(d *testDesk) map[string]any {
		return map[string]any{"name": "Bala", "email": "bala@customer.test"}
	}, patch: map[string]any{"phone": "+91 98765 43210"}, field: "phone", deleted: true},
	{name: "organization", path: "/api/v1/organizations", create: func(d *testDesk) map[string]any {
		return map[string]any{"name": "Acme"}
	}, patch: map[string]any{"notes": "pays late"}, field: "notes", deleted: true},
	{name: "agent", path: "/api/v1/agents", create: func(d *testDesk) map[string]any {
		return map[string]any{"name": "Nisha", "email": "nisha@desk.test", "role": "agent"}
	}, patch: map[string]any{"name": "Nisha Rao"}, field: "name"},
	{name: "team", path: "/api/v1/teams", create: func(d *testDesk) map[string]any {
		return map[string]any{"name": "Billing"}
	}, patch: map[string]any{"tier": 2}, field: "tier", deleted: true},
	{name: "role", path: "/api/v1/roles", create: func(d *testDesk) map[string]any {
		return map[string]any{"name": "triage", "permissions": []string{"tickets:read"}}
	}, patch: map[string]any{"description": "sorts the inbox"}, field: "description", deleted: true},
	{name: "field", path: "/api/v1/fields", create: func(d *testDesk) map[string]any {
		return map[string]any{"key": "order_no", "label": "Order number", "kind": "text"}
	}, patch: map[string]any{"label": "Order"}, field: "label", deleted: true},
	{name: "webhook", path: "/api/v1/webhooks", create: func(d *testDesk) map[string]any {
		return map[string]any{"url": "https://hooks.example.test/crm", "events": []string{"ticket.created"}}
	}, patch: map[string]any{"description": "CRM sync"}, field: "description", deleted: true},
}

func TestETagAndIfMatch(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		for _, rs := range versionedResources {
			t.Run(rs.name, func(t *testing.T) {
				d := d.in(t)
				created := d.mustCall(201, "POST", rs.path, "ada", rs.create(d))
				if got := created.Header.Get("ETag"); got != `"v1"` {
					t.Errorf("create: ETag %q, want \"v1\"", got)
				}
				self := rs.path + "/" + id(created.id("id"))
				got := d.mustCall(200, "GET", self, "ada", nil)
				if got.Header.Get("ETag") != `"v1"` || got.str("version") != "1" {
					t.Errorf("GET: ETag %q, version %s; want \"v1\" and 1", got.Header.Get("ETag"), got.str("version"))
				}
				ifMatch := func(tag string) http.Header {
					h := http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]}}
					if tag != "" {
						h.Set("If-Match", tag)
					}
					return h
				}
				patched := d.send("PATCH", self, ifMatch(`"v1"`), rs.patch)
				if patched.Status != 200 || patched.Header.Get("ETag") != `"v2"` {
					t.Fatalf("PATCH If-Match \"v1\": status %d, ETag %q; want 200 and \"v2\"\n%s", patched.Status, patched.Header.Get("ETag"), patched.Raw)
				}
				before := d.mustCall(200, "GET", self, "ada", nil)
				stale := d.send("PATCH", self, ifMatch(`"v1"`), map[string]any{rs.field: created.get(rs.field)})
				if stale.Status != 412 || stale.errorCode() != "stale" || stale.str("error.current_version") != "2" ||
					stale.Header.Get("ETag") != `"v2"` {
					t.Errorf("stale PATCH: status %d, ETag %q; want 412, code stale, current_version 2, ETag \"v2\"\n%s",
						stale.Status, stale.Header.Get("ETag"), stale.Raw)
				}
				for _, tag := range []string{`W/"v2"`, `"abc"`, `"v0"`} {
					if r := d.send("PATCH", self, ifMatch(tag), rs.patch); r.Status != 412 {
						t.Errorf("PATCH If-Match %s: status %d, want 412 (it can never match)", tag, r.Status)
					}
				}
				for _, tag := range []string{`v2`, `"v2", "v3"`, `*, "v2"`} {
					if r := d.send("PATCH", self, ifMatch(tag), rs.patch); r.Status != 400 || r.errorCode() != "invalid" {
						t.Errorf("PATCH If-Match %s: status %d, want 400\n%s", tag, r.Status, r.Raw)
					}
				}
				if after := d.mustCall(200, "GET", self, "ada", nil); string(after.Raw) != string(before.Raw) {
					t.Errorf("refused PATCHes changed the resource:\nbefore %s\nafter  %s", before.Raw, after.Raw)
				}
				for _, tag := range []string{"*", ""} {
					if r := d.send("PATCH", self, ifMatch(tag), rs.patch); r.Status != 200 {
						t.Errorf("PATCH If-Match %q: status %d, want 200\n%s", tag, r.Status, r.Raw)
					}
				}
				if rs.name == "ticket" {
					return // tickets are not deleted
				}
				current := d.mustCall(200, "GET", self, "ada", nil).Header.Get("ETag")
				if r := d.send("DELETE", self, ifMatch(`"v1"`), nil); r.Status != 412 || r.errorCode() != "stale" {
					t.Errorf("stale DELETE: status %d, want 412 stale\n%s", r.Status, r.Raw)
				}
				if r := d.mustCall(200, "GET", self, "ada", nil); r.Header.Get("ETag") != current {
					t.Errorf("a refused DELETE changed the %s: ETag %s, was %s", rs.name, r.Header.Get("ETag"), current)
				}
				if r := d.send("DELETE", self, ifMatch(current), nil); r.Status != 204 {
					t.Fatalf("DELETE If-Match %s: status %d, want 204\n%s", current, r.Status, r.Raw)
				}
				if rs.deleted {
					d.mustCall(404, "GET", self, "ada", nil)
				}
			})
		}
		t.Run("token", func(t *testing.T) {
			d := d.in(t)
			tok := d.mustCall(201, "POST", "/api/v1/tokens", "ada", map[string]any{"name": "ci"})
			if tok.Header.Get("ETag") != `"v1"` {
				t.Errorf("token create: ETag %q", tok.Header.Get("ETag"))
			}
			self := "/api/v1/tokens/" + id(tok.id("id"))
			h := http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]}, "If-Match": {`"v2"`}}
			if r := d.send("DELETE", self, h, nil); r.Status != 412 || r.str("error.current_version") != "1" {
				t.Errorf("stale revoke: status %d, want 412 with current_version 1\n%s", r.Status, r.Raw)
			}
			h.Set("If-Match", `"v1"`)
			if r := d.send("DELETE", self, h, nil); r.Status != 204 {
				t.Errorf("revoke If-Match \"v1\": status %d\n%s", r.Status, r.Raw)
			}
		})
	})
}

// TestConcurrentPatches sends many PATCHes at once: with the same If-Match
// exactly one wins and the others answer 412; without If-Match every one
// applies (none is lost to a race).
func TestConcurrentPatches(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		const writers = 8
		for _, rs := range versionedResources {
			t.Run(rs.name, func(t *testing.T) {
				d := d.in(t)
				self := rs.path + "/" + id(d.mustCall(201, "POST", rs.path, "ada", rs.create(d)).id("id"))
				statuses := map[int]int{}
				var mu sync.Mutex
				var wg sync.WaitGroup
				start := make(chan struct{})
				for range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						r := d.send("PATCH", self, http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]},
							"If-Match": {`"v1"`}}, rs.patch)
						mu.Lock()
						statuses[r.Status]++
						mu.Unlock()
					}()
				}
				close(start)
				wg.Wait()
				if statuses[200] != 1 || statuses[412] != writers-1 {
					t.Fatalf("%d PATCHes with If-Match \"v1\": statuses %v, want one 200 and %d 412", writers, statuses, writers-1)
				}
				if got := d.mustCall(200, "GET", self, "ada", nil).str("version"); got != "2" {
					t.Errorf("version %s after one applied PATCH, want 2", got)
				}
			})
		}
		t.Run("without If-Match none is lost", func(t *testing.T) {
			d := d.in(t)
			c := d.mustCall(201, "POST", "/api/v1/organizations", "ada", map[string]any{"name": "Acme"})
			self := "/api/v1/organizations/" + id(c.id("id"))
			var wg sync.WaitGroup
			failed := make(chan string, writers)
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := d.send("PATCH", self, http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]}},
						map[string]any{"notes": "note " + id(int64(i))})
					if r.Status != 200 {
						failed <- string(r.Raw)
					}
				}()
			}
			wg.Wait()
			close(failed)
			for f := range failed {
				t.Errorf("an unconditional PATCH failed: %s", f)
			}
			if got := d.mustCall(200, "GET", self, "ada", nil).str("version"); got != id(1+writers) {
				t.Errorf("version %s after %d PATCHes, want %d", got, writers, 1+writers)
			}
		})
	})
}

// in returns the desk for a subtest, so that its failures end the subtest.
func (d *testDesk) in(t *testing.T) *testDesk {
	dd := *d
	dd.t = t
	return &dd
}
