package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/people"
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

		t.Run("the conflict speaks the agent's language", func(t *testing.T) {
			hi := "hi"
			if _, err := d.People.UpdateAgent(system(), d.Agents["lena"].ID, people.AgentInput{Language: &hi}, auth.HashPassword); err != nil {
				t.Fatal(err)
			}
			_, tid := newTicket()
			form := formFields(t, lena.page("/tickets/"+tid), "properties")
			d.mustCall(200, "PATCH", "/api/v1/tickets/"+tid, "ravi", colleague)
			form.Set("priority", "high")
			res, page := lena.post("/tickets/"+tid, form)
			if res.StatusCode != http.StatusConflict || !strings.Contains(page, "कुछ भी सहेजा नहीं गया") ||
				!strings.Contains(page, "मौजूदा टिकट खोलें") {
				t.Errorf("a conflict for a Hindi-speaking agent: %d\n%s", res.StatusCode, page)
			}
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

// The admin edit forms merge the same way: a stale form changes only what
// its agent changed, and a field changed on both sides is refused.
func TestStaleAdminFormsKeepColleaguesChanges(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"ada": goodPassword}, func(t *testing.T, d *testDesk) {
		ada := d.signedIn(t, "ada")
		for _, c := range []struct {
			kind, page, api string
			create          map[string]any
			colleague       map[string]any    // through the API, meanwhile
			mine            func(url.Values)  // on the stale form
			want            map[string]string // afterwards
			// a second round: the colleague and this agent change one field
			clashColleague map[string]any
			clash          func(url.Values)
			clashField     string
		}{
			{kind: "agent", page: "/admin/agents", api: "/api/v1/agents",
				create:         map[string]any{"name": "Nisha", "email": "nisha@desk.test", "role": "agent"},
				colleague:      map[string]any{"language": "hi"},
				mine:           func(f url.Values) { f.Set("name", "Nisha Rao") },
				want:           map[string]string{"name": "Nisha Rao", "language": "hi", "active": "true"},
				clashColleague: map[string]any{"name": "Nisha K"}, clashField: "name",
				clash: func(f url.Values) { f.Set("name", "Nisha R"); f.Set("email", "nisha.rao@desk.test") }},
			{kind: "team", page: "/admin/teams", api: "/api/v1/teams",
				create:         map[string]any{"name": "Billing", "member_ids": []int64{d.Agents["ravi"].ID}},
				colleague:      map[string]any{"tier": 2},
				mine:           func(f url.Values) { f.Set("name", "Billing and refunds") },
				want:           map[string]string{"name": "Billing and refunds", "tier": "2", "member_ids.#": "1"},
				clashColleague: map[string]any{"tier": 3}, clashField: "tier",
				clash: func(f url.Values) { f.Set("tier", "1") }},
			{kind: "role", page: "/admin/roles", api: "/api/v1/roles",
				create:         map[string]any{"name": "triage", "permissions": []string{"tickets:read"}},
				colleague:      map[string]any{"description": "sorts the inbox"},
				mine:           func(f url.Values) { f.Add("permissions", "tickets:update") },
				want:           map[string]string{"description": "sorts the inbox", "permissions.#": "2"},
				clashColleague: map[string]any{"description": "reads tickets"}, clashField: "description",
				clash: func(f url.Values) { f.Set("description", "updates tickets") }},
			{kind: "field", page: "/admin/fields", api: "/api/v1/fields",
				create:         map[string]any{"key": "order_no", "label": "Order number", "kind": "text"},
				colleague:      map[string]any{"label": "Order"},
				mine:           func(f url.Values) { f.Set("position", "5"); f.Set("required", "1") },
				want:           map[string]string{"label": "Order", "position": "5", "required": "true"},
				clashColleague: map[string]any{"label": "Order #"}, clashField: "label",
				clash: func(f url.Values) { f.Set("label", "Order no.") }},
		} {
			t.Run(c.kind, func(t *testing.T) {
				d := d.in(t)
				n := d.mustCall(201, "POST", c.api, "ada", c.create).id("id")
				self, formID, action := c.api+"/"+id(n), c.kind+"-"+id(n), c.page+"/"+id(n)
				submit := func(colleague map[string]any, change func(url.Values)) (*http.Response, string) {
					form := formFields(t, ada.page(c.page), formID)
					d.mustCall(200, "PATCH", self, "ada", colleague)
					change(form)
					return ada.post(action, form)
				}
				if res, page := submit(c.colleague, c.mine); res.StatusCode != http.StatusSeeOther {
					t.Fatalf("stale form: %d\n%s", res.StatusCode, page)
				}
				assertChecks(t, d.mustCall(200, "GET", self, "ada", nil), checks(c.want))
				res, page := submit(c.clashColleague, c.clash)
				if res.StatusCode != http.StatusConflict || !strings.Contains(page, "a colleague changed") {
					t.Fatalf("a field changed on both sides: %d, want 409 naming the change\n%s", res.StatusCode, page)
				}
				want := fmt.Sprint(c.clashColleague[c.clashField])
				assertChecks(t, d.mustCall(200, "GET", self, "ada", nil), []check{{c.clashField, want}})
				if fresh := formFields(t, page, formID); fresh.Get(c.clashField) != want {
					t.Errorf("the refused form shows %s %q, want the current %q", c.clashField, fresh.Get(c.clashField), want)
				}
			})
		}
	})
}

func checks(m map[string]string) []check {
	var out []check
	for k, v := range m {
		out = append(out, check{k, v})
	}
	return out
}
