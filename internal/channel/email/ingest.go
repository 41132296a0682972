package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Source says how a message arrived.
type Source struct {
	Kind         string   // smtp, imap, api, inject or reparse
	EnvelopeFrom string   // SMTP MAIL FROM, when known
	Recipients   []string // envelope recipients, when known (plus-addresses)
}

// Outcomes of a message.
const (
	OutcomeNewTicket = "new_ticket"
	OutcomeReply     = "reply"
	OutcomeFollowUp  = "follow_up" // a reply to a closed ticket opened a linked one
	OutcomeLoop      = "ignored_loop"
	OutcomeFailed    = "failed"
)

// Inbound states: received (stored raw, not yet on a ticket), done, failed.
const (
	StateReceived = "received"
	StateDone     = "done"
	StateFailed   = "failed"
)

// Inbound is the record of one message received into a mailbox.
type Inbound struct {
	ID           int64      `json:"id"`
	MailboxID    int64      `json:"mailbox_id"`
	DedupeKey    string     `json:"dedupe_key"` // Message-ID, or sha256:<digest> without one
	RawSHA256    string     `json:"raw_sha256"`
	Size         int64      `json:"size"`
	Source       string     `json:"source"`
	EnvelopeFrom string     `json:"envelope_from"`
	State        string     `json:"state"`
	Outcome      string     `json:"outcome"`
	TicketID     *int64     `json:"ticket_id"`
	MessageID    *int64     `json:"message_id"`
	Warnings     []string   `json:"warnings"`
	Error        string     `json:"error"`
	AutoReply    string     `json:"auto_reply"` // why it was taken for a machine's mail; "" for a person's
	ReceivedAt   time.Time  `json:"received_at"`
	ProcessedAt  *time.Time `json:"processed_at"`
	// Raw is the message itself when the record keeps it (up to
	// InlineRawMax bytes); larger ones are in the blob store. Set when
	// claiming; reads go through Store.InboundRaw.
	Raw []byte `json:"-"`
}

// InlineRawMax is the largest message whose raw bytes the record itself
// keeps: written with it and durable by its commit, with no file of its own
// (a file per message cost more than the rest of ingest).
const InlineRawMax = 256 << 10

// Result is what became of a message handed to Ingest.
type Result struct {
	InboundID int64    `json:"inbound_id"`
	Outcome   string   `json:"outcome"`
	TicketID  int64    `json:"ticket_id"`
	MessageID int64    `json:"message_id"`
	Duplicate bool     `json:"duplicate"` // seen before: nothing new was written
	Warnings  []string `json:"warnings"`
}

// MessageIDRecord ties a Message-ID (without angle brackets) to a ticket.
type MessageIDRecord struct {
	MailboxID int64
	MessageID string
	TicketID  int64
	Message   int64 // the message row, 0 for none
	Direction string
}

// Store is what the channel persists.
type Store interface {
	MailboxStore
	// ClaimInbound records a received message unless (mailbox, dedupe key)
	// is there already; it fills in the stored row either way and reports
	// whether it was new.
	ClaimInbound(ctx context.Context, in *Inbound) (bool, error)
	InboundMail(ctx context.Context, id int64) (*Inbound, error)
	// InboundRaw returns the raw message the record keeps, nil when the
	// blob store has it (under RawSHA256).
	InboundRaw(ctx context.Context, id int64) ([]byte, error)
	// PendingInbound lists messages received before the time and not yet
	// on a ticket (a process died, or the database failed), oldest first.
	PendingInbound(ctx context.Context, before time.Time, afterID int64, limit int) ([]*Inbound, error)
	// InboundAfter lists the messages of a mailbox (0: all) after an id.
	InboundAfter(ctx context.Context, mailboxID, afterID int64, limit int) ([]*Inbound, error)
	// SettleInbound finishes a message that made no ticket change (a
	// failure or a loop) if it is still received.
	SettleInbound(ctx context.Context, id int64, state, outcome, errText string, warnings []string, now time.Time) error
	// TicketByMessageIDs returns the ticket of the first id known (the
	// mailbox's own record preferred), 0 when none is.
	TicketByMessageIDs(ctx context.Context, mailboxID int64, ids []string) (int64, error)
	// IsParticipant tells whether the address is a ticket's requester or
	// one of its contact followers.
	IsParticipant(ctx context.Context, ticketID int64, address string) (bool, error)
}

