package web_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/search"
)

// The knowledge base through the API, on each database: who may write,
// drafts and publishing with If-Match, versions, translations, bad input.
func TestKnowledgeBaseAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		stale := func(v string) http.Header { return http.Header{"If-Match": {`"v` + v + `"`}} }
		d.run([]scenario{
			{name: "an agent keeps no knowledge base", method: "POST", path: "/api/v1/kb/categories", as: "ravi",
				body: map[string]any{"name": "Billing"}, wantStatus: http.StatusForbidden, wantCode: "forbidden"},
			{name: "nobody signed in reads nothing here", method: "GET", path: "/api/v1/kb/articles", wantStatus: http.StatusUnauthorized},
			{name: "a category needs a name", method: "POST", path: "/api/v1/kb/categories", as: "tara",
				body: map[string]any{"name": " "}, wantStatus: http.StatusBadRequest, wantCode: "invalid",
				want: []check{{"error.fields.name", "is required"}}},
			{name: "unknown fields are refused", method: "POST", path: "/api/v1/kb/categories", as: "tara",
				body: map[string]any{"name": "Billing", "colour": "red"}, wantStatus: http.StatusBadRequest},
			{name: "a team lead adds a category", method: "POST", path: "/api/v1/kb/categories", as: "tara",
				body: map[string]any{"name": "Billing", "name_hi": "बिलिंग"}, wantStatus: http.StatusCreated,
				want: []check{{"id", 1}, {"version", 1}}},
			{name: "a section of no category", method: "POST", path: "/api/v1/kb/sections", as: "sunil",
				body: map[string]any{"category_id": 99, "name": "Invoices"}, wantStatus: http.StatusBadRequest,
				want: []check{{"error.fields.category_id", "is not a category"}}},
			{name: "a supervisor adds a section", method: "POST", path: "/api/v1/kb/sections", as: "sunil",
				body: map[string]any{"category_id": 1, "name": "Invoices"}, wantStatus: http.StatusCreated},
			{name: "sections of a category", method: "GET", path: "/api/v1/kb/sections?category_id=1", as: "ravi",
				wantStatus: http.StatusOK, want: []check{{"sections.0.name", "Invoices"}, {"next_cursor", nil}}},
			{name: "a filter the list does not know", method: "GET", path: "/api/v1/kb/sections?colour=red", as: "ravi",
				wantStatus: http.StatusBadRequest},
			{name: "an article in an unknown language", method: "POST", path: "/api/v1/kb/articles", as: "ada",
				body: map[string]any{"section_id": 1, "title": "Invoices", "language": "fr"}, wantStatus: http.StatusBadRequest,
				want: []check{{"error.fields.language", "must be one of en, hi"}}},
			{name: "an article with no title", method: "POST", path: "/api/v1/kb/articles", as: "ada",
				body: map[string]any{"section_id": 1, "title": ""}, wantStatus: http.StatusBadRequest},
			{name: "an admin writes a draft", method: "POST", path: "/api/v1/kb/articles", as: "ada",
				body:       map[string]any{"section_id": 1, "title": "Download an invoice", "body": "Open **Billing** <script>x()</script>"},
				wantStatus: http.StatusCreated, want: []check{{"published_version", 0}, {"language", "en"}, {"visibility", "public"}}},
			{name: "an agent does not see the draft", method: "GET", path: "/api/v1/kb/articles/1", as: "ravi", wantStatus: http.StatusNotFound},
			{name: "an agent may not publish", method: "POST", path: "/api/v1/kb/articles/1/publish", as: "ravi", wantStatus: http.StatusForbidden},
			{name: "publish", method: "POST", path: "/api/v1/kb/articles/1/publish", as: "ada", wantStatus: http.StatusOK,
				want: []check{{"published_version", 1}, {"version", 2}, {"published_html", "<p>Open <strong>Billing</strong> x()</p>\n"}}},
			{name: "the agent reads it now", method: "GET", path: "/api/v1/kb/articles/1", as: "ravi", wantStatus: http.StatusOK,
				want: []check{{"title", "Download an invoice"}, {"body", ""}}},
			{name: "a Hindi translation", method: "POST", path: "/api/v1/kb/articles", as: "ada",
				body:       map[string]any{"translation_of": 1, "language": "hi", "title": "चालान डाउनलोड करें", "body": "**बिलिंग** खोलें।"},
				wantStatus: http.StatusCreated, want: []check{{"translation_group", 1}, {"section_id", 1}, {"translations.0.id", 1}}},
			{name: "a second Hindi version", method: "POST", path: "/api/v1/kb/articles", as: "ada",
				body: map[string]any{"translation_of": 1, "language": "hi", "title": "फिर से"}, wantStatus: http.StatusConflict},
			{name: "the language is fixed", method: "PATCH", path: "/api/v1/kb/articles/2", as: "ada",
				body: map[string]any{"language": "en"}, wantStatus: http.StatusBadRequest},
			{name: "a version that never was", method: "GET", path: "/api/v1/kb/articles/1/versions/7", as: "ravi", wantStatus: http.StatusNotFound},
			{name: "versions", method: "GET", path: "/api/v1/kb/articles/1/versions", as: "ravi", wantStatus: http.StatusOK,
				want: []check{{"versions.#", 1}, {"versions.0.number", 1}}},
			{name: "deflections are for writers", method: "GET", path: "/api/v1/kb/deflections", as: "ravi", wantStatus: http.StatusForbidden},
			{name: "deflections", method: "GET", path: "/api/v1/kb/deflections", as: "lena", wantStatus: http.StatusOK,
				want: []check{{"opened", 0}}},
			{name: "a bad from", method: "GET", path: "/api/v1/kb/deflections?from=yesterday", as: "lena", wantStatus: http.StatusBadRequest},
			{name: "articles by language", method: "GET", path: "/api/v1/kb/articles?language=hi", as: "ada", wantStatus: http.StatusOK,
				want: []check{{"articles.#", 1}, {"articles.0.id", 2}}},
			{name: "a language filter of no language", method: "GET", path: "/api/v1/kb/articles?language=fr", as: "ada",
				wantStatus: http.StatusBadRequest},
		})

		// If-Match: a stale version is 412 and changes nothing.
		r := d.send("PATCH", "/api/v1/kb/articles/1", authed(d, "ada", stale("1")), map[string]any{"body": "changed"})
		if r.Status != http.StatusPreconditionFailed || r.errorCode() != "stale" {
			t.Fatalf("stale PATCH: %d %s", r.Status, r.Raw)
		}
		r = d.send("POST", "/api/v1/kb/articles/1/publish", authed(d, "ada", stale("1")), nil)
		if r.Status != http.StatusPreconditionFailed {
			t.Fatalf("stale publish: %d %s", r.Status, r.Raw)
		}
		r = d.send("PATCH", "/api/v1/kb/articles/1", authed(d, "ada", stale("2")), map[string]any{"body": "Open *Billing*, then Invoices."})
		if r.Status != http.StatusOK || r.Header.Get("ETag") != `"v3"` {
			t.Fatalf("PATCH at the current version: %d %s %s", r.Status, r.Header.Get("ETag"), r.Raw)
		}
		d.mustCall(http.StatusOK, "POST", "/api/v1/kb/articles/1/publish", "ada", nil)
		r = d.send("POST", "/api/v1/kb/articles/1/versions/1/restore", authed(d, "ada", stale("4")), nil)
		if r.Status != http.StatusOK || r.id("published_version") != 3 {
			t.Fatalf("restore: %d %s", r.Status, r.Raw)
		}
		d.mustCall(http.StatusForbidden, "POST", "/api/v1/kb/articles/1/versions/1/restore", "ravi", nil)

		// An image, kept and served to anyone.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "invoice.png")
		fw.Write(pngBytes)
		mw.Close()
		h := authed(d, "ada", http.Header{"Content-Type": {mw.FormDataContentType()}})
		img := d.send("POST", "/api/v1/kb/images", h, buf.Bytes())
		if img.Status != http.StatusCreated || !strings.HasPrefix(img.str("url"), "/kb/images/") {
			t.Fatalf("upload: %d %s", img.Status, img.Raw)
		}
		res, err := http.Get(d.URL + img.str("url"))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !bytes.Equal(got, pngBytes) || res.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("image served: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		buf.Reset()
		mw = multipart.NewWriter(&buf)
		fw, _ = mw.CreateFormFile("file", "page.html")
		fw.Write([]byte("<script>alert(1)</script>"))
		mw.Close()
		if r := d.send("POST", "/api/v1/kb/images", authed(d, "ada", http.Header{"Content-Type": {mw.FormDataContentType()}}), buf.Bytes()); r.Status != http.StatusBadRequest {
			t.Fatalf("a page as an image: %d %s", r.Status, r.Raw)
		}

		// Search finds published articles (type=article), both languages.
		// A rebuild, not the consumer: on a busy shared PostgreSQL the
		// consumer waits for every other open transaction of the cluster
		// (the consumer's path is kb's and search's own tests).
		if err := search.NewIndexer(d.DB, d.Bus, nil).Reindex(context.Background(), false, nil); err != nil {
			t.Fatal(err)
		}
		s := d.mustCall(http.StatusOK, "GET", "/api/v1/search?type=article&q=billing", "ravi", nil)
		if s.get("results.#") != 1 || s.str("results.0.type") != "article" || s.id("results.0.id") != 1 {
			t.Fatalf("search for the article: %s", s.Raw)
		}
		s = d.mustCall(http.StatusOK, "GET", "/api/v1/search?q="+url.QueryEscape("बिलिंग")+"&type=article", "ravi", nil)
		if s.get("results.#") != 0 {
			t.Fatalf("the Hindi draft is not published yet: %s", s.Raw)
		}
	})
}

// authed adds a cast member's token to headers.
func authed(d *testDesk, as string, h http.Header) http.Header {
	h = h.Clone()
	h.Set("Authorization", "Bearer "+d.Tokens[as])
	return h
}

// pngBytes is a 1×1 PNG.
var pngBytes = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1,
	8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 13, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f,
	0, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82}
