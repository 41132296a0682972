// Package portal owns the customer portal's sign-in: a customer asks for a
// link at the portal, the desk mails a single-use link that expires, and
// following it opens a portal session, apart from the agents' sessions.
// Link tokens and session tokens carry 256 random bits and are kept only
// as their digests. Requests for links are rate-limited per address asked
// for and per client address, across nodes.
//
// The package also says who a signed-in customer is as an actor of the
// ticket service: a contact who may read, create and reply to tickets,
// scoped to their own (and their organization's when it shares tickets).
// It knows nothing of HTTP or SQL.
package portal

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ratelimit"
)

// Token prefixes, so that a pasted token says what it is.
const (
	linkPrefix    = "psl_"
	sessionPrefix = "pss_"
)

// PurposeSignIn marks a sign-in link's mail in the outbox.
const PurposeSignIn = "portal_sign_in"

// Customer is a contact signed in to the portal.
type Customer struct {
	ContactID      int64
	Name           string
	Email          string // primary address
	Language       string
	OrganizationID *int64
	// SharesTickets: the organization lets its contacts see each other's
	// tickets on the portal.
	SharesTickets bool
}

// Actor is the customer as the ticket service knows them: a contact who may
// read, open and answer tickets, within their scope.
func (c *Customer) Actor() desk.Actor {
	a := desk.Actor{Kind: desk.ActorContact, ID: c.ContactID, Name: c.Name, Language: c.Language,
		Permissions: []string{auth.TicketsRead, auth.TicketsCreate, auth.TicketsReply}}
	if c.SharesTickets && c.OrganizationID != nil {
		a.OrganizationID = *c.OrganizationID
	}
	return a
}

// Link is a mailed sign-in link.
type Link struct {
	ID          int64
	ContactID   int64
	Email       string
	TokenDigest string
	OutboundID  *int64
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      *time.Time
}

