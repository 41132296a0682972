package email_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Inline images as Apple Mail, Outlook and Gmail send them are kept as
// attachments with their Content-ID, marked inline, and the HTML shows
// them from the attachments' URLs (where the reader's right to the ticket
// is checked) instead of "cid:" references; an ordinary attachment beside
// them stays attached. On both databases.
func TestInlineImagesShown(t *testing.T) {
	cases := []struct {
		file   string
		inline map[string]string // filename → Content-ID
		other  []string          // attached, not inline
	}{
		{file: "apple_mail_inline_image.eml", inline: map[string]string{"screen.png": "photo-1@example.in"}},
		{file: "apple_mail_two_inline_images.eml", inline: map[string]string{"IMG_0001.png": "5C3F1E2D-0001@example.in",
			"IMG_0002.png": "5C3F1E2D-0002@example.in"}},
		{file: "outlook_inline_image.eml", inline: map[string]string{"image001.png": "image001.png@01DB3F2A.5C6D7E80"},
			other: []string{"invoice.pdf"}},
		{file: "gmail_inline_image.eml", inline: map[string]string{"login.png": "ii_lq2x8k3n0"}},
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		d := newDesk(t, b)
		for _, c := range cases {
			res := d.ingest(t, inboundFixture(t, c.file))
			msgs, err := d.tickets.Messages(system(), res.TicketID)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("%s: %v %v", c.file, msgs, err)
			}
			m := msgs[0]
			if strings.Contains(m.BodyHTML, "cid:") {
				t.Errorf("%s: a cid: reference is left: %s", c.file, m.BodyHTML)
			}
			seen := 0
			for _, a := range m.Attachments {
				if cid, ok := c.inline[a.Filename]; ok {
					seen++
					if !a.Inline || a.ContentID != cid {
						t.Errorf("%s: %s inline=%v content_id=%q, want %q", c.file, a.Filename, a.Inline, a.ContentID, cid)
					}
					if !strings.Contains(m.BodyHTML, `src="`+ticket.AttachmentURL(a.ID)+`"`) {
						t.Errorf("%s: %s not shown from its URL: %s", c.file, a.Filename, m.BodyHTML)
					}
					continue
				}
				if !contains(c.other, a.Filename) || a.Inline {
					t.Errorf("%s: unexpected attachment %+v", c.file, a)
				}
			}
			if seen != len(c.inline) || len(m.Attachments) != len(c.inline)+len(c.other) {
				t.Errorf("%s: attachments %+v", c.file, m.Attachments)
			}
			// The download reads the same columns.
			for _, a := range m.Attachments {
				got, err := d.tickets.Attachment(system(), a.ID)
				if err != nil || got.ContentID != a.ContentID || got.Inline != a.Inline {
					t.Errorf("%s: attachment %d read back as %+v, %v", c.file, a.ID, got, err)
				}
			}
		}
	})
}

// LinkInline rewrites only references to attachments it knows, whatever
// the case of the Content-ID or brackets around it, and leaves the rest.
func TestLinkInline(t *testing.T) {
	atts := []ticket.Attachment{{ID: 7, ContentID: "Img.1@x"}, {ID: 8, ContentID: ""}}
	for in, want := range map[string]string{
		`<img src="cid:Img.1@x">`:       `<img src="/api/v1/attachments/7">`,
		`<img src="cid:img.1@X">`:       `<img src="/api/v1/attachments/7">`,
		`<img src="cid:%3CImg.1@x%3E">`: `<img src="/api/v1/attachments/7">`,
		`<img src="cid:other@x">`:       `<img src="cid:other@x">`,
		`<p>cid: is text</p>`:           `<p>cid: is text</p>`,
	} {
		if got := ticket.LinkInline(in, atts); got != want {
			t.Errorf("LinkInline(%s) = %s, want %s", in, got, want)
		}
	}
}

