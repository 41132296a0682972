package email_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

const waitFor = 30 * time.Second

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func ptr[T any](v T) *T { return &v }

// sendEnv is a desk with a started job queue that retries within
// milliseconds and the sender consuming message events.
type sendEnv struct {
	t       *testing.T
	db      *store.DB
	blobs   *blob.Store
	tickets *ticket.Service
	sender  *email.Sender
	sys     context.Context
	admin   context.Context
	logs    *bytes.Buffer
	logMu   *sync.Mutex
	mail    *email.Service // ingest, to open tickets by mail
	mb      *email.Mailbox
	nmail   int
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func newSendEnv(t *testing.T, b storetest.Backend, cfg email.SenderConfig) *sendEnv {
	db := storetest.Open(t, b)
	bus := event.NewBus()
	clock := desk.SystemClock{}
	ctx, cancel := context.WithCancel(context.Background())
	q := storetest.Queue(t, db, jobs.Config{Logger: quiet, PollInterval: 20 * time.Millisecond, MaxWorkers: 4,
		RetryBackoff: func(int) time.Duration { return 20 * time.Millisecond }})
	e := &sendEnv{t: t, db: db, blobs: blob.New(t.TempDir()), tickets: ticket.NewService(db, db, bus, clock),
		sys: desk.WithActor(context.Background(), desk.System), logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	e.mail = email.New(db, e.tickets, e.blobs, clock, quiet, email.Config{})
	log := slog.New(slog.NewTextHandler(lockedWriter{e.logMu, e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Poll = 20 * time.Millisecond
	var err error
	if e.sender, err = email.NewSender(db, e.blobs, q, bus, clock, log, cfg); err != nil {
		t.Fatal(err)
	}
	pp := people.NewService(db, clock)
	admin, err := pp.CreateAgent(e.sys, people.AgentInput{Email: ptr("asha@desk.test"), Name: ptr("Asha Rao"),
		Role: ptr(auth.RoleAdmin)}, auth.HashPassword)
	if err != nil {
		t.Fatal(err)
	}
	actor, err := access.NewService(db, clock).ActorFor(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	e.admin = desk.WithActor(context.Background(), actor)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); e.sender.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return e
}

func (e *sendEnv) mailbox(smtpServer email.Server) *email.Mailbox {
	e.t.Helper()
	e.mb = addMailbox(e.t, e.db, &email.Mailbox{Address: "support@desk.test", Name: "Support",
		Signature: "Sahayak Support\nhttps://desk.test", SMTP: smtpServer})
	return e.mb
}

// emailTicket opens a ticket by mail from the customer, through ingest.
func (e *sendEnv) emailTicket(subject, from string) *ticket.Ticket {
	e.t.Helper()
	e.nmail++
	raw := "From: Priya Sharma <" + from + ">\r\nTo: " + e.mb.Address + "\r\nSubject: " + subject +
		"\r\nMessage-ID: <first" + strconv.Itoa(e.nmail) + "@customer.test>\r\nDate: Sun, 29 Nov 2026 04:00:00 +0000" +
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe printer jams on page 2.\r\n\r\nOn Sat, Ravi wrote:\r\n> old history\r\n"
	res, err := e.mail.Ingest(context.Background(), e.mb.ID, strings.NewReader(raw), email.Source{Kind: "inject"})
	if err != nil {
		e.t.Fatal(err)
	}
	tk, err := e.tickets.Get(e.sys, res.TicketID)
	if err != nil {
		e.t.Fatal(err)
	}
	return tk
}

func (e *sendEnv) reply(tk *ticket.Ticket, body string, files ...ticket.Attachment) *ticket.Message {
	e.t.Helper()
	m, err := e.tickets.AddMessage(e.admin, tk.ID, ticket.NewMessage{Body: body, Attachments: files})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// waitMail waits until the reply's mail reaches a final state (or want).
func (e *sendEnv) waitMail(m *ticket.Message, want string) *email.Outbound {
	e.t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		list, err := e.db.OutboundList(context.Background(), 0, 100)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, o := range list {
			if o.MessageID == m.ID && o.Status == want {
				full, err := e.db.Outbound(context.Background(), o.ID)
				if err != nil {
					e.t.Fatal(err)
				}
				return full
			}
		}
		if time.Now().After(deadline) {
			e.logMu.Lock()
			logs := e.logs.String()
			e.logMu.Unlock()
			e.t.Fatalf("mail of message %d never became %s: %+v\n%s", m.ID, want, list, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Without a relay the reply lands in the outbox, readable, with the
// threading headers, the agent's name and the mailbox's address, the
// signature and the customer's message quoted without its own history.
func TestReplyLandsInOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newSendEnv(t, b, email.SenderConfig{})
		e.mailbox(email.Server{})
		tk := e.emailTicket("Printer jams", "priya@customer.test")
		m := e.reply(tk, "Please clean the rollers.")
		o := e.waitMail(m, email.DeliverySent)
		if o.Relay != email.RelayOutbox || o.SentAt == nil || o.Attempts != 0 {
			t.Errorf("outbox mail %+v", o)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(o.Raw))
		if err != nil {
			t.Fatal(err)
		}
		from, _ := msg.Header.AddressList("From")
		if len(from) != 1 || from[0].Name != "Asha Rao (Support)" || from[0].Address != "support@desk.test" {
			t.Errorf("From %v", from)
		}
		if to := msg.Header.Get("To"); to != "<priya@customer.test>" {
			t.Errorf("To %q", to)
		}
		if msg.Header.Get("Bcc") != "" || !strings.HasPrefix(msg.Header.Get("Subject"), "Re: Printer jams ") {
			t.Errorf("Subject %q", msg.Header.Get("Subject"))
		}
		if id := msg.Header.Get("Message-Id"); id != "<"+o.RFCMessageID+">" || !strings.HasSuffix(o.RFCMessageID, "@desk.test") {
			t.Errorf("Message-Id %q, stored %q", id, o.RFCMessageID)
		}
		if irt := msg.Header.Get("In-Reply-To"); irt != "<first1@customer.test>" {
			t.Errorf("In-Reply-To %q, want the customer's mail", irt)
		}
		if refs := msg.Header.Get("References"); refs != "<first1@customer.test>" {
			t.Errorf("References %q", refs)
		}
		// The customer answers our mail from a client that drops the
		// subject token: the Message-ID alone threads it onto the ticket.
		answer := "From: priya@customer.test\r\nTo: support@desk.test\r\nSubject: thanks\r\nMessage-ID: <a1@customer.test>\r\n" +
			"In-Reply-To: <" + o.RFCMessageID + ">\r\n\r\nThat worked.\r\n"
		res, err := e.mail.Ingest(context.Background(), e.mb.ID, strings.NewReader(answer), email.Source{Kind: "inject"})
		if err != nil || res.TicketID != tk.ID {
			t.Errorf("the answer to our mail went to ticket %v (%v), want %d", res, err, tk.ID)
		}
		body := string(o.Raw)
		for _, want := range []string{"Please clean the rollers.", "--=20\r\nSahayak Support", "Priya Sharma wrote:", "> The printer jams on page 2."} {
			if !strings.Contains(body, want) {
				t.Errorf("mail lacks %q:\n%s", want, body)
			}
		}
		if strings.Contains(body, "old history") {
			t.Errorf("the quoted message kept its own history:\n%s", body)
		}
		// A note and the customer's own message send nothing.
		if _, err := e.tickets.AddMessage(e.admin, tk.ID, ticket.NewMessage{Body: "internal", Internal: true}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		if list, _ := e.db.OutboundList(context.Background(), 0, 100); len(list) != 1 {
			t.Errorf("outbox holds %d mails, want 1", len(list))
		}
		// Delivery shows on the thread.
		ds, err := e.db.MessageDeliveries(context.Background(), tk.ID)
		if err != nil || ds[m.ID] == nil || ds[m.ID].Status != email.DeliverySent {
			t.Errorf("deliveries %v %v", ds, err)
		}
	})
}

// Through a relay with STARTTLS and a login: the relay gets the mail with
// its attachment, and the second reply references the first.
func TestReplyThroughRelay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		srvTLS, cliTLS := selfSigned(t)
		for _, mode := range []string{email.SecurityStartTLS, email.SecurityTLS} {
			t.Run(mode, func(t *testing.T) {
				relay := newSink(t, mode, srvTLS)
				e := newSendEnv(t, b, email.SenderConfig{TLS: cliTLS})
				e.mailbox(email.Server{Host: relay.host, Port: relay.port, Security: mode, Username: relay.user, Password: relay.password})
				tk := e.emailTicket("जाम प्रिंटर", "priya@customer.test")
				digest, size, err := e.blobs.Put(strings.NewReader("step 1: open the tray\n"), 1<<20)
				if err != nil {
					t.Fatal(err)
				}
				m1 := e.reply(tk, "See the steps attached.", ticket.Attachment{Filename: "steps.txt", ContentType: "text/plain",
					Size: size, SHA256: digest})
				o1 := e.waitMail(m1, email.DeliverySent)
				m2 := e.reply(tk, "Did that help?")
				o2 := e.waitMail(m2, email.DeliverySent)
				got := relay.received()
				if len(got) != 2 || o1.Relay != "127.0.0.1" {
					t.Fatalf("relay got %d mails; outbound %+v", len(got), o1)
				}
				if got[0].from != "support@desk.test" || len(got[0].to) != 1 || got[0].to[0] != "priya@customer.test" {
					t.Errorf("envelope %s -> %v", got[0].from, got[0].to)
				}
				if !bytes.Contains(got[0].raw, []byte(`filename=steps.txt`)) ||
					!bytes.Contains(got[0].raw, []byte(base64.StdEncoding.EncodeToString([]byte("step 1: open the tray\n"))[:20])) {
					t.Errorf("attachment missing:\n%s", got[0].raw)
				}
				msg, _ := mail.ReadMessage(bytes.NewReader(got[1].raw))
				if refs := msg.Header.Get("References"); !strings.Contains(refs, "<"+o1.RFCMessageID+">") {
					t.Errorf("second mail's References %q lack the first %q", refs, o1.RFCMessageID)
				}
				if o2.RFCMessageID == o1.RFCMessageID {
					t.Error("two mails with one Message-ID")
				}
			})
		}
	})
}

// A relay that answers 451 is retried until it takes the mail; one that
// answers 550 fails the mail at once with its words; one that is down is
// retried MaxAttempts times, then the mail fails with the reason. No log
// line or reason holds the password.
func TestRelayRefusesOrIsDown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		relay := newSink(t, "none", nil)
		e := newSendEnv(t, b, email.SenderConfig{MaxAttempts: 3, Timeout: 2 * time.Second})
		mb := e.mailbox(email.Server{Host: relay.host, Port: relay.port, Security: email.SecurityNone, Username: relay.user, Password: relay.password})
		tk := e.emailTicket("Refund", "meera@customer.test")

		relay.setRefuse(451)
		m := e.reply(tk, "Refund issued.")
		deadline := time.Now().Add(waitFor)
		for {
			o, _ := e.db.OutboundList(context.Background(), 0, 1)
			if len(o) == 1 && o[0].Attempts >= 1 && strings.Contains(o[0].Reason, "451") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no 451 attempt recorded: %+v", o)
			}
			time.Sleep(10 * time.Millisecond)
		}
		relay.setRefuse(0)
		o := e.waitMail(m, email.DeliverySent)
		if o.Attempts < 2 || len(relay.received()) != 1 {
			t.Errorf("after a 451: %+v, relay got %d", o, len(relay.received()))
		}

		relay.setRefuse(550)
		m = e.reply(tk, "Second reply.")
		o = e.waitMail(m, email.DeliveryFailed)
		if o.Attempts != 1 || !strings.Contains(o.Reason, "550") || !strings.Contains(o.Reason, "Relaying denied") {
			t.Errorf("after a 550: %+v", o)
		}

		relay.srv.Close()
		m = e.reply(tk, "Third reply.")
		o = e.waitMail(m, email.DeliveryFailed)
		if o.Attempts != 3 || !strings.Contains(o.Reason, "connect") {
			t.Errorf("relay down: %+v", o)
		}
		e.logMu.Lock()
		logs := e.logs.String()
		e.logMu.Unlock()
		if strings.Contains(logs, relay.password) || strings.Contains(o.Reason, relay.password) {
			t.Errorf("the password leaked: %s", logs)
		}
		_ = mb
	})
}

