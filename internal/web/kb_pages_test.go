package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/search"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// kbFixture writes a category, a section and articles through the API:
// public (published, with a published Hindi translation), internal
// (published) and a draft.
func kbFixture(t *testing.T, d *testDesk) (public, hindi, internal, draft int64) {
	t.Helper()
	d.mustCall(http.StatusCreated, "POST", "/api/v1/kb/categories", "ada", map[string]any{"name": "Billing", "name_hi": "बिलिंग"})
	d.mustCall(http.StatusCreated, "POST", "/api/v1/kb/sections", "ada", map[string]any{"category_id": 1, "name": "Invoices", "name_hi": "चालान"})
	mk := func(body map[string]any, publish bool) int64 {
		body["section_id"] = 1
		id := d.mustCall(http.StatusCreated, "POST", "/api/v1/kb/articles", "ada", body).id("id")
		if publish {
			d.mustCall(http.StatusOK, "POST", "/api/v1/kb/articles/"+itoa(id)+"/publish", "ada", nil)
		}
		return id
	}
	public = mk(map[string]any{"title": "Download an invoice", "body": "Open **Billing**, then *Invoices*."}, true)
	hindi = mk(map[string]any{"title": "चालान डाउनलोड करें", "body": "**बिलिंग** खोलें।", "language": "hi", "translation_of": public}, true)
	internal = mk(map[string]any{"title": "Invoice corrections", "body": "Only leads correct invoices.", "visibility": "internal"}, true)
	draft = mk(map[string]any{"title": "Invoice disputes", "body": "Soon."}, false)
	// A rebuild, not the consumer: on a busy shared PostgreSQL the
	// consumer waits for every other open transaction of the cluster
	// (the consumer's path is kb's and search's own tests).
	if err := search.NewIndexer(d.DB, d.Bus, nil).Reindex(context.Background(), false, nil); err != nil {
		t.Fatal(err)
	}
	return
}

func itoa(n int64) string { return id(n) }

var kbHTML = http.Header{"Accept": {"text/html"}}

