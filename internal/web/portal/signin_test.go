package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A known address gets a mailed link that signs in once; an unknown one
// gets the very same answer and no mail.
func TestMagicLinkSignsInOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *testDesk) {
		d.contact("Priya", "priya@customer.test", nil)
		b := d.browser("en")
		front := b.get("/portal")
		if front.Status != 200 || !strings.Contains(front.Body, `id="link-form"`) {
			t.Fatalf("front page: %d", front.Status)
		}
		known := b.post("/portal/link", url.Values{"email": {"Priya@Customer.test"}})
		unknown := b.post("/portal/link", url.Values{"email": {"nobody@customer.test"}})
		if known.Status != unknown.Status || known.Location != unknown.Location || known.Location != "/portal?sent=1" {
			t.Fatalf("known %d %q, unknown %d %q: the answers differ", known.Status, known.Location, unknown.Status, unknown.Location)
		}
		mails := d.signInMails()
		if len(mails) != 1 || mails[0].Recipients[0] != "priya@customer.test" {
			t.Fatalf("sign-in mails: %+v", mails)
		}
		if mails[0].TicketID != 0 {
			t.Fatalf("a sign-in mail concerns no ticket, got %d", mails[0].TicketID)
		}
		link := linkIn(t, mails[0])
		// Opening the link (a mail scanner's prefetch too) does not use it.
		for range 2 {
			if p := b.get(link); p.Status != 200 || !strings.Contains(p.Body, `id="confirm-sign-in"`) {
				t.Fatalf("link page: %d %s", p.Status, p.Body)
			}
		}
		p := b.post(link, nil)
		if p.Status != http.StatusSeeOther || p.Location != "/portal/tickets" {
			t.Fatalf("sign in: %d %q", p.Status, p.Location)
		}
		var session *http.Cookie
		for _, c := range b.c.Jar.Cookies(mustURL(d.url + "/portal")) {
			if c.Name == "sahayak_portal" {
				session = c
			}
		}
		if session == nil {
			t.Fatal("no portal session cookie")
		}
		raw := p.Header.Values("Set-Cookie")
		if !strings.Contains(strings.Join(raw, "\n"), "HttpOnly") || !strings.Contains(strings.Join(raw, "\n"), "SameSite=Lax") {
			t.Fatalf("session cookie attributes: %q", raw)
		}
		if p := b.get("/portal/tickets"); p.Status != 200 || !strings.Contains(p.Body, "priya@customer.test") {
			t.Fatalf("tickets after sign-in: %d", p.Status)
		}

		// The same link again, from another browser: refused, with words.
		other := d.browser("en")
		other.get("/portal")
		if p := other.get(link); p.Status != http.StatusGone || !strings.Contains(p.Body, "already been used") {
			t.Fatalf("used link's page: %d", p.Status)
		}
		if p := other.post(link, nil); p.Status != http.StatusGone || !strings.Contains(p.Body, "already been used") {
			t.Fatalf("replayed link: %d %s", p.Status, p.Body)
		}
		if p := other.get("/portal/tickets"); p.Status != http.StatusSeeOther {
			t.Fatalf("a replayed link signed in: %d", p.Status)
		}

		// Sign out ends the session for good.
		b.get("/portal/tickets")
		if p := b.post("/portal/signout", nil); p.Status != http.StatusSeeOther {
			t.Fatalf("sign out: %d", p.Status)
		}
		b.c.Jar.SetCookies(mustURL(d.url+"/portal"), []*http.Cookie{session})
		if p := b.get("/portal/tickets"); p.Status != http.StatusSeeOther {
			t.Fatalf("a signed-out session still works: %d", p.Status)
		}
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// Links that do not sign in each say why, in the visitor's language, with
// a 4xx and a way to ask again; none is a 500.
func TestBadLinksAreClearPages(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *testDesk) {
		d.contact("Priya", "priya@customer.test", nil)
		b := d.browser("hi")
		b.get("/portal")
		b.post("/portal/link", url.Values{"email": {"priya@customer.test"}})
		link := linkIn(t, d.signInMails()[0])
		d.clock.Advance(16 * time.Minute)
		for _, tc := range []struct {
			name, path, want string
		}{
			{"expired", link, "समय-सीमा ख़त्म"},
			{"forged", "/portal/signin/psl_" + strings.Repeat("A", 43), "सही नहीं है"},
			{"no prefix", "/portal/signin/abc", "सही नहीं है"},
			{"very long", "/portal/signin/psl_" + strings.Repeat("x", 5000), "सही नहीं है"},
			{"injected", "/portal/signin/psl_'%20OR%201=1--", "सही नहीं है"},
		} {
			if p := b.get(tc.path); p.Status != http.StatusGone || !strings.Contains(p.Body, tc.want) || !strings.Contains(p.Body, `href="/portal"`) {
				t.Errorf("%s link page: %d", tc.name, p.Status)
			}
			if p := b.post(tc.path, nil); p.Status != http.StatusGone || !strings.Contains(p.Body, tc.want) {
				t.Errorf("%s link sign-in: %d", tc.name, p.Status)
			}
		}
		if p := b.get("/portal/tickets"); p.Status != http.StatusSeeOther {
			t.Fatalf("a bad link signed in: %d", p.Status)
		}
	})
}

