package web_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// mailTicket opens an email ticket and adds ada's reply through the API;
// the sender queues its mail and the (started) queue keeps it in the outbox.
func mailTicket(t *testing.T, d *testDesk) (tk *ticket.Ticket, mb *email.Mailbox, messageID int64) {
	t.Helper()
	created := d.mustCall(201, "POST", "/api/v1/mailboxes", "ada", map[string]any{"address": "support@desk.test", "name": "Support"})
	mb, err := d.DB.Mailbox(context.Background(), created.id("id"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Mail.Ingest(context.Background(), mb.ID, strings.NewReader("From: Priya <priya@customer.test>\r\n"+
		"To: support@desk.test\r\nSubject: =?UTF-8?B?4KSq4KWN4KSw4KS/4KSC4KSf4KSwIOCknOCkvuCkrg==?=\r\nMessage-ID: <p1@customer.test>\r\n"+
		"\r\nIt jams.\r\n\r\nOn Sat, Ravi wrote:\r\n> older\r\n"), email.Source{Kind: "inject"})
	if err != nil {
		t.Fatal(err)
	}
	if tk, err = d.Tickets.Get(system(), res.TicketID); err != nil {
		t.Fatal(err)
	}
	r := d.mustCall(201, "POST", "/api/v1/tickets/"+id(tk.ID)+"/messages", "ada", map[string]any{"body": "Clean the rollers, please."})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := d.Queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); d.MailOut.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return tk, mb, r.id("id")
}

func TestOutboxAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		tk, mb, mid := mailTicket(t, d)
		deadline := time.Now().Add(30 * time.Second)
		for {
			r := d.mustCall(200, "GET", "/api/v1/tickets/"+id(tk.ID)+"/messages/"+id(mid), "ada", nil)
			if r.str("delivery.status") == "sent" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the reply's mail was never sent: %s", r.Raw)
			}
			time.Sleep(50 * time.Millisecond)
		}
		list := d.mustCall(200, "GET", "/api/v1/outbox", "ada", nil)
		oid := id(list.id("outbox.0.id"))
		pk := func() string {
			_, priv, _ := ed25519.GenerateKey(rand.Reader)
			der, _ := x509.MarshalPKCS8PrivateKey(priv)
			return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		}()
		mbPath := "/api/v1/mailboxes/" + id(mb.ID)
		d.run([]scenario{
			{name: "the outbox lists the mail", method: "GET", path: "/api/v1/outbox", as: "ada", wantStatus: 200,
				want: []check{{"outbox.#", 1}, {"outbox.0.status", "sent"}, {"outbox.0.relay", "outbox"},
					{"outbox.0.recipients.0", "priya@customer.test"}, {"outbox.0.message_id", mid}, {"next_cursor", nil}}},
			{name: "the mail is readable", method: "GET", path: "/api/v1/outbox/" + oid, as: "ada", wantStatus: 200,
				want: []check{{"mail.headers.2.name", "Subject"}, {"mail.headers.2.value", "Re: " + tk.Subject + " [#" + id(tk.ID) + "]"},
					{"mail.dkim_signed", false}}},
			{name: "an agent may not read the outbox", method: "GET", path: "/api/v1/outbox", as: "ravi", wantStatus: 403, wantCode: "forbidden"},
			{name: "an unknown mail", method: "GET", path: "/api/v1/outbox/999", as: "ada", wantStatus: 404, wantCode: "not_found"},
			{name: "testing a mailbox without a relay", method: "POST", path: mbPath + "/smtp/test", as: "ada", wantStatus: 422,
				wantCode: "unprocessable", want: []check{{"error.message", "This mailbox has no SMTP relay: its mail stays in the outbox."}}},
			{name: "IMAP status before any poll", method: "GET", path: mbPath + "/imap/status", as: "ada", wantStatus: 200,
				want: []check{{"status", "pending"}, {"lease_owner", ""}}},
			{name: "no DKIM yet", method: "GET", path: mbPath + "/dkim", as: "ada", wantStatus: 200, want: []check{{"enabled", false}}},
			{name: "a DKIM key that is not one", method: "PUT", path: mbPath + "/dkim", as: "ada",
				body: map[string]any{"domain": "desk.test", "selector": "s1", "private_key": "hunter2"}, wantStatus: 400, wantCode: "invalid",
				want: []check{{"error.fields.private_key", "must be a PEM private key (RSA or Ed25519)"}}},
			{name: "a DKIM key", method: "PUT", path: mbPath + "/dkim", as: "ada",
				body: map[string]any{"domain": "Desk.Test", "selector": "s1", "private_key": pk}, wantStatus: 200,
				want: []check{{"enabled", true}, {"domain", "desk.test"}, {"private_key", nil}}},
			{name: "an agent may not set one", method: "PUT", path: mbPath + "/dkim", as: "ravi",
				body: map[string]any{"domain": "desk.test", "selector": "s1", "private_key": pk}, wantStatus: 403, wantCode: "forbidden"},
			{name: "DKIM off", method: "DELETE", path: mbPath + "/dkim", as: "ada", wantStatus: 204},
			{name: "DKIM of a mailbox that is not there", method: "GET", path: "/api/v1/mailboxes/999/dkim", as: "ada", wantStatus: 404, wantCode: "not_found"},
		})
	})
}

