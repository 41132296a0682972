package web_test

import (
	"github.com/sahayak/sahayak/internal/auth"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/sahayak/sahayak/internal/i18n"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// Every page of the agent app, rendered for a Hindi-speaking admin (and the
// sign-in and error pages for a Hindi browser), shows no catalog key raw and
// no English message where the catalog has Hindi. The pages come from the
// route table, so a new page is checked too — or the test says which
// fixture it needs.
func TestEveryPageInHindi(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], map[string]string{"ada": goodPassword, "ravi": goodPassword})
	speakHindi(t, d, "ada")
	speakHindi(t, d, "ravi")
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	// English messages that have Hindi of their own, by text.
	english := map[string]string{}
	for key, en := range cat["en"] {
		if hi := cat["hi"][key]; hi != en && !strings.Contains(en, "%") && len(en) > 3 {
			english[en] = key
		}
	}
	tk := d.mustCreateTicket("ada", map[string]any{"team_id": d.Teams[1].ID, "tags": []string{"vip"}}).id("id")
	d.mustCall(201, "POST", "/api/v1/tickets/"+id(tk)+"/messages", "ada", map[string]any{"body": "A note", "internal": true})
	contact := d.mustCall(200, "GET", "/api/v1/contacts?q=kavya", "ada", nil).id("contacts.0.id")
	org := d.mustCall(201, "POST", "/api/v1/organizations", "ada", map[string]any{"name": "Acme", "domains": []string{"customer.test"}}).id("id")
	hook := d.mustCall(201, "POST", "/api/v1/webhooks", "ada", map[string]any{"url": "https://hooks.example.com/desk",
		"events": []string{"ticket.created"}}).id("id")
	params := map[string]string{"id": "", "delivery_id": "1"}
	ids := map[string]string{"/tickets/": id(tk), "/contacts/": id(contact), "/organizations/": id(org), "/admin/webhooks/": id(hook)}

	ada := d.signedIn(t, "ada")
	check := func(path, page string) {
		t.Helper()
		doc, err := html.Parse(strings.NewReader(page))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style" || n.Data == "code" || n.Data == "textarea") {
				return
			}
			var texts []string
			if n.Type == html.TextNode {
				texts = append(texts, n.Data)
			}
			for _, a := range n.Attr {
				switch a.Key {
				case "title", "aria-label", "placeholder", "data-label", "data-text", "data-empty", "alt":
					texts = append(texts, a.Val)
				}
			}
			for _, s := range texts {
				s = strings.TrimSpace(s)
				if s == "" {
					continue
				}
				if _, raw := cat["en"][s]; raw {
					t.Errorf("%s shows the key %q raw", path, s)
				}
				if key, ok := english[s]; ok {
					t.Errorf("%s shows English %q (%s) where the catalog has Hindi", path, s, key)
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
	}

	checked := 0
	for _, rt := range d.Server.Routes() {
		p := rt.Path
		// Exports (.csv, .xlsx) are files to download, not pages.
		if rt.Method != "GET" || rt.API || strings.HasPrefix(p, "/static/") || isStream(p) || p == "/healthz" || p == "/readyz" ||
			p == "/favicon.ico" || p == "/{$}" || strings.HasSuffix(p, ".csv") || strings.HasSuffix(p, ".xlsx") ||
			p == "/kb/suggest" /* JSON for scripts */ {
			continue
		}
		for prefix, v := range ids {
			if strings.HasPrefix(p, prefix+"{id}") {
				p = strings.Replace(p, "{id}", v, 1)
			}
		}
		for name, v := range params {
			if strings.Contains(p, "{"+name+"}") && v != "" {
				p = strings.Replace(p, "{"+name+"}", v, 1)
			}
		}
		// A page whose record this test does not make is still checked:
		// its 404 page, in Hindi.
		fixture := !strings.Contains(p, "{")
		for strings.Contains(p, "{") {
			i, j := strings.Index(p, "{"), strings.Index(p, "}")
			p = p[:i] + "1" + p[j+1:]
		}
		var page string
		if rt.Permission == auth.Public {
			// Nobody is signed in on a public page: the browser's language counts.
			_, page = newBrowser(t, d.URL).do("GET", p, http.Header{"Accept": {"text/html"}, "Accept-Language": {"hi"}}, "")
		} else if fixture {
			page = ada.page(p)
		} else {
			var res *http.Response
			if res, page = ada.do("GET", p, htmlHeaders, ""); res.StatusCode != 200 && res.StatusCode != 404 {
				t.Errorf("GET %s: %d", p, res.StatusCode)
			}
		}
		if !strings.Contains(page, `<html lang="hi">`) {
			t.Errorf("%s is not in Hindi", p)
		}
		check(p, page)
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d pages checked", checked)
	}

	// Error pages and the bulk summary, in Hindi too.
	ravi := d.signedIn(t, "ravi")
	for path, status := range map[string]int{"/no/such/page": 404, "/admin/webhooks": 403, "/tickets/999999": 404} {
		res, page := ravi.do("GET", path, htmlHeaders, "")
		if res.StatusCode != status {
			t.Errorf("%s: %d, want %d", path, res.StatusCode, status)
		}
		check(path, page)
	}
	res, page := newBrowser(t, d.URL).do("GET", "/nothing", http.Header{"Accept": {"text/html"}, "Accept-Language": {"hi"}}, "")
	if res.StatusCode != 404 {
		t.Errorf("a stranger's 404: %d", res.StatusCode)
	}
	check("/nothing (signed out)", page)
	csrf := csrfField.FindStringSubmatch(ada.page("/tickets"))[1]
	_, page = ada.post("/tickets/bulk", url.Values{"csrf": {csrf}, "ids": {id(tk), "999999"}, "priority": {"high"}})
	check("/tickets/bulk", page)
}