// The help center as the public and as agents see it, on each database.
func TestKnowledgeBasePages(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			d := newDesk(t, b, map[string]string{"ravi": goodPassword, "ada": goodPassword})
			pub, hi, internal, draft := kbFixture(t, d)
			reader := newBrowser(t, d.URL)

			res, page := reader.do("GET", "/kb", http.Header{"Accept": {"text/html"}, "Accept-Language": {"hi-IN,hi;q=0.9"}}, "")
			if res.StatusCode != 200 || !strings.Contains(page, `<html lang="hi">`) || !strings.Contains(page, "बिलिंग") ||
				!strings.Contains(page, "चालान") {
				t.Fatalf("the home in Hindi, from Accept-Language: %d\n%s", res.StatusCode, page)
			}
			res, page = reader.do("GET", "/kb?lang=en", kbHTML, "")
			if !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, "Billing") {
				t.Fatalf("the switch to English: %s", page)
			}
			for _, c := range []struct {
				name   string
				path   string
				status int
				has    string
			}{
				{"a public article", "/kb/articles/" + itoa(pub), 200, "<strong>Billing</strong>"},
				{"it links its Hindi version", "/kb/articles/" + itoa(pub), 200, `href="/kb/articles/` + itoa(hi) + `?lang=hi"`},
				{"its way back", "/kb/articles/" + itoa(pub), 200, `id="kb-back"`},
				{"the Hindi version links back", "/kb/articles/" + itoa(hi), 200, `href="/kb/articles/` + itoa(pub) + `?lang=en"`},
				{"an internal article is not there for the public", "/kb/articles/" + itoa(internal), 404, ""},
				{"nor is a draft", "/kb/articles/" + itoa(draft), 404, ""},
				{"the section lists the public article once", "/kb/sections/1", 200, "Download an invoice"},
				{"search finds it", "/kb/search?q=invoice", 200, "Download an invoice"},
				{"search in Hindi", "/kb/search?q=" + url.QueryEscape("बिलिंग"), 200, "चालान डाउनलोड करें"},
				{"a query too long", "/kb/search?q=" + strings.Repeat("x", 400), 400, ""},
				{"an unknown article", "/kb/articles/999", 404, ""},
				{"a bad id", "/kb/articles/abc", 404, ""},
			} {
				t.Run(c.name, func(t *testing.T) {
					res, page := reader.do("GET", c.path, kbHTML, "")
					if res.StatusCode != c.status || !strings.Contains(page, c.has) {
						t.Fatalf("%d, want %d with %q\n%s", res.StatusCode, c.status, c.has, page)
					}
				})
			}
			if _, page := reader.do("GET", "/kb/sections/1", kbHTML, ""); strings.Contains(page, "Invoice corrections") ||
				strings.Contains(page, "Invoice disputes") {
				t.Fatalf("the section shows internal or draft articles to the public:\n%s", page)
			}
			if _, page := reader.do("GET", "/kb/search?q=invoice", kbHTML, ""); strings.Contains(page, "Invoice corrections") {
				t.Fatal("search shows an internal article to the public")
			}

			// An agent signed in reads internal articles on the same pages.
			agent, _ := signedIn(t, d, "ravi")
			if res, page := agent.do("GET", "/kb/articles/"+itoa(internal), kbHTML, ""); res.StatusCode != 200 ||
				!strings.Contains(page, "Only leads correct invoices.") || !strings.Contains(page, `id="kb-internal"`) {
				t.Fatalf("an agent reads the internal article: %d\n%s", res.StatusCode, page)
			}

			// Votes: the form's double-submit cookie, one vote per reader and day.
			vote := func(b *browser, csrf, helpful, comment string) *http.Response {
				res, _ := b.post("/kb/articles/"+itoa(pub)+"/vote", url.Values{"csrf": {csrf}, "helpful": {helpful}, "comment": {comment}})
				return res
			}
			if res := vote(newBrowser(t, d.URL), "forged", "yes", ""); res.StatusCode != http.StatusForbidden {
				t.Fatalf("a vote without the page's cookie: %d", res.StatusCode)
			}
			_, page = reader.do("GET", "/kb/articles/"+itoa(pub), kbHTML, "")
			csrf := csrfField.FindStringSubmatch(page)[1]
			if res := vote(reader, csrf, "maybe", ""); res.StatusCode != http.StatusBadRequest {
				t.Fatalf("helpful must be yes or no: %d", res.StatusCode)
			}
			if res := vote(reader, csrf, "no", "Where is Billing?"); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("a vote: %d", res.StatusCode)
			}
			if res := vote(reader, csrf, "yes", ""); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("a changed vote: %d", res.StatusCode)
			}
			a := d.mustCall(http.StatusOK, "GET", "/api/v1/kb/articles/"+itoa(pub), "ada", nil)
			if a.id("helpful_yes") != 1 || a.id("helpful_no") != 0 {
				t.Fatalf("one reader, one vote (the last): %s", a.Raw)
			}
			if res, _ := reader.post("/kb/articles/"+itoa(internal)+"/vote", url.Values{"csrf": {csrf}, "helpful": {"yes"}}); res.StatusCode != 404 {
				t.Fatalf("a vote on an internal article: %d", res.StatusCode)
			}

			// Suggestions and deflection, as the portal's script uses them.
			getJSON := func(path string, h http.Header) (int, map[string]any) {
				res, body := reader.do("GET", path, h, "")
				var out map[string]any
				_ = json.Unmarshal([]byte(body), &out)
				return res.StatusCode, out
			}
			jsonH := http.Header{"Accept": {"application/json"}}
			status, got := getJSON("/kb/suggest?q="+url.QueryEscape("cannot download my invoice")+"&lang=en", jsonH)
			list, _ := got["suggestions"].([]any)
			if status != 200 || len(list) != 1 || lookup(got, "suggestions.0.id") != float64(pub) || got["heading"] == "" {
				t.Fatalf("suggestions for a subject: %d %v", status, got)
			}
			if status, got = getJSON("/kb/suggest?q=invoice&lang=fr", jsonH); status != 400 || lookup(got, "error.code") != "invalid" {
				t.Fatalf("a bad language: %d %v", status, got)
			}
			post := func(path string, h http.Header, body string) (int, map[string]any) {
				h = h.Clone()
				if h == nil {
					h = http.Header{}
				}
				h.Set("Content-Type", "application/json")
				h.Set("Accept", "application/json")
				res, raw := reader.do("POST", path, h, body)
				var out map[string]any
				_ = json.Unmarshal([]byte(raw), &out)
				return res.StatusCode, out
			}
			opened := `{"article_id":` + itoa(pub) + `,"q":"cannot download my invoice"}`
			if status, _ := post("/kb/suggest/opened", http.Header{"Sec-Fetch-Site": {"cross-site"}}, opened); status != 403 {
				t.Fatalf("another site's page records an opening: %d", status)
			}
			if status, _ := post("/kb/suggest/opened", http.Header{"Origin": {"https://evil.test"}}, opened); status != 403 {
				t.Fatalf("another origin records an opening: %d", status)
			}
			if status, _ := post("/kb/suggest/opened", nil, `{"article_id":`+itoa(internal)+`}`); status != 404 {
				t.Fatalf("opening an internal article: %d", status)
			}
			if status, _ := post("/kb/suggest/opened", nil, `{"article_id": "x"}`); status != 400 {
				t.Fatalf("a bad body: %d", status)
			}
			var tokens []string
			for range 2 {
				status, out := post("/kb/suggest/opened", http.Header{"Origin": {d.URL}, "Sec-Fetch-Site": {"same-origin"}}, opened)
				if status != 201 {
					t.Fatalf("an opening: %d %v", status, out)
				}
				tokens = append(tokens, out["token"].(string))
			}
			if status, out := post("/kb/suggest/submitted", nil, `{"tokens":["`+tokens[0]+`"]}`); status != 200 || out["marked"] != float64(1) {
				t.Fatalf("the ticket was sent anyway: %d %v", status, out)
			}
			defl := d.mustCall(http.StatusOK, "GET", "/api/v1/kb/deflections", "ada", nil)
			if defl.id("opened") != 2 || defl.id("submitted") != 1 || defl.id("pending") != 1 {
				t.Fatalf("deflections: %s", defl.Raw)
			}

			// The agent's pages.
			if res, _ := agent.do("GET", "/admin/kb", kbHTML, ""); res.StatusCode != http.StatusForbidden {
				t.Fatalf("an agent keeps no knowledge base: %d", res.StatusCode)
			}
			admin, _ := signedIn(t, d, "ada")
			page = admin.page("/admin/kb")
			for _, want := range []string{"Download an invoice", "Invoice disputes", `href="/admin/kb/articles/new"`, `id="kb-deflections"`} {
				if !strings.Contains(page, want) {
					t.Fatalf("the admin page lacks %q", want)
				}
			}
			page = admin.page("/admin/kb/articles/" + itoa(pub))
			form := csrfField.FindStringSubmatch(page)[1]
			version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page)[1]
			edit := url.Values{"csrf": {form}, "version": {version}, "title": {"Download an invoice"}, "section_id": {"1"},
				"visibility": {"public"}, "body": {"Open **Billing**, then *Invoices*, then Download."}, "action": {"publish"}}
			if res, _ := admin.post("/admin/kb/articles/"+itoa(pub), edit); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("save and publish: %d", res.StatusCode)
			}
			if res, page := admin.post("/admin/kb/articles/"+itoa(pub), edit); res.StatusCode != http.StatusConflict ||
				!strings.Contains(page, "Open **Billing**, then *Invoices*, then Download.") {
				t.Fatalf("a save over a newer version keeps the text and says so: %d", res.StatusCode)
			}
			if _, page := reader.do("GET", "/kb/articles/"+itoa(pub), kbHTML, ""); !strings.Contains(page, "then Download.") {
				t.Fatal("the published article is the new version")
			}
			page = admin.page("/admin/kb/articles/" + itoa(pub))
			if !strings.Contains(page, `/admin/kb/articles/`+itoa(pub)+`/versions/1/restore`) {
				t.Fatalf("the editor offers to restore version 1:\n%s", page)
			}
			admin.page("/admin/kb/articles/" + itoa(pub) + "/versions/1")
			bad := url.Values{"csrf": {form}, "title": {""}, "section_id": {"1"}, "visibility": {"public"}, "language": {"en"}, "body": {"x"}}
			if res, page := admin.post("/admin/kb/articles", bad); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "error-box") {
				t.Fatalf("a new article without a title: %d", res.StatusCode)
			}

			// The ticket page offers articles for its subject.
			tk := d.mustCreateTicket("ada", map[string]any{"subject": "Invoice download fails"})
			if page := admin.page("/tickets/" + itoa(tk.id("id"))); !strings.Contains(page, `id="kb-panel"`) ||
				!strings.Contains(page, `data-subject="Invoice download fails"`) {
				t.Fatal("the ticket page has no article panel")
			}
		})
	}
}

