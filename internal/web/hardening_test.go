package web_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// Lookalike addresses and names with invisible or text-direction characters
// are refused with a field error, and nothing is written.
func TestLookalikeEmailsAndHiddenCharactersInNamesAreRefused(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		d.run([]scenario{
			{name: "a Cyrillic а in a contact's address", method: "POST", path: "/api/v1/contacts", as: "ada",
				body: map[string]any{"name": "Admin", "emails": []string{"\u0430dmin@desk.test"}}, wantStatus: http.StatusBadRequest,
				wantCode: "invalid", want: []check{{"error.fields.emails", "\"\u0430dmin@desk.test\" is not an email address"}}},
			{name: "a zero-width space in an agent's address", method: "POST", path: "/api/v1/agents", as: "ada",
				body: map[string]any{"name": "Ravi", "email": "ra\u200bvi@desk.test", "role": "agent"}, wantStatus: http.StatusBadRequest,
				wantCode: "invalid", want: []check{{"error.fields.email", "must be an email address"}}},
			{name: "a right-to-left override in a contact's name", method: "POST", path: "/api/v1/contacts", as: "ada",
				body: map[string]any{"name": "gnp.\u202eexe", "emails": []string{"x@desk.test"}}, wantStatus: http.StatusBadRequest,
				wantCode: "invalid", want: []check{{"error.fields.name", "must not contain invisible or text-direction characters"}}},
			{name: "a requester named with an isolate", method: "POST", path: "/api/v1/tickets", as: "ada",
				body:       map[string]any{"subject": "Hi", "body": "Hello", "requester": map[string]any{"email": "k@customer.test", "name": "\u2067Kavya"}},
				wantStatus: http.StatusBadRequest, wantCode: "invalid"},
			{name: "nothing was written", method: "GET", path: "/api/v1/contacts", as: "ada", wantStatus: http.StatusOK,
				want: []check{{"contacts.#", 0}}},
			{name: "an international address in one script is welcome", method: "POST", path: "/api/v1/contacts", as: "ada",
				body: map[string]any{"name": "रवि", "emails": []string{"रवि@उदाहरण.भारत"}}, wantStatus: http.StatusCreated},
		})
	})
}

// signedIn returns a browser with ada's session cookie and its CSRF secret.
func signedIn(t *testing.T, d *testDesk, who string) (*browser, string) {
	t.Helper()
	session, csrf, _, err := d.Access.SignIn(system(), who+"@desk.test", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, d.URL)
	b.jar["sahayak_session"] = &http.Cookie{Name: "sahayak_session", Value: session}
	return b, csrf
}

// A cookie-authenticated multipart reply is refused on a wrong CSRF value
// before its files are read: the server reads the small csrf part that comes
// first, not the 20 MiB behind it. With the right value it is accepted.
//
// What the server read is counted at the server (a reader around the request
// body), not by what the client managed to write: loopback socket buffers
// take megabytes that the server never reads, more so on a busy machine.
func TestMultipartCSRFIsCheckedBeforeFilesAreRead(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], map[string]string{"ada": goodPassword})
	b, csrf := signedIn(t, d, "ada")
	tk := d.mustCreateTicket("ada", nil)
	path := "/api/v1/tickets/" + id(tk.id("id")) + "/messages"
	var read atomic.Int64
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = countingBody{r.Body, &read}
		d.Server.ServeHTTP(w, r)
	}))
	t.Cleanup(counting.Close)

	post := func(csrfValue string, fileSize int) (status int, serverRead int64) {
		read.Store(0)
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			_ = mw.WriteField("csrf", csrfValue)
			_ = mw.WriteField("body", "Logs attached")
			fw, _ := mw.CreateFormFile("files", "big.log")
			chunk := bytes.Repeat([]byte("x"), 64<<10)
			for n := 0; n < fileSize; n += len(chunk) {
				if _, err := fw.Write(chunk); err != nil {
					pw.CloseWithError(err)
					return
				}
			}
			pw.CloseWithError(mw.Close())
		}()
		req, _ := http.NewRequest("POST", counting.URL+path, pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Accept", "application/json")
		req.AddCookie(b.jar["sahayak_session"])
		res, err := http.DefaultClient.Do(req)
		pr.CloseWithError(io.ErrClosedPipe) // stop the writer if the server stopped reading
		if err != nil {
			return 0, read.Load()
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 300 {
			t.Logf("%d %s", res.StatusCode, raw)
		}
		return res.StatusCode, read.Load()
	}

	status, n := post("not-the-secret", 20<<20)
	if status != http.StatusForbidden && status != 0 {
		t.Fatalf("wrong CSRF value: status %d, want 403", status)
	}
	if n > 1<<20 {
		t.Fatalf("the server read %d bytes of the body before refusing the CSRF value", n)
	}
	if status, n := post(csrf, 100<<10); status != http.StatusCreated || n < 100<<10 {
		t.Fatalf("right CSRF value in the first part: status %d after reading %d bytes, want 201 after the whole file", status, n)
	}
}