// Tx is what ingest writes in the ticket change's transaction; the store's
// ticket transaction implements it.
type Tx interface {
	// FinishInbound marks a received message done with its ticket; false
	// when another process finished it first (then nothing may commit).
	// autoReply is why the message was taken for a machine's ("" for none).
	FinishInbound(ctx context.Context, id int64, outcome string, ticketID, messageID int64, warnings []string,
		autoReply string, now time.Time) (bool, error)
	// RecordInbound inserts the record of a message not recorded yet,
	// finished with its ticket, and returns its id; 0 when (mailbox, dedupe
	// key) is recorded already (then nothing may commit).
	RecordInbound(ctx context.Context, in *Inbound, outcome string, ticketID, messageID int64, warnings []string,
		autoReply string, now time.Time) (int64, error)
	AddMessageIDs(ctx context.Context, ids []MessageIDRecord, now time.Time) error
	SetTicketMailbox(ctx context.Context, ticketID, mailboxID int64) error
	AddContactFollowers(ctx context.Context, ticketID int64, contactIDs []int64, now time.Time) error
}

// Tickets is the ticket service as the channel uses it.
type Tickets interface {
	Get(ctx context.Context, id int64) (*ticket.Ticket, error)
	Create(ctx context.Context, in ticket.NewTicket) (*ticket.Ticket, error)
	AddInbound(ctx context.Context, id int64, in ticket.InboundMessage) (*ticket.Ticket, *ticket.Message, error)
}

// Blobs keeps raw messages and attachments by content digest.
type Blobs interface {
	Put(r io.Reader, max int64) (digest string, size int64, err error)
	Open(digest string) (*os.File, error)
}

// Config tunes inbound mail. Zero fields take the defaults.
type Config struct {
	// MaxSize is the largest message accepted, in bytes (default 25 MiB):
	// SMTP answers 552 past it, the API 413.
	MaxSize int64
	// MaxFollowers caps the Cc'd contacts one message adds (default 20).
	MaxFollowers int
}

func (c *Config) defaults() {
	if c.MaxSize <= 0 {
		c.MaxSize = 25 << 20
	}
	if c.MaxFollowers <= 0 {
		c.MaxFollowers = 20
	}
}

// errFinished rolls back a ticket change whose message another process
// recorded first.
var errFinished = errors.New("inbound message finished elsewhere")

// unknownSender stands for the requester of mail whose sender cannot be
// read: the message still becomes a ticket, with a warning.
const unknownSender = "unknown-sender@sahayak.invalid"

