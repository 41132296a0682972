package email_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

type desk_ struct {
	db      *store.DB
	tickets *ticket.Service
	mail    *email.Service
	box     *email.Mailbox
	blobDir string
}

func system() context.Context { return desk.WithActor(context.Background(), desk.System) }

func newDesk(t testing.TB, b storetest.Backend) *desk_ {
	db := storetest.Open(t, b)
	clock := desk.SystemClock{}
	d := &desk_{db: db, tickets: ticket.NewService(db, db, event.NewBus(), clock), blobDir: t.TempDir()}
	d.mail = email.New(db, d.tickets, blob.New(d.blobDir), clock, slog.New(slog.NewTextHandler(io.Discard, nil)),
		email.Config{MaxSize: 4 << 20})
	addr := "support@acme.test"
	box, err := d.mail.Create(system(), email.Input{Address: &addr})
	if err != nil {
		t.Fatal(err)
	}
	d.box = box
	return d
}

func (d *desk_) ingest(t testing.TB, raw string) *email.Result {
	t.Helper()
	res, err := d.mail.Ingest(context.Background(), d.box.ID, strings.NewReader(raw), email.Source{Kind: "test"})
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return res
}

func inboundFixture(t testing.TB, name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", "inbound", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mailFrom(from, subject, id, extra, body string) string {
	return fmt.Sprintf("From: %s\r\nTo: support@acme.test\r\nSubject: %s\r\nMessage-ID: <%s>\r\n%s\r\n%s\r\n", from, subject, id, extra, body)
}

