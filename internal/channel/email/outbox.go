package email

import (
	"bytes"
	"io"
	"strings"

	"github.com/emersion/go-message/mail"
)

// MailView is a mail made readable for the outbox: its main headers
// decoded, its text and HTML, and the names of its attachments.
type MailView struct {
	Headers []HeaderLine `json:"headers"`
	Text    string       `json:"text"`
	// HTML is the text/html part ("" when the mail has none); a page shows
	// it only sandboxed (web: /admin/outbox/{id}/html).
	HTML        string   `json:"html"`
	Attachments []string `json:"attachments"`
	Signed      bool     `json:"dkim_signed"`
}

// HeaderLine is one decoded header.
type HeaderLine struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ReadMail decodes a mail the desk wrote for showing in the outbox.
func ReadMail(raw []byte) (*MailView, error) {
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if r == nil {
		return nil, err
	}
	defer r.Close()
	v := &MailView{Attachments: []string{}, Signed: r.Header.Has("Dkim-Signature")}
	for _, k := range []string{"From", "To", "Cc", "Subject", "Date", "Message-Id", "In-Reply-To", "References", "Auto-Submitted"} {
		if !r.Header.Has(k) {
			continue
		}
		val, err := r.Header.Text(k)
		if err != nil {
			val = r.Header.Get(k)
		}
		v.Headers = append(v.Headers, HeaderLine{Name: k, Value: val})
	}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return v, err
		}
		switch h := p.Header.(type) {
		case *mail.InlineHeader:
			ct, _, _ := h.ContentType()
			switch {
			case ct == "text/plain" && v.Text == "":
				b, _ := io.ReadAll(io.LimitReader(p.Body, 1<<20))
				v.Text = strings.ReplaceAll(string(b), "\r\n", "\n")
			case ct == "text/html" && v.HTML == "":
				b, _ := io.ReadAll(io.LimitReader(p.Body, 1<<20))
				v.HTML = string(b)
			}
		case *mail.AttachmentHeader:
			name, _ := h.Filename()
			v.Attachments = append(v.Attachments, name)
		}
	}
	return v, nil
}