// countingBody counts the bytes a handler reads from a request body.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// A NUL character in a multipart body is refused like in a JSON one
// (PostgreSQL cannot store it), and so is invalid UTF-8.
func TestMultipartTextWithNULIsRefused(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		tk := d.mustCreateTicket("ada", nil)
		path := "/api/v1/tickets/" + id(tk.id("id")) + "/messages"
		for _, fields := range []map[string]string{
			{"body": "before\x00after"},
			{"body": "x", "body_html": "<p>a\x00b</p>"},
			{"body": "bad \xff utf-8"},
		} {
			ct, body := multipartMessage(t, fields, nil)
			r := d.send("POST", path, http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]}, "Content-Type": {ct}}, body)
			if r.Status != http.StatusBadRequest || r.errorCode() != "invalid" {
				t.Errorf("%q: status %d, want 400 invalid\n%s", fields, r.Status, r.Raw)
			}
		}
		if n := d.mustCall(http.StatusOK, "GET", path, "ada", nil).str("messages.#"); n != "1" {
			t.Errorf("%s messages after refused replies, want 1", n)
		}
	})
}

// Metrics and profiles describe the whole desk's traffic and are not for
// the public: they are served on the operations handler (--ops-addr) only, while health
// and readiness stay public on the main address for load balancers.
func TestMetricsAreServedOnTheOperationsAddressOnly(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], nil)
	d.mustCall(http.StatusNotFound, "GET", "/metrics", "", nil)
	d.mustCall(http.StatusNotFound, "GET", "/metrics", "ada", nil)
	d.mustCall(http.StatusNotFound, "GET", "/debug/pprof/", "ada", nil)
	d.mustCall(http.StatusOK, "GET", "/healthz", "", nil)
	d.mustCall(http.StatusOK, "GET", "/readyz", "", nil)

	ops := httptest.NewServer(d.Server.OpsHandler())
	defer ops.Close()
	for path, want := range map[string]string{"/metrics": "sahayak_http_requests_total", "/healthz": "ok", "/readyz": "ready",
		"/debug/pprof/": "goroutine"} {
		res, err := http.Get(ops.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !bytes.Contains(raw, []byte(want)) {
			t.Errorf("ops %s: %d, want 200 with %q\n%.300s", path, res.StatusCode, want, raw)
		}
	}
}

// While every hashing slot is taken, the sign-in page answers 503 at once,
// with Retry-After and a message in the reader's language.
func TestSignInAnswersBusyWhenHashingIsFull(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], map[string]string{"ravi": goodPassword})
	gate := access.NewHashGate(1, 10*time.Millisecond)
	d.Access.SetHashGate(gate)
	release, held := make(chan struct{}), make(chan struct{})
	go gate.Do(context.Background(), func() { close(held); <-release })
	<-held
	defer close(release)
	for lang, want := range map[string]string{"en": "Please try again in a moment", "hi": "कृपया थोड़ी देर में फिर कोशिश करें"} {
		b := newBrowser(t, d.URL)
		csrf := b.loginForm()
		form := url.Values{"email": {"ravi@desk.test"}, "password": {goodPassword}, "csrf": {csrf}}
		res, page := b.do("POST", "/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
			"Accept": {"text/html"}, "Accept-Language": {lang}}, form.Encode())
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s: status %d, Retry-After %q; want 503 with Retry-After", lang, res.StatusCode, res.Header.Get("Retry-After"))
		}
		if !strings.Contains(page, want) {
			t.Errorf("%s: the page does not say %q", lang, want)
		}
		if b.jar["sahayak_session"] != nil {
			t.Errorf("%s: a session was handed out", lang)
		}
	}
}

