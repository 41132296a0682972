package email

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Delivery states of an outgoing mail.
const (
	DeliveryQueued = "queued"
	DeliverySent   = "sent"
	DeliveryFailed = "failed"
)

// RelayOutbox is the relay of mail kept in the built-in outbox because its
// mailbox has no SMTP server.
const RelayOutbox = "outbox"

// Outbound is one reply sent as mail: its delivery state and the mail as
// it was handed over.
type Outbound struct {
	ID           int64      `json:"id"`
	MessageID    int64      `json:"message_id"`
	TicketID     int64      `json:"ticket_id"`
	MailboxID    int64      `json:"mailbox_id"`
	RFCMessageID string     `json:"rfc_message_id"`
	Sender       string     `json:"sender"`
	Recipients   []string   `json:"recipients"`
	Subject      string     `json:"subject"`
	Status       string     `json:"status"`
	Reason       string     `json:"reason"`
	Relay        string     `json:"relay"`
	Attempts     int        `json:"attempts"`
	Raw          []byte     `json:"-"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	SentAt       *time.Time `json:"sent_at"`
	// Purpose says why the desk sent it: PurposeReply, or a mail of the
	// desk's own (PurposeSurvey) that answers no message (MessageID 0).
	Purpose string `json:"purpose"`
	// Key, for a mail of the desk's own, makes queueing it idempotent.
	Key string `json:"-"`
	// Batch is the batch whose job sends the mail (the id of its first
	// mail), 0 for a mail with a job of its own. Before QueueOutbound, a
	// group number among the mails queued together.
	Batch int64 `json:"-"`
}

// Purposes of outgoing mail.
const (
	PurposeReply  = "reply"
	PurposeSurvey = "survey"
	PurposeReport = "report" // an account report (package accountreport)
)

// ReplyMail is a reply to be sent: enough to queue its mail.
type ReplyMail struct {
	MessageID, TicketID, MailboxID int64
	MailboxAddress, Subject, To    string
	AuthorKind                     string // agent, or system for an automation's reply
	// AutoReply is why the ticket's latest mail before the reply was taken
	// for a machine's ("" for a person's).
	AutoReply string
}

// Draft is what the mail of a reply is made of, gathered by the store.
type Draft struct {
	MessageID int64
	TicketID  int64
	// Mailbox is the one the mail goes out from; the sender fills it in
	// (the mail's own, which it has read once for its batch).
	Mailbox     *Mailbox
	AuthorName  string
	Subject     string // the ticket's
	Body        string
	BodyHTML    string
	Attachments []ticket.Attachment
	To          []string // the requester
	Cc          []string // contacts following the conversation
	// Thread holds the Message-IDs of the ticket's earlier mail, inbound
	// and outbound, oldest first; the last inbound one is answered.
	Thread    []string
	InReplyTo string
	// Previous is the customer's message the reply answers, if any.
	Previous *ticket.Message
	// Automatic is true for an automation's reply (no person wrote it).
	Automatic bool
}

// OutboundStore persists outgoing mail. Single reads return a desk
// ENOTFOUND error for a missing row.
type OutboundStore interface {
	event.Cursor
	// ReplyDraft gathers a message's mail (all but its Mailbox); ENOTFOUND when the message is
	// not a public reply on a ticket that has a mailbox.
	ReplyDraft(ctx context.Context, messageID int64) (*Draft, error)
	// ReplyMails picks, from messages, the public replies of agents and
	// automations on tickets that have a mailbox.
	ReplyMails(ctx context.Context, messageIDs []int64) ([]ReplyMail, error)
	// QueueOutbound inserts the mails whose messages have none yet (setting
	// their IDs) and counts each for its recipients in the loop window, in
	// one transaction; it returns each inserted mail's highest recipient
	// count. Inserted mails of one Batch group number are put in one batch
	// (Batch becomes its first mail's id). A mail already there is read back
	// (ID, state, Message-ID, batch).
	QueueOutbound(ctx context.Context, mails []*Outbound, window time.Time) (map[int64]int, error)
	Outbound(ctx context.Context, id int64) (*Outbound, error)
	OutboundByMessageID(ctx context.Context, rfcMessageID string) (*Outbound, error)
	// SaveOutbound writes o's state, reason, attempts, relay, raw mail,
	// sender, recipients and subject.
	SaveOutbound(ctx context.Context, o *Outbound) error
	// OutboundBatch returns the still-queued mails of a batch, by id, with
	// their raw text.
	OutboundBatch(ctx context.Context, batch int64) ([]*Outbound, error)
	// SaveOutbounds is SaveOutbound of several mails in one transaction.
	SaveOutbounds(ctx context.Context, list []*Outbound) error
	// OutboundList is the outbox, newest first, before id beforeID if not 0.
	OutboundList(ctx context.Context, beforeID int64, limit int) ([]*Outbound, error)
	Mailbox(ctx context.Context, id int64) (*Mailbox, error)
	MailboxDKIM(ctx context.Context, mailboxID int64) (*DKIM, error)
	PutMailboxDKIM(ctx context.Context, d *DKIM) error
	DeleteMailboxDKIM(ctx context.Context, mailboxID int64) error
	IMAPStatus(ctx context.Context, mailboxID int64) (*IMAPStatus, error)
	// CountMail adds one to address's count in the window and returns it.
	CountMail(ctx context.Context, address string, window time.Time) (int, error)
}

// SenderConfig tunes outbound mail. Zero fields take the defaults.
type SenderConfig struct {
	// MaxAttempts of one mail (default 10; with the queue's backoff of about
	// attempt⁴ seconds, retries span some three hours).
	MaxAttempts int
	// Timeout bounds one conversation with the relay (default 30 s).
	Timeout time.Duration
	// LoopLimit is how many mails one address may be sent in LoopWindow
	// (defaults 30 per hour) before further mail to it fails as a loop.
	LoopLimit  int
	LoopWindow time.Duration
	// InboundLimit is how many mails one sender may send the desk in
	// LoopWindow (default 60) before AllowInbound says no.
	InboundLimit int
	// Poll is how often the consumer looks for events no bus announced.
	Poll time.Duration
	// TLS, when set, is the base TLS configuration (tests trust their
	// own certificate through it).
	TLS *tls.Config
}

func (c *SenderConfig) defaults() {
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.LoopLimit <= 0 {
		c.LoopLimit = 30
	}
	if c.LoopWindow <= 0 {
		c.LoopWindow = time.Hour
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.InboundLimit <= 0 {
		c.InboundLimit = 60
	}
}

// Sender turns agents' public replies on email tickets into mail: a
// durable consumer of message events queues each reply (state queued) and
// a job per mail builds it once, then hands it to the mailbox's relay or,
// without one, keeps it in the outbox.
type Sender struct {
	store OutboundStore
	blobs Blobs
	queue *jobs.Queue
	bus   *event.Bus
	clock desk.Clock
	log   *slog.Logger
	cfg   SenderConfig
	relay relayPool
}

// sendArgs is the job: one mail.
type sendArgs struct {
	OutboundID int64 `json:"outbound_id"`
}

// Kind names the job in the queue; never rename it.
func (sendArgs) Kind() string { return "mail_send" }

// NewSender builds the sender and registers its job on the queue (before
// the queue starts).
func NewSender(s OutboundStore, blobs Blobs, q *jobs.Queue, bus *event.Bus, clock desk.Clock, log *slog.Logger, cfg SenderConfig) (*Sender, error) {
	cfg.defaults()
	snd := &Sender{store: s, blobs: blobs, queue: q, bus: bus, clock: clock, log: log, cfg: cfg}
	// River's own count would discard the job silently; the mail counts
	// its attempts itself and ends failed, so River may allow one more.
	// A run is never cut off by the queue's one-minute default while the
	// relay is slow but working: a run cut off after a hand-over, before
	// its state is written, would hand that mail over again. Each relay
	// command has cfg.Timeout, and a mail's conversation is a handful of
	// them (six allowed for: dial and greeting, hello, auth, MAIL, RCPT,
	// DATA); a batch's run allows that for each of its mails.
	perMail := 6 * cfg.Timeout
	if err := jobs.AddWorker(q, snd.send, jobs.MaxAttempts(cfg.MaxAttempts+1),
		jobs.Timeout(perMail+time.Minute)); err != nil {
		return nil, fmt.Errorf("email sender: %w", err)
	}
	if err := jobs.AddWorker(q, snd.sendBatch, jobs.MaxAttempts(cfg.MaxAttempts+1),
		jobs.Timeout(sendBatchMax*perMail+time.Minute)); err != nil {
		return nil, fmt.Errorf("email sender: %w", err)
	}
	return snd, nil
}

const sendConsumer = "mail-out"

// Run queues mail for replies from the stored cursor until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	defer s.relay.closeAll()
	event.Follow(ctx, s.store, s.bus, sendConsumer, 50*time.Millisecond, s.cfg.Poll, s.queueReplies, s.log)
}

// Dispatch queues the mail of every event after the cursor once.
func (s *Sender) Dispatch(ctx context.Context) error {
	return event.Consume(ctx, s.store, sendConsumer, s.queueReplies)
}

// queueReplies records, for a batch of events, the mail of each public
// agent reply on an email ticket as queued and enqueues its job — a few
// statements per batch, not per reply. A repeat (the consumer crashed
// before moving its cursor, perhaps before enqueueing) finds the rows and
// enqueues the jobs of those still queued again; a job is unique per mail,
// so one that was enqueued is not doubled.
func (s *Sender) queueReplies(ctx context.Context, evs []event.Event) error {
	var ids []int64
	for _, e := range evs {
		if e.Kind != event.MessageAdded {
			continue
		}
		var d struct {
			MessageID  int64  `json:"message_id"`
			Internal   bool   `json:"internal"`
			AuthorKind string `json:"author_kind"`
		}
		if err := json.Unmarshal(e.Data, &d); err != nil || d.Internal ||
			(d.AuthorKind != desk.ActorAgent && d.AuthorKind != desk.ActorSystem) {
			continue
		}
		ids = append(ids, d.MessageID)
	}
	if len(ids) == 0 {
		return nil
	}
	replies, err := s.store.ReplyMails(ctx, ids)
	if err != nil || len(replies) == 0 {
		return err
	}
	now := s.clock.Now()
	mails := make([]*Outbound, len(replies))
	byMessage := make(map[int64]ReplyMail, len(replies))
	groups := batchGroups{}
	for i, r := range replies {
		byMessage[r.MessageID] = r
		mails[i] = &Outbound{MessageID: r.MessageID, TicketID: r.TicketID, MailboxID: r.MailboxID,
			RFCMessageID: NewMessageID(r.TicketID, r.MessageID, r.MailboxAddress), Sender: r.MailboxAddress,
			Recipients: []string{r.To}, Subject: ReplySubject(r.Subject, r.TicketID), Status: DeliveryQueued,
			CreatedAt: now, UpdatedAt: now, Batch: groups.next(r.MailboxID)}
	}
	counts, err := s.store.QueueOutbound(ctx, mails, now.Truncate(s.cfg.LoopWindow))
	if err != nil {
		return fmt.Errorf("queue mail: %w", err)
	}
	var jobList []jobs.Job
	batches := map[int64]bool{}
	for _, o := range mails {
		if o.ID == 0 || o.Status != DeliveryQueued {
			continue // sent or failed by an earlier run of this batch
		}
		if r := byMessage[o.MessageID]; r.AuthorKind == desk.ActorSystem && r.AutoReply != "" {
			// An automatic answer to a machine's mail is how two robots
			// start a loop: a person may still answer it.
			if err := s.finish(ctx, o, DeliveryFailed, "withheld: an automatic reply to automatic mail ("+
				CleanHeaderText(r.AutoReply, 200)+")", ""); err != nil {
				return err
			}
			continue
		}
		if counts[o.ID] > s.cfg.LoopLimit {
			// More mail to this address in the window than a person
			// exchanges with a help desk: a loop with an autoresponder.
			if err := s.finish(ctx, o, DeliveryFailed, "loop guard: more than "+strconv.Itoa(s.cfg.LoopLimit)+
				" mails to "+strings.Join(o.Recipients, ", ")+" within "+s.cfg.LoopWindow.String(), ""); err != nil {
				return err
			}
			continue
		}
		switch {
		case o.Batch == 0: // queued before batches: a job of its own
			jobList = append(jobList, jobs.Job{Args: sendArgs{OutboundID: o.ID}, UniqueKey: "mail:" + strconv.FormatInt(o.ID, 10)})
		case !batches[o.Batch]:
			batches[o.Batch] = true
			jobList = append(jobList, jobs.Job{Args: sendBatchArgs{Batch: o.Batch},
				UniqueKey: "mailbatch:" + strconv.FormatInt(o.Batch, 10)})
		}
	}
	return s.queue.EnqueueMany(ctx, jobList)
}

// send is the job. It builds the mail on its first run and keeps it, so
// every retry hands over the same bytes (and Message-ID).
func (s *Sender) send(ctx context.Context, a sendArgs) error {
	o, err := s.store.Outbound(ctx, a.OutboundID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if o.Status != DeliveryQueued {
		return nil
	}
	mb, err := s.store.Mailbox(ctx, o.MailboxID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return s.finish(ctx, o, DeliveryFailed, "mailbox deleted", "")
	}
	if err != nil {
		return err
	}
	dkim := func() (*DKIM, error) { return s.mailboxDKIM(ctx, mb.ID) }
	retry := s.deliver(ctx, mb, o, dkim)
	if err := s.store.SaveOutbound(ctx, o); err != nil {
		return fmt.Errorf("mail %d: %w", o.ID, err)
	}
	s.logFailed(o)
	if retry != nil {
		return fmt.Errorf("mail %d: %w", o.ID, retry)
	}
	return nil
}

// deliver builds o if it has not been built and hands it to the mailbox's
// relay (or keeps it in the outbox), setting its state; the caller saves
// it. It returns the relay's error when the mail is to be tried again.
func (s *Sender) deliver(ctx context.Context, mb *Mailbox, o *Outbound, dkim func() (*DKIM, error)) *RelayError {
	if o.Raw == nil {
		if err := s.build(ctx, o, mb, dkim); err != nil {
			s.settle(o, DeliveryFailed, CleanHeaderText(err.Error(), 400), "")
			return nil
		}
	}
	if mb.SMTP.Host == "" {
		s.settle(o, DeliverySent, "", RelayOutbox)
		return nil
	}
	o.Attempts++
	err := s.relay.send(ctx, &mb.SMTP, s.cfg.TLS, s.cfg.Timeout, o.Sender, o.Recipients, o.Raw)
	if err == nil {
		s.settle(o, DeliverySent, "", mb.SMTP.Host)
		return nil
	}
	re := relayError("send", err)
	if re.Permanent || o.Attempts >= s.cfg.MaxAttempts {
		s.settle(o, DeliveryFailed, re.Reason, mb.SMTP.Host)
		return nil
	}
	o.Reason, o.UpdatedAt = re.Reason, s.clock.Now()
	return re
}

// settle sets o's final state (the caller saves it).
func (s *Sender) settle(o *Outbound, status, reason, relay string) {
	now := s.clock.Now()
	o.Status, o.Reason, o.UpdatedAt = status, reason, now
	if relay != "" {
		o.Relay = relay
	}
	if status == DeliverySent {
		o.SentAt = &now
	}
}

func (s *Sender) logFailed(o *Outbound) {
	if o.Status == DeliveryFailed {
		s.log.Warn("mail failed", slog.Int64("outbound", o.ID), slog.Int64("ticket", o.TicketID), slog.String("reason", o.Reason))
	}
}

func (s *Sender) finish(ctx context.Context, o *Outbound, status, reason, relay string) error {
	s.settle(o, status, reason, relay)
	if err := s.store.SaveOutbound(ctx, o); err != nil {
		return fmt.Errorf("mail %d: %w", o.ID, err)
	}
	s.logFailed(o)
	return nil
}

// mailboxDKIM is the mailbox's signing key, nil for none.
func (s *Sender) mailboxDKIM(ctx context.Context, mailboxID int64) (*DKIM, error) {
	dk, err := s.store.MailboxDKIM(ctx, mailboxID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return nil, nil
	}
	return dk, err
}

// build renders the reply from mailbox mb (signed when it has a DKIM key,
// which dkim gives) into o.
func (s *Sender) build(ctx context.Context, o *Outbound, mb *Mailbox, dkim func() (*DKIM, error)) error {
	d, err := s.store.ReplyDraft(ctx, o.MessageID)
	if err != nil {
		return fmt.Errorf("gather reply: %w", err)
	}
	d.Mailbox = mb
	text := d.Body
	if d.Mailbox.Signature != "" {
		text += "\n\n-- \n" + d.Mailbox.Signature
	}
	var quoted string
	if d.Previous != nil {
		quoted = QuoteForReply(d.Previous.AuthorName, d.Previous.CreatedAt, d.Previous.BodyText)
	}
	if quoted != "" {
		text += "\n\n" + quoted
	}
	var htmlBody string
	if d.BodyHTML != "" {
		htmlBody = "<div>" + d.BodyHTML + "</div>"
		if d.Mailbox.Signature != "" {
			htmlBody += "<p>-- <br>" + strings.ReplaceAll(html.EscapeString(d.Mailbox.Signature), "\n", "<br>") + "</p>"
		}
		if quoted != "" {
			htmlBody += "<blockquote type=\"cite\"><pre>" + html.EscapeString(quoted) + "</pre></blockquote>"
		}
	}
	name := d.AuthorName
	switch {
	case d.Automatic || name == "":
		name = d.Mailbox.Name // an automation speaks as the mailbox
	case d.Mailbox.Name != "":
		name += " (" + d.Mailbox.Name + ")"
	}
	out := &Outgoing{FromName: name, FromAddress: d.Mailbox.Address, To: d.To, Cc: d.Cc, Subject: o.Subject,
		MessageID: o.RFCMessageID, InReplyTo: d.InReplyTo, References: d.Thread, Date: s.clock.Now(),
		Text: text, HTML: htmlBody}
	if d.Automatic {
		// RFC 3834: no person wrote it, so autoresponders keep quiet.
		out.AutoSubmitted = "auto-replied"
	}
	for _, a := range d.Attachments {
		digest := a.SHA256
		out.Attachments = append(out.Attachments, Part{Filename: a.Filename, ContentType: a.ContentType,
			Open: func() (io.ReadCloser, error) {
				f, err := s.blobs.Open(digest)
				if err != nil {
					return nil, err
				}
				return f, nil
			}})
	}
	raw, err := out.Bytes()
	if err != nil {
		return err
	}
	dk, err := dkim()
	if err != nil {
		return err
	}
	if raw, err = signDKIM(dk, raw); err != nil {
		return err
	}
	o.Raw, o.Recipients = raw, append(append([]string{}, d.To...), d.Cc...)
	return nil
}

// HandleBounce marks the mail a delivery status notification reports as
// failed, with the report's reason. It reports whether raw was a bounce of
// the desk's own mail (ingest then need not make a ticket of it).
func (s *Sender) HandleBounce(ctx context.Context, raw []byte) (bool, error) {
	b, ok := ParseDSN(raw)
	if !ok {
		return false, nil
	}
	o, err := s.store.OutboundByMessageID(ctx, b.OriginalMessageID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !b.Failed() {
		return true, nil // delayed or delivered: nothing to change
	}
	return true, s.finish(ctx, o, DeliveryFailed, b.Reason(), "")
}

// AllowInbound counts a mail received from sender and reports whether it
// is within the sender's limit for the window. The count is in the
// database, so every node adds to the same one. Ingest stores mail over the
// limit but opens no ticket for it and answers nothing: an autoresponder
// talking to another is the usual sender of such a flood.
func (s *Sender) AllowInbound(ctx context.Context, sender string) (bool, error) {
	sender = strings.ToLower(strings.TrimSpace(sender))
	if sender == "" {
		return true, nil
	}
	n, err := s.store.CountMail(ctx, "in:"+sender, s.clock.Now().Truncate(s.cfg.LoopWindow))
	if err != nil {
		return false, err
	}
	return n <= s.cfg.InboundLimit, nil
}

// Outbox lists outgoing mail, newest first.
func (s *Sender) Outbox(ctx context.Context, beforeID int64, limit int) ([]*Outbound, error) {
	if err := require(ctx, auth.MailboxesRead); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	return s.store.OutboundList(ctx, beforeID, limit)
}

// OutboxMail returns one outgoing mail with its raw text.
func (s *Sender) OutboxMail(ctx context.Context, id int64) (*Outbound, error) {
	if err := require(ctx, auth.MailboxesRead); err != nil {
		return nil, err
	}
	return s.store.Outbound(ctx, id)
}

// TestSMTP is the "test connection" action: it connects to the mailbox's
// relay, secures the connection and logs in, sending nothing. A failure is
// an EUNPROCESSABLE error whose message says what went wrong (never the
// password).
func (s *Sender) TestSMTP(ctx context.Context, mailboxID int64) error {
	if err := require(ctx, auth.MailboxesWrite); err != nil {
		return err
	}
	mb, err := s.store.Mailbox(ctx, mailboxID)
	if err != nil {
		return err
	}
	if mb.SMTP.Host == "" {
		return desk.E(desk.EUNPROCESSABLE, "mailsend.no_relay")
	}
	if err := probeSMTP(ctx, &mb.SMTP, s.cfg.TLS, s.cfg.Timeout); err != nil {
		return desk.E(desk.EUNPROCESSABLE, "mailsend.test_failed", relayError("test", err).Reason)
	}
	return nil
}
