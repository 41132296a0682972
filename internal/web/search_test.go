package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/search"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// indexed runs the search indexer until it has read every event (on
// PostgreSQL a pass may find nothing while older transactions are open).
func indexed(t *testing.T, d *testDesk) {
	t.Helper()
	ctx := context.Background()
	idx := search.NewIndexer(d.DB, d.Bus, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := idx.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		last, _ := d.DB.LastEventID(ctx)
		if at, _ := d.DB.EventCursor(ctx, search.Consumer); at == last {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the indexer did not catch up")
		}
	}
}

// GET /api/v1/search: the list shape, scope as the ticket list applies it,
// Hindi as whole words, filters, paging, and clear 400s for bad queries.
func TestSearchAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		front, spec := d.Teams[1].ID, d.Teams[2].ID
		a := d.mustCreateTicket("ada", map[string]any{"subject": "UPI refund pending", "body": "पैसे वापस नहीं आए, समर्थन चाहिए",
			"team_id": front, "tags": []string{"billing"}}).id("id")
		b := d.mustCreateTicket("ada", map[string]any{"subject": "समर sale order", "body": "order <b>late</b> again", "team_id": spec}).id("id")
		indexed(t, d)
		d.run([]scenario{
			{name: "Hindi whole word", method: "GET", path: "/api/v1/search?q=" + url.QueryEscape("समर"), as: "ada", wantStatus: 200,
				want: []check{{"results.#", 1}, {"results.0.type", "ticket"}, {"results.0.id", float64(b)}, {"next_cursor", nil}}},
			{name: "English and Hindi of one ticket", method: "GET", path: "/api/v1/search?q=" + url.QueryEscape("समर्थन"), as: "ada",
				wantStatus: 200, want: []check{{"results.#", 1}, {"results.0.type", "message"}, {"results.0.ticket_id", float64(a)}}},
			{name: "snippet escapes and marks", method: "GET", path: "/api/v1/search?q=late", as: "ada", wantStatus: 200,
				want: []check{{"results.#", 1}, {"results.0.snippet", "order &lt;b&gt;<mark>late</mark>&lt;/b&gt; again"}}},
			{name: "frontline agent sees frontline only", method: "GET", path: "/api/v1/search?q=order", as: "ravi", wantStatus: 200,
				want: []check{{"results.#", 0}}},
			{name: "specialist sees own team", method: "GET", path: "/api/v1/search?q=order", as: "meera", wantStatus: 200,
				want: []check{{"results.#", 2}}},
			{name: "filters", method: "GET", path: "/api/v1/search?q=refund&tag=billing&status=new,open&team_id=" + id(front), as: "ada",
				wantStatus: 200, want: []check{{"results.#", 1}}},
			{name: "paging", method: "GET", path: "/api/v1/search?q=order&limit=1", as: "ada", wantStatus: 200,
				want: []check{{"results.#", 1}}},
			{name: "no word", method: "GET", path: "/api/v1/search?q=-order", as: "ada", wantStatus: 400, wantCode: "invalid"},
			{name: "no q", method: "GET", path: "/api/v1/search", as: "ada", wantStatus: 400, wantCode: "invalid"},
			{name: "too long", method: "GET", path: "/api/v1/search?q=" + strings.Repeat("a", 10000), as: "ada", wantStatus: 400, wantCode: "invalid"},
			{name: "unknown type", method: "GET", path: "/api/v1/search?q=x&type=invoice", as: "ada", wantStatus: 400, wantCode: "invalid"},
			{name: "bad date", method: "GET", path: "/api/v1/search?q=x&from=soon", as: "ada", wantStatus: 400, wantCode: "invalid"},
			{name: "unbalanced quote", method: "GET", path: "/api/v1/search?q=%22refund", as: "ada", wantStatus: 200,
				want: []check{{"results.#", 1}}},
			{name: "signed out", method: "GET", path: "/api/v1/search?q=x", wantStatus: 401},
		})
		// What the index's own languages would read as syntax (FTS5's
		// NEAR, OR, *, ^ and column filters; tsquery's & | ! <->), SQL,
		// lone operators, NUL and sheer length: words or a clear 400,
		// never a 500.
		for _, q := range []string{`-`, `"`, `""`, `-"`, `:`, `status:`, `*`, `refund*`, `NEAR(refund order)`,
			`refund OR order`, `AND`, `NOT refund`, `^refund`, `words:refund`, `refund' OR '1'='1`,
			`'; DROP TABLE tickets; --`, `refund & !order | x`, `refund <-> order`, `a:b:c`, "refund\x00order", "\xff\xfe",
			`"unbalanced "quotes`, strings.Repeat(`"a" `, 120), strings.Repeat("समर ", 2500), strings.Repeat("-", 10000)} {
			r := d.call("GET", "/api/v1/search?q="+url.QueryEscape(q), "ada", nil)
			if r.Status != 200 && (r.Status != 400 || r.errorCode() != "invalid") {
				t.Errorf("q=%.40q: status %d %s", q, r.Status, r.Raw)
			}
		}
		if r := d.mustCall(200, "GET", "/api/v1/search?q="+url.QueryEscape(`order" OR "refund`), "ada", nil); r.str("results.#") != "0" {
			t.Errorf("OR inside a phrase was read as an operator: %s", r.Raw)
		}
		page := d.mustCall(200, "GET", "/api/v1/search?q=order&limit=1", "ada", nil)
		next := d.mustCall(200, "GET", "/api/v1/search?q=order&limit=1&cursor="+page.str("next_cursor"), "ada", nil)
		if next.str("results.0.type") == page.str("results.0.type") || next.str("next_cursor") != "" {
			t.Errorf("second page: %s after %s", next.Raw, page.Raw)
		}
	})
}

// The results page: the box on every page leads to it, a number opens the
// ticket, results link to their pages, in Hindi too.
func TestSearchPage(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], map[string]string{"ada": goodPassword})
	tk := d.mustCreateTicket("ada", map[string]any{"subject": "किताब नहीं मिली", "body": "मैंने किताब ऑर्डर की थी"}).id("id")
	indexed(t, d)
	ada := d.signedIn(t, "ada")
	if home := ada.page("/tickets"); !strings.Contains(home, `action="/go"`) {
		t.Error("no jump box on the ticket list")
	}
	if res, _ := ada.do("GET", "/go?q="+url.QueryEscape("किताब"), htmlHeaders, ""); res.StatusCode != http.StatusSeeOther ||
		res.Header.Get("Location") != "/search?q="+url.QueryEscape("किताब") {
		t.Errorf("the jump box with words: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	page := ada.page("/search?q=" + url.QueryEscape("किताब"))
	if !strings.Contains(page, `href="/tickets/`+id(tk)+`"`) || !strings.Contains(page, "<mark>किताब</mark>") {
		t.Errorf("results page:\n%s", page)
	}
	if !strings.Contains(page, `href="/tickets"`) {
		t.Error("no way back from the results page")
	}
	res, _ := ada.do("GET", "/search?q=%23"+id(tk), htmlHeaders, "")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/tickets/"+id(tk) {
		t.Errorf("a ticket number: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res, body := ada.do("GET", "/search?q=-x", htmlHeaders, ""); res.StatusCode != 400 || !strings.Contains(body, "error-box") {
		t.Errorf("a query without words: %d", res.StatusCode)
	}
}
