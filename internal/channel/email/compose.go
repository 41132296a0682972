package email

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/emersion/go-message/mail"
)

// Outgoing is one mail the desk sends: an agent's reply as the customer
// will receive it.
type Outgoing struct {
	FromName    string // the agent's name
	FromAddress string // the mailbox's address
	To          []string
	Cc          []string
	Subject     string
	MessageID   string // without angle brackets
	InReplyTo   string
	References  []string // oldest first
	Date        time.Time
	Text        string // the reply, already with the trimmed quote
	HTML        string // may be empty
	Attachments []Part
	// AutoSubmitted, when set, marks mail no person wrote (RFC 3834), so
	// that a well-behaved autoresponder does not answer it.
	AutoSubmitted string
}

// Part is an attached file; Open is called once while the mail is written.
type Part struct {
	Filename    string
	ContentType string
	Open        func() (io.ReadCloser, error)
}

// NewMessageID makes a globally unique Message-ID at the mailbox's domain.
// The ticket and message ids make it readable in a relay's log; the random
// part makes it unguessable, so a forged In-Reply-To cannot pick a ticket.
func NewMessageID(ticketID, messageID int64, mailboxAddress string) string {
	var b [9]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("email: random: " + err.Error())
	}
	domain := "sahayak.invalid"
	if at := strings.LastIndexByte(mailboxAddress, '@'); at >= 0 && at < len(mailboxAddress)-1 {
		domain = mailboxAddress[at+1:]
	}
	return "sahayak." + strconv.FormatInt(ticketID, 10) + "." + strconv.FormatInt(messageID, 10) + "." +
		hex.EncodeToString(b[:]) + "@" + domain
}

