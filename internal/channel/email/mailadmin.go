package email

import (
	"context"
	"strings"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// IMAPStatus returns what the last poll of a mailbox found.
func (s *Sender) IMAPStatus(ctx context.Context, mailboxID int64) (*IMAPStatus, error) {
	if err := require(ctx, auth.MailboxesRead); err != nil {
		return nil, err
	}
	if _, err := s.store.Mailbox(ctx, mailboxID); err != nil {
		return nil, err
	}
	return s.store.IMAPStatus(ctx, mailboxID)
}

// DKIMInput sets a mailbox's signing key.
type DKIMInput struct {
	Domain, Selector, PrivateKey string
}

// DKIMView is a mailbox's DKIM setting as the API shows it: never the key.
type DKIMView struct {
	MailboxID int64  `json:"mailbox_id"`
	Enabled   bool   `json:"enabled"`
	Domain    string `json:"domain"`
	Selector  string `json:"selector"`
}

// DKIM returns whether and how a mailbox's mail is signed.
func (s *Sender) DKIM(ctx context.Context, mailboxID int64) (*DKIMView, error) {
	if err := require(ctx, auth.MailboxesRead); err != nil {
		return nil, err
	}
	if _, err := s.store.Mailbox(ctx, mailboxID); err != nil {
		return nil, err
	}
	d, err := s.store.MailboxDKIM(ctx, mailboxID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return &DKIMView{MailboxID: mailboxID}, nil
	}
	if err != nil {
		return nil, err
	}
	return &DKIMView{MailboxID: mailboxID, Enabled: true, Domain: d.Domain, Selector: d.Selector}, nil
}

// SetDKIM makes the mailbox sign its mail with the key (PEM: RSA in PKCS#1
// or PKCS#8, or Ed25519 in PKCS#8) for the domain and selector.
func (s *Sender) SetDKIM(ctx context.Context, mailboxID int64, in DKIMInput) (*DKIMView, error) {
	if err := require(ctx, auth.MailboxesWrite); err != nil {
		return nil, err
	}
	if _, err := s.store.Mailbox(ctx, mailboxID); err != nil {
		return nil, err
	}
	errs := desk.Fields{}
	domain := strings.ToLower(strings.TrimSpace(in.Domain))
	if domain == "" || len(domain) > 253 || strings.ContainsAny(domain, " /\\@:;\t\r\n\x00") {
		errs["domain"] = desk.M("mailsend.invalid_domain")
	}
	selector := strings.TrimSpace(in.Selector)
	if selector == "" || len(selector) > 63 || strings.ContainsAny(selector, " /\\@:;=\t\r\n\x00") {
		errs["selector"] = desk.M("mailsend.invalid_selector")
	}
	if _, err := parseDKIMKey(in.PrivateKey); err != nil {
		errs["private_key"] = desk.M("mailsend.invalid_key")
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	d := &DKIM{MailboxID: mailboxID, Domain: domain, Selector: selector, Key: in.PrivateKey, UpdatedAt: s.clock.Now()}
	if err := s.store.PutMailboxDKIM(ctx, d); err != nil {
		return nil, err
	}
	return &DKIMView{MailboxID: mailboxID, Enabled: true, Domain: domain, Selector: selector}, nil
}

// DeleteDKIM stops signing a mailbox's mail.
func (s *Sender) DeleteDKIM(ctx context.Context, mailboxID int64) error {
	if err := require(ctx, auth.MailboxesWrite); err != nil {
		return err
	}
	if _, err := s.store.Mailbox(ctx, mailboxID); err != nil {
		return err
	}
	return s.store.DeleteMailboxDKIM(ctx, mailboxID)
}