// Machine mail (an out-of-office answer, a list, a notice from the null
// sender) is recorded as such and kept on its ticket, but reopens nothing
// and is never answered automatically: an automation's reply to it is
// withheld, while an automation's reply to a person goes out marked
// Auto-Submitted, and an agent may still answer anyone. On both databases.
func TestAutoRepliesAreNeverAnsweredAutomatically(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := newSendEnv(t, b, email.SenderConfig{})
		e.mailbox(email.Server{})
		tk := e.emailTicket("Printer jams", "priya@customer.test")
		rule := desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorSystem, ID: 1, Name: "Acknowledge"})
		ack, err := e.tickets.AddMessage(rule, tk.ID, ticket.NewMessage{Body: "We have your message."})
		if err != nil {
			t.Fatal(err)
		}
		o := e.waitMail(ack, email.DeliverySent)
		if !strings.Contains(string(o.Raw), "Auto-Submitted: auto-replied") || !strings.Contains(string(o.Raw), "From: \"Support\" <support@desk.test>") {
			t.Errorf("automatic mail not marked or not from the mailbox:\n%s", o.Raw)
		}
		pending := "pending"
		if _, err := e.tickets.Update(e.admin, tk.ID, ticket.Patch{Status: &pending}); err != nil {
			t.Fatal(err)
		}

		// The customer's out-of-office answers the acknowledgement.
		oof := "From: Priya Sharma <priya@customer.test>\r\nTo: support@desk.test\r\nSubject: Automatic reply: " +
			o.Subject + "\r\nMessage-ID: <oof1@customer.test>\r\nIn-Reply-To: <" + o.RFCMessageID +
			">\r\nAuto-Submitted: auto-replied\r\n\r\nI am away until Monday.\r\n"
		res, err := e.mail.Ingest(context.Background(), e.mb.ID, strings.NewReader(oof), email.Source{Kind: "smtp",
			EnvelopeFrom: "priya@customer.test"})
		if err != nil || res.Outcome != email.OutcomeReply || res.TicketID != tk.ID {
			t.Fatalf("out-of-office: %+v %v", res, err)
		}
		in, err := e.db.InboundMail(context.Background(), res.InboundID)
		if err != nil || in.AutoReply != "Auto-Submitted: auto-replied" {
			t.Errorf("record: %+v %v", in, err)
		}
		if got, _ := e.tickets.Get(e.sys, tk.ID); got.Status != "pending" {
			t.Errorf("an automatic answer reopened the ticket: %s", got.Status)
		}
		again, err := e.tickets.AddMessage(rule, tk.ID, ticket.NewMessage{Body: "We have your message."})
		if err != nil {
			t.Fatal(err)
		}
		if o := e.waitMail(again, email.DeliveryFailed); !strings.HasPrefix(o.Reason, "withheld:") {
			t.Errorf("reason %q", o.Reason)
		}
		// A person may still answer it.
		e.waitMail(e.reply(tk, "Enjoy your holiday; we will wait."), email.DeliverySent)

		// The customer's own next mail is a person's again: automatic
		// answers to it go out.
		human := "From: Priya Sharma <priya@customer.test>\r\nTo: support@desk.test\r\nSubject: Re: Printer jams\r\n" +
			"Message-ID: <back1@customer.test>\r\nIn-Reply-To: <" + o.RFCMessageID + ">\r\n\r\nI am back; still jams.\r\n"
		if res, err := e.mail.Ingest(context.Background(), e.mb.ID, strings.NewReader(human), email.Source{Kind: "smtp",
			EnvelopeFrom: "priya@customer.test"}); err != nil || res.TicketID != tk.ID {
			t.Fatalf("human: %+v %v", res, err)
		}
		third, err := e.tickets.AddMessage(rule, tk.ID, ticket.NewMessage{Body: "We have your message."})
		if err != nil {
			t.Fatal(err)
		}
		e.waitMail(third, email.DeliverySent)

		// Every kind of machine mail is recognised at ingest, new tickets too.
		for i, raw := range []struct{ raw, from string }{
			{mailFrom("news@list.test", "Weekly digest", "l1@list.test", "List-Id: <digest.list.test>\r\n", "news"), "news@list.test"},
			{mailFrom("a@b.test", "Out of Office: Printer", "o1@b.test", "", "away"), "a@b.test"},
			{mailFrom("a@b.test", "Abwesenheitsnotiz: Drucker", "o2@b.test", "", "weg"), "a@b.test"},
			{mailFrom("a@b.test", "Hello", "o3@b.test", "Precedence: junk\r\n", "x"), "a@b.test"},
			{mailFrom("a@b.test", "Hello", "o4@b.test", "X-Autoreply: yes\r\n", "x"), "a@b.test"},
			{mailFrom("a@b.test", "Hello", "o5@b.test", "X-Auto-Response-Suppress: All\r\n", "x"), "a@b.test"},
			{mailFrom("a@b.test", "Hello", "o6@b.test", "Return-Path: <>\r\n", "x"), "a@b.test"},
			{mailFrom("a@b.test", "Notice", "o7@b.test", "", "x"), ""}, // MAIL FROM:<>
		} {
			res, err := e.mail.Ingest(context.Background(), e.mb.ID, strings.NewReader(raw.raw),
				email.Source{Kind: "smtp", EnvelopeFrom: raw.from})
			if err != nil {
				t.Fatal(err)
			}
			in, err := e.db.InboundMail(context.Background(), res.InboundID)
			if err != nil || in.AutoReply == "" {
				t.Errorf("machine mail %d not recognised: %+v %v", i, in, err)
			}
		}
		// A person whose subject merely mentions the office is a person.
		res, err = e.mail.Ingest(context.Background(), e.mb.ID, strings.NewReader(mailFrom("c@d.test",
			"Re: out of office hours support", "p1@d.test", "Auto-Submitted: no\r\n", "x")), email.Source{Kind: "smtp", EnvelopeFrom: "c@d.test"})
		if err != nil {
			t.Fatal(err)
		}
		if in, _ := e.db.InboundMail(context.Background(), res.InboundID); in.AutoReply != "" {
			t.Errorf("a person's mail taken for a machine's: %q", in.AutoReply)
		}
	})
}

