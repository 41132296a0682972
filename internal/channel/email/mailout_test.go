package email

import (
	"bytes"
	"io"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "mailout", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every auto-reply fixture is recognised, with the header that gives it
// away; mail a person wrote is not, even when it says Auto-Submitted: no.
func TestIsAutoReplyFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "mailout", "*.eml"))
	if len(files) < 12 {
		t.Fatalf("fixtures: %d", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			m, err := mail.ReadMessage(bytes.NewReader(readFixture(t, name)))
			if err != nil {
				t.Fatal(err)
			}
			auto, why := IsAutoReply(Header(m.Header))
			want := !strings.HasPrefix(name, "human-")
			if auto != want {
				t.Errorf("IsAutoReply = %v (%s), want %v", auto, why, want)
			}
			if auto && why == "" {
				t.Error("no reason given")
			}
		})
	}
}

func TestIsAutoReplyHeaders(t *testing.T) {
	for _, tc := range []struct {
		h    Header
		want bool
	}{
		{Header{"Auto-Submitted": {"auto-generated"}}, true},
		{Header{"auto-submitted": {"Auto-Replied"}}, true},
		{Header{"Auto-Submitted": {"no"}}, false},
		{Header{"Precedence": {"list"}}, true},
		{Header{"Precedence": {"first-class"}}, false},
		{Header{"X-Autoreply": {"yes"}}, true},
		{Header{"X-Auto-Response-Suppress": {"DR, RN"}}, false},
		{Header{"X-Auto-Response-Suppress": {"OOF"}}, true},
		{Header{"From": {"Priya <priya@customer.example>"}}, false},
		{Header{"Return-Path": {"<>"}}, true},
	} {
		if got, why := IsAutoReply(tc.h); got != tc.want {
			t.Errorf("%v: %v (%s), want %v", tc.h, got, why, tc.want)
		}
	}
}

// Bounces name the original message, the recipient, the status and the
// server's words; a delay is a report but not a failure; a reply is no
// report at all.
func TestParseDSNFixtures(t *testing.T) {
	for _, tc := range []struct {
		file, msgID, rcpt, status string
		failed                    bool
		reason                    string
	}{
		{"bounce-postfix-user-unknown.eml", "sahayak.42.7.aabbccddeeff001122@desk.example.org", "ravi@customer.example", "5.1.1", true, "User unknown"},
		{"bounce-exchange-headers-only.eml", "sahayak.43.9.00ff00ff00ff00ff00@desk.example.org", "meera@customer.example", "5.2.2", true, "mailbox full"},
		{"bounce-delayed.eml", "sahayak.44.11.1234567890abcdef12@desk.example.org", "kiran@slow.example", "4.4.7", false, "timed out"},
		{"bounce-hindi-notice.eml", "sahayak.45.12.fedcba9876543210ab@desk.example.org", "suresh@customer.invalid", "5.1.2", true, "Host unknown"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, ok := ParseDSN(readFixture(t, tc.file))
			if !ok {
				t.Fatal("not recognised as a DSN")
			}
			if b.OriginalMessageID != tc.msgID || b.Recipient != tc.rcpt || b.Status != tc.status || b.Failed() != tc.failed {
				t.Errorf("got %+v (failed %v)", b, b.Failed())
			}
			if !strings.Contains(b.Reason(), tc.reason) || !strings.Contains(b.Reason(), tc.rcpt) {
				t.Errorf("reason %q", b.Reason())
			}
		})
	}
	for _, f := range []string{"human-outlook-reply.eml", "autoreply-out-of-office.eml"} {
		if b, ok := ParseDSN(readFixture(t, f)); ok {
			t.Errorf("%s parsed as a DSN: %+v", f, b)
		}
	}
	if _, ok := ParseDSN([]byte("\x00\x01 not mail at all")); ok {
		t.Error("garbage parsed as a DSN")
	}
}

func TestSplitReply(t *testing.T) {
	for _, tc := range []struct {
		name, body, reply, quotedHas, sigHas string
	}{
		{"gmail", "Thanks, works now.\n\nOn Sun, 29 Nov 2026 at 09:29, Asha <a@d.example> wrote:\n> Clean the rollers.\n> Asha\n",
			"Thanks, works now.", "Clean the rollers", ""},
		{"gmail wrapped attribution", "Fixed.\n\nOn Sun, 29 Nov 2026 at 09:29, Asha Rao (Support) <support@desk.example.org>\nwrote:\n> Clean.\n",
			"Fixed.", "Clean.", ""},
		{"outlook", string(readFixture(t, "human-outlook-reply.eml")[bytes.Index(readFixture(t, "human-outlook-reply.eml"), []byte("\r\n\r\n"))+4:]),
			"The rollers are clean now, still jams.\r\n\r\nRegards,\r\nPriya", "Sent: Sunday", ""},
		{"signature", "See attached.\n-- \nPriya Sharma\nAcme Ltd\n", "See attached.", "", "Acme Ltd"},
		{"mobile", "Yes please.\n\nSent from my iPhone\n", "Yes please.", "", "iPhone"},
		{"interleaved answers stay", "> Is it on?\nYes.\n> Which model?\nLJ 1020.\n", "> Is it on?\nYes.\n> Which model?\nLJ 1020.", "", ""},
		{"hindi", "धन्यवाद, अब ठीक है।\n\n29 नव॰ 2026 को 09:29 बजे Asha ने लिखा:\n> रोलर साफ़ करें।\n", "धन्यवाद, अब ठीक है।", "रोलर", ""},
		{"only a quote", "> forwarded text\n> more\n", "> forwarded text\n> more", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := SplitReply(tc.body)
			want := strings.ReplaceAll(tc.reply, "\r\n", "\n")
			if s.Reply != want {
				t.Errorf("reply %q, want %q", s.Reply, want)
			}
			if !strings.Contains(s.Quoted, tc.quotedHas) || (tc.quotedHas == "" && s.Quoted != "") {
				t.Errorf("quoted %q, want it to hold %q", s.Quoted, tc.quotedHas)
			}
			if !strings.Contains(s.Signature, tc.sigHas) || (tc.sigHas == "" && s.Signature != "") {
				t.Errorf("signature %q, want it to hold %q", s.Signature, tc.sigHas)
			}
		})
	}
}

