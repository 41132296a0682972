package web_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// listRoutes is every list of the API: its path (with fixtures filled in
// by the test), the key of its things, and whether it takes updated_since.
var listRoutes = []struct {
	path, key string
	since     bool
}{
	{"/api/v1/tickets", "tickets", true},
	{"/api/v1/tickets/{ticket}/messages", "messages", true},
	{"/api/v1/tickets/{ticket}/events", "events", true},
	{"/api/v1/tickets/{ticket}/links", "links", false},
	{"/api/v1/contacts", "contacts", true},
	{"/api/v1/organizations", "organizations", true},
	{"/api/v1/agents", "agents", true},
	{"/api/v1/teams", "teams", true},
	{"/api/v1/roles", "roles", true},
	{"/api/v1/fields", "fields", true},
	{"/api/v1/statuses", "statuses", false},
	{"/api/v1/tags", "tags", false},
	{"/api/v1/tokens", "tokens", true},
	{"/api/v1/notifications", "notifications", true},
}

// Every list pages the same way: limit and an opaque cursor in,
// {"<things>": [...], "next_cursor": ...} out, null at the end; walking
// the pages visits each thing once, in the order of one big page. Unknown
// parameters and bad values are a 400 naming the parameter.
func TestEveryListPagesTheSameWay(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		ids := fixtureIDs(d)
		tid := ids["ticket"]
		for range 2 {
			other := d.mustCreateTicket("ada", nil)
			d.mustCall(201, "POST", "/api/v1/tickets/"+tid+"/links", "ada", map[string]any{"other_id": other.id("id")})
		}
		d.mustCall(201, "POST", "/api/v1/tickets/"+tid+"/messages", "ada", map[string]any{"body": "Reply one"})
		d.mustCall(201, "POST", "/api/v1/tickets/"+tid+"/messages", "ada", map[string]any{"body": "Note", "internal": true})
		d.mustCall(201, "POST", "/api/v1/tags", "ada", map[string]any{"name": "second"})
		d.mustCall(201, "POST", "/api/v1/tags", "ada", map[string]any{"name": "third"})
		d.mustCall(201, "POST", "/api/v1/contacts", "ada", map[string]any{"name": "Another", "email": "another@x.test"})
		d.mustCall(201, "POST", "/api/v1/organizations", "ada", map[string]any{"name": "Another"})
		d.mustCall(201, "POST", "/api/v1/fields", "ada", map[string]any{"key": "another", "label": "Another", "kind": "text"})
		d.mustCall(201, "POST", "/api/v1/roles", "ada", map[string]any{"name": "another"})
		for _, lr := range listRoutes {
			path := strings.ReplaceAll(lr.path, "{ticket}", tid)
			t.Run(lr.key, func(t *testing.T) {
				dd := *d
				dd.t = t
				whole := dd.mustCall(200, "GET", path+"?limit=100", "ada", nil)
				want := rawItems(t, whole, lr.key)
				if whole.get("next_cursor") != nil {
					t.Fatalf("one page of 100 holds everything, yet next_cursor = %v", whole.get("next_cursor"))
				}
				if len(want) < 2 && lr.key != "notifications" {
					t.Fatalf("the fixture has %d %s; the test needs two or more", len(want), lr.key)
				}
				var got []string
				cursor := ""
				for pages := 0; ; pages++ {
					if pages > len(want)+1 {
						t.Fatalf("more pages than things")
					}
					q := "?limit=2"
					if cursor != "" {
						q += "&cursor=" + url.QueryEscape(cursor)
					}
					r := dd.mustCall(200, "GET", path+q, "ada", nil)
					page := rawItems(t, r, lr.key)
					if len(page) > 2 {
						t.Fatalf("a page of %d with limit=2", len(page))
					}
					got = append(got, page...)
					next, _ := r.get("next_cursor").(string)
					if next == "" {
						if _, present := r.JSON.(map[string]any)["next_cursor"]; !present {
							t.Fatalf("no next_cursor in %s", r.Raw)
						}
						break
					}
					cursor = next
				}
				if !slices.Equal(got, want) {
					t.Errorf("the pages hold\n%v\nthe whole list\n%v", got, want)
				}

				bad := []struct{ query, param string }{
					{"limit=0", "limit"}, {"limit=101", "limit"}, {"limit=ten", "limit"},
					{"cursor=%21%21%21", "cursor"}, {"no_such_filter=1", "no_such_filter"}, {"after_id=3", "after_id"},
				}
				if lr.since {
					bad = append(bad, struct{ query, param string }{"updated_since=yesterday", "updated_since"})
					future := url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))
					if r := dd.mustCall(200, "GET", path+"?updated_since="+future, "ada", nil); len(rawItems(t, r, lr.key)) != 0 {
						t.Errorf("updated_since an hour ahead: %s", r.Raw)
					}
					past := url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339))
					if r := dd.mustCall(200, "GET", path+"?limit=100&updated_since="+past, "ada", nil); len(rawItems(t, r, lr.key)) != len(want) {
						t.Errorf("updated_since an hour ago: %d of %d", len(rawItems(t, r, lr.key)), len(want))
					}
				} else {
					bad = append(bad, struct{ query, param string }{"updated_since=2026-01-01T00:00:00Z", "updated_since"})
				}
				for _, b := range bad {
					r := dd.call("GET", path+"?"+b.query, "ada", nil)
					if r.Status != 400 || r.errorCode() != "invalid" || r.str("error.fields."+b.param) == "" {
						t.Errorf("?%s: %d %s, want 400 naming %s", b.query, r.Status, r.Raw, b.param)
					}
				}
			})
		}
	})
}

