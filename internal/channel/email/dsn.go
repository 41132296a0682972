package email

import (
	"bufio"
	"bytes"
	"io"
	"net/textproto"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // bounces arrive in any charset
)

// Bounce is what a delivery status notification (RFC 3464) says about a
// mail the desk sent.
type Bounce struct {
	// OriginalMessageID is the Message-ID of the mail that failed, without
	// angle brackets, from the returned message or its headers.
	OriginalMessageID string
	Recipient         string
	Action            string // failed, delayed, delivered, relayed, expanded
	Status            string // e.g. 5.1.1
	Diagnostic        string
}

// Failed reports whether the report says the mail will not arrive: a
// failed action, or a permanent (5.x.x) status without an action.
func (b *Bounce) Failed() bool {
	if b.Action != "" {
		return b.Action == "failed"
	}
	return strings.HasPrefix(b.Status, "5.")
}

// Reason is the line an agent reads on the failed message.
func (b *Bounce) Reason() string {
	var parts []string
	if b.Recipient != "" {
		parts = append(parts, b.Recipient)
	}
	if b.Status != "" {
		parts = append(parts, b.Status)
	}
	if b.Diagnostic != "" {
		parts = append(parts, b.Diagnostic)
	}
	return CleanHeaderText("bounced: "+strings.Join(parts, " "), 500)
}

// ParseDSN reads a delivery status notification. It reports false for any
// mail that is not one (not multipart/report with a message/delivery-status
// part), or that does not name the original message.
func ParseDSN(raw []byte) (*Bounce, bool) {
	ent, err := message.Read(bytes.NewReader(raw))
	if ent == nil || (err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
		return nil, false
	}
	ct, params, _ := ent.Header.ContentType()
	if ct != "multipart/report" || !strings.EqualFold(params["report-type"], "delivery-status") {
		return nil, false
	}
	mr := ent.MultipartReader()
	if mr == nil {
		return nil, false
	}
	b := &Bounce{}
	found := false
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		pct, _, _ := p.Header.ContentType()
		body, _ := io.ReadAll(io.LimitReader(p.Body, 1<<20))
		switch pct {
		case "message/delivery-status", "message/global-delivery-status":
			found = true
			readStatus(body, b)
		case "message/rfc822", "text/rfc822-headers", "message/rfc822-headers", "message/global", "message/global-headers":
			if id := originalMessageID(body); id != "" {
				b.OriginalMessageID = id
			}
		}
	}
	if !found || b.OriginalMessageID == "" {
		return nil, false
	}
	return b, true
}

// readStatus reads the per-message block and the first per-recipient block
// that reports a failure (else the first one).
func readStatus(body []byte, b *Bounce) {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")))))
	if _, err := r.ReadMIMEHeader(); err != nil { // per-message fields
		return
	}
	first := true
	for {
		h, err := r.ReadMIMEHeader()
		if len(h) > 0 {
			action := strings.ToLower(strings.TrimSpace(h.Get("Action")))
			if first || (b.Action != "failed" && action == "failed") {
				b.Recipient = addressOf(h.Get("Final-Recipient"))
				if b.Recipient == "" {
					b.Recipient = addressOf(h.Get("Original-Recipient"))
				}
				b.Action = action
				b.Status = strings.TrimSpace(h.Get("Status"))
				b.Diagnostic = CleanHeaderText(h.Get("Diagnostic-Code"), 300)
				first = false
			}
		}
		if err != nil {
			return
		}
	}
}

// addressOf takes "rfc822; someone@example.com" apart.
func addressOf(field string) string {
	if i := strings.IndexByte(field, ';'); i >= 0 {
		field = field[i+1:]
	}
	return CleanHeaderText(strings.Trim(strings.TrimSpace(field), "<>"), 254)
}

func originalMessageID(body []byte) string {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(body)))
	h, _ := r.ReadMIMEHeader()
	id := strings.TrimSpace(h.Get("Message-Id"))
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if !validMessageID(id) {
		return ""
	}
	return id
}