// Ingest takes in one raw message for a mailbox: it records the message,
// raw bytes included, once per (mailbox, Message-ID or content digest), and
// puts it on a ticket — a new one, the one it replies to, or a follow-up of
// a closed one — in one transaction with that record. It returns an error
// only when the message could not be stored or recorded; a caller (an SMTP
// client, the IMAP poller) must then deliver it again, which is safe.
//
// A new message is recorded by the ticket change's own transaction (one
// commit per message, not two); one that changes no ticket (a loop, a
// bounce, a refusal) is recorded on its own. A duplicate is found when its
// record is written: the ticket change then rolls back and the first
// record answers.
func (s *Service) Ingest(ctx context.Context, mailboxID int64, raw io.Reader, src Source) (*Result, error) {
	ctx = desk.WithActor(ctx, desk.System)
	m, err := s.boxes.mailbox(ctx, mailboxID)
	if err != nil {
		return nil, err
	}
	if !m.Active {
		return nil, desk.E(desk.EUNPROCESSABLE, "error.mailbox_inactive", m.Address)
	}
	data, err := io.ReadAll(io.LimitReader(raw, s.cfg.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read message: %w", err)
	}
	if int64(len(data)) > s.cfg.MaxSize {
		return nil, desk.E(desk.ETOOLARGE, "error.mail_too_large", s.cfg.MaxSize>>20)
	}
	in := &Inbound{MailboxID: m.ID, Size: int64(len(data)), Source: src.Kind,
		EnvelopeFrom: cleanLine(src.EnvelopeFrom), State: StateReceived, ReceivedAt: s.clock.Now()}
	if len(data) <= InlineRawMax {
		sum := sha256.Sum256(data)
		in.RawSHA256, in.Raw = hex.EncodeToString(sum[:]), data
	} else if in.RawSHA256, _, err = s.blobs.Put(bytes.NewReader(data), s.cfg.MaxSize); err != nil {
		return nil, fmt.Errorf("store raw message: %w", err)
	}
	head, _ := splitEntity(data)
	in.DedupeKey = firstOf(messageIDs(parseHeader(head, func(string) {}).Get("message-id"), 1))
	if in.DedupeKey == "" {
		in.DedupeKey = "sha256:" + in.RawSHA256
	}
	return s.process(ctx, m, in, data, src)
}

func doneResult(in *Inbound) *Result {
	r := &Result{InboundID: in.ID, Outcome: in.Outcome, Duplicate: true, Warnings: in.Warnings}
	if in.TicketID != nil {
		r.TicketID = *in.TicketID
	}
	if in.MessageID != nil {
		r.MessageID = *in.MessageID
	}
	return r
}

// process reads a recorded message and puts it on its ticket. A conflict
// (on PostgreSQL, two messages of one new sender creating the contact at
// once) is tried again.
func (s *Service) process(ctx context.Context, m *Mailbox, in *Inbound, data []byte, src Source) (*Result, error) {
	for attempt := 1; ; attempt++ {
		res, err := s.processOnce(ctx, m, in, data, src)
		if desk.ErrorCode(err) != desk.ECONFLICT || attempt == 4 {
			return res, err
		}
	}
}

func (s *Service) processOnce(ctx context.Context, m *Mailbox, in *Inbound, data []byte, src Source) (*Result, error) {
	p := Parse(data)
	res := &Result{InboundID: in.ID, Warnings: p.Warnings}
	from := s.sender(p, src)
	if from.Email == unknownSender {
		p.Warnings = append(p.Warnings, "no_sender")
		res.Warnings = p.Warnings
	}
	if own, err := s.boxes.isOurs(ctx, from.Email); err != nil {
		return nil, err
	} else if own {
		// Mail from one of our own addresses would answer itself for ever.
		res.Outcome = OutcomeLoop
		return s.settle(ctx, in, res, StateDone, "", p.Warnings)
	}
	if outcome, err := s.hookOutcome(ctx, data, from.Email); err != nil {
		return nil, err
	} else if outcome != "" {
		res.Outcome = outcome
		return s.settle(ctx, in, res, StateDone, "", p.Warnings)
	}
	auto := autoReplyReason(p, src)
	files, err := s.keepFiles(p)
	if err != nil {
		return nil, err
	}
	target, err := s.thread(ctx, m, p, from, src)
	if err != nil {
		return nil, err
	}
	body, html := p.Text, p.HTML
	if strings.TrimSpace(body) == "" && strings.TrimSpace(html) == "" {
		body = "—" // the ticket needs a body; the raw message is kept
	}
	var closed *ticket.Ticket
	var recorded int64 // the record a new message got in the ticket's transaction
	if target != nil && target.StatusCategory != ticket.CategoryClosed {
		t, msg, err := s.tickets.AddInbound(ctx, target.ID, ticket.InboundMessage{From: ticket.Person{Email: from.Email,
			Name: from.Name}, Body: body, BodyHTML: html, Attachments: files, Automatic: auto != "",
			Within: s.within(m, in, p, from, auto, OutcomeReply, 0, &recorded)})
		switch {
		case err == nil:
			res.Outcome, res.TicketID, res.MessageID = OutcomeReply, t.ID, msg.ID
			res.InboundID = max(in.ID, recorded)
			return res, nil
		case errors.Is(err, errFinished):
			return s.finishedElsewhere(ctx, m, in, data, src)
		case desk.ErrorCode(err) == desk.EUNPROCESSABLE:
			closed = target // closed (or merged) meanwhile: a follow-up
		default:
			return s.failed(ctx, in, p, err)
		}
	} else if target != nil {
		closed = target
	}
	outcome, linkTo := OutcomeNewTicket, int64(0)
	if closed != nil {
		outcome, linkTo = OutcomeFollowUp, closed.ID
	}
	var first int64 // the ticket's first message, known inside its transaction
	within := s.within(m, in, p, from, auto, outcome, linkTo, &recorded)
	t, err := s.tickets.Create(ctx, ticket.NewTicket{Subject: subjectOf(p, body), Body: body, BodyHTML: html,
		Requester: ticket.Person{Email: from.Email, Name: from.Name}, Channel: "email", TeamID: m.TeamID,
		Attachments: files, Within: func(ctx context.Context, tx ticket.Tx, t *ticket.Ticket, msg *ticket.Message) ([]event.Event, error) {
			first = msg.ID
			return within(ctx, tx, t, msg)
		}})
	switch {
	case errors.Is(err, errFinished):
		return s.finishedElsewhere(ctx, m, in, data, src)
	case err != nil:
		return s.failed(ctx, in, p, err)
	}
	res.Outcome, res.TicketID, res.MessageID = outcome, t.ID, first
	res.InboundID = max(in.ID, recorded)
	return res, nil
}

// finishedElsewhere answers for a message whose record another delivery
// wrote or finished first. A record that is not finished (its process died,
// or the ticket service refused it before) is worked from here on.
func (s *Service) finishedElsewhere(ctx context.Context, m *Mailbox, in *Inbound, data []byte, src Source) (*Result, error) {
	if in.ID != 0 {
		fresh, err := s.store.InboundMail(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return doneResult(fresh), nil
	}
	if _, err := s.store.ClaimInbound(ctx, in); err != nil {
		return nil, fmt.Errorf("record message: %w", err)
	}
	if in.State == StateDone {
		return doneResult(in), nil
	}
	return s.process(ctx, m, in, data, src)
}

// settle records the end of a message that changes no ticket, recording
// the message first if it has no record yet (a duplicate answers as one).
func (s *Service) settle(ctx context.Context, in *Inbound, res *Result, state, errText string, warnings []string) (*Result, error) {
	if in.ID == 0 {
		if _, err := s.store.ClaimInbound(ctx, in); err != nil {
			return nil, fmt.Errorf("record message: %w", err)
		}
		if in.State == StateDone {
			return doneResult(in), nil
		}
		res.InboundID = in.ID
	}
	if err := s.store.SettleInbound(ctx, in.ID, state, res.Outcome, errText, warnings, s.clock.Now()); err != nil {
		return nil, err
	}
	return res, nil
}

// failed records a message the ticket service refused: the raw message and
// its record stay for `mail reparse`. Errors of the database are returned
// instead, so that the sender delivers again.
func (s *Service) failed(ctx context.Context, in *Inbound, p *Parsed, err error) (*Result, error) {
	switch desk.ErrorCode(err) {
	case desk.EINVALID, desk.EUNPROCESSABLE, desk.ENOTFOUND:
	default:
		if in.ID == 0 {
			// Kept for Recover, though the caller is told to deliver
			// again (which the record makes harmless).
			if _, cerr := s.store.ClaimInbound(ctx, in); cerr != nil {
				s.log.ErrorContext(ctx, "record inbound mail", slog.String("error", cerr.Error()))
			}
		}
		return nil, err
	}
	s.log.ErrorContext(ctx, "inbound mail refused by the ticket service", slog.Int64("inbound_id", in.ID),
		slog.String("error", err.Error()))
	return s.settle(ctx, in, &Result{InboundID: in.ID, Outcome: OutcomeFailed, Warnings: p.Warnings}, StateFailed,
		err.Error(), p.Warnings)
}

// sender is who the message is from: From, else Reply-To, Sender or the
// envelope sender, else a stand-in address (with a warning).
func (s *Service) sender(p *Parsed, src Source) Address {
	candidates := []Address{p.From}
	candidates = append(candidates, p.ReplyTo...)
	if v, _ := parseAddresses(p.Fields.Get("sender")); len(v) > 0 {
		candidates = append(candidates, v[0])
	}
	candidates = append(candidates, Address{Email: strings.ToLower(strings.Trim(src.EnvelopeFrom, "<> "))})
	for _, a := range candidates {
		if e, err := people.NormalizeEmail(a.Email); err == nil {
			name := a.Name
			if _, msg := people.CleanName(name, 200); msg.Key != "" {
				name = ""
			}
			return Address{Name: name, Email: e}
		}
	}
	return Address{Email: unknownSender}
}

// subjectOf is the ticket's subject: the mail's, else the start of its
// body, cut to what a ticket holds.
func subjectOf(p *Parsed, body string) string {
	s := p.Subject
	if s == "" {
		s = cleanLine(body)
	}
	if s == "" {
		s = "—"
	}
	if r := []rune(s); len(r) > ticket.MaxSubject {
		s = string(r[:ticket.MaxSubject-1]) + "…"
	}
	return s
}

// keepFiles stores the message's files in the blob store before the ticket
// transaction refers to them.
func (s *Service) keepFiles(p *Parsed) ([]ticket.Attachment, error) {
	var out []ticket.Attachment
	for _, f := range p.Files {
		digest, size, err := s.blobs.Put(bytes.NewReader(f.Data), s.cfg.MaxSize)
		if err != nil {
			return nil, fmt.Errorf("store attachment: %w", err)
		}
		out = append(out, ticket.Attachment{Filename: f.Filename, ContentType: f.ContentType, Size: size, SHA256: digest,
			ContentID: f.ContentID, Inline: f.Inline})
	}
	return out, nil
}

var tokenRE = regexp.MustCompile(`\[#(\d{1,15})\]`)

// thread finds the ticket a message belongs to: by the Message-IDs it
// answers, then — when a client dropped those headers — by the ticket
// token in the subject ("[#123]") or a plus-address (support+t123@…), the
// latter two only for a sender who takes part in that ticket. Never by
// subject text. Merged tickets lead to the ticket they were merged into.
func (s *Service) thread(ctx context.Context, m *Mailbox, p *Parsed, from Address, src Source) (*ticket.Ticket, error) {
	var ids []string
	for i := len(p.InReplyTo) - 1; i >= 0; i-- {
		ids = append(ids, p.InReplyTo[i])
	}
	for i := len(p.References) - 1; i >= 0; i-- {
		if !containsStr(ids, p.References[i]) {
			ids = append(ids, p.References[i])
		}
	}
	var id int64
	if len(ids) > 0 {
		var err error
		if id, err = s.store.TicketByMessageIDs(ctx, m.ID, ids); err != nil {
			return nil, err
		}
	}
	if id == 0 {
		for _, cand := range s.tokens(m, p, src) {
			ok, err := s.store.IsParticipant(ctx, cand, from.Email)
			if err != nil {
				return nil, err
			}
			if ok {
				id = cand
				break
			}
		}
	}
	if id == 0 {
		return nil, nil
	}
	for range 10 {
		t, err := s.tickets.Get(ctx, id)
		if desk.ErrorCode(err) == desk.ENOTFOUND {
			return nil, nil // deleted meanwhile: a new ticket
		}
		if err != nil {
			return nil, err
		}
		if t.MergedIntoID == nil {
			return t, nil
		}
		id = *t.MergedIntoID
	}
	return nil, nil
}

// tokens returns the ticket ids a message names by subject token or
// plus-address of the mailbox.
func (s *Service) tokens(m *Mailbox, p *Parsed, src Source) []int64 {
	var out []int64
	add := func(v string) {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	for _, mm := range tokenRE.FindAllStringSubmatch(p.Subject, 3) {
		add(mm[1])
	}
	local, domain, _ := strings.Cut(m.Address, "@")
	addrs := append([]string{}, src.Recipients...)
	for _, a := range append(append([]Address{}, p.To...), p.Cc...) {
		addrs = append(addrs, a.Email)
	}
	for _, a := range addrs {
		l, d, ok := strings.Cut(strings.ToLower(a), "@")
		if !ok || d != domain {
			continue
		}
		if rest, ok := strings.CutPrefix(l, local+"+t"); ok {
			add(rest)
		}
	}
	return out
}

// within is the channel's part of the ticket transaction: the record of
// the message is finished (or, finished elsewhere, everything rolls back),
// its Message-ID kept for replies, the ticket tied to the mailbox, Cc'd
// people made followers, a follow-up linked, warnings recorded.
func (s *Service) within(m *Mailbox, in *Inbound, p *Parsed, from Address, auto, outcome string, linkTo int64,
	recorded *int64) ticket.Within {
	return func(ctx context.Context, tx ticket.Tx, t *ticket.Ticket, msg *ticket.Message) ([]event.Event, error) {
		mtx, ok := tx.(Tx)
		if !ok {
			return nil, errors.New("email: the ticket transaction cannot record mail")
		}
		now := msg.CreatedAt
		var done bool
		var err error
		if in.ID == 0 {
			// The id is the caller's only once this transaction commits.
			*recorded, err = mtx.RecordInbound(ctx, in, outcome, t.ID, msg.ID, p.Warnings, auto, now)
			done = *recorded != 0
		} else {
			done, err = mtx.FinishInbound(ctx, in.ID, outcome, t.ID, msg.ID, p.Warnings, auto, now)
		}
		if err != nil {
			return nil, err
		}
		if !done {
			return nil, errFinished
		}
		if p.MessageID != "" {
			if err := mtx.AddMessageIDs(ctx, []MessageIDRecord{{MailboxID: m.ID, MessageID: p.MessageID, TicketID: t.ID,
				Message: msg.ID, Direction: "in"}}, now); err != nil {
				return nil, err
			}
		}
		var evs []event.Event
		if outcome != OutcomeReply {
			if err := mtx.SetTicketMailbox(ctx, t.ID, m.ID); err != nil {
				return nil, err
			}
		}
		if linkTo != 0 {
			if err := tx.InsertLink(ctx, ticket.Link{TicketID: t.ID, OtherID: linkTo, Kind: ticket.LinkRelated}, now); err != nil {
				return nil, err
			}
			evs = append(evs, event.New(event.Linked, t.ID, map[string]any{"other_id": linkTo, "kind": ticket.LinkRelated,
				"follow_up": true}))
		}
		followers, err := s.followers(ctx, tx, m, p, from, now)
		if err != nil {
			return nil, err
		}
		if err := mtx.AddContactFollowers(ctx, t.ID, followers, now); err != nil {
			return nil, err
		}
		if len(p.Warnings) > 0 {
			evs = append(evs, event.New(event.MailWarning, t.ID, map[string]any{"warnings": p.Warnings,
				"inbound_id": in.ID, "message_id": msg.ID}))
		}
		return evs, nil
	}
}

// followers are the contacts of the other people a message was sent to
// (To and Cc, not our mailboxes, not the sender).
func (s *Service) followers(ctx context.Context, tx ticket.Tx, m *Mailbox, p *Parsed, from Address, now time.Time) ([]int64, error) {
	var ids []int64
	seen := map[string]bool{from.Email: true, m.Address: true}
	for _, a := range append(append([]Address{}, p.Cc...), p.To...) {
		if len(ids) >= s.cfg.MaxFollowers {
			break
		}
		e, err := people.NormalizeEmail(a.Email)
		if err != nil || seen[e] || s.isOwnAddress(ctx, e) {
			continue
		}
		seen[e] = true
		name := a.Name
		if n, msg := people.CleanName(name, 200); msg.Key != "" {
			name, _, _ = strings.Cut(e, "@")
		} else {
			name = n
		}
		c, err := tx.EnsureContact(ctx, e, name, now)
		if err != nil {
			return nil, err
		}
		ids = append(ids, c.ID)
	}
	return ids, nil
}

func (s *Service) isOwnAddress(ctx context.Context, address string) bool {
	local, domain, _ := strings.Cut(address, "@")
	if base, _, plus := strings.Cut(local, "+"); plus {
		address = base + "@" + domain
	}
	own, _ := s.boxes.isOurs(ctx, address)
	return own
}