// The quote of a reply is the previous message alone, without the history
// it quoted in turn.
func TestQuoteForReplyTrimsHistory(t *testing.T) {
	prev := "Still jams.\n\nOn Sat, 28 Nov 2026, Asha wrote:\n> Clean the rollers.\n>> Older history\n"
	q := QuoteForReply("Priya Sharma", time.Date(2026, 11, 29, 4, 0, 0, 0, time.UTC), prev)
	if !strings.HasPrefix(q, "On Sun, 29 Nov 2026 at 04:00 UTC, Priya Sharma wrote:\n> Still jams.") {
		t.Errorf("quote %q", q)
	}
	if strings.Contains(q, "rollers") || strings.Contains(q, "Older") {
		t.Errorf("history kept: %q", q)
	}
}

func TestCleanHeaderText(t *testing.T) {
	for in, want := range map[string]string{
		"Printer\r\nBcc: victim@example.com": "Printer Bcc: victim@example.com",
		"  a\tb\n\nc  ":                      "a b c",
		"Asha\u202eevil":                     "Ashaevil",
		"प्रिंटर काम नहीं कर रहा": "प्रिंटर काम नहीं कर रहा",
		"x\x00y": "x y",
	} {
		if got := CleanHeaderText(in, 100); got != want {
			t.Errorf("CleanHeaderText(%q) = %q, want %q", in, got, want)
		}
	}
}

// Header injection through a subject or a name ends up as text inside one
// header; a bad address is refused; threading headers come out right.
func TestRenderOutgoing(t *testing.T) {
	o := &Outgoing{FromName: "Asha\r\nBcc: victim@evil.example", FromAddress: "support@desk.example.org",
		To: []string{"priya@customer.example"}, Subject: "Re: जाम\r\nBcc: victim@evil.example [#42]",
		MessageID: "sahayak.42.7.abc@desk.example.org", InReplyTo: "orig@customer.example",
		References: []string{"orig@customer.example", "bad id with space", "sahayak.42.5.x@desk.example.org"},
		Date:       time.Date(2026, 11, 29, 4, 0, 0, 0, time.UTC), Text: "नमस्ते Priya,\nPlease try again.",
		HTML: "<p>नमस्ते</p>",
		Attachments: []Part{{Filename: "log\r\n.txt", ContentType: "text/plain",
			Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("line 1\n")), nil }}}}
	raw, err := o.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("Bcc") != "" {
		t.Fatalf("injected Bcc header:\n%s", raw)
	}
	dec := new(mime.WordDecoder)
	if s, _ := dec.DecodeHeader(m.Header.Get("Subject")); s != "Re: जाम Bcc: victim@evil.example [#42]" {
		t.Errorf("subject %q", s)
	}
	from, _ := m.Header.AddressList("From")
	if len(from) != 1 || from[0].Address != "support@desk.example.org" || from[0].Name != "Asha Bcc: victim@evil.example" {
		t.Errorf("from %+v", from)
	}
	if m.Header.Get("Message-Id") != "<sahayak.42.7.abc@desk.example.org>" || m.Header.Get("In-Reply-To") != "<orig@customer.example>" {
		t.Errorf("threading: %q %q", m.Header.Get("Message-Id"), m.Header.Get("In-Reply-To"))
	}
	if refs := m.Header.Get("References"); refs != "<orig@customer.example> <sahayak.42.5.x@desk.example.org>" {
		t.Errorf("references %q", refs)
	}
	if !bytes.Contains(raw, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("line ends are not CRLF")
	}
	for _, bad := range []*Outgoing{
		{FromAddress: "support@desk.example.org", To: []string{"a@b.example\r\nBcc: c@d.example"}, MessageID: "x@y"},
		{FromAddress: "support@desk.example.org", To: []string{"a@b.example, c@d.example"}, MessageID: "x@y"},
		{FromAddress: "support@desk.example.org\r\n", To: []string{"a@b.example"}, MessageID: "x@y"},
		{FromAddress: "support@desk.example.org", To: nil, MessageID: "x@y"},
	} {
		if _, err := bad.Bytes(); err == nil {
			t.Errorf("rendered %+v", bad)
		}
	}
}

func TestReplySubject(t *testing.T) {
	for in, want := range map[string]string{
		"Printer jams":          "Re: Printer jams [#42]",
		"Re: RE: Printer [#42]": "Re: Printer [#42]",
		"Line\r\nBcc: x@y.z":    "Re: Line Bcc: x@y.z [#42]",
		"प्रिंटर":               "Re: प्रिंटर [#42]",
	} {
		if got := ReplySubject(in, 42); got != want {
			t.Errorf("ReplySubject(%q) = %q, want %q", in, got, want)
		}
	}
}