// rawItems returns a page's things, each as its JSON text.
func rawItems(t *testing.T, r response, key string) []string {
	t.Helper()
	list, ok := r.get(key).([]any)
	if !ok {
		t.Fatalf("no %q list in %s", key, r.Raw)
	}
	out := make([]string, len(list))
	for i, v := range list {
		b, _ := json.Marshal(v)
		out[i] = string(b)
	}
	return out
}

// The ticket list's filters take several values (comma-separated or
// repeated) and status_category; a value it cannot use is a 400 naming the
// filter, never an empty 200.
func TestTicketListMultiValueFilters(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		open := d.mustCreateTicket("ada", map[string]any{"tags": []string{"billing"}, "priority": "high"}).id("id")
		pending := d.mustCreateTicket("ada", map[string]any{"tags": []string{"vip"}}).id("id")
		d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(open), "ada", map[string]any{"status": "open"})
		d.mustCall(200, "PATCH", "/api/v1/tickets/"+id(pending), "ada", map[string]any{"status": "pending"})
		fresh := d.mustCreateTicket("ada", map[string]any{"tags": []string{"billing", "vip"}}).id("id")
		ids := func(r response) []int64 {
			var out []int64
			for _, v := range r.get("tickets").([]any) {
				out = append(out, int64(v.(map[string]any)["id"].(float64)))
			}
			slices.Sort(out)
			return out
		}
		for _, c := range []struct {
			query string
			want  []int64
		}{
			{"status=open,pending", []int64{open, pending}},
			{"status=open&status=pending", []int64{open, pending}},
			{"status=new", []int64{fresh}},
			{"status_category=open,new", []int64{open, fresh}},
			{"status_category=pending&status=open", nil}, // filters combine with AND
			{"priority=high", []int64{open}},
			{"priority=low,normal", []int64{pending, fresh}},
			{"tag=billing", []int64{open, fresh}},
			{"tag=billing&tag=vip", []int64{open, pending, fresh}},
			{"tag=vip,billing", []int64{open, pending, fresh}},
			{"tag=nobody-uses-this", nil},
			{"open=true", []int64{open, pending, fresh}},
		} {
			r := d.mustCall(200, "GET", "/api/v1/tickets?"+c.query, "ada", nil)
			if got := ids(r); !slices.Equal(got, c.want) {
				t.Errorf("?%s: tickets %v, want %v", c.query, got, c.want)
			}
		}
		for _, c := range []struct{ query, param string }{
			{"status=opne", "status"}, {"status=open,bogus", "status"}, {"status=", "status"},
			{"status_category=archived", "status_category"}, {"priority=meh", "priority"}, {"sort=random", "sort"},
			{"open=yes", "open"}, {"escalated=maybe", "escalated"}, {"assignee_id=me", "assignee_id"},
			{"stauts=open", "stauts"}, {"page=2", "page"}, {"offset=25", "offset"},
		} {
			r := d.call("GET", "/api/v1/tickets?"+c.query, "ada", nil)
			if r.Status != 400 || r.str("error.fields."+c.param) == "" {
				t.Errorf("?%s: %d %s, want 400 naming %s", c.query, r.Status, r.Raw, c.param)
			}
		}
	})
}