// CleanHeaderText makes a subject or display name safe to put in a header:
// line breaks (header injection), other control characters and
// text-direction overrides become spaces, runs of space become one, and the
// result is at most max runes.
func CleanHeaderText(s string, max int) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Bidi_Control, r) || r == '\ufeff' {
			continue // invisible: dropped, not turned into a space
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == unicode.ReplacementChar || unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if n >= max {
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// validAddress refuses an address that could smuggle a header or a second
// recipient: one mailbox, no line breaks, no display name.
func validAddress(s string) bool {
	if s == "" || strings.ContainsAny(s, "\r\n<>,;\"\x00") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// validMessageID accepts what goes between angle brackets: no space, no
// brackets, no line breaks, exactly one @.
func validMessageID(s string) bool {
	return s != "" && len(s) <= 250 && strings.Count(s, "@") == 1 && !strings.ContainsAny(s, "<> \t\r\n\x00")
}

// Render writes the mail as RFC 5322 with CRLF line ends: a text part (and
// an HTML alternative when there is HTML), then the attachments.
func (o *Outgoing) Render(w io.Writer) error {
	if !validAddress(o.FromAddress) {
		return fmt.Errorf("render mail: invalid sender %q", o.FromAddress)
	}
	if !validMessageID(o.MessageID) {
		return fmt.Errorf("render mail: invalid message id %q", o.MessageID)
	}
	var h mail.Header
	h.SetDate(o.Date)
	h.SetAddressList("From", []*mail.Address{{Name: CleanHeaderText(o.FromName, 120), Address: o.FromAddress}})
	to, err := addressList(o.To)
	if err != nil {
		return err
	}
	if len(to) == 0 {
		return fmt.Errorf("render mail: no recipient")
	}
	h.SetAddressList("To", to)
	if len(o.Cc) > 0 {
		cc, err := addressList(o.Cc)
		if err != nil {
			return err
		}
		h.SetAddressList("Cc", cc)
	}
	h.SetSubject(CleanHeaderText(o.Subject, 250))
	h.SetMessageID(o.MessageID)
	if validMessageID(o.InReplyTo) {
		h.SetMsgIDList("In-Reply-To", []string{o.InReplyTo})
	}
	refs := make([]string, 0, len(o.References))
	for _, r := range o.References {
		if validMessageID(r) {
			refs = append(refs, r)
		}
	}
	// RFC 5322 asks for the parent's references plus the parent; a long
	// thread keeps the first and the latest ones, which is what clients
	// thread by, so that the header stays within a relay's limits.
	if len(refs) > 20 {
		refs = append(refs[:1], refs[len(refs)-19:]...)
	}
	if len(refs) > 0 {
		h.SetMsgIDList("References", refs)
	}
	if o.AutoSubmitted != "" {
		h.Set("Auto-Submitted", o.AutoSubmitted)
		// Exchange and Outlook answer no out-of-office to this.
		h.Set("X-Auto-Response-Suppress", "All")
	}
	h.Set("MIME-Version", "1.0")
	mw, err := mail.CreateWriter(w, h)
	if err != nil {
		return fmt.Errorf("render mail: %w", err)
	}
	iw, err := mw.CreateInline()
	if err != nil {
		return fmt.Errorf("render mail: %w", err)
	}
	if err := writeInline(iw, "text/plain", o.Text); err != nil {
		return err
	}
	if o.HTML != "" {
		if err := writeInline(iw, "text/html", o.HTML); err != nil {
			return err
		}
	}
	if err := iw.Close(); err != nil {
		return fmt.Errorf("render mail: %w", err)
	}
	for _, p := range o.Attachments {
		if err := writeAttachment(mw, p); err != nil {
			return err
		}
	}
	return mw.Close()
}

func addressList(list []string) ([]*mail.Address, error) {
	out := make([]*mail.Address, 0, len(list))
	for _, a := range list {
		if !validAddress(a) {
			return nil, fmt.Errorf("render mail: invalid recipient %q", a)
		}
		out = append(out, &mail.Address{Address: a})
	}
	return out, nil
}

func writeInline(iw *mail.InlineWriter, contentType, body string) error {
	var ph mail.InlineHeader
	ph.SetContentType(contentType, map[string]string{"charset": "utf-8"})
	ph.Set("Content-Transfer-Encoding", "quoted-printable")
	pw, err := iw.CreatePart(ph)
	if err != nil {
		return fmt.Errorf("render mail: %w", err)
	}
	if _, err := io.WriteString(pw, strings.ReplaceAll(body, "\r\n", "\n")); err != nil {
		return fmt.Errorf("render mail: %w", err)
	}
	return pw.Close()
}

func writeAttachment(mw *mail.Writer, p Part) error {
	var ah mail.AttachmentHeader
	ct := p.ContentType
	if ct == "" || strings.ContainsAny(ct, "\r\n") {
		ct = "application/octet-stream"
	}
	ah.SetContentType(ct, nil)
	ah.SetFilename(CleanHeaderText(p.Filename, 200))
	aw, err := mw.CreateAttachment(ah)
	if err != nil {
		return fmt.Errorf("render attachment: %w", err)
	}
	r, err := p.Open()
	if err != nil {
		return fmt.Errorf("render attachment %q: %w", p.Filename, err)
	}
	defer r.Close()
	if _, err := io.Copy(aw, r); err != nil {
		return fmt.Errorf("render attachment %q: %w", p.Filename, err)
	}
	return aw.Close()
}

// Bytes renders the mail into memory.
func (o *Outgoing) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	if err := o.Render(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ReplySubject is the subject of a reply: the ticket's subject with one
// "Re: " and the ticket's reference token, which threads a customer's
// answer even when their client drops the headers.
func ReplySubject(ticketSubject string, ticketID int64) string {
	s := CleanHeaderText(ticketSubject, 200)
	for {
		l := strings.ToLower(s)
		if strings.HasPrefix(l, "re:") || strings.HasPrefix(l, "aw:") || strings.HasPrefix(l, "fw:") {
			s = strings.TrimSpace(s[3:])
			continue
		}
		break
	}
	token := "[#" + strconv.FormatInt(ticketID, 10) + "]"
	if !strings.Contains(s, token) {
		s += " " + token
	}
	return "Re: " + s
}
