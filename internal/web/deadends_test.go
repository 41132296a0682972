package web_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/web"
)

// No dead ends: an address no route takes and a page the agent may not see
// answer inside the app's layout, in the agent's language, with a way back;
// Go's plain "404 page not found" never shows.
func TestNoDeadEnds(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"ravi": goodPassword}, func(t *testing.T, d *testDesk) {
		speakHindi(t, d, "ravi")
		ravi := d.signedIn(t, "ravi")
		pages := []struct {
			name, path string
			status     int
			want       []string
		}{
			{"no such page", "/no/such/page", 404, []string{`data-error-page="404"`, "पन्ना नहीं मिला", "/no/such/page पर कोई पन्ना नहीं है",
				`<header class="top">`, `href="/tickets" data-way-back`, "टिकटों पर वापस"}},
			{"no such ticket", "/tickets/999999", 404, []string{`data-error-page="404"`, "पन्ना नहीं मिला", `data-way-back`}},
			{"a ticket id that is not a number", "/tickets/abc", 404, []string{`data-error-page="404"`}},
			{"a page the role may not open", "/admin/webhooks", 403, []string{`data-error-page="403"`, "अनुमति नहीं है",
				"वेबहुक प्रबंधित करें", "एडमिन", `data-way-back`}},
			{"a method no page takes", "/settings/tokens", 404, nil},
		}
		for _, p := range pages {
			t.Run(p.name, func(t *testing.T) {
				h := http.Header{"Accept": {"text/html"}, "Referer": {d.URL + "/tickets?view=all"}}
				res, page := ravi.do("GET", p.path, h, "")
				if res.StatusCode != p.status {
					t.Fatalf("GET %s: %d, want %d\n%s", p.path, res.StatusCode, p.status, page)
				}
				if strings.Contains(page, "404 page not found") || !strings.Contains(page, "<!doctype html>") {
					t.Errorf("not the app's page:\n%s", page)
				}
				if !strings.Contains(page, `href="/tickets?view=all"`) {
					t.Error("no way back to the page before")
				}
				for _, w := range p.want {
					if !strings.Contains(page, w) {
						t.Errorf("the page lacks %q:\n%s", w, page)
					}
				}
				if strings.Contains(page, "webhooks:write") {
					t.Error("a raw permission name on the page")
				}
			})
		}

		// Nobody signed in: the same page, leading to the sign-in page.
		res, page := newBrowser(t, d.URL).do("GET", "/nothing-here", http.Header{"Accept": {"text/html"}}, "")
		if res.StatusCode != 404 || !strings.Contains(page, `href="/login" data-way-back`) || strings.Contains(page, "404 page not found") {
			t.Errorf("a stranger's 404: %d\n%s", res.StatusCode, page)
		}
		// A client that wants JSON gets the JSON error shape.
		r := d.call("GET", "/nothing-here", "ravi", nil)
		if r.Status != 404 || r.errorCode() != "not_found" {
			t.Errorf("JSON 404: %d %s", r.Status, r.Raw)
		}
		// The favicon is there, the old way too.
		res, _ = newBrowser(t, d.URL).do("GET", "/favicon.ico", nil, "")
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusMovedPermanently || !strings.HasPrefix(loc, "/static/favicon.svg") {
			t.Fatalf("favicon.ico: %d %q", res.StatusCode, loc)
		}
		res, _ = newBrowser(t, d.URL).do("GET", loc, nil, "")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("favicon: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		if list := ravi.page("/tickets"); !strings.Contains(list, `rel="icon"`) {
			t.Error("pages do not name the icon")
		}

		// A name taken says what is taken, in words, on both databases.
		r = d.call("POST", "/api/v1/agents", "ada", map[string]any{"email": "ravi@desk.test", "name": "Ravi 2", "role": "agent"})
		if r.Status != 409 || r.str("error.message") != "Email already in use by another agent" {
			t.Errorf("duplicate agent email: %d %s", r.Status, r.Raw)
		}
		r = d.call("POST", "/api/v1/teams", "ada", map[string]any{"name": "Frontline", "tier": 1})
		if r.Status != 409 || r.str("error.message") != "A team with this name exists already" {
			t.Errorf("duplicate team: %d %s", r.Status, r.Raw)
		}
	})
}

// Built-in roles show as words on the admin pages ("Team lead"), in both
// languages.
func TestRoleNamesInWords(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], map[string]string{"ada": goodPassword})
	ada := d.signedIn(t, "ada")
	for path, want := range map[string][]string{
		"/admin/agents": {">Team lead</option>", ">Account executive</option>"},
		"/admin/roles":  {"<h2 class=\"wide\">Team lead</h2>"},
	} {
		page := ada.page(path)
		for _, w := range want {
			if !strings.Contains(page, w) {
				t.Errorf("%s lacks %q", path, w)
			}
		}
		if strings.Contains(page, ">team_lead<") {
			t.Errorf("%s shows team_lead raw", path)
		}
	}
	speakHindi(t, d, "ada")
	if page := ada.page("/admin/agents"); !strings.Contains(page, ">टीम लीड</option>") {
		t.Error("role names are not in Hindi")
	}
}

// syncBuffer is a log destination the server writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// One structured line per request at info level: method, route pattern,
// status, duration and actor — never a token, cookie or query secret — and
// none at all when the level is turned up to warn.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], nil)
	serve := func(level slog.Level) (*syncBuffer, string) {
		var buf syncBuffer
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))
		srv, err := web.New(web.Deps{Log: log, Tickets: d.Tickets, People: d.People, Access: d.Access, Audit: audit.NewRecorder(d.DB, desk.SystemClock{}),
			Notifications: d.DB, Idempotency: d.DB, Blobs: blob.New(t.TempDir()), Bus: d.Bus, DB: d.DB})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		t.Cleanup(srv.CloseStreams)
		return &buf, hs.URL
	}
	get := func(url, token string) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Cookie", "sahayak_session=cookie-secret")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	buf, url := serve(slog.LevelInfo)
	token := d.Tokens["ravi"]
	get(url+"/api/v1/tickets?limit=5&tag=query-secret", token)
	get(url+"/api/v1/tickets/999999", token)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines for 2 requests:\n%s", len(lines), buf.String())
	}
	ravi := d.Agents["ravi"].ID
	for i, want := range []string{`msg=request method=GET route="GET /api/v1/tickets" status=200 duration=`,
		`msg=request method=GET route="GET /api/v1/tickets/{id}" status=404 duration=`} {
		if !strings.Contains(lines[i], want) || !strings.HasSuffix(lines[i], " actor="+id(ravi)) || !strings.Contains(lines[i], "level=INFO") {
			t.Errorf("line %d = %s\nwant %s … actor=%d", i, lines[i], want, ravi)
		}
	}
	for _, secret := range []string{token, "query-secret", "cookie-secret", "limit=5"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
	quiet, url := serve(slog.LevelWarn)
	get(url+"/api/v1/tickets", token)
	if quiet.String() != "" {
		t.Errorf("at warn level the log holds:\n%s", quiet.String())
	}
}
