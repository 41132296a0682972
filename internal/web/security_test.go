package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/web"
)

const goodPassword = "correct horse battery"

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	jar  map[string]*http.Cookie
}

func newBrowser(t *testing.T, base string) *browser {
	return &browser{t: t, base: base, jar: map[string]*http.Cookie{}}
}

func (b *browser) do(method, path string, h http.Header, body string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	for _, c := range b.jar {
		req.AddCookie(c)
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	checkContract(b.t, req, []byte(body), res, raw)
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(b.jar, c.Name)
		} else {
			b.jar[c.Name] = c
		}
	}
	return res, string(raw)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// loginForm opens the sign-in page and returns the form's CSRF value.
func (b *browser) loginForm() string {
	b.t.Helper()
	res, page := b.do("GET", "/login", http.Header{"Accept": {"text/html"}}, "")
	m := csrfField.FindStringSubmatch(page)
	if res.StatusCode != 200 || m == nil {
		b.t.Fatalf("GET /login: %d, no csrf field\n%s", res.StatusCode, page)
	}
	return m[1]
}

// login posts the sign-in form.
func (b *browser) login(email, password, csrf string) *http.Response {
	b.t.Helper()
	form := url.Values{"email": {email}, "password": {password}, "next": {"/tickets"}}
	if csrf != "" {
		form.Set("csrf", csrf)
	}
	res, _ := b.do("POST", "/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
		"Accept": {"text/html"}}, form.Encode())
	return res
}

func TestSignInAndSessions(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], map[string]string{"ravi": goodPassword})

	t.Run("the sign-in form refuses a missing or wrong CSRF value", func(t *testing.T) {
		b := newBrowser(t, d.URL)
		b.loginForm()
		if res := b.login("ravi@desk.test", goodPassword, ""); res.StatusCode != 403 {
			t.Errorf("without csrf: %d", res.StatusCode)
		}
		b.loginForm()
		if res := b.login("ravi@desk.test", goodPassword, "forged"); res.StatusCode != 403 {
			t.Errorf("with a wrong csrf: %d", res.StatusCode)
		}
		if b.jar["sahayak_session"] != nil {
			t.Error("a session was handed out")
		}
	})

	t.Run("a session cookie is HttpOnly and SameSite=Lax, and API writes need X-CSRF-Token", func(t *testing.T) {
		b := newBrowser(t, d.URL)
		res := b.login("ravi@desk.test", goodPassword, b.loginForm())
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/tickets" {
			t.Fatalf("sign-in: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		var session *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == "sahayak_session" {
				session = c
			}
		}
		if session == nil {
			t.Fatal("no session cookie")
		}
		if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" {
			t.Errorf("session cookie: HttpOnly=%v SameSite=%v Path=%q", session.HttpOnly, session.SameSite, session.Path)
		}
		_, csrf, err := d.Access.Session(context.Background(), session.Value)
		if err != nil {
			t.Fatal(err)
		}
		json := http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
		if res, _ := b.do("GET", "/api/v1/me", json, ""); res.StatusCode != 200 {
			t.Errorf("a cookie-authenticated read: %d", res.StatusCode)
		}
		body := `{"subject":"From the browser","body":"hi","requester":{"email":"c@x.test"}}`
		if res, raw := b.do("POST", "/api/v1/tickets", json, body); res.StatusCode != 403 {
			t.Errorf("a cookie-authenticated write without X-CSRF-Token: %d %s", res.StatusCode, raw)
		}
		json.Set("X-CSRF-Token", "forged")
		if res, _ := b.do("POST", "/api/v1/tickets", json, body); res.StatusCode != 403 {
			t.Errorf("with a forged X-CSRF-Token: %d", res.StatusCode)
		}
		assertChecks(t, d.mustCall(200, "GET", "/api/v1/tickets", "ada", nil), []check{{"tickets.#", 0}})
		json.Set("X-CSRF-Token", csrf)
		if res, raw := b.do("POST", "/api/v1/tickets", json, body); res.StatusCode != 201 {
			t.Errorf("with X-CSRF-Token: %d %s", res.StatusCode, raw)
		}
		json.Set("X-CSRF-Token", csrf)
		if res, _ := b.do("POST", "/logout", json, ""); res.StatusCode != http.StatusSeeOther {
			t.Errorf("sign-out: %d", res.StatusCode)
		}
		b.jar["sahayak_session"] = session // a stolen copy of the cookie
		if res, _ := b.do("GET", "/api/v1/me", json, ""); res.StatusCode != 401 {
			t.Errorf("a signed-out session still works: %d", res.StatusCode)
		}
	})

	t.Run("five wrong passwords lock the account, even against the right one", func(t *testing.T) {
		b := newBrowser(t, d.URL)
		for i := 1; i <= 5; i++ {
			if res := b.login("ravi@desk.test", "wrong password", b.loginForm()); res.StatusCode != 401 {
				t.Fatalf("wrong password %d: %d", i, res.StatusCode)
			}
		}
		if res := b.login("ravi@desk.test", goodPassword, b.loginForm()); res.StatusCode != 429 {
			t.Errorf("the right password on a locked account: %d", res.StatusCode)
		}
		if b.jar["sahayak_session"] != nil {
			t.Error("a locked account got a session")
		}
	})
}