// castWithRole adds an agent holding a new custom role to the desk, with an
// API token under d.Tokens[name].
func (d *testDesk) castWithRole(name, role string, perms []string) {
	d.t.Helper()
	if _, err := d.People.CreateRole(system(), people.Role{Name: role, Permissions: perms}); err != nil {
		d.t.Fatal(err)
	}
	email, display := name+"@desk.test", name
	a, err := d.People.CreateAgent(system(), people.AgentInput{Email: &email, Name: &display, Role: &role}, auth.HashPassword)
	if err != nil {
		d.t.Fatal(err)
	}
	d.Agents[name] = a
	if d.Tokens[name], _, err = d.Access.CreateToken(system(), a.ID, "tests"); err != nil {
		d.t.Fatal(err)
	}
}

// roles:write lets its holder tune roles beneath them, never one that holds
// a permission they lack: stripping a deputy admin's permissions is as much
// a change above one's station as granting them.
func TestRolesWriteCannotChangeARoleAboveTheHolder(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		var supervisor *people.Role
		roles, _ := d.People.Roles(system())
		for _, r := range roles {
			if r.Name == auth.RoleSupervisor {
				supervisor = r
			}
		}
		d.castWithRole("rohan", "role_manager", append(append([]string{}, supervisor.Permissions...), auth.RolesWrite))
		if _, err := d.People.CreateRole(system(), people.Role{Name: "deputy_admin", Permissions: auth.All}); err != nil {
			t.Fatal(err)
		}
		var deputy, teamLead, admin int64
		roles, _ = d.People.Roles(system())
		for _, r := range roles {
			switch r.Name {
			case "deputy_admin":
				deputy = r.ID
			case auth.RoleTeamLead:
				teamLead = r.ID
			case auth.RoleAdmin:
				admin = r.ID
			}
		}
		d.run([]scenario{
			{name: "stripping a role that holds more is refused", method: "PATCH", path: "/api/v1/roles/" + id(deputy), as: "rohan",
				body: map[string]any{"permissions": []string{"tickets:read"}}, wantStatus: http.StatusForbidden, wantCode: "forbidden",
				after: func(t *testing.T, d *testDesk) {
					r, _ := d.People.Role(system(), deputy)
					if len(r.Permissions) != len(auth.All) {
						t.Errorf("deputy_admin now holds %v", r.Permissions)
					}
				}},
			{name: "renaming it is refused too", method: "PATCH", path: "/api/v1/roles/" + id(deputy), as: "rohan",
				body: map[string]any{"description": "mine now"}, wantStatus: http.StatusForbidden, wantCode: "forbidden"},
			{name: "deleting it is refused", method: "DELETE", path: "/api/v1/roles/" + id(deputy), as: "rohan",
				wantStatus: http.StatusForbidden, wantCode: "forbidden"},
			{name: "the admin role stays whole", method: "PATCH", path: "/api/v1/roles/" + id(admin), as: "rohan",
				body: map[string]any{"permissions": []string{"tickets:read"}}, wantStatus: http.StatusForbidden, wantCode: "forbidden"},
			{name: "granting what one lacks stays refused", method: "PATCH", path: "/api/v1/roles/" + id(teamLead), as: "rohan",
				body: map[string]any{"permissions": []string{"tickets:read", "agents:write"}}, wantStatus: http.StatusForbidden, wantCode: "forbidden"},
			{name: "a role beneath is changed", method: "PATCH", path: "/api/v1/roles/" + id(teamLead), as: "rohan",
				body: map[string]any{"permissions": []string{"tickets:read", "tickets:merge"}}, wantStatus: http.StatusOK,
				want: []check{{"permissions.#", 2}}},
			{name: "an admin still changes any custom role", method: "PATCH", path: "/api/v1/roles/" + id(deputy), as: "ada",
				body: map[string]any{"description": "Second in command"}, wantStatus: http.StatusOK},
		})
	})
}

// sessionWorks reports whether a browser's session still opens the API.
func sessionWorks(t *testing.T, b *browser) bool {
	t.Helper()
	res, _ := b.do("GET", "/api/v1/me", http.Header{"Accept": {"application/json"}}, "")
	return res.StatusCode == http.StatusOK
}