// Small messages are kept in their record (durable with its commit, no
// file); large ones in the blob store; both can be replayed.
func TestRawKeptInRecordOrBlob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		d := newDesk(t, b)
		small := d.ingest(t, mailFrom("s@x.test", "small", "small@x.test", "", "small body"))
		raw, err := d.db.InboundRaw(system(), small.InboundID)
		if err != nil || !strings.Contains(string(raw), "small body") {
			t.Fatalf("small raw: %q %v", raw, err)
		}
		bigBody := strings.Repeat("line of a long message\r\n", email.InlineRawMax/24+10)
		big := d.ingest(t, mailFrom("b@x.test", "big", "big@x.test", "", bigBody))
		raw, err = d.db.InboundRaw(system(), big.InboundID)
		if err != nil || raw != nil {
			t.Fatalf("big raw in the record: %d bytes, %v", len(raw), err)
		}
		in, _ := d.db.InboundMail(system(), big.InboundID)
		f, err := blob.New(d.blobDir).Open(in.RawSHA256)
		if err != nil {
			t.Fatalf("big raw not in the blob store: %v", err)
		}
		f.Close()
		if in.Size <= email.InlineRawMax {
			t.Errorf("size %d", in.Size)
		}
	})
}

// A mail-out batch run again (its consumer died after queueing the mails,
// perhaps before enqueueing their jobs) reads the queued rows back — id,
// state, Message-ID — so that their jobs are enqueued again (unique per
// mail) instead of being forgotten; nothing is counted or queued twice.
func TestQueueOutboundAgainReadsRowsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := newSendEnv(t, b, email.SenderConfig{})
		e.mailbox(email.Server{})
		tk := e.emailTicket("Printer jams", "priya@customer.test")
		m := e.reply(tk, "We are on it.")
		sent := e.waitMail(m, email.DeliverySent)
		again := &email.Outbound{MessageID: m.ID, TicketID: tk.ID, MailboxID: e.mb.ID, RFCMessageID: "other@desk.test",
			Sender: e.mb.Address, Recipients: []string{"priya@customer.test"}, Subject: "x", Status: email.DeliveryQueued,
			CreatedAt: sent.CreatedAt, UpdatedAt: sent.CreatedAt}
		counts, err := e.db.QueueOutbound(context.Background(), []*email.Outbound{again}, sent.CreatedAt)
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != sent.ID || again.Status != email.DeliverySent || again.RFCMessageID != sent.RFCMessageID || len(counts) != 0 {
			t.Errorf("read back %+v, counts %v; want the row %d as sent", again, counts, sent.ID)
		}
	})
}

// Messages recorded but never put on a ticket (the process died after the
// claim) are finished by `mail reparse` from wherever their raw bytes are:
// the record for small ones, the blob store for large ones.
func TestReparseReadsRawFromRecordAndBlob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		d := newDesk(t, b)
		small := []byte(mailFrom("s@x.test", "left small", "left-small@x.test", "", "small body"))
		big := []byte(mailFrom("b@x.test", "left big", "left-big@x.test", "", strings.Repeat("long line\r\n", email.InlineRawMax/11+10)))
		digest, size, err := blob.New(d.blobDir).Put(bytes.NewReader(big), 4<<20)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range []*email.Inbound{
			{MailboxID: d.box.ID, DedupeKey: "left-small@x.test", RawSHA256: "0", Size: int64(len(small)), Source: "test", Raw: small},
			{MailboxID: d.box.ID, DedupeKey: "left-big@x.test", RawSHA256: digest, Size: size, Source: "test"},
		} {
			in.State, in.ReceivedAt = email.StateReceived, time.Now()
			if _, err := d.db.ClaimInbound(system(), in); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := d.mail.Reparse(context.Background(), d.box.ID)
		if err != nil || rep.Finished != 2 || rep.Failed != 0 {
			t.Fatalf("reparse: %+v %v", rep, err)
		}
		// Delivered again, both are duplicates of what reparse finished.
		for _, raw := range [][]byte{small, big} {
			if res := d.ingest(t, string(raw)); !res.Duplicate || res.TicketID == 0 {
				t.Errorf("again: %+v", res)
			}
		}
	})
}