// Test connection: a right login passes; a wrong password, STARTTLS
// against a plain relay, or no relay at all say what is wrong, never the
// password.
func TestTestSMTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		srvTLS, cliTLS := selfSigned(t)
		relay := newSink(t, email.SecurityStartTLS, srvTLS)
		e := newSendEnv(t, b, email.SenderConfig{TLS: cliTLS, Timeout: 3 * time.Second})
		for _, tc := range []struct {
			name    string
			server  email.Server
			wantErr string
		}{
			{"good", email.Server{Host: relay.host, Port: relay.port, Security: email.SecurityStartTLS, Username: relay.user, Password: relay.password}, ""},
			{"wrong password", email.Server{Host: relay.host, Port: relay.port, Security: email.SecurityStartTLS, Username: relay.user, Password: "hunter2-wrong"}, "535"},
			{"tls against starttls", email.Server{Host: relay.host, Port: relay.port, Security: email.SecurityTLS, Username: relay.user, Password: "hunter2-wrong"}, "hello"},
			{"no relay", email.Server{}, "mailsend.no_relay"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				mb := addMailbox(t, e.db, &email.Mailbox{Address: strings.ReplaceAll(tc.name, " ", "-") + "@desk.test", SMTP: tc.server})
				err := e.sender.TestSMTP(e.admin, mb.ID)
				if tc.wantErr == "" {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				var de *desk.Error
				if err == nil || desk.ErrorCode(err) != desk.EUNPROCESSABLE {
					t.Fatalf("err %v", err)
				}
				de, _ = err.(*desk.Error)
				text := de.Msg.Key + " " + strings.Join(anyStrings(de.Msg.Args), " ")
				if !strings.Contains(text, tc.wantErr) || strings.Contains(text, "hunter2") {
					t.Errorf("error %q, want it to hold %q and no password", text, tc.wantErr)
				}
			})
		}
	})
}

