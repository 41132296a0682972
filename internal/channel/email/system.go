package email

import (
	"context"
	"fmt"
	"net/mail"
	"strconv"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/jobs"
)

// dueBatch is how many subjects of scheduled mail (digests, account
// reports) SendEachDue reads at a time.
const dueBatch = 100

// SendEachDue pages through what is due for one period of scheduled mail:
// due reads the next page after a key (the last item's, from key), send
// mails one (false when nothing was due after all). One item's failure is
// handed to failed and does not hold the others up. It answers how many
// were sent.
func SendEachDue[T any](ctx context.Context, due func(ctx context.Context, after int64, limit int) ([]T, error),
	key func(T) int64, send func(context.Context, T) (bool, error), failed func(T, error)) (int, error) {
	sent := 0
	var after int64
	for {
		page, err := due(ctx, after, dueBatch)
		if err != nil {
			return sent, err
		}
		for _, it := range page {
			after = key(it)
			ok, err := send(ctx, it)
			if err != nil {
				failed(it, err)
				continue
			}
			if ok {
				sent++
			}
		}
		if len(page) < dueBatch {
			return sent, nil
		}
	}
}

// SystemMail is a mail the desk sends of its own — a satisfaction survey,
// later sign-in links and report digests — rather than an agent's reply:
// it answers no message, and is built when it is queued.
type SystemMail struct {
	MailboxID int64
	TicketID  int64 // 0 when it concerns no ticket
	To        string
	Subject   string
	Text      string
	HTML      string // may be empty
	Purpose   string // PurposeSurvey, ...
	// Key makes queueing idempotent: one mail per key, ever.
	Key string
}

// BuildSystemMail renders m from its mailbox (signed when the mailbox has a
// DKIM key) into an outgoing mail, queued, not yet stored: the caller
// stores it in the transaction that decides it is sent, then has Enqueue
// hand it over.
func (s *Sender) BuildSystemMail(ctx context.Context, m SystemMail) (*Outbound, error) {
	mb, err := s.store.Mailbox(ctx, m.MailboxID)
	if err != nil {
		return nil, err
	}
	addr, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, desk.Invalid(desk.Fields{"to": desk.M("invalid.email")})
	}
	to := addr.Address
	now := s.clock.Now()
	subject := CleanHeaderText(m.Subject, 200)
	o := &Outbound{TicketID: m.TicketID, MailboxID: mb.ID, Sender: mb.Address, Recipients: []string{to},
		Subject: subject, Status: DeliveryQueued, Purpose: m.Purpose, Key: m.Key, CreatedAt: now, UpdatedAt: now,
		RFCMessageID: NewMessageID(m.TicketID, 0, mb.Address)}
	out := &Outgoing{FromName: mb.Name, FromAddress: mb.Address, To: []string{to}, Subject: subject,
		MessageID: o.RFCMessageID, Date: now, Text: m.Text, HTML: m.HTML,
		// No autoresponder should answer the desk's own mail (RFC 3834).
		AutoSubmitted: "auto-generated"}
	raw, err := out.Bytes()
	if err != nil {
		return nil, fmt.Errorf("system mail %s: %w", m.Key, err)
	}
	dk, err := s.store.MailboxDKIM(ctx, mb.ID)
	if err != nil && desk.ErrorCode(err) != desk.ENOTFOUND {
		return nil, err
	}
	if o.Raw, err = signDKIM(dk, raw); err != nil {
		return nil, err
	}
	return o, nil
}

// Enqueue hands stored mails to the send job, once each however often it
// is asked (the job is unique per mail, and does nothing for a mail no
// longer queued).
func (s *Sender) Enqueue(ctx context.Context, outboundIDs ...int64) error {
	var list []jobs.Job
	for _, id := range outboundIDs {
		if id != 0 {
			list = append(list, jobs.Job{Args: sendArgs{OutboundID: id}, UniqueKey: "mail:" + strconv.FormatInt(id, 10)})
		}
	}
	if len(list) == 0 {
		return nil
	}
	return s.queue.EnqueueMany(ctx, list)
}
