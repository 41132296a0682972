// Package csat owns customer satisfaction surveys: when a ticket is first
// solved, its requester is sent a link (by mail through the ticket's
// mailbox, or the desk's first one) to rate the help from 1 to 5 with a
// comment. One survey per ticket; the answer may be changed for a few days;
// the link is a random token kept only as its digest, and stops working
// after a while. Every answer is a ticket event (ticket.satisfaction_rated)
// written with it, for reports, QA sampling and account health to read.
//
// The package reads events from its own durable cursor and knows nothing of
// HTTP or SQL.
package csat

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

// Rated is the ticket event of an answer (first or changed); see
// event.SatisfactionRated.
const Rated = event.SatisfactionRated

// Negative reports whether a rating is a complaint (1 or 2 of 5): what
// escalation rules on satisfaction and account health count as bad.
func Negative(rating int) bool { return rating >= 1 && rating <= 2 }

// MaxComment bounds a comment, in characters.
const MaxComment = 2000

// Statuses of a ticket's satisfaction.
const (
	StatusNone     = "none"     // no survey: not solved yet, or no address to ask
	StatusSent     = "sent"     // asked, no answer yet
	StatusAnswered = "answered" // rated
	StatusExpired  = "expired"  // asked, the link stopped working unanswered
)

// Survey is one ticket's satisfaction survey.
type Survey struct {
	ID              int64      `json:"id"`
	TicketID        int64      `json:"ticket_id"`
	ContactID       int64      `json:"contact_id"`
	AgentID         *int64     `json:"agent_id"`
	TeamID          *int64     `json:"team_id"`
	Language        string     `json:"language"`
	Rating          *int       `json:"rating"`
	Comment         string     `json:"comment"`
	AnsweredAt      *time.Time `json:"answered_at"`
	ChangeableUntil *time.Time `json:"changeable_until"`
	ExpiresAt       time.Time  `json:"expires_at"`
	CreatedAt       time.Time  `json:"sent_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	// OutboundID is the survey's mail (nil when no mailbox could send it).
	OutboundID  *int64 `json:"outbound_id"`
	TokenDigest string `json:"-"`
	// Subject is the ticket's, for the survey page.
	Subject string `json:"-"`
}

// Status is where the survey stands at now.
func (s *Survey) Status(now time.Time) string {
	switch {
	case s == nil:
		return StatusNone
	case s.Rating != nil:
		return StatusAnswered
	case !now.Before(s.ExpiresAt):
		return StatusExpired
	}
	return StatusSent
}

// Open reports whether the survey takes an answer at now: its link works,
// and an earlier answer is still changeable.
func (s *Survey) Open(now time.Time) bool {
	if !now.Before(s.ExpiresAt) {
		return false
	}
	return s.ChangeableUntil == nil || now.Before(*s.ChangeableUntil)
}

// Candidate is a solved ticket that may get a survey: its requester and
// where the mail would come from.
type Candidate struct {
	TicketID     int64
	Subject      string
	ContactID    int64
	ContactName  string
	ContactEmail string
	Language     string
	AgentID      *int64
	TeamID       *int64
	MailboxID    int64 // 0: no mailbox to send from
}

// Store persists surveys. Single reads return a desk ENOTFOUND error.
type Store interface {
	event.Cursor
	// SurveyCandidates picks, among ticketIDs, the tickets in the solved
	// category that have no survey yet.
	SurveyCandidates(ctx context.Context, ticketIDs []int64) ([]Candidate, error)
	// CreateSurvey inserts sv and, when not nil, its mail in one
	// transaction, unless the ticket has a survey already: then it answers
	// false and fills sv with that one.
	CreateSurvey(ctx context.Context, sv *Survey, mail *email.Outbound) (bool, error)
	SurveyByToken(ctx context.Context, digest string) (*Survey, error)
	TicketSurvey(ctx context.Context, ticketID int64) (*Survey, error)
	// AnswerSurvey writes sv's rating, comment, answered_at,
	// changeable_until and updated_at, if the survey is still at
	// prevUpdated, and appends ev, in one transaction; ESTALE otherwise.
	AnswerSurvey(ctx context.Context, sv *Survey, prevUpdated time.Time, ev event.Event) error
}

// Mailer builds and hands over the desk's own mail (package email).
type Mailer interface {
	BuildSystemMail(ctx context.Context, m email.SystemMail) (*email.Outbound, error)
	Enqueue(ctx context.Context, outboundIDs ...int64) error
}

// Translate formats a message of the catalog in a language.
type Translate func(lang, key string, args ...any) string

// Config tunes surveys. Zero fields take the defaults.
type Config struct {
	// PublicURL is where the desk is reached from outside, without a
	// trailing slash; survey links start with it.
	PublicURL string
	// LinkFor is how long a survey link works (default 14 days).
	LinkFor time.Duration
	// ChangeFor is how long an answer may be changed (default 3 days).
	ChangeFor time.Duration
	// Poll is how often the consumer looks for events no bus announced.
	Poll time.Duration
}

func (c *Config) defaults() {
	if c.LinkFor <= 0 {
		c.LinkFor = 14 * 24 * time.Hour
	}
	if c.ChangeFor <= 0 {
		c.ChangeFor = 3 * 24 * time.Hour
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
}

// Service sends surveys and takes their answers.
type Service struct {
	store Store
	mail  Mailer
	bus   *event.Bus
	clock desk.Clock
	log   *slog.Logger
	t     Translate
	cfg   Config
}

// New builds the service.
func New(s Store, m Mailer, bus *event.Bus, clock desk.Clock, log *slog.Logger, t Translate, cfg Config) *Service {
	cfg.defaults()
	return &Service{store: s, mail: m, bus: bus, clock: clock, log: log, t: t, cfg: cfg}
}

// Consumer names the service's event cursor.
const Consumer = "csat"

// Run sends the surveys of solved tickets from the stored cursor until ctx
// ends.
func (s *Service) Run(ctx context.Context) {
	event.Follow(ctx, s.store, s.bus, Consumer, 100*time.Millisecond, s.cfg.Poll, s.handle, s.log)
}

// Dispatch handles every event after the cursor once (tests, tools).
func (s *Service) Dispatch(ctx context.Context) error {
	return event.Consume(ctx, s.store, Consumer, s.handle)
}

// handle surveys the tickets a batch of events solved. A repeated batch
// (the consumer stopped before moving its cursor) finds the surveys made
// and hands their mail to the queue again, which sends each once.
func (s *Service) handle(ctx context.Context, evs []event.Event) error {
	seen := map[int64]bool{}
	var ids []int64
	for _, e := range evs {
		if e.TicketID == 0 || seen[e.TicketID] || !solving(e) {
			continue
		}
		seen[e.TicketID] = true
		ids = append(ids, e.TicketID)
	}
	if len(ids) == 0 {
		return nil
	}
	list, err := s.store.SurveyCandidates(ctx, ids)
	if err != nil {
		return fmt.Errorf("csat: %w", err)
	}
	var mails []int64
	for _, c := range list {
		sv, err := s.send(ctx, c)
		if err != nil {
			return fmt.Errorf("csat: ticket %d: %w", c.TicketID, err)
		}
		if sv.OutboundID != nil {
			mails = append(mails, *sv.OutboundID)
		}
	}
	return s.mail.Enqueue(ctx, mails...)
}

// solving reports whether e may have put its ticket in the solved
// category: a create or a status change (the store checks the category).
func solving(e event.Event) bool {
	switch e.Kind {
	case event.TicketCreated:
		return true
	case event.FieldChanged:
		var c event.Change
		return json.Unmarshal(e.Data, &c) == nil && c.Field == "status"
	}
	return false
}

// send makes c's survey and its mail.
func (s *Service) send(ctx context.Context, c Candidate) (*Survey, error) {
	token, digest, err := auth.NewSecret("csat_")
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	lang := c.Language
	if lang != "hi" {
		lang = "en"
	}
	sv := &Survey{TicketID: c.TicketID, ContactID: c.ContactID, AgentID: c.AgentID, TeamID: c.TeamID,
		Language: lang, TokenDigest: digest, ExpiresAt: now.Add(s.cfg.LinkFor), CreatedAt: now, UpdatedAt: now}
	var mail *email.Outbound
	if c.MailboxID != 0 && c.ContactEmail != "" {
		link := s.Link(token)
		var text strings.Builder
		text.WriteString(s.t(lang, "csat.mail_greeting", c.ContactName) + "\n\n")
		text.WriteString(s.t(lang, "csat.mail_intro", c.TicketID, c.Subject) + "\n\n")
		for r := 5; r >= 1; r-- {
			fmt.Fprintf(&text, "%s: %s?rating=%d\n", s.t(lang, "csat.rating_"+strconv.Itoa(r)), link, r)
		}
		text.WriteString("\n" + s.t(lang, "csat.mail_expiry", int(s.cfg.LinkFor.Hours()/24)) + "\n")
		mail, err = s.mail.BuildSystemMail(ctx, email.SystemMail{MailboxID: c.MailboxID, TicketID: c.TicketID,
			To: c.ContactEmail, Subject: email.ReplySubject(s.t(lang, "csat.mail_subject", c.Subject), c.TicketID),
			Text: text.String(), Purpose: email.PurposeSurvey, Key: "csat:" + strconv.FormatInt(c.TicketID, 10)})
		if err != nil {
			// A contact address the mail cannot carry: the survey is kept
			// (the portal shows it), without mail.
			s.log.Warn("csat: survey mail", slog.Int64("ticket", c.TicketID), slog.Any("err", err))
			mail = nil
		}
	}
	if _, err := s.store.CreateSurvey(ctx, sv, mail); err != nil {
		return nil, err
	}
	return sv, nil
}

// Link is the survey page of a token.
func (s *Service) Link(token string) string {
	return s.cfg.PublicURL + "/survey/" + token
}

// ByToken finds the survey of a link's token; ENOTFOUND for a token that
// was never issued (a forged or mistyped link).
func (s *Service) ByToken(ctx context.Context, token string) (*Survey, error) {
	if !strings.HasPrefix(token, "csat_") || len(token) > 100 {
		return nil, desk.E(desk.ENOTFOUND, "csat.not_found")
	}
	return s.store.SurveyByToken(ctx, auth.Digest(token))
}

// ForTicket is a ticket's survey, nil when it has none. The caller checks
// that the actor may read the ticket.
func (s *Service) ForTicket(ctx context.Context, ticketID int64) (*Survey, error) {
	sv, err := s.store.TicketSurvey(ctx, ticketID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return nil, nil
	}
	return sv, err
}

// Answer records a rating (1-5) and comment for the survey of token: the
// first answer, or a change while the answer is changeable.
func (s *Service) Answer(ctx context.Context, token string, rating int, comment string) (*Survey, error) {
	sv, err := s.ByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.answer(ctx, sv, rating, comment)
}

// AnswerTicket records the answer of a ticket's requester (contactID)
// signed in elsewhere than the link, the portal: as Answer does, for the
// ticket's survey. ENOTFOUND when the ticket has no survey or another
// contact's; the caller checks the contact may see the ticket.
func (s *Service) AnswerTicket(ctx context.Context, ticketID, contactID int64, rating int, comment string) (*Survey, error) {
	sv, err := s.store.TicketSurvey(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	if sv.ContactID != contactID {
		return nil, desk.E(desk.ENOTFOUND, "csat.not_found")
	}
	return s.answer(ctx, sv, rating, comment)
}

func (s *Service) answer(ctx context.Context, sv *Survey, rating int, comment string) (*Survey, error) {
	comment = strings.TrimSpace(comment)
	fields := desk.Fields{}
	if rating < 1 || rating > 5 {
		fields["rating"] = desk.M("csat.rating_required")
	}
	if utf8.RuneCountInString(comment) > MaxComment {
		fields["comment"] = desk.M("invalid.too_long")
	}
	if len(fields) > 0 {
		return sv, desk.Invalid(fields)
	}
	now := s.clock.Now()
	switch {
	case !now.Before(sv.ExpiresAt):
		return sv, desk.E(desk.EUNPROCESSABLE, "csat.expired")
	case !sv.Open(now):
		return sv, desk.E(desk.EUNPROCESSABLE, "csat.closed")
	}
	previous := sv.Rating // nil at the first answer
	prevUpdated := sv.UpdatedAt
	sv.Rating, sv.Comment, sv.UpdatedAt = &rating, comment, now
	if sv.AnsweredAt == nil {
		until := now.Add(s.cfg.ChangeFor)
		if until.After(sv.ExpiresAt) {
			until = sv.ExpiresAt
		}
		sv.AnsweredAt, sv.ChangeableUntil = &now, &until
	}
	ev := event.New(Rated, sv.TicketID, map[string]any{"survey_id": sv.ID, "rating": rating, "previous": previous,
		"comment": comment, "agent_id": sv.AgentID, "team_id": sv.TeamID})
	ev.ActorKind, ev.ActorID, ev.CreatedAt = desk.ActorContact, sv.ContactID, now
	if err := s.store.AnswerSurvey(ctx, sv, prevUpdated, ev); err != nil {
		return nil, err
	}
	return sv, nil
}