// New mail opens a ticket (contact created, organization by domain,
// channel email, the mailbox's team); replies land on it by Message-ID,
// In-Reply-To, References, the subject token or a plus-address of a
// participant — never by subject text alone; Cc'd people follow; a reply
// to a closed ticket opens a linked follow-up; the same message twice is
// recorded once. On SQLite and, when configured, PostgreSQL.
func TestIngestThreads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		d := newDesk(t, b)
		ctx := system()
		name, dom := "Example India", []string{"example.in"}
		org, err := people.NewService(d.db, desk.SystemClock{}).CreateOrganization(ctx, people.OrganizationInput{Name: &name, Domains: &dom})
		if err != nil {
			t.Fatal(err)
		}
		first := d.ingest(t, inboundFixture(t, "gmail_new.eml"))
		if first.Outcome != email.OutcomeNewTicket || first.Duplicate || first.TicketID == 0 {
			t.Fatalf("first: %+v", first)
		}
		tk, err := d.tickets.Get(ctx, first.TicketID)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Channel != "email" || tk.Requester.Email != "priya@example.in" || tk.OrganizationID == nil || *tk.OrganizationID != org.ID ||
			tk.Subject != "Cannot log in to my account" {
			t.Fatalf("ticket: %+v", tk)
		}
		if box, _ := d.db.TicketMailbox(ctx, tk.ID); box == nil || *box != d.box.ID {
			t.Fatalf("ticket mailbox %v", box)
		}
		again := d.ingest(t, inboundFixture(t, "gmail_new.eml"))
		if !again.Duplicate || again.TicketID != tk.ID || again.InboundID != first.InboundID {
			t.Fatalf("same message again: %+v", again)
		}
		// Our reply's Message-ID, as mail-out records it.
		err = d.db.InTx(ctx, func(tx ticket.Tx) error {
			return tx.(email.Tx).AddMessageIDs(ctx, []email.MessageIDRecord{{MailboxID: d.box.ID,
				MessageID: "sahayak.101.7.abc@acme.test", TicketID: tk.ID, Direction: "out"}}, tk.CreatedAt)
		})
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name, raw string
			want      string // outcome
			same      bool   // on the first ticket
		}{
			{"a reply by In-Reply-To to our mail", inboundFixture(t, "gmail_reply.eml"), email.OutcomeReply, true},
			{"a reply by References only", mailFrom("priya@example.in", "Re: something", "r2@example.in",
				"References: <unknown@x> <CAJx1=abc123@mail.gmail.com>\r\n", "by references"), email.OutcomeReply, true},
			{"headers dropped: the subject token of a participant", inboundFixture(t, "outlook_headers_dropped.eml"), email.OutcomeReply, true},
			{"the token from a stranger is not enough", mailFrom("mallory@evil.example", "Re: [#TICKET] gimme", "m1@evil.example",
				"", "hijack"), email.OutcomeNewTicket, false},
			{"the same subject text alone is not a reply", mailFrom("priya@example.in", "Cannot log in to my account",
				"s1@example.in", "", "same words"), email.OutcomeNewTicket, false},
			{"a plus-address of a participant", mailFrom("priya@example.in", "about my issue", "plus-1@example.in", "", "by plus"),
				email.OutcomeReply, true},
		}
		for _, s := range steps {
			raw := strings.ReplaceAll(s.raw, "#101", fmt.Sprintf("#%d", tk.ID))
			raw = strings.ReplaceAll(raw, "#TICKET", fmt.Sprintf("#%d", tk.ID))
			if s.name == "a plus-address of a participant" {
				raw = strings.Replace(raw, "To: support@acme.test", fmt.Sprintf("To: support+t%d@acme.test", tk.ID), 1)
			}
			if strings.Contains(s.name, "In-Reply-To") {
				raw = strings.ReplaceAll(raw, "sahayak.101.", "sahayak.101.") // our id is recorded for this ticket already
			}
			res := d.ingest(t, raw)
			if res.Outcome != s.want || (res.TicketID == tk.ID) != s.same {
				t.Errorf("%s: %+v (first ticket %d)", s.name, res, tk.ID)
			}
		}
		msgs, err := d.tickets.Messages(ctx, tk.ID)
		if err != nil || len(msgs) != 5 {
			t.Fatalf("first ticket's thread: %d messages (%v)", len(msgs), err)
		}

		// Cc'd people follow the conversation and may answer it.
		cc := d.ingest(t, inboundFixture(t, "cc_people.eml"))
		to, ccs, err := d.db.MailRecipients(ctx, cc.TicketID)
		if err != nil || to != "priya@example.in" || strings.Join(ccs, ",") != "amit@example.in,sunita@example.in" {
			t.Fatalf("recipients %q %q %v", to, ccs, err)
		}
		reply := d.ingest(t, mailFrom("Amit Verma <amit@example.in>", "Re: Team access", "amit-1@example.in",
			"In-Reply-To: <cc-1@example.in>\r\n", "Thanks!"))
		if reply.Outcome != email.OutcomeReply || reply.TicketID != cc.TicketID {
			t.Fatalf("a follower's reply: %+v", reply)
		}

		// A reply to a closed ticket opens a follow-up linked to it.
		closed := "closed"
		if _, err := d.tickets.Update(ctx, cc.TicketID, ticket.Patch{Status: &closed}); err != nil {
			t.Fatal(err)
		}
		late := d.ingest(t, mailFrom("priya@example.in", "Re: Team access", "late-1@example.in", "In-Reply-To: <cc-1@example.in>\r\n",
			"One more thing"))
		if late.Outcome != email.OutcomeFollowUp || late.TicketID == cc.TicketID {
			t.Fatalf("reply to a closed ticket: %+v", late)
		}
		links, err := d.tickets.Links(ctx, late.TicketID)
		if err != nil || len(links) != 1 || links[0].OtherID != cc.TicketID {
			t.Fatalf("follow-up links %+v %v", links, err)
		}
		// And a reply to the follow-up's mail lands on the follow-up.
		next := d.ingest(t, mailFrom("priya@example.in", "Re: Team access", "late-2@example.in", "In-Reply-To: <late-1@example.in>\r\n", "ok"))
		if next.TicketID != late.TicketID || next.Outcome != email.OutcomeReply {
			t.Fatalf("reply to the follow-up: %+v", next)
		}
	})
}

