package email

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

const hiSubject = "मेरा ऑर्डर नहीं पहुँचा"

// Every fixture of testdata/inbound (written for these tests by make.py)
// reads into what a person would see, whatever its client, charset or
// damage; the bombs and broken ones end with a warning, never a panic.
func TestParseCorpus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file      string
		subject   string
		from      string // address
		fromName  string
		text      string // contained in the text body
		html      string // contained in the HTML body
		files     []string
		warnings  []string // contained in the warnings
		noWarning bool
		messageID string
	}{
		{file: "gmail_new.eml", subject: "Cannot log in to my account", from: "priya@example.in", fromName: "Priya Sharma",
			text: "cannot log in — the page says my password is wrong.", html: "Since yesterday", noWarning: true,
			messageID: "CAJx1=abc123@mail.gmail.com"},
		{file: "gmail_reply.eml", subject: "Re: [#101] Cannot log in to my account", text: "It works now", noWarning: true},
		{file: "outlook_reply.eml", subject: "AW: [#102] Rechnung fehlt", fromName: "Müller, Jörg",
			text: "die Rechnung für März fehlt noch. Grüße", html: "MsoNormal", noWarning: true},
		{file: "outlook_headers_dropped.eml", subject: "RE: [#101] Cannot log in to my account", noWarning: true},
		{file: "apple_mail_reply.eml", text: "Thursday morning is fine.", html: "blockquote", noWarning: true},
		{file: "apple_mail_inline_image.eml", html: `cid:photo-1@example.in`, files: []string{"screen.png"}, noWarning: true},
		{file: "apple_mail_two_inline_images.eml", html: `cid:5C3F1E2D-0001@example.in`, files: []string{"IMG_0001.png", "IMG_0002.png"}, noWarning: true},
		{file: "outlook_inline_image.eml", text: "[cid:image001.png@01DB3F2A.5C6D7E80]", html: `cid:image001.png@01DB3F2A.5C6D7E80`,
			files: []string{"image001.png", "invoice.pdf"}, noWarning: true},
		{file: "gmail_inline_image.eml", text: "Here is what I see:", html: `cid:ii_lq2x8k3n0`, files: []string{"login.png"}, noWarning: true},
		{file: "thunderbird_reply_flowed.eml", text: "refund of ₹1,250 today", noWarning: true},
		{file: "thunderbird_attachment.eml", text: "invoice attached", files: []string{"invoice-2026-11.pdf"}, noWarning: true},
		{file: "gmail_forward_inline.eml", subject: "Fwd: Your order has shipped", text: "Tracking number: ZX123456789IN"},
		{file: "outlook_forward_attachment.eml", text: "See the attached message.", files: []string{"Versandbestaetigung.eml"}},
		{file: "hindi_utf8_8bit.eml", subject: hiSubject, fromName: "रवि कुमार", text: "मेरा ऑर्डर #4521 अभी तक नहीं पहुँचा है।"},
		{file: "hindi_utf8_base64.eml", subject: hiSubject, fromName: "रवि कुमार", text: "कृपया मदद करें।", noWarning: true},
		{file: "hindi_utf8_qp.eml", subject: hiSubject, text: "धन्यवाद,\nरवि", noWarning: true},
		{file: "hindi_split_b_words.eml", subject: hiSubject, noWarning: true},
		{file: "hindi_split_q_words.eml", subject: hiSubject, noWarning: true},
		{file: "hindi_utf16.eml", subject: "UTF-16 में संदेश", text: "मेरा ऑर्डर #4521", noWarning: true},
		{file: "hindi_utf16le_nobom.eml", text: "कृपया मदद करें।", noWarning: true},
		{file: "hindi_filename_rfc2231.eml", text: "बिल संलग्न है।", files: []string{"बिल-नवंबर.pdf"}, noWarning: true},
		{file: "hindi_filename_rfc2047.eml", files: []string{"बिल-नवंबर.pdf"}, noWarning: true},
		{file: "hindi_html_only.eml", subject: "केवल HTML", html: "<b>ऑर्डर</b>", noWarning: true},
		{file: "hindi_from_split_name.eml", fromName: "रवि कुमार", from: "ravi@example.in"},
		{file: "latin1.eml", subject: "Café y mañana", text: "El café llegó frío mañana.", noWarning: true},
		{file: "latin9_euro.eml", subject: "Prix €", text: "20 € œuvre", noWarning: true},
		{file: "windows1252.eml", text: "He said “hello” – it cost €5.", noWarning: true},
		{file: "windows1251.eml", subject: "Заказ не пришёл", text: "мой заказ не пришёл", noWarning: true},
		{file: "koi8r.eml", subject: "Возврат денег", text: "Прошу вернуть деньги.", noWarning: true},
		{file: "shift_jis.eml", subject: "注文について", text: "注文した商品が届きません。", noWarning: true},
		{file: "shift_jis_split_subject.eml", subject: "注文について", noWarning: true},
		{file: "iso2022jp.eml", subject: "返品の件", text: "返品をお願いします。", noWarning: true},
		{file: "gb18030.eml", subject: "退款申请", text: "我想申请退款。", noWarning: true},
		{file: "broken_no_boundary.eml", text: "The text is still here.", warnings: []string{"no_boundary"}},
		{file: "broken_unclosed_multipart.eml", text: "Second part, never closed.", warnings: []string{"unclosed_multipart"}},
		{file: "broken_base64.eml", text: "Readable start of the text."},
		{file: "broken_header_lines.eml", subject: "Spaced colon", text: "Body after broken headers.", warnings: []string{"malformed_header"}},
		{file: "broken_unknown_charset.eml", text: "Café in an unknown charset.", warnings: []string{"bad_charset"}},
		{file: "broken_content_type.eml", text: "Still readable.", warnings: []string{"bad_content_type"}},
		{file: "invalid_date.eml", text: "nonsense", warnings: []string{"invalid_date"}},
		{file: "no_from.eml", subject: "Who sent this?", from: ""},
		{file: "forged_from.eml", from: "attacker@evil.example", fromName: "support@acme.test"},
		{file: "from_own_mailbox.eml", from: "support@acme.test"},
		{file: "nul_and_controls.eml", subject: "Bell and NUL", text: "Text with a NUL byte, a bell, an escape[31m and a\ttab."},
		{file: "no_message_id.eml", messageID: "-"},
		{file: "html_script.eml", html: "<script>"}, // the raw HTML; the ticket service sanitizes it
		{file: "plus_address.eml", text: "plus address"},
		{file: "cc_people.eml", text: "colleagues"},
		{file: "mbox_from_line.eml", subject: "From an mbox", from: "priya@example.in", text: "Mbox export."},
		{file: "lf_only.eml", subject: "Bare line feeds", text: "Lines end in LF only.\nSecond line."},
		{file: "base64_multipart_gateway.eml", text: "Inside a base64 multipart."},
		{file: "bomb_deep_nesting.eml", warnings: []string{"too_deep"}},
		{file: "bomb_many_parts.eml", text: "The first part is the text.", warnings: []string{"too_many_parts"}},
		{file: "bomb_many_headers.eml", subject: "Thousands of headers", text: "The body after the headers.", warnings: []string{"too_many_headers"}},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.file] = true
		t.Run(c.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "inbound", c.file))
			if err != nil {
				t.Fatal(err)
			}
			p := Parse(raw)
			for _, s := range append([]string{p.Subject, p.Text, p.HTML, p.From.Name, p.From.Email}, fileNames(p)...) {
				if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\x07\x1b") {
					t.Errorf("unclean text %q", s)
				}
			}
			if c.subject != "" && p.Subject != c.subject {
				t.Errorf("subject %q, want %q", p.Subject, c.subject)
			}
			if c.from != "" && p.From.Email != c.from || c.file == "no_from.eml" && p.From.Email != "" {
				t.Errorf("from %q, want %q", p.From.Email, c.from)
			}
			if c.fromName != "" && p.From.Name != c.fromName {
				t.Errorf("from name %q, want %q", p.From.Name, c.fromName)
			}
			if !strings.Contains(p.Text, c.text) {
				t.Errorf("text %q does not contain %q", p.Text, c.text)
			}
			if !strings.Contains(p.HTML, c.html) {
				t.Errorf("html %q does not contain %q", p.HTML, c.html)
			}
			for _, f := range c.files {
				if !slices.Contains(fileNames(p), f) {
					t.Errorf("files %q, want %q among them", fileNames(p), f)
				}
			}
			for _, w := range c.warnings {
				if !slices.Contains(p.Warnings, w) {
					t.Errorf("warnings %q, want %q", p.Warnings, w)
				}
			}
			if c.noWarning && len(p.Warnings) > 0 {
				t.Errorf("warnings %q, want none", p.Warnings)
			}
			switch c.messageID {
			case "":
			case "-":
				if p.MessageID != "" {
					t.Errorf("message id %q, want none", p.MessageID)
				}
			default:
				if p.MessageID != c.messageID {
					t.Errorf("message id %q, want %q", p.MessageID, c.messageID)
				}
			}
		})
	}
	all, _ := filepath.Glob(filepath.Join("testdata", "inbound", "*.eml"))
	if len(all) < 40 {
		t.Errorf("the corpus has %d messages, want at least 40", len(all))
	}
	for _, f := range all {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no case", f)
		}
	}
}

func fileNames(p *Parsed) []string {
	var out []string
	for _, f := range p.Files {
		out = append(out, f.Filename)
	}
	return out
}

// Whatever bytes arrive, Parse returns (no panic, no hang) with clean text.
func FuzzParse(f *testing.F) {
	all, _ := filepath.Glob(filepath.Join("testdata", "inbound", "*.eml"))
	for _, p := range all {
		if b, err := os.ReadFile(p); err == nil && len(b) < 20000 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p := Parse(raw)
		if !utf8.ValidString(p.Subject) || !utf8.ValidString(p.Text) || strings.ContainsRune(p.Text, 0) {
			t.Fatalf("unclean: %q %q", p.Subject, p.Text)
		}
	})
}