// Articles are taken down and deleted, through the API with If-Match and
// from the editor (deleting asks first, saying what goes): a taken-down
// article's public page is the help center's 404 with a way home, in
// either language; its history stays, search drops it, and publishing
// again goes on from the last version's number. A deleted article's
// translation stays.
func TestKnowledgeBaseUnpublishAndDelete(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			d := newDesk(t, b, map[string]string{"ada": goodPassword})
			pub, hi, internal, draft := kbFixture(t, d)
			path := "/api/v1/kb/articles/" + itoa(pub)
			if r := d.send("POST", path+"/unpublish", authed(d, "ada", http.Header{"If-Match": {`"v1"`}}), nil); r.Status != http.StatusPreconditionFailed {
				t.Fatalf("a stale unpublish: %d %s", r.Status, r.Raw)
			}
			d.mustCall(http.StatusForbidden, "POST", path+"/unpublish", "ravi", nil)
			if a := d.mustCall(http.StatusOK, "POST", path+"/unpublish", "ada", nil); a.id("published_version") != 0 {
				t.Fatalf("unpublished: %s", a.Raw)
			}
			d.mustCall(http.StatusUnprocessableEntity, "POST", path+"/unpublish", "ada", nil)
			d.mustCall(http.StatusUnprocessableEntity, "POST", "/api/v1/kb/articles/"+itoa(draft)+"/unpublish", "ada", nil)
			d.mustCall(http.StatusNotFound, "GET", path, "ravi", nil)

			reader := newBrowser(t, d.URL)
			for _, c := range []struct{ lang, title string }{{"en", "Article not found"}, {"hi", "लेख नहीं मिला"}} {
				res, page := reader.do("GET", "/kb/articles/"+itoa(pub)+"?lang="+c.lang, kbHTML, "")
				if res.StatusCode != http.StatusNotFound || !strings.Contains(page, c.title) ||
					!strings.Contains(page, `id="kb-missing-home"`) || !strings.Contains(page, `id="kb-q"`) {
					t.Fatalf("the taken-down article's page (%s): %d\n%s", c.lang, res.StatusCode, page)
				}
			}
			if err := search.NewIndexer(d.DB, d.Bus, nil).Reindex(context.Background(), false, nil); err != nil {
				t.Fatal(err)
			}
			s := d.mustCall(http.StatusOK, "GET", "/api/v1/search?type=article&q=invoice", "ravi", nil)
			for i := range s.get("results.#").(int) {
				if s.id("results."+strconv.Itoa(i)+".id") == pub {
					t.Fatalf("search finds the taken-down article: %s", s.Raw)
				}
			}
			if v := d.mustCall(http.StatusOK, "GET", path+"/versions", "ada", nil); v.get("versions.#") != 1 {
				t.Fatalf("the history after unpublishing: %s", v.Raw)
			}
			if a := d.mustCall(http.StatusOK, "POST", path+"/publish", "ada", nil); a.id("published_version") != 2 {
				t.Fatalf("published again: %s", a.Raw)
			}

			// The editor: take down, then delete after the confirmation.
			ada, _ := signedIn(t, d, "ada")
			page := ada.page("/admin/kb/articles/" + itoa(pub))
			if !strings.Contains(page, `id="kb-unpublish"`) || !strings.Contains(page, `id="kb-delete-link"`) {
				t.Fatalf("the editor offers no unpublish or delete:\n%s", page)
			}
			form := func(page string) url.Values {
				return url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]},
					"version": {formVersionField.FindStringSubmatch(page)[1]}}
			}
			if res, _ := ada.post("/admin/kb/articles/"+itoa(pub)+"/unpublish", form(page)); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("unpublish from the editor: %d", res.StatusCode)
			}
			if a := d.mustCall(http.StatusOK, "GET", path, "ada", nil); a.id("published_version") != 0 {
				t.Fatalf("after the editor's unpublish: %s", a.Raw)
			}
			confirm := ada.page("/admin/kb/articles/" + itoa(pub) + "/delete")
			if !strings.Contains(confirm, "Download an invoice") || !strings.Contains(confirm, "2 published versions") ||
				!strings.Contains(confirm, `id="kb-delete-cancel"`) {
				t.Fatalf("the confirmation does not say what goes:\n%s", confirm)
			}
			old := form(confirm)
			old.Set("version", "1")
			if res, _ := ada.post("/admin/kb/articles/"+itoa(pub)+"/delete", old); res.StatusCode != http.StatusSeeOther ||
				!strings.HasSuffix(res.Header.Get("Location"), "/admin/kb/articles/"+itoa(pub)) {
				t.Fatalf("a stale delete: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			d.mustCall(http.StatusOK, "GET", path, "ada", nil)
			if res, _ := ada.post("/admin/kb/articles/"+itoa(pub)+"/delete", form(confirm)); res.StatusCode != http.StatusSeeOther ||
				res.Header.Get("Location") != "/admin/kb" {
				t.Fatalf("delete from the editor: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
			d.mustCall(http.StatusNotFound, "GET", path, "ada", nil)
			d.mustCall(http.StatusNotFound, "GET", path+"/versions", "ada", nil)
			d.mustCall(http.StatusOK, "GET", "/api/v1/kb/articles/"+itoa(hi), "ravi", nil)

			// The API's delete: If-Match, then 204, then 404.
			ipath := "/api/v1/kb/articles/" + itoa(internal)
			if r := d.send("DELETE", ipath, authed(d, "ada", http.Header{"If-Match": {`"v1"`}}), nil); r.Status != http.StatusPreconditionFailed {
				t.Fatalf("a stale delete: %d %s", r.Status, r.Raw)
			}
			d.mustCall(http.StatusForbidden, "DELETE", ipath, "ravi", nil)
			d.mustCall(http.StatusNoContent, "DELETE", ipath, "ada", nil)
			d.mustCall(http.StatusNotFound, "DELETE", ipath, "ada", nil)
		})
	}
}

var formVersionField = regexp.MustCompile(`name="version" value="(\d+)"`)