// Bad input has a clear outcome and loses nothing: every fixture of the
// corpus becomes a ticket (or, from our own address, is recorded and
// ignored), with its text clean enough for both databases, its files
// downloadable from the blob store, and warnings on the ticket.
func TestIngestCorpusOnBothDatabases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		d := newDesk(t, b)
		ctx := system()
		all, _ := filepath.Glob(filepath.Join("testdata", "inbound", "*.eml"))
		for _, f := range all {
			res := d.ingest(t, inboundFixture(t, filepath.Base(f)))
			name := filepath.Base(f)
			if name == "from_own_mailbox.eml" {
				if res.Outcome != email.OutcomeLoop {
					t.Errorf("%s: %+v", name, res)
				}
				continue
			}
			if res.TicketID == 0 || res.Outcome == email.OutcomeFailed {
				t.Errorf("%s: %+v", name, res)
				continue
			}
			msgs, err := d.tickets.Messages(ctx, res.TicketID)
			if err != nil || len(msgs) == 0 {
				t.Errorf("%s: messages %v", name, err)
				continue
			}
			m := msgs[len(msgs)-1]
			if strings.ContainsRune(m.BodyText, 0) || strings.Contains(m.BodyHTML, "<script") || strings.Contains(m.BodyHTML, "onclick") {
				t.Errorf("%s: unclean body %q / %q", name, m.BodyText, m.BodyHTML)
			}
			for _, a := range m.Attachments {
				f, err := blob.New(d.blobDir).Open(a.SHA256)
				if err != nil {
					t.Errorf("%s: attachment %s: %v", name, a.Filename, err)
					continue
				}
				f.Close()
			}
			in, err := d.db.InboundMail(ctx, res.InboundID)
			if err != nil || in.State != email.StateDone {
				t.Errorf("%s: inbound record %+v %v", name, in, err)
			}
			if name == "no_from.eml" {
				tk, _ := d.tickets.Get(ctx, res.TicketID)
				if tk.Requester.Email != "unknown-sender@sahayak.invalid" || !contains(res.Warnings, "no_sender") {
					t.Errorf("no sender: %+v %v", tk.Requester, res.Warnings)
				}
			}
		}
		big := mailFrom("big@example.com", "big", "big@example.com", "", strings.Repeat("x", 5<<20))
		if _, err := d.mail.Ingest(ctx, d.box.ID, strings.NewReader(big), email.Source{Kind: "test"}); desk.ErrorCode(err) != desk.ETOOLARGE {
			t.Errorf("oversize: %v", err)
		}
	})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Many deliveries of the same messages at once (an MTA retrying, two IMAP
// pollers, two nodes) make one ticket per message.
func TestIngestConcurrentDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		d := newDesk(t, b)
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10; i++ {
					raw := mailFrom(fmt.Sprintf("c%d@example.com", i), fmt.Sprintf("m%d", i), fmt.Sprintf("dup-%d@example.com", i), "", "hi")
					if _, err := d.mail.Ingest(context.Background(), d.box.ID, bytes.NewReader([]byte(raw)), email.Source{Kind: "test"}); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		page, err := d.tickets.List(system(), ticket.Filter{Limit: 100})
		if err != nil || len(page.Tickets) != 10 {
			t.Fatalf("%d tickets, want 10 (%v)", len(page.Tickets), err)
		}
	})
}

// The hourly blob collector keeps raw messages: their records refer to them.
func TestRawMessagesAreReferenced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		d := newDesk(t, b)
		res := d.ingest(t, inboundFixture(t, "gmail_new.eml"))
		in, err := d.db.InboundMail(system(), res.InboundID)
		if err != nil {
			t.Fatal(err)
		}
		refs, err := d.db.ReferencedBlobs(system(), []string{in.RawSHA256, strings.Repeat("0", 64)})
		if err != nil || !refs[in.RawSHA256] || len(refs) != 1 {
			t.Fatalf("referenced %v %v", refs, err)
		}
	})
}