func anyStrings(a []any) []string {
	out := []string{}
	for _, v := range a {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// A bounce of a sent mail marks it failed with the recipient, the status
// and the server's words; a delay report changes nothing.
func TestBounceMarksMailFailed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newSendEnv(t, b, email.SenderConfig{})
		e.mailbox(email.Server{})
		tk := e.emailTicket("Printer", "ravi@customer.example")
		m := e.reply(tk, "Try this.")
		o := e.waitMail(m, email.DeliverySent)
		for _, f := range []struct {
			name   string
			status string
		}{{"bounce-delayed.eml", email.DeliverySent}, {"bounce-postfix-user-unknown.eml", email.DeliveryFailed}} {
			raw := fixture(t, f.name)
			raw = bytes.ReplaceAll(raw, []byte("sahayak.44.11.1234567890abcdef12@desk.example.org"), []byte(o.RFCMessageID))
			raw = bytes.ReplaceAll(raw, []byte("sahayak.42.7.aabbccddeeff001122@desk.example.org"), []byte(o.RFCMessageID))
			ok, err := e.sender.HandleBounce(context.Background(), raw)
			if err != nil || !ok {
				t.Fatalf("%s: %v %v", f.name, ok, err)
			}
			got, _ := e.db.Outbound(context.Background(), o.ID)
			if got.Status != f.status {
				t.Errorf("%s: status %s, want %s", f.name, got.Status, f.status)
			}
		}
		got, _ := e.db.Outbound(context.Background(), o.ID)
		if !strings.Contains(got.Reason, "5.1.1") || !strings.Contains(got.Reason, "User unknown") {
			t.Errorf("reason %q", got.Reason)
		}
		// A bounce of someone else's mail is not ours.
		if ok, err := e.sender.HandleBounce(context.Background(), fixture(t, "bounce-exchange-headers-only.eml")); ok || err != nil {
			t.Errorf("foreign bounce: %v %v", ok, err)
		}
	})
}

