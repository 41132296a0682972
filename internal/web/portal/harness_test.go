package portal_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/csat"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/i18n"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/portal"
	"github.com/sahayak/sahayak/internal/ratelimit"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
	"github.com/sahayak/sahayak/internal/web"
	webportal "github.com/sahayak/sahayak/internal/web/portal"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testDesk is a help desk with a mailbox (no relay: mail stays in the
// outbox), the portal mounted in the agents' server as internal/app mounts
// it, and a clock the tests move.
type testDesk struct {
	t       testing.TB
	db      *store.DB
	clock   *storetest.Clock
	tickets *ticket.Service
	people  *people.Service
	csat    *csat.Service
	portal  *portal.Service
	blobs   *blob.Store
	handler *webportal.Handler
	url     string
	sys     context.Context
}

func newDesk(t testing.TB, b storetest.Backend) *testDesk {
	db := storetest.Open(t, b)
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Minute))
	bus := event.NewBus()
	q := storetest.Queue(t, db, jobs.Config{Logger: quiet})
	blobs := blob.New(t.TempDir())
	sender, err := email.NewSender(db, blobs, q, bus, clock, quiet, email.SenderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	sys := desk.WithActor(context.Background(), desk.System)
	mb := &email.Mailbox{Address: "support@desk.test", Name: "Support", Active: true, CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	mb.IMAP.Folder, mb.IMAP.Security, mb.SMTP.Security = "INBOX", email.SecurityTLS, email.SecurityStartTLS
	if err := db.CreateMailbox(sys, mb, audit.New(sys, clock.Now(), audit.MailboxCreated, "mailbox", 0, nil)); err != nil {
		t.Fatal(err)
	}
	d := &testDesk{t: t, db: db, clock: clock, tickets: ticket.NewService(db, db, bus, clock),
		people: people.NewService(db, clock), sys: sys, blobs: blobs}
	d.csat = csat.New(db, sender, bus, clock, quiet, i18n.Builtin().T, csat.Config{PublicURL: "https://help.desk.test"})
	d.portal = portal.New(db, sender, ratelimit.New(5, db, quiet), ratelimit.New(1000, db, quiet), clock, quiet,
		i18n.Builtin().T, portal.Config{PublicURL: "https://help.desk.test"})
	ph, err := webportal.New(webportal.Deps{Log: quiet, Portal: d.portal, Tickets: d.tickets, CSAT: d.csat,
		Blobs: blobs, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	d.handler = ph
	srv, err := web.New(web.Deps{Log: quiet, Tickets: d.tickets, People: d.people, Access: access.NewService(db, clock),
		Blobs: blobs, Bus: bus, DB: db, Clock: clock, Portal: ph})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	d.url = hs.URL
	return d
}

// eachBackend runs fn in parallel subtests, one per backend, each with a
// fresh desk.
func eachBackend(t *testing.T, fn func(t *testing.T, d *testDesk)) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, newDesk(t, b))
		})
	}
}

func (d *testDesk) organization(name string, shares bool) *people.Organization {
	d.t.Helper()
	o, err := d.people.CreateOrganization(d.sys, people.OrganizationInput{Name: &name, PortalSharesTickets: &shares})
	if err != nil {
		d.t.Fatal(err)
	}
	return o
}

func (d *testDesk) contact(name, addr string, org *people.Organization) *people.Contact {
	d.t.Helper()
	in := people.ContactInput{Name: &name, Emails: &[]string{addr}}
	if org != nil {
		in.OrganizationID = &org.ID
	}
	c, err := d.people.CreateContact(d.sys, in)
	if err != nil {
		d.t.Fatal(err)
	}
	return c
}

// open opens a ticket for a requester (as the desk would from mail).
func (d *testDesk) open(subject, requester string) *ticket.Ticket {
	d.t.Helper()
	tk, err := d.tickets.Create(d.sys, ticket.NewTicket{Subject: subject, Body: "Help with " + subject,
		Requester: ticket.Person{Email: requester}, Channel: "email"})
	if err != nil {
		d.t.Fatal(err)
	}
	return tk
}

// signInMails are the sign-in mails in the outbox, newest first.
func (d *testDesk) signInMails() []*email.Outbound {
	d.t.Helper()
	list, err := d.db.OutboundList(context.Background(), 0, 100)
	if err != nil {
		d.t.Fatal(err)
	}
	var out []*email.Outbound
	for _, o := range list {
		if o.Purpose == portal.PurposeSignIn {
			full, err := d.db.Outbound(context.Background(), o.ID)
			if err != nil {
				d.t.Fatal(err)
			}
			out = append(out, full)
		}
	}
	return out
}

var linkRE = regexp.MustCompile(`https://help\.desk\.test(/portal/signin/psl_[A-Za-z0-9_-]+)`)

// linkIn reads the sign-in link's path out of a mail.
func linkIn(t testing.TB, o *email.Outbound) string {
	t.Helper()
	text, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(o.Raw)))
	if err != nil {
		t.Fatal(err)
	}
	m := linkRE.FindSubmatch(text)
	if m == nil {
		t.Fatalf("no sign-in link in mail:\n%s", text)
	}
	return string(m[1])
}

// browser is a customer's browser: its own cookies, and the CSRF value of
// the last page it read.
type browser struct {
	t    testing.TB
	d    *testDesk
	c    *http.Client
	csrf string
	lang string
}

func (d *testDesk) browser(lang string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: d.t, d: d, lang: lang, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// page is an answer: its status, where it redirects, and its body.
type page struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	p := page{Status: res.StatusCode, Location: res.Header.Get("Location"), Body: string(body), Header: res.Header}
	if m := csrfRE.FindStringSubmatch(p.Body); m != nil {
		b.csrf = m[1]
	}
	return p
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.d.url+path, nil)
	return b.do(req)
}

// post sends a form with the page's CSRF value (unless the form names its
// own "csrf").
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.d.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// upload sends a multipart form, csrf first as a form puts it, with files
// by name.
func (b *browser) upload(path string, fields [][2]string, files map[string]string) page {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	hasCSRF := false
	for _, f := range fields {
		hasCSRF = hasCSRF || f[0] == "csrf"
	}
	if !hasCSRF {
		mw.WriteField("csrf", b.csrf)
	}
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	for name, content := range files {
		w, _ := mw.CreateFormFile("files", name)
		io.WriteString(w, content)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.d.url+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// signIn takes a customer from the portal's front page to their tickets
// through a mailed link.
func (b *browser) signIn(addr string) {
	b.t.Helper()
	before := len(b.d.signInMails())
	b.get("/portal")
	if p := b.post("/portal/link", url.Values{"email": {addr}}); p.Status != http.StatusSeeOther {
		b.t.Fatalf("ask for a link: %d %s", p.Status, p.Body)
	}
	mails := b.d.signInMails()
	if len(mails) != before+1 {
		b.t.Fatalf("%d sign-in mails, want %d", len(mails), before+1)
	}
	link := linkIn(b.t, mails[0])
	b.get(link)
	if p := b.post(link, nil); p.Status != http.StatusSeeOther || p.Location != "/portal/tickets" {
		b.t.Fatalf("sign in: %d %q %s", p.Status, p.Location, p.Body)
	}
	b.get("/portal/tickets")
}