// Deactivating an agent ends their sessions and API tokens for good:
// reactivating them revives none, and they sign in afresh.
func TestDeactivationEndsSessionsAndTokensForGood(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, be storetest.Backend) {
		d := newDesk(t, be, map[string]string{"ravi": goodPassword})
		b, _ := signedIn(t, d, "ravi")
		ravi := "/api/v1/agents/" + id(d.Agents["ravi"].ID)
		d.mustCall(http.StatusOK, "GET", "/api/v1/me", "ravi", nil) // the token is cached now
		d.mustCall(http.StatusNoContent, "DELETE", ravi, "ada", nil)
		d.mustCall(http.StatusUnauthorized, "GET", "/api/v1/me", "ravi", nil)
		if sessionWorks(t, b) {
			t.Error("a deactivated agent's session still works")
		}
		d.mustCall(http.StatusOK, "PATCH", ravi, "ada", map[string]any{"active": true})
		d.mustCall(http.StatusUnauthorized, "GET", "/api/v1/me", "ravi", nil)
		if sessionWorks(t, b) {
			t.Error("reactivation revived the old session")
		}
		if tokens, _ := d.Access.Tokens(system(), d.Agents["ravi"].ID); len(tokens) != 1 || tokens[0].RevokedAt == nil {
			t.Errorf("the old token is not listed as revoked: %+v", tokens[0])
		}
		fresh, _ := signedIn(t, d, "ravi")
		if !sessionWorks(t, fresh) {
			t.Error("a reactivated agent cannot sign in afresh")
		}
	})
}

// A new password ends the agent's sessions and, unless the one changing it
// chooses otherwise, their API tokens too.
func TestPasswordChangeRevokesTokensUnlessKept(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		d.mustCall(http.StatusOK, "GET", "/api/v1/me", "ravi", nil)
		d.mustCall(http.StatusOK, "PATCH", "/api/v1/agents/"+id(d.Agents["ravi"].ID), "ada", map[string]any{"password": "a brand new secret"})
		d.mustCall(http.StatusUnauthorized, "GET", "/api/v1/me", "ravi", nil)
		tokens := d.mustCall(http.StatusOK, "GET", "/api/v1/tokens", "meera", nil) // meera's own are untouched
		if tokens.str("tokens.0.revoked_at") != "" {
			t.Errorf("someone else's token was revoked: %s", tokens.Raw)
		}

		d.mustCall(http.StatusOK, "PATCH", "/api/v1/agents/"+id(d.Agents["meera"].ID), "ada",
			map[string]any{"password": "another new secret", "revoke_tokens": false})
		d.mustCall(http.StatusOK, "GET", "/api/v1/me", "meera", nil)
	})
}

// The agents page offers the choice beside the new password, checked.
func TestAgentsPageOffersToRevokeTokensWithANewPassword(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], map[string]string{"ada": goodPassword})
	b, csrf := signedIn(t, d, "ada")
	_, page := b.do("GET", "/admin/agents", http.Header{"Accept": {"text/html"}}, "")
	if !strings.Contains(page, `name="revoke_tokens" value="1" checked`) {
		t.Fatal("no checked revoke_tokens box on the agents page")
	}
	ravi := d.Agents["ravi"]
	for _, tc := range []struct {
		revoke    bool
		wantToken int
	}{{false, http.StatusOK}, {true, http.StatusUnauthorized}} {
		form := url.Values{"csrf": {csrf}, "password": {"a brand new secret"}, "revoke_tokens_present": {"1"}}
		if tc.revoke {
			form.Set("revoke_tokens", "1")
		}
		res, _ := b.do("POST", "/admin/agents/"+id(ravi.ID), http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
			"Accept": {"text/html"}}, form.Encode())
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", res.StatusCode)
		}
		d.mustCall(tc.wantToken, "GET", "/api/v1/me", "ravi", nil)
	}
}

