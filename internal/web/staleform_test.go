package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/sahayak/sahayak/internal/store/storetest"
)

// formFields returns what a browser would submit for the form with the id:
// its controls' names and values (checked boxes only, the selected option of
// a select), including controls outside it that name it in form="…".
func formFields(t *testing.T, page, formID string) url.Values {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("parse page: %v", err)
	}
	attr := func(n *html.Node, key string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == key {
				return a.Val, true
			}
		}
		return "", false
	}
	text := func(n *html.Node) string {
		var b strings.Builder
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.TextNode {
				b.WriteString(n.Data)
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(n)
		return b.String()
	}
	out := url.Values{}
	found := false
	var walk func(n *html.Node, inForm bool)
	walk = func(n *html.Node, inForm bool) {
		if n.Type == html.ElementNode {
			if id, _ := attr(n, "id"); n.Data == "form" && id == formID {
				inForm, found = true, true
			}
			owner, hasOwner := attr(n, "form")
			_, disabled := attr(n, "disabled")
			name, named := attr(n, "name")
			if named && !disabled && ((inForm && !hasOwner) || owner == formID) {
				switch n.Data {
				case "input":
					typ, _ := attr(n, "type")
					v, hasValue := attr(n, "value")
					_, checked := attr(n, "checked")
					switch typ {
					case "checkbox", "radio":
						if !hasValue {
							v = "on"
						}
						if checked {
							out.Add(name, v)
						}
					case "submit", "button":
					default:
						out.Add(name, v)
					}
				case "textarea":
					out.Add(name, strings.TrimPrefix(text(n), "\n"))
				case "select":
					var first, selected *html.Node
					for o := range n.Descendants() {
						if o.Type == html.ElementNode && o.Data == "option" {
							if first == nil {
								first = o
							}
							if _, ok := attr(o, "selected"); ok {
								selected = o
							}
						}
					}
					if selected == nil {
						selected = first
					}
					if selected != nil {
						v, ok := attr(selected, "value")
						if !ok {
							v = text(selected)
						}
						out.Add(name, v)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inForm)
		}
	}
	walk(doc, false)
	if !found {
		t.Fatalf("no form #%s on the page", formID)
	}
	return out
}

// signedIn returns a browser signed in as the cast member (who needs a
// password in newDesk) and the session's CSRF secret.
func (d *testDesk) signedIn(t *testing.T, name string) *browser {
	t.Helper()
	session, _, _, err := d.Access.SignIn(system(), name+"@desk.test", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, d.URL)
	b.jar["sahayak_session"] = &http.Cookie{Name: "sahayak_session", Value: session}
	return b
}

var htmlHeaders = http.Header{"Accept": {"text/html"}}

// page gets a page and fails the test unless it is a 200.
func (b *browser) page(path string) string {
	b.t.Helper()
	res, page := b.do("GET", path, htmlHeaders, "")
	if res.StatusCode != 200 {
		b.t.Fatalf("GET %s: %d\n%s", path, res.StatusCode, page)
	}
	return page
}

// post submits form values as a browser would.
func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	return b.do("POST", path, http.Header{"Accept": {"text/html"},
		"Content-Type": {"application/x-www-form-urlencoded"}}, form.Encode())
}

// Security finding 4: the ticket properties form, rendered before a
// colleague's change and submitted after it, applies only what its agent
// changed — and refuses, showing who changed what, when both changed the same
// field.
func TestStaleTicketFormKeepsColleaguesChanges(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"lena": goodPassword}, func(t *testing.T, d *testDesk) {
		d.mustCall(201, "POST", "/api/v1/fields", "ada", map[string]any{"key": "order_no", "label": "Order number", "kind": "text"})
		newTicket := func() (int64, string) {
			n := d.mustCreateTicket("ada", map[string]any{"team_id": d.Teams[1].ID, "tags": []string{"printer"},
				"custom_fields": map[string]any{"order_no": "A-1"}}).id("id")
			return n, id(n)
		}
		lena := d.signedIn(t, "lena")
		colleague := map[string]any{"priority": "urgent", "tags": []string{"printer", "vip"},
			"custom_fields": map[string]any{"order_no": "B-2"}}

		t.Run("a status change from a stale form keeps the colleague's priority, tags and fields", func(t *testing.T) {
			n, tid := newTicket()
			form := formFields(t, lena.page("/tickets/"+tid), "properties")
			d.mustCall(200, "PATCH", "/api/v1/tickets/"+tid, "ravi", colleague)
			form.Set("status", "pending")
			if res, page := lena.post("/tickets/"+tid, form); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("submit: %d\n%s", res.StatusCode, page)
			}
			assertChecks(t, d.ticket(n), []check{{"status", "pending"}, {"priority", "urgent"},
				{"tags", "[printer vip]"}, {"custom_fields.order_no", "B-2"}})
		})

		t.Run("tags added on both sides are all kept", func(t *testing.T) {
			n, tid := newTicket()
			form := formFields(t, lena.page("/tickets/"+tid), "properties")
			d.mustCall(200, "PATCH", "/api/v1/tickets/"+tid, "ravi", colleague)
			form.Set("tags", form.Get("tags")+", toner")
			if res, page := lena.post("/tickets/"+tid, form); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("submit: %d\n%s", res.StatusCode, page)
			}
			assertChecks(t, d.ticket(n), []check{{"tags", "[printer toner vip]"}, {"priority", "urgent"}})
		})

		t.Run("the same field changed on both sides is refused with who changed it", func(t *testing.T) {
			n, tid := newTicket()
			form := formFields(t, lena.page("/tickets/"+tid), "properties")
			d.mustCall(200, "PATCH", "/api/v1/tickets/"+tid, "ravi", colleague)
			before := d.ticket(n)
			form.Set("priority", "high")
			form.Set("status", "pending")
			res, page := lena.post("/tickets/"+tid, form)
			if res.StatusCode != http.StatusConflict {
				t.Fatalf("submit: %d, want 409\n%s", res.StatusCode, page)
			}
			for _, want := range []string{"Ravi", "Normal", "Urgent", "High", `href="/tickets/` + tid + `"`} {
				if !strings.Contains(page, want) {
					t.Errorf("the conflict page does not show %q", want)
				}
			}
			if after := d.ticket(n); string(after.Raw) != string(before.Raw) {
				t.Errorf("a refused form changed the ticket:\nbefore %s\nafter  %s", before.Raw, after.Raw)
			}
			// The page now holds the fresh ticket: submitting it again applies.
			fresh := formFields(t, page, "properties")
			if fresh.Get("priority") != "urgent" {
				t.Errorf("the conflict page's form shows priority %q, want the current urgent", fresh.Get("priority"))
			}
			fresh.Set("priority", "high")
			if res, page := lena.post("/tickets/"+tid, fresh); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("submit the fresh form: %d\n%s", res.StatusCode, page)
			}
			assertChecks(t, d.ticket(n), []check{{"priority", "high"}, {"tags", "[printer vip]"}})
		})

		t.Run("the same change made on both sides is no conflict", func(t *testing.T) {
			n, tid := newTicket()
			form := formFields(t, lena.page("/tickets/"+tid), "properties")
			d.mustCall(200, "PATCH", "/api/v1/tickets/"+tid, "ravi", colleague)
			form.Set("priority", "urgent")
			form.Set("status", "pending")
			if res, page := lena.post("/tickets/"+tid, form); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("submit: %d\n%s", res.StatusCode, page)
			}
			assertChecks(t, d.ticket(n), []check{{"priority", "urgent"}, {"status", "pending"}, {"custom_fields.order_no", "B-2"}})
		})
	})
}

// eachBackendWithPasswords is eachBackend with sign-in passwords for some
// cast members.
func eachBackendWithPasswords(t *testing.T, passwords map[string]string, fn func(t *testing.T, d *testDesk)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, newDesk(t, b, passwords))
		})
	}
}
