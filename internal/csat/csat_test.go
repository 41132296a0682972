package csat_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/csat"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/i18n"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// desk is a help desk with a mailbox (no relay: its mail stays in the
// outbox), the mail sender running on a started job queue, and surveys.
type testDesk struct {
	t       *testing.T
	db      *store.DB
	clock   *storetest.Clock
	tickets *ticket.Service
	people  *people.Service
	surveys *csat.Service
	sys     context.Context
}

func newDesk(t *testing.T, b storetest.Backend) *testDesk {
	db := storetest.Open(t, b)
	clock := storetest.NewClock(time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	bus := event.NewBus()
	ctx, cancel := context.WithCancel(context.Background())
	q := storetest.Queue(t, db, jobs.Config{Logger: quiet, PollInterval: 20 * time.Millisecond, MaxWorkers: 2})
	sender, err := email.NewSender(db, blob.New(t.TempDir()), q, bus, clock, quiet, email.SenderConfig{Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	sys := desk.WithActor(context.Background(), desk.System)
	mb := &email.Mailbox{Address: "support@desk.test", Name: "Support", Active: true, CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	mb.IMAP.Folder, mb.IMAP.Security, mb.SMTP.Security = "INBOX", email.SecurityTLS, email.SecurityStartTLS
	if err := db.CreateMailbox(sys, mb, audit.New(sys, clock.Now(), audit.MailboxCreated, "mailbox", 0, nil)); err != nil {
		t.Fatal(err)
	}
	return &testDesk{t: t, db: db, clock: clock, tickets: ticket.NewService(db, db, bus, clock),
		people: people.NewService(db, clock), sys: sys,
		surveys: csat.New(db, sender, bus, clock, quiet, i18n.Builtin().T, csat.Config{PublicURL: "https://help.desk.test/",
			LinkFor: 10 * 24 * time.Hour, ChangeFor: 2 * 24 * time.Hour})}
}

func (d *testDesk) open(subject, email string) *ticket.Ticket {
	d.t.Helper()
	tk, err := d.tickets.Create(d.sys, ticket.NewTicket{Subject: subject, Body: "Help, please.",
		Requester: ticket.Person{Email: email, Name: "Priya"}})
	if err != nil {
		d.t.Fatal(err)
	}
	return tk
}

func (d *testDesk) setStatus(id int64, status string) {
	d.t.Helper()
	if _, err := d.tickets.Update(d.sys, id, ticket.Patch{Status: &status}); err != nil {
		d.t.Fatalf("ticket %d to %s: %v", id, status, err)
	}
}

// dispatch runs the survey consumer until it has read every event: on
// PostgreSQL an event is read only once every older transaction of the
// cluster has ended.
func (d *testDesk) dispatch() {
	d.t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if err := d.surveys.Dispatch(ctx); err != nil {
			d.t.Fatal(err)
		}
		last, err := d.db.LastEventID(ctx)
		if err != nil {
			d.t.Fatal(err)
		}
		if at, err := d.db.EventCursor(ctx, csat.Consumer); err != nil || at == last {
			return
		}
	}
	d.t.Fatal("the survey consumer did not catch up")
}

// surveyMails answers the outbox's survey mails, waiting (a little) for
// the send job to keep each one.
func (d *testDesk) surveyMails(want int) []*email.Outbound {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, err := d.db.OutboundList(context.Background(), 0, 100)
		if err != nil {
			d.t.Fatal(err)
		}
		var out []*email.Outbound
		sent := 0
		for _, o := range list {
			if o.Purpose == email.PurposeSurvey {
				out = append(out, o)
				if o.Status == email.DeliverySent {
					sent++
				}
			}
		}
		if len(out) > want || sent == want || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var tokenRE = regexp.MustCompile(`https://help\.desk\.test/survey/(csat_[A-Za-z0-9_-]+)\?rating=5`)

// A ticket solved for the first time sends its requester one survey, in
// their language, by mail through the outbox; solving it again sends none.
// The link takes a rating and a comment, which may be changed for a while,
// each answer an event on the ticket; then the answer is final, and the
// link expires. A link that was never issued finds nothing.
func TestSolvedTicketsAreSurveyedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		d := newDesk(t, b)
		ctx := context.Background()
		lang := "hi"
		if _, err := d.people.CreateContact(d.sys, people.ContactInput{Name: new("Priya"),
			Emails: &[]string{"priya@customer.test"}, Language: &lang}); err != nil {
			t.Fatal(err)
		}
		tk := d.open("Refund not received", "priya@customer.test")
		d.dispatch()
		if got := d.surveyMails(0); len(got) != 0 {
			t.Fatalf("an open ticket was surveyed: %d mails", len(got))
		}
		if sv, err := d.surveys.ForTicket(ctx, tk.ID); err != nil || sv != nil {
			t.Fatalf("survey of an open ticket: %v %v", sv, err)
		}

		d.setStatus(tk.ID, "solved")
		d.dispatch()
		d.dispatch() // nothing new: nothing more
		mails := d.surveyMails(1)
		if len(mails) != 1 {
			t.Fatalf("%d survey mails after solving, want 1", len(mails))
		}
		m, err := d.db.Outbound(ctx, mails[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		raw := string(m.Raw)
		if m.Recipients[0] != "priya@customer.test" || m.TicketID != tk.ID || m.Status != email.DeliverySent ||
			m.Relay != email.RelayOutbox {
			t.Fatalf("survey mail: to %v ticket %d status %s relay %q", m.Recipients, m.TicketID, m.Status, m.Relay)
		}
		body := decodedBody(t, raw)
		if !strings.Contains(body, "संतुष्ट") || !strings.Contains(body, "#"+itoa(tk.ID)) {
			t.Fatalf("the survey mail is not in the customer's language or lacks the ticket:\n%s", body)
		}
		match := tokenRE.FindStringSubmatch(body)
		if match == nil {
			t.Fatalf("no survey link in the mail:\n%s", body)
		}
		token := match[1]

		// Reopened and solved again: still the one survey.
		d.setStatus(tk.ID, "open")
		d.setStatus(tk.ID, "solved")
		d.dispatch()
		if got := d.surveyMails(1); len(got) != 1 {
			t.Fatalf("%d survey mails after solving twice, want 1", len(got))
		}

		sv, err := d.surveys.ForTicket(ctx, tk.ID)
		if err != nil || sv.Status(d.clock.Now()) != csat.StatusSent || sv.Language != "hi" {
			t.Fatalf("survey before an answer: %+v %v", sv, err)
		}
		for _, bad := range []struct {
			token  string
			rating int
			code   string
		}{
			{token, 0, desk.EINVALID},
			{token, 6, desk.EINVALID},
			{"csat_never-issued", 4, desk.ENOTFOUND},
			{"not-a-survey-token", 4, desk.ENOTFOUND},
			{strings.Repeat("csat_", 40), 4, desk.ENOTFOUND},
		} {
			if _, err := d.surveys.Answer(ctx, bad.token, bad.rating, ""); desk.ErrorCode(err) != bad.code {
				t.Errorf("answer %q rating %d: %v, want %s", bad.token, bad.rating, err, bad.code)
			}
		}

		if _, err := d.surveys.Answer(ctx, token, 4, "  Quick, but the refund took a week.  "); err != nil {
			t.Fatal(err)
		}
		d.clock.Advance(24 * time.Hour)
		if _, err := d.surveys.Answer(ctx, token, 5, "They called me back. Thank you!"); err != nil {
			t.Fatalf("a change within the window: %v", err)
		}
		sv, _ = d.surveys.ForTicket(ctx, tk.ID)
		if sv.Status(d.clock.Now()) != csat.StatusAnswered || *sv.Rating != 5 || sv.Comment != "They called me back. Thank you!" ||
			!sv.AnsweredAt.Equal(time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)) {
			t.Fatalf("survey after the change: rating %v comment %q answered %v", sv.Rating, sv.Comment, sv.AnsweredAt)
		}
		var ratings []string
		evs, err := d.tickets.Events(d.sys, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Kind != csat.Rated {
				continue
			}
			var data struct {
				Rating   int  `json:"rating"`
				Previous *int `json:"previous"`
			}
			if err := json.Unmarshal(e.Data, &data); err != nil || e.ActorKind != desk.ActorContact {
				t.Fatalf("rated event %s by %s: %v", e.Data, e.ActorKind, err)
			}
			prev := "none"
			if data.Previous != nil {
				prev = itoa(int64(*data.Previous))
			}
			ratings = append(ratings, prev+"→"+itoa(int64(data.Rating)))
		}
		if strings.Join(ratings, " ") != "none→4 4→5" {
			t.Fatalf("rated events %v, want none→4 then 4→5", ratings)
		}

		d.clock.Advance(25 * time.Hour) // past the two days of changes
		if _, err := d.surveys.Answer(ctx, token, 1, "changed my mind"); desk.ErrorCode(err) != desk.EUNPROCESSABLE {
			t.Fatalf("a change after the window: %v, want unprocessable", err)
		}

		// Another ticket, never answered: its link expires.
		other := d.open("Second question", "priya@customer.test")
		d.setStatus(other.ID, "solved")
		d.dispatch()
		mails = d.surveyMails(2)
		if len(mails) != 2 {
			t.Fatalf("%d survey mails, want 2", len(mails))
		}
		d.clock.Advance(11 * 24 * time.Hour)
		sv, _ = d.surveys.ForTicket(ctx, other.ID)
		if sv.Status(d.clock.Now()) != csat.StatusExpired {
			t.Fatalf("an unanswered survey past its link's life is %s", sv.Status(d.clock.Now()))
		}
	})
}

// A desk without a mailbox still records the survey (the portal and the
// ticket page show it) but sends no mail.
func TestSurveyWithoutAMailboxIsKeptUnmailed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		d := newDesk(t, b)
		if err := d.db.DeleteMailbox(d.sys, 1, 0, audit.New(d.sys, d.clock.Now(), audit.MailboxDeleted, "mailbox", 1, nil)); err != nil {
			t.Fatal(err)
		}
		tk := d.open("No mailbox here", "bala@customer.test")
		d.setStatus(tk.ID, "solved")
		d.dispatch()
		sv, err := d.surveys.ForTicket(context.Background(), tk.ID)
		if err != nil || sv == nil || sv.OutboundID != nil || sv.Language != "en" {
			t.Fatalf("survey without a mailbox: %+v %v", sv, err)
		}
		if got := d.surveyMails(0); len(got) != 0 {
			t.Fatalf("%d survey mails without a mailbox", len(got))
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// decodedBody is the text of a mail's plain-text part, transfer encoding
// undone.
func decodedBody(t *testing.T, raw string) string {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var read func(h textproto.MIMEHeader, r io.Reader) string
	read = func(h textproto.MIMEHeader, r io.Reader) string {
		mt, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(r, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err != nil {
					return ""
				}
				if s := read(p.Header, p); s != "" {
					return s
				}
			}
		}
		if mt != "" && mt != "text/plain" {
			return ""
		}
		switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			r = quotedprintable.NewReader(r)
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, r)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	return read(textproto.MIMEHeader(msg.Header), msg.Body)
}