// The loop guard: more mail to one address in the window than the limit
// fails, counted in the database (so across nodes).
func TestLoopGuard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newSendEnv(t, b, email.SenderConfig{LoopLimit: 2})
		e.mailbox(email.Server{})
		tk := e.emailTicket("Loop", "bot@customer.test")
		var last *ticket.Message
		for i := 0; i < 3; i++ {
			last = e.reply(tk, "Reply")
			if i < 2 {
				e.waitMail(last, email.DeliverySent)
			}
		}
		o := e.waitMail(last, email.DeliveryFailed)
		if !strings.Contains(o.Reason, "loop guard") {
			t.Errorf("reason %q", o.Reason)
		}
	})
}

// With a DKIM key the mail carries a signature that verifies against the
// public key published for the selector.
func TestDKIMSignature(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newSendEnv(t, b, email.SenderConfig{})
		mb := e.mailbox(email.Server{})
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		der, _ := x509.MarshalPKCS8PrivateKey(priv)
		key := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		if err := e.db.PutMailboxDKIM(context.Background(), &email.DKIM{MailboxID: mb.ID, Domain: "desk.test",
			Selector: "s2026", Key: key, UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		tk := e.emailTicket("Signed", "priya@customer.test")
		o := e.waitMail(e.reply(tk, "Signed reply"), email.DeliverySent)
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(o.Raw), &dkim.VerifyOptions{LookupTXT: func(domain string) ([]string, error) {
			if domain != "s2026._domainkey.desk.test" {
				t.Errorf("lookup %s", domain)
			}
			return []string{"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}, nil
		}})
		if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "desk.test" {
			t.Fatalf("verify: %v %+v", err, vs)
		}
	})
}