// Session is a customer's portal session.
type Session struct {
	Digest    string
	ContactID int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Store persists links and sessions. Single reads return a desk ENOTFOUND
// error.
type Store interface {
	// PortalContact is the contact one of whose addresses is email.
	PortalContact(ctx context.Context, email string) (*Customer, error)
	// PortalCustomer is a contact by id, with its organization's sharing.
	PortalCustomer(ctx context.Context, contactID int64) (*Customer, error)
	// PortalMailbox is the mailbox sign-in links come from: the desk's
	// first active one; 0 when there is none.
	PortalMailbox(ctx context.Context) (int64, error)
	// CreatePortalLink inserts l and, when not nil, its mail in one
	// transaction.
	CreatePortalLink(ctx context.Context, l *Link, mail *email.Outbound) error
	// PortalLink is a link by its token's digest.
	PortalLink(ctx context.Context, digest string) (*Link, error)
	// UsePortalLink marks the link of digest used at s.CreatedAt and opens
	// s for its contact in one transaction, if the link is unused and
	// unexpired then; false (and nothing written) otherwise.
	UsePortalLink(ctx context.Context, digest string, s *Session) (bool, error)
	// PortalSessionCustomer is the customer whose session has digest, if
	// the session is still open at now: one read per customer request.
	PortalSessionCustomer(ctx context.Context, digest string, now time.Time) (*Customer, error)
	DeletePortalSession(ctx context.Context, digest string) error
}

// Mailer builds and hands over the desk's own mail (package email).
type Mailer interface {
	BuildSystemMail(ctx context.Context, m email.SystemMail) (*email.Outbound, error)
	Enqueue(ctx context.Context, outboundIDs ...int64) error
}

// Limiter admits requests per caller and window (package ratelimit).
type Limiter interface {
	Allow(caller string, now time.Time) ratelimit.Decision
}

// Translate formats a message of the catalog in a language.
type Translate func(lang, key string, args ...any) string

// Config tunes the portal's sign-in. Zero fields take the defaults.
type Config struct {
	// PublicURL is where customers reach the desk, without a trailing
	// slash; links start with it.
	PublicURL string
	// LinkFor is how long a sign-in link works (default 15 minutes).
	LinkFor time.Duration
	// SessionFor is how long a portal session lasts (default 7 days).
	SessionFor time.Duration
}

func (c *Config) defaults() {
	if c.LinkFor <= 0 {
		c.LinkFor = 15 * time.Minute
	}
	if c.SessionFor <= 0 {
		c.SessionFor = 7 * 24 * time.Hour
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
}

// Service signs customers in and out.
type Service struct {
	store   Store
	mail    Mailer
	perMail Limiter // link requests per address asked for
	perAddr Limiter // link requests per client address
	clock   desk.Clock
	log     *slog.Logger
	t       Translate
	cfg     Config
}

// New builds the service. perMail and perAddr may be nil (no limit).
func New(s Store, m Mailer, perMail, perAddr Limiter, clock desk.Clock, log *slog.Logger, t Translate, cfg Config) *Service {
	cfg.defaults()
	return &Service{store: s, mail: m, perMail: perMail, perAddr: perAddr, clock: clock, log: log, t: t, cfg: cfg}
}

// LinkFor is how long a sign-in link works.
func (s *Service) LinkFor() time.Duration { return s.cfg.LinkFor }

// SessionFor is how long a portal session lasts.
func (s *Service) SessionFor() time.Duration { return s.cfg.SessionFor }

// RequestLink mails a sign-in link to addr if a contact holds it. Its
// answer never tells whether one does: an unknown address gets the same
// nil as a known one. An address that is not an email is EINVALID; too
// many requests for one address, or from one client address (from), are
// ERATELIMIT. lang is the language of the mail.
func (s *Service) RequestLink(ctx context.Context, addr, from, lang string) error {
	norm, err := people.NormalizeEmail(addr)
	if err != nil {
		return desk.Invalid(desk.Fields{"email": desk.M("invalid.email")})
	}
	now := s.clock.Now()
	// The address is counted by its digest: the limiter's shared rows
	// never hold customers' addresses.
	if s.perAddr != nil && !s.perAddr.Allow("portal-from:"+from, now).Allowed {
		return desk.E(desk.ERATELIMIT, "portal.too_many")
	}
	if s.perMail != nil && !s.perMail.Allow("portal-mail:"+auth.Digest(norm)[:24], now).Allowed {
		return desk.E(desk.ERATELIMIT, "portal.too_many")
	}
	c, err := s.store.PortalContact(ctx, norm)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		// No sign-up: the portal is for the desk's contacts. The caller
		// shows the same page either way.
		return nil
	}
	if err != nil {
		return err
	}
	token, digest, err := auth.NewSecret(linkPrefix)
	if err != nil {
		return err
	}
	l := &Link{ContactID: c.ContactID, Email: norm, TokenDigest: digest, CreatedAt: now, ExpiresAt: now.Add(s.cfg.LinkFor)}
	mail, err := s.linkMail(ctx, c, norm, token, lang)
	if err != nil {
		return err
	}
	if err := s.store.CreatePortalLink(ctx, l, mail); err != nil {
		return err
	}
	if mail == nil {
		return nil
	}
	return s.mail.Enqueue(ctx, mail.ID)
}

// linkMail builds the mail carrying a link; nil when the desk has no
// mailbox to send it from (the link is then of no use, and logged).
func (s *Service) linkMail(ctx context.Context, c *Customer, to, token, lang string) (*email.Outbound, error) {
	mailbox, err := s.store.PortalMailbox(ctx)
	if err != nil {
		return nil, err
	}
	if mailbox == 0 {
		s.log.Warn("portal: no active mailbox to send a sign-in link from", slog.Int64("contact", c.ContactID))
		return nil, nil
	}
	link := s.Link(token)
	text := s.t(lang, "portal.mail_greeting", c.Name) + "\n\n" + s.t(lang, "portal.mail_intro") + "\n\n" + link + "\n\n" +
		s.t(lang, "portal.mail_expiry", int(s.cfg.LinkFor.Minutes())) + "\n\n" + s.t(lang, "portal.mail_ignore") + "\n"
	m, err := s.mail.BuildSystemMail(ctx, email.SystemMail{MailboxID: mailbox, To: to,
		Subject: s.t(lang, "portal.mail_subject"), Text: text, Purpose: PurposeSignIn,
		Key: "portal-link:" + token[len(linkPrefix):len(linkPrefix)+16]})
	if err != nil {
		return nil, fmt.Errorf("portal: sign-in mail: %w", err)
	}
	return m, nil
}

// Link is the sign-in page of a token.
func (s *Service) Link(token string) string { return s.cfg.PublicURL + "/portal/signin/" + token }

// Why a link does not sign in: catalog keys of the message shown.
const (
	LinkUnknown = "portal.link_unknown"
	LinkUsed    = "portal.link_used"
	LinkExpired = "portal.link_expired"
)

// CheckLink tells, without using it, whether a link's token would sign in:
// nil, or an EUNPROCESSABLE error whose message says why not (LinkUnknown,
// LinkUsed, LinkExpired).
func (s *Service) CheckLink(ctx context.Context, token string) error {
	l, err := s.link(ctx, token)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	switch {
	case l.UsedAt != nil:
		return desk.E(desk.EUNPROCESSABLE, "portal.link_used")
	case !now.Before(l.ExpiresAt):
		return desk.E(desk.EUNPROCESSABLE, "portal.link_expired")
	}
	return nil
}

func (s *Service) link(ctx context.Context, token string) (*Link, error) {
	if !strings.HasPrefix(token, linkPrefix) || len(token) > 100 {
		return nil, desk.E(desk.EUNPROCESSABLE, "portal.link_unknown")
	}
	l, err := s.store.PortalLink(ctx, auth.Digest(token))
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return nil, desk.E(desk.EUNPROCESSABLE, "portal.link_unknown")
	}
	return l, err
}