// Every portal form is refused without its CSRF value, or with another
// browser's.
func TestFormsWithoutCSRFAreRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *testDesk) {
		d.contact("Priya", "priya@customer.test", nil)
		tk := d.open("Printer", "priya@customer.test")
		b := d.browser("en")
		b.signIn("priya@customer.test")
		stranger := d.browser("en")
		stranger.get("/portal")
		id := itoa(tk.ID)
		for _, tc := range []struct{ name, path, csrf string }{
			{"link, none", "/portal/link", ""},
			{"link, another browser's", "/portal/link", "0123456789abcdef0123456789abcdef"},
			{"sign out", "/portal/signout", ""},
			{"new ticket", "/portal/tickets", ""},
			{"reply", "/portal/tickets/" + id + "/replies", ""},
			{"survey", "/portal/tickets/" + id + "/satisfaction", ""},
		} {
			p := b.post(tc.path, url.Values{"csrf": {tc.csrf}, "email": {"priya@customer.test"}, "subject": {"x"}, "body": {"y"}})
			if p.Status != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", tc.name, p.Status)
			}
		}
		// A multipart form whose first part is not the csrf value.
		if p := b.upload("/portal/tickets", [][2]string{{"subject", "x"}, {"csrf", b.csrf}}, nil); p.Status != http.StatusForbidden {
			t.Errorf("multipart with csrf second: %d", p.Status)
		}
		msgs, _ := d.tickets.Messages(d.sys, tk.ID)
		if len(msgs) != 1 {
			t.Fatalf("a refused reply was kept: %d messages", len(msgs))
		}
		if p := b.get("/portal/tickets"); p.Status != 200 {
			t.Fatalf("a refused sign-out signed out: %d", p.Status)
		}
		if n := len(d.signInMails()); n != 1 {
			t.Fatalf("%d sign-in mails after refused requests, want 1", n)
		}
	})
}

// Asking for links too often is refused per address, with words and a
// 429, and never reveals whether the address is known.
func TestLinkRequestsAreRateLimited(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *testDesk) {
		d.contact("Priya", "priya@customer.test", nil)
		b := d.browser("en")
		b.get("/portal")
		for _, addr := range []string{"priya@customer.test", "ghost@customer.test"} {
			for i := range 5 {
				if p := b.post("/portal/link", url.Values{"email": {addr}}); p.Status != http.StatusSeeOther {
					t.Fatalf("%s request %d: %d", addr, i+1, p.Status)
				}
			}
			p := b.post("/portal/link", url.Values{"email": {addr}})
			if p.Status != http.StatusTooManyRequests || !strings.Contains(p.Body, "Too many sign-in links") {
				t.Fatalf("%s request 6: %d", addr, p.Status)
			}
		}
		if n := len(d.signInMails()); n != 5 {
			t.Fatalf("%d mails, want 5", n)
		}
		for _, bad := range []string{"", "not-an-email", strings.Repeat("a", 10000) + "@x.test", "a@b'; DROP TABLE contacts;--"} {
			if p := b.post("/portal/link", url.Values{"email": {bad}}); p.Status != http.StatusBadRequest ||
				!strings.Contains(p.Body, "valid email") {
				t.Errorf("address %.20q: %d", bad, p.Status)
			}
		}
	})
}

// Housekeeping drops expired sessions, and links a day after they expired
// (until then a late click still hears "expired", not "not valid").
func TestHousekeepingPurgesExpiredLinksAndSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *testDesk) {
		d.contact("Priya", "priya@customer.test", nil)
		b := d.browser("en")
		b.signIn("priya@customer.test")
		b.get("/portal")
		b.post("/portal/link", url.Values{"email": {"priya@customer.test"}})
		link := linkIn(t, d.signInMails()[0])
		d.clock.Advance(8 * 24 * time.Hour)
		now := d.clock.Now()
		if err := d.db.PurgePortalState(context.Background(), now, now.Add(-24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if p := b.get("/portal/tickets"); p.Status != http.StatusSeeOther {
			t.Fatalf("an expired session: %d", p.Status)
		}
		if p := b.get(link); p.Status != http.StatusGone || !strings.Contains(p.Body, "not valid") {
			t.Fatalf("a purged link: %d", p.Status)
		}
	})
}

// Every route says who may use it; a visitor is sent to sign in from every
// customer page and refused every customer form.
func TestEveryCustomerRouteRefusesVisitors(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *testDesk) {
		d.contact("Priya", "priya@customer.test", nil)
		tk := d.open("Printer", "priya@customer.test")
		b := d.browser("en")
		b.get("/portal") // a visitor with a CSRF value, so only the missing session refuses
		customer := 0
		for _, rt := range d.handler.Routes() {
			switch rt.Access {
			case "public":
				continue
			case "customer":
				customer++
			default:
				t.Fatalf("%s %s: access %q", rt.Method, rt.Path, rt.Access)
			}
			path := strings.NewReplacer("{id}", itoa(tk.ID)).Replace(rt.Path)
			if rt.Method == "GET" {
				if p := b.get(path); p.Status != http.StatusSeeOther || p.Location != "/portal" {
					t.Errorf("visitor GET %s: %d %q", path, p.Status, p.Location)
				}
				continue
			}
			if p := b.post(path, url.Values{"body": {"x"}, "rating": {"5"}}); p.Status != http.StatusUnauthorized {
				t.Errorf("visitor POST %s: %d", path, p.Status)
			}
		}
		if customer < 8 {
			t.Fatalf("only %d customer routes", customer)
		}
	})
}