// The inbound limit per sender is counted in the database: a second
// sender (a second node's view) shares the count.
func TestAllowInbound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newSendEnv(t, b, email.SenderConfig{InboundLimit: 3})
		other, err := email.NewSender(e.db, e.blobs, storetest.Queue(t, e.db, jobs.Config{Logger: quiet}), event.NewBus(),
			desk.SystemClock{}, quiet, email.SenderConfig{InboundLimit: 3})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for i, s := range []*email.Sender{e.sender, other, e.sender, other} {
			ok, err := s.AllowInbound(ctx, "Bot@Loop.example")
			if err != nil || ok != (i < 3) {
				t.Errorf("mail %d: allowed %v (%v)", i+1, ok, err)
			}
		}
		if ok, _ := other.AllowInbound(ctx, "person@customer.test"); !ok {
			t.Error("another sender was limited")
		}
	})
}

// Through ingest with the hooks installed (as the app does): a bounce of
// our mail marks it failed and opens no ticket; a sender past the limit is
// recorded but opens no ticket either.
func TestIngestHooks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newSendEnv(t, b, email.SenderConfig{InboundLimit: 3})
		e.mail.SetHooks(email.Hooks{Bounce: e.sender.HandleBounce, AllowSender: e.sender.AllowInbound})
		e.mailbox(email.Server{})
		tk := e.emailTicket("Printer", "ravi@customer.example")
		o := e.waitMail(e.reply(tk, "Try this."), email.DeliverySent)
		raw := bytes.ReplaceAll(fixture(t, "bounce-postfix-user-unknown.eml"),
			[]byte("sahayak.42.7.aabbccddeeff001122@desk.example.org"), []byte(o.RFCMessageID))
		res, err := e.mail.Ingest(context.Background(), e.mb.ID, bytes.NewReader(raw), email.Source{Kind: "inject"})
		if err != nil || res.Outcome != email.OutcomeBounce || res.TicketID != 0 {
			t.Fatalf("bounce: %+v %v", res, err)
		}
		if got, _ := e.db.Outbound(context.Background(), o.ID); got.Status != email.DeliveryFailed || !strings.Contains(got.Reason, "5.1.1") {
			t.Errorf("after the bounce: %+v", got)
		}
		var outcomes []string
		for i := 0; i < 4; i++ {
			m := "From: bot@loop.example\r\nTo: support@desk.test\r\nSubject: Ticket received\r\nMessage-ID: <loop" +
				strconv.Itoa(i) + "@loop.example>\r\n\r\nWe got your mail.\r\n"
			res, err := e.mail.Ingest(context.Background(), e.mb.ID, strings.NewReader(m), email.Source{Kind: "inject"})
			if err != nil {
				t.Fatal(err)
			}
			outcomes = append(outcomes, res.Outcome)
		}
		if outcomes[2] == email.OutcomeRateLimited || outcomes[3] != email.OutcomeRateLimited {
			t.Errorf("outcomes %v, want the 4th rate_limited", outcomes)
		}
	})
}