// A token may be given an expiry (a time, or days from now); once past it
// the token answers 401, from the token cache too.
func TestTokensMayExpire(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		r := d.mustCall(http.StatusCreated, "POST", "/api/v1/tokens", "ravi", map[string]any{"name": "ci", "expires_in_days": 30})
		exp, err := time.Parse(time.RFC3339, r.str("expires_at"))
		if err != nil || exp.Sub(time.Now()) < 29*24*time.Hour || exp.Sub(time.Now()) > 31*24*time.Hour {
			t.Fatalf("expires_at %q, want 30 days from now", r.str("expires_at"))
		}
		if me := d.send("GET", "/api/v1/me", http.Header{"Authorization": {"Bearer " + r.str("token")}}, nil); me.Status != http.StatusOK {
			t.Fatalf("a token with an expiry ahead: %d", me.Status)
		}
		d.run([]scenario{
			{name: "an expiry in the past is refused", method: "POST", path: "/api/v1/tokens", as: "ravi",
				body: map[string]any{"name": "x", "expires_at": "2001-01-01T00:00:00Z"}, wantStatus: 400, wantCode: "invalid"},
			{name: "both forms at once are refused", method: "POST", path: "/api/v1/tokens", as: "ravi",
				body: map[string]any{"name": "x", "expires_at": "2099-01-01T00:00:00Z", "expires_in_days": 3}, wantStatus: 400, wantCode: "invalid"},
			{name: "zero days are refused", method: "POST", path: "/api/v1/tokens", as: "ravi",
				body: map[string]any{"name": "x", "expires_in_days": 0}, wantStatus: 400, wantCode: "invalid"},
			{name: "the list shows expiries", method: "GET", path: "/api/v1/tokens", as: "ravi", wantStatus: 200,
				want: []check{{"tokens.#", 2}, {"tokens.0.expires_at", nil}, {"tokens.1.expires_at", r.str("expires_at")}}},
		})

		// A token that is used (and cached) and then runs out.
		expiry := time.Now().Add(2 * time.Second)
		secret, _, err := d.Access.CreateTokenUntil(system(), d.Agents["meera"].ID, "short", &expiry)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{"Authorization": {"Bearer " + secret}}
		if r := d.send("GET", "/api/v1/me", h, nil); r.Status != http.StatusOK {
			t.Fatalf("before its expiry: %d", r.Status)
		}
		time.Sleep(time.Until(expiry) + 100*time.Millisecond)
		if r := d.send("GET", "/api/v1/me", h, nil); r.Status != http.StatusUnauthorized || r.errorCode() != "unauthorized" {
			t.Fatalf("after its expiry: %d %s", r.Status, r.Raw)
		}
	})
}

// A password an admin sets (a new agent's, or a reset) costs the same
// argon2id memory as a sign-in, so it hashes through the same bound: while
// every slot is taken the API answers 503 with Retry-After and writes
// nothing.
func TestAdminPasswordsHashThroughTheSignInBound(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		gate := access.NewHashGate(1, 10*time.Millisecond)
		d.Access.SetHashGate(gate)
		release, held := make(chan struct{}), make(chan struct{})
		go gate.Do(context.Background(), func() { close(held); <-release })
		<-held
		pw := "a long enough password"
		res := d.call("POST", "/api/v1/agents", "ada", map[string]any{"email": "new@desk.test", "name": "New",
			"role": auth.RoleAgent, "password": pw})
		if res.Status != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Errorf("create with a password while hashing is full: %d %s, want 503 with Retry-After", res.Status, res.Raw)
		}
		ravi := d.Agents["ravi"]
		res = d.call("PATCH", "/api/v1/agents/"+id(ravi.ID), "ada", map[string]any{"password": pw})
		if res.Status != http.StatusServiceUnavailable {
			t.Errorf("password reset while hashing is full: %d %s, want 503", res.Status, res.Raw)
		}
		runs := gate.Runs()
		close(release)
		if a, err := d.People.Agent(system(), ravi.ID); err != nil || a.Version != ravi.Version {
			t.Errorf("the refused reset changed ravi: %v, version %d → %d", err, ravi.Version, a.Version)
		}
		list := d.mustCall(http.StatusOK, "GET", "/api/v1/agents?limit=100", "ada", nil)
		if strings.Contains(string(list.Raw), "new@desk.test") {
			t.Error("the refused create left an agent behind")
		}
		d.mustCall(http.StatusCreated, "POST", "/api/v1/agents", "ada", map[string]any{"email": "new@desk.test",
			"name": "New", "role": auth.RoleAgent, "password": pw})
		if gate.Runs() != runs+1 {
			t.Errorf("the admin's hash ran outside the gate: runs %d → %d", runs, gate.Runs())
		}
	})
}