func TestSignInRateLimitPerAddress(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], nil)
	srv, err := web.New(web.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Tickets: d.Tickets, People: d.People,
		Access: d.Access, Notifications: d.DB, Bus: event.NewBus(), DB: d.DB, LoginLimit: 3})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	b := newBrowser(t, hs.URL)
	for i := 1; i <= 3; i++ {
		if res := b.login("nobody@desk.test", "guess", b.loginForm()); res.StatusCode != 401 {
			t.Fatalf("attempt %d: %d", i, res.StatusCode)
		}
	}
	if res := b.login("nobody@desk.test", "guess", b.loginForm()); res.StatusCode != 429 {
		t.Errorf("attempt 4 from the same address: %d, want 429", res.StatusCode)
	}
}

func TestSecurityHeadersAndSanitizing(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], nil)

	t.Run("the CSP allows no inline script or style", func(t *testing.T) {
		for _, path := range []string{"/api/v1/me", "/login", "/healthz"} {
			r := d.call("GET", path, "ada", nil)
			csp := r.Header.Get("Content-Security-Policy")
			if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") ||
				!strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s: CSP %q", path, csp)
			}
			if r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: no nosniff", path)
			}
		}
	})

	t.Run("message HTML comes back without scripts, handlers or javascript: links", func(t *testing.T) {
		evil := `<p>Hello <b>there</b></p><script>alert(1)</script><img src="x" onerror="alert(2)">` +
			`<a href="javascript:alert(3)">click</a><a href="JaVaScRiPt:alert(4)">again</a><div onclick="alert(5)">x</div>` +
			`<iframe src="https://evil.test"></iframe><style>body{}</style>`
		tk := d.mustCreateTicket("ada", map[string]any{"body": "", "body_html": evil})
		msg := d.mustCall(201, "POST", "/api/v1/tickets/"+id(tk.id("id"))+"/messages", "ada", map[string]any{"body_html": evil})
		thread := d.mustCall(200, "GET", "/api/v1/tickets/"+id(tk.id("id"))+"/messages", "ada", nil)
		for _, html := range []string{msg.str("body_html"), thread.str("messages.0.body_html"), thread.str("messages.1.body_html")} {
			low := strings.ToLower(html)
			for _, bad := range []string{"<script", "onerror", "onclick", "javascript:", "<iframe", "<style", "alert("} {
				if strings.Contains(low, bad) {
					t.Errorf("sanitized HTML holds %q: %s", bad, html)
				}
			}
			if !strings.Contains(html, "<b>there</b>") {
				t.Errorf("harmless formatting was lost: %s", html)
			}
		}
	})
}

func TestSecretsAtRest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		d := newDesk(t, b, map[string]string{"ada": goodPassword})
		ctx := desk.WithActor(context.Background(), desk.System)
		secret := d.Tokens["ravi"]
		if !strings.HasPrefix(secret, "shk_") {
			t.Errorf("token %q lacks its prefix", secret)
		}
		if _, _, err := d.DB.TokenAgent(ctx, secret); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Errorf("the raw token finds an agent: %v", err)
		}
		if a, _, err := d.DB.TokenAgent(ctx, auth.Digest(secret)); err != nil || a.ID != d.Agents["ravi"].ID {
			t.Errorf("the digest does not find the agent: %v", err)
		}
		a, err := d.DB.Agent(ctx, d.Agents["ada"].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=3,p=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(a.PasswordHash) {
			t.Errorf("password hash %q is not argon2id in PHC format", a.PasswordHash)
		}
		if !auth.CheckPassword(a.PasswordHash, goodPassword) || auth.CheckPassword(a.PasswordHash, "wrong") {
			t.Error("the hash does not check the password")
		}
		if d.DB.SQLitePath != "" {
			// Nothing in the data files reveals a token or a password.
			files, _ := filepath.Glob(d.DB.SQLitePath + "*")
			var all []byte
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, data...)
			}
			if !bytes.Contains(all, []byte(auth.Digest(secret))) {
				t.Fatalf("test bug: the token digest is not in %v", files)
			}
			for _, s := range []string{secret, strings.TrimPrefix(secret, "shk_"), goodPassword} {
				if bytes.Contains(all, []byte(s)) {
					t.Errorf("the database files hold the secret %q", s)
				}
			}
		}
	})
}