// SignIn uses a link's token once and opens a session: it answers the
// session's token (for the cookie) and the customer. A link used before,
// expired or never issued is an EUNPROCESSABLE error saying which.
func (s *Service) SignIn(ctx context.Context, token string) (string, *Customer, error) {
	if err := s.CheckLink(ctx, token); err != nil {
		return "", nil, err
	}
	l, err := s.link(ctx, token)
	if err != nil {
		return "", nil, err
	}
	secret, digest, err := auth.NewSecret(sessionPrefix)
	if err != nil {
		return "", nil, err
	}
	now := s.clock.Now()
	sess := &Session{Digest: digest, ContactID: l.ContactID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionFor)}
	ok, err := s.store.UsePortalLink(ctx, l.TokenDigest, sess)
	if err != nil {
		return "", nil, err
	}
	if !ok {
		// Used (or expired) between the check and now: a replay racing
		// the first use loses here.
		return "", nil, desk.E(desk.EUNPROCESSABLE, "portal.link_used")
	}
	c, err := s.store.PortalCustomer(ctx, l.ContactID)
	if err != nil {
		return "", nil, err
	}
	return secret, c, nil
}

// Customer is the signed-in customer of a session token: EUNAUTHORIZED for
// a token that names no live session.
func (s *Service) Customer(ctx context.Context, token string) (*Customer, error) {
	if !strings.HasPrefix(token, sessionPrefix) || len(token) > 100 {
		return nil, desk.E(desk.EUNAUTHORIZED, "portal.sign_in")
	}
	c, err := s.store.PortalSessionCustomer(ctx, auth.Digest(token), s.clock.Now())
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return nil, desk.E(desk.EUNAUTHORIZED, "portal.sign_in")
	}
	return c, err
}

// SignOut ends the session of token (nothing for a token that names none).
func (s *Service) SignOut(ctx context.Context, token string) error {
	if !strings.HasPrefix(token, sessionPrefix) || len(token) > 100 {
		return nil
	}
	return s.store.DeletePortalSession(ctx, auth.Digest(token))
}