// The outbox page shows the mail, readable and in Hindi for a Hindi agent,
// with a way back; the ticket thread shows the delivery state and folds the
// customer's quoted history.
func TestOutboxPage(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], map[string]string{"ada": goodPassword})
	tk, _, _ := mailTicket(t, d)
	session, csrf, _, err := d.Access.SignIn(system(), "ada@desk.test", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, d.URL)
	b.jar["sahayak_session"] = &http.Cookie{Name: "sahayak_session", Value: session}
	html := http.Header{"Accept": {"text/html"}}
	var page string
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, page = b.do("GET", "/admin/outbox", html, "")
		if strings.Contains(page, `class="delivery sent"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox page:\n%s", page)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(page, "priya@customer.test") || !strings.Contains(page, `id="back"`) {
		t.Errorf("outbox page lacks the mail or a way back:\n%s", page)
	}
	list, _ := d.DB.OutboundList(context.Background(), 0, 1)
	_, page = b.do("GET", "/admin/outbox/"+id(list[0].ID), html, "")
	if !strings.Contains(page, `id="mail-text"`) || !strings.Contains(page, "Clean the rollers, please.") || !strings.Contains(page, "Priya wrote:") {
		t.Errorf("mail page:\n%s", page)
	}
	_, page = b.do("GET", "/tickets/"+id(tk.ID), html, "")
	if !strings.Contains(page, `data-delivery="sent"`) || !strings.Contains(page, `<details class="folded">`) {
		t.Errorf("ticket page lacks the delivery state or the folded quote:\n%s", page)
	}
	// Test connection on the mailbox page: a relay that is down says so.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	mbs, _ := d.DB.Mailboxes(context.Background())
	d.mustCall(200, "PATCH", "/api/v1/mailboxes/"+id(mbs[0].ID), "ada", map[string]any{"smtp": map[string]any{
		"host": "127.0.0.1", "port": port, "security": "none"}})
	if _, page = b.do("GET", "/admin/mailboxes", html, ""); !strings.Contains(page, "/smtp/test") {
		t.Fatalf("no test button on the mailbox page")
	}
	res, page := b.do("POST", "/admin/mailboxes/"+id(mbs[0].ID)+"/smtp/test", http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
		"Accept": {"text/html"}}, url.Values{"csrf": {csrf}}.Encode())
	if res.StatusCode != 200 || !strings.Contains(page, `class="error-box" role="alert" id="smtp-test-result"`) ||
		!strings.Contains(page, "The relay test failed: connect") || !strings.Contains(page, `href="/admin/mailboxes" id="back"`) {
		t.Errorf("test connection page: %d\n%s", res.StatusCode, page)
	}
	speakHindi(t, d, "ada")
	_, page = b.do("GET", "/admin/outbox", html, "")
	if !strings.Contains(page, "आउटबॉक्स") || !strings.Contains(page, "भेजी गई") {
		t.Errorf("no Hindi on the outbox page")
	}
}
