package email

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/ticket"
)

// Parsed is what could be read of a message. Every string is valid UTF-8
// without control characters (bodies keep tab and newline).
type Parsed struct {
	Fields     Fields
	From       Address // zero when no sender could be read
	ReplyTo    []Address
	To, Cc     []Address
	Subject    string
	MessageID  string   // without angle brackets; "" when absent
	InReplyTo  []string // Message-IDs
	References []string // Message-IDs, oldest first
	Date       time.Time
	Text       string // plain-text body
	HTML       string // HTML body as sent (sanitized by the ticket service)
	Files      []File
	// Warnings name what was wrong with the message (see the mail.warning.*
	// catalog keys); the message was still read as far as it could be.
	Warnings []string
}

// Parse reads a raw RFC 5322 message. It never fails and never panics on
// any input: what cannot be read is named in Warnings.
func Parse(raw []byte) (p *Parsed) {
	p = &Parsed{}
	warned := map[string]bool{}
	warn := func(code string) {
		if !warned[code] {
			warned[code] = true
			p.Warnings = append(p.Warnings, code)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			// A parser bug must not lose the message: it is kept raw, and the
			// ticket says it could not be read.
			warn("parse_failed")
			p.Text = ""
			p.HTML = ""
			p.Files = nil
			_ = fmt.Sprint(r)
		}
	}()
	head, body := splitEntity(raw)
	p.Fields = parseHeader(head, warn)
	h := p.Fields
	if len(h) == 0 {
		warn("no_header")
	}
	subject, ok := decodeWords(h.Get("subject"))
	if !ok {
		warn("bad_charset")
	}
	p.Subject = cleanLine(subject)
	p.MessageID = firstOf(messageIDs(h.Get("message-id"), 1))
	p.InReplyTo = messageIDs(h.Get("in-reply-to"), 10)
	p.References = messageIDs(strings.Join(h["references"], " "), maxIDs)
	if from, ok := parseAddresses(h.Get("from")); len(from) > 0 {
		p.From = from[0]
		if !ok {
			warn("malformed_from")
		}
	} else if h.Get("from") != "" {
		warn("malformed_from")
	}
	p.ReplyTo, _ = parseAddresses(h.Get("reply-to"))
	p.To, _ = parseAddresses(strings.Join(h["to"], ", "))
	p.Cc, _ = parseAddresses(strings.Join(h["cc"], ", "))
	if v := h.Get("date"); v != "" {
		if t, err := mail.ParseDate(v); err == nil {
			p.Date = t.UTC()
		} else {
			warn("invalid_date")
		}
	}
	if v := h.Get("mime-version"); v == "" && h.Get("content-type") != "" && strings.Contains(strings.ToLower(h.Get("content-type")), "multipart") {
		warn("no_mime_version")
	}
	w := &walker{warn: warn}
	w.entity(h, body, 0)
	p.Files = w.files
	p.Text = cleanText(strings.Join(w.text, "\n\n"))
	p.HTML = strings.ToValidUTF8(strings.ReplaceAll(strings.Join(w.html, "\n"), "\x00", ""), "\uFFFD")
	if utf8.RuneCountInString(p.Text) > ticket.MaxBody {
		p.Text = string([]rune(p.Text)[:ticket.MaxBody-1]) + "…"
		warn("body_truncated")
	}
	if len(p.HTML) > 2*ticket.MaxBody {
		p.HTML = "" // the text stays; the full HTML is in the raw message
		warn("body_truncated")
	}
	return p
}

func firstOf(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

// WarningKey is the catalog key that explains a warning code.
func WarningKey(code string) string { return "mail.warning." + code }