// Replies written together go out in batches (a job for several mails of a
// mailbox). While the relay answers 451 every mail waits for the next run;
// a recipient the relay refuses fails alone; once the relay takes mail,
// each of the others is handed over exactly once.
func TestBatchSendsEachMailOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		relay := newSink(t, "none", nil)
		e := newSendEnv(t, b, email.SenderConfig{MaxAttempts: 50, Timeout: 2 * time.Second})
		e.mailbox(email.Server{Host: relay.host, Port: relay.port, Security: email.SecurityNone, Username: relay.user,
			Password: relay.password})
		relay.setRefuse(451)
		relay.mu.Lock()
		relay.refuseRcpt = "c3@customer.test"
		relay.mu.Unlock()
		var msgs []*ticket.Message
		for i := range 6 {
			tk := e.emailTicket("Order "+strconv.Itoa(i), "c"+strconv.Itoa(i)+"@customer.test")
			msgs = append(msgs, e.reply(tk, "It ships today."))
		}
		deadline := time.Now().Add(waitFor)
		for {
			list, err := e.db.OutboundList(context.Background(), 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			tried := 0
			for _, o := range list {
				if o.Attempts >= 1 {
					tried++
				}
			}
			if tried == len(msgs) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("not every mail was tried: %+v", list)
			}
			time.Sleep(10 * time.Millisecond)
		}
		relay.setRefuse(0)
		for i, m := range msgs {
			if i == 3 {
				o := e.waitMail(m, email.DeliveryFailed)
				if !strings.Contains(o.Reason, "550") {
					t.Errorf("refused recipient: %+v", o)
				}
				continue
			}
			if o := e.waitMail(m, email.DeliverySent); o.Batch == 0 {
				t.Errorf("reply mail %d was sent without a batch", o.ID)
			}
		}
		got := relay.received()
		seen := map[string]bool{}
		for _, s := range got {
			if len(s.to) != 1 || seen[s.to[0]] {
				t.Errorf("mail to %v handed over again (or to several)", s.to)
			}
			seen[s.to[0]] = true
		}
		if len(got) != 5 || seen["c3@customer.test"] {
			t.Errorf("the relay got %d mails (%v), want 5, none to c3", len(got), seen)
		}
	})
}
