// Package access turns credentials into an acting user: password sign-in
// with lockout, browser sessions with their CSRF secret, and API tokens. It
// builds the desk.Actor (role permissions and teams) every other package
// checks against.
package access

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
)

// Store is what access needs persisted.
type Store interface {
	Agent(ctx context.Context, id int64) (*people.Agent, error)
	AgentByEmail(ctx context.Context, email string) (*people.Agent, error)
	TokenAgent(ctx context.Context, digest string) (*people.Agent, *time.Time, error)
	Role(ctx context.Context, id int64) (*people.Role, error)
	// OwnedAccounts returns the ids of the organizations an agent owns.
	OwnedAccounts(ctx context.Context, agentID int64) ([]int64, error)
	SessionByDigest(ctx context.Context, digest string, now time.Time) (*Session, error)
	Tokens(ctx context.Context, agentID int64) ([]*Token, error)
	// TokensPage returns a page of an agent's tokens in id order.
	TokensPage(ctx context.Context, agentID int64, p desk.Page) ([]*Token, error)
	// The writes below record their audit entries (log) in their own
	// transaction; CreateToken sets a token entry's target id.
	RecordLogin(ctx context.Context, agentID int64, failed int, lockedUntil time.Time, log ...audit.Entry) error
	CreateSession(ctx context.Context, digest string, s Session, now time.Time, log ...audit.Entry) error
	DeleteSession(ctx context.Context, digest string, log ...audit.Entry) error
	CreateToken(ctx context.Context, agentID int64, name, digest string, now time.Time, expiresAt *time.Time, log ...audit.Entry) (*Token, error)
	RevokeToken(ctx context.Context, agentID, tokenID, ifVersion int64, now time.Time, log ...audit.Entry) error
	AppendAudit(ctx context.Context, entries ...audit.Entry) error
}

// Lockout policy: after MaxFailures wrong passwords in a row the account
// is locked for LockFor.
const (
	MaxFailures = 5
	LockFor     = 15 * time.Minute
	SessionTTL  = 14 * 24 * time.Hour
)

// Service signs people in and resolves credentials.
type Service struct {
	store Store
	clock desk.Clock

	mu     sync.Mutex
	roles  map[int64]cachedRole
	tokens *tokenCache
	// ended counts token revocations and sign-outs on this node, so that
	// whoever holds a credential for long (a live stream) knows to re-check.
	ended  atomic.Int64
	hashes *HashGate
}

type cachedRole struct {
	perms []string
	at    time.Time
}

// roleCacheFor bounds how long a role's permission change takes to reach a
// node that did not make it.
const roleCacheFor = 5 * time.Second

// NewService returns an access service.
func NewService(s Store, clock desk.Clock) *Service {
	return &Service{store: s, clock: clock, roles: map[int64]cachedRole{}, hashes: defaultHashGate()}
}

// ActorFor builds the acting user for an agent.
func (s *Service) ActorFor(ctx context.Context, a *people.Agent) (desk.Actor, error) {
	s.mu.Lock()
	c, ok := s.roles[a.RoleID]
	s.mu.Unlock()
	if !ok || time.Since(c.at) > roleCacheFor {
		r, err := s.store.Role(ctx, a.RoleID)
		if err != nil {
			return desk.Actor{}, fmt.Errorf("role of agent %d: %w", a.ID, err)
		}
		c = cachedRole{perms: r.Permissions, at: time.Now()}
		s.mu.Lock()
		s.roles[a.RoleID] = c
		s.mu.Unlock()
	}
	actor := desk.Actor{Kind: desk.ActorAgent, ID: a.ID, Name: a.Name, Role: a.Role, Permissions: c.perms,
		TeamIDs: a.TeamIDs, Language: a.Language}
	if actor.Can(auth.TicketsReadAccounts) && !actor.Can(auth.TicketsReadAll) {
		ids, err := s.store.OwnedAccounts(ctx, a.ID)
		if err != nil {
			return desk.Actor{}, fmt.Errorf("accounts of agent %d: %w", a.ID, err)
		}
		actor.AccountIDs = ids
	}
	return actor, nil
}

// ForgetRoles drops cached role permissions after a role changes.
func (s *Service) ForgetRoles() {
	s.mu.Lock()
	s.roles = map[int64]cachedRole{}
	s.mu.Unlock()
	s.forgetTokens()
}

// errBadLogin is the one answer to every failed sign-in, so that nobody can
// learn which emails exist.
var errBadLogin = desk.E(desk.EUNAUTHORIZED, "error.bad_login")

// signInFailed is the audit entry of a refused sign-in; agentID is 0 for
// an address that is no agent's.
func (s *Service) signInFailed(ctx context.Context, email string, agentID int64, reason string) audit.Entry {
	return audit.New(ctx, s.clock.Now(), audit.SignInFailed, "agent", agentID, map[string]any{"email": email, "reason": reason})
}

// refuse audits a refused sign-in that changes nothing else and returns
// the one answer to it.
func (s *Service) refuse(ctx context.Context, email, reason string) error {
	if err := s.store.AppendAudit(ctx, s.signInFailed(ctx, email, 0, reason)); err != nil {
		return err
	}
	return errBadLogin
}

// SignIn checks a password and returns a new session id (to put in a
// cookie), its CSRF secret and the agent. Every outcome is audited, with
// the client address of ctx.
func (s *Service) SignIn(ctx context.Context, email, password string) (sessionID, csrf string, a *people.Agent, err error) {
	email, err = people.NormalizeEmail(email)
	if err != nil {
		return "", "", nil, s.refuse(ctx, "", "not_email")
	}
	a, err = s.store.AgentByEmail(ctx, email)
	if err != nil && desk.ErrorCode(err) != desk.ENOTFOUND {
		return "", "", nil, err
	}
	// Every sign-in costs one hash, whether the account exists, is active,
	// has a password or is locked: otherwise the answer's time tells which.
	usable := err == nil && a.Active && a.PasswordHash != ""
	hash := dummyHash()
	if usable {
		hash = a.PasswordHash
	}
	var match bool
	if err := s.hashes.Do(ctx, func() { match = auth.CheckPassword(hash, password) }); err != nil {
		return "", "", nil, err
	}
	if a == nil {
		return "", "", nil, s.refuse(ctx, email, "unknown")
	}
	now := s.clock.Now()
	if now.Before(a.LockedUntil) {
		if err := s.store.AppendAudit(ctx, s.signInFailed(ctx, email, a.ID, "locked")); err != nil {
			return "", "", nil, err
		}
		return "", "", nil, desk.E(desk.ERATELIMIT, "error.locked", a.LockedUntil.Format(time.Kitchen+" MST"))
	}
	if !usable || !match {
		failed, until := a.FailedLogins+1, time.Time{}
		if failed >= MaxFailures {
			failed, until = 0, now.Add(LockFor)
		}
		if err := s.store.RecordLogin(ctx, a.ID, failed, until, s.signInFailed(ctx, email, a.ID, "password")); err != nil {
			return "", "", nil, err
		}
		return "", "", nil, errBadLogin
	}
	if a.FailedLogins > 0 {
		if err := s.store.RecordLogin(ctx, a.ID, 0, time.Time{}); err != nil {
			return "", "", nil, err
		}
	}
	sessionID, digest, err := auth.NewSecret("")
	if err != nil {
		return "", "", nil, err
	}
	csrf, _, err = auth.NewSecret("")
	if err != nil {
		return "", "", nil, err
	}
	as := desk.WithActor(ctx, desk.Actor{Kind: desk.ActorAgent, ID: a.ID, Name: a.Name})
	entry := audit.New(as, now, audit.SignIn, "agent", a.ID, nil)
	if err := s.store.CreateSession(ctx, digest, Session{AgentID: a.ID, CSRF: csrf, ExpiresAt: now.Add(SessionTTL)}, now, entry); err != nil {
		return "", "", nil, fmt.Errorf("sign in: %w", err)
	}
	return sessionID, csrf, a, nil
}

// dummyHash is checked against when the email is unknown or the account
// cannot sign in, so that the answer takes as long as for a real agent.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.HashPassword("not a real password")
	return h
})

// Session resolves a session id to its agent and CSRF secret.
func (s *Service) Session(ctx context.Context, sessionID string) (*people.Agent, string, error) {
	sess, err := s.store.SessionByDigest(ctx, auth.Digest(sessionID), s.clock.Now())
	if err != nil {
		return nil, "", desk.E(desk.EUNAUTHORIZED, "error.session_ended")
	}
	a, err := s.store.Agent(ctx, sess.AgentID)
	if err != nil || !a.Active {
		return nil, "", desk.E(desk.EUNAUTHORIZED, "error.session_ended")
	}
	return a, sess.CSRF, nil
}

// SignOut ends a session (of the acting agent, who is audited).
func (s *Service) SignOut(ctx context.Context, sessionID string) error {
	a, _ := desk.ActorFrom(ctx)
	err := s.store.DeleteSession(ctx, auth.Digest(sessionID), audit.New(ctx, s.clock.Now(), audit.SignOut, "agent", a.ID, nil))
	s.ended.Add(1)
	return err
}

// Ended counts the token revocations and sign-outs made on this node; a
// credential checked before it last moved must be checked again.
func (s *Service) Ended() int64 { return s.ended.Load() }

// Token resolves an API token to its agent. Revoked and expired tokens,
// tokens of deactivated agents and tokens voided by a deactivation or a
// password change are refused.
func (s *Service) Token(ctx context.Context, secret string) (*people.Agent, error) {
	a, _, err := s.token(ctx, secret)
	return a, err
}

// token is Token with the token's expiry (nil: never).
func (s *Service) token(ctx context.Context, secret string) (*people.Agent, *time.Time, error) {
	a, exp, err := s.store.TokenAgent(ctx, auth.Digest(secret))
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return nil, nil, desk.E(desk.EUNAUTHORIZED, "error.token_unknown")
	}
	if err != nil {
		return nil, nil, err
	}
	if exp != nil && !s.clock.Now().Before(*exp) {
		return nil, nil, desk.E(desk.EUNAUTHORIZED, "error.token_expired")
	}
	return a, exp, nil
}

// MaxTokenLife bounds an API token's expiry.
const MaxTokenLife = 10 * 365 * 24 * time.Hour

// CreateToken issues a new API token for an agent that never expires and
// returns the secret, which is shown once and never stored.
func (s *Service) CreateToken(ctx context.Context, agentID int64, name string) (string, *Token, error) {
	return s.CreateTokenUntil(ctx, agentID, name, nil)
}

// CreateTokenUntil issues a new API token that expires at expiresAt (nil:
// never), which must lie in the next MaxTokenLife.
func (s *Service) CreateTokenUntil(ctx context.Context, agentID int64, name string, expiresAt *time.Time) (string, *Token, error) {
	errs := desk.Fields{}
	name, msg := people.CleanName(name, 100)
	if msg.Key != "" {
		errs["name"] = msg
	}
	now := s.clock.Now()
	if expiresAt != nil {
		if !expiresAt.After(now) || expiresAt.After(now.Add(MaxTokenLife)) {
			errs["expires_at"] = desk.M("invalid.token_expiry")
		}
		t := expiresAt.UTC().Truncate(time.Microsecond)
		expiresAt = &t
	}
	if len(errs) > 0 {
		return "", nil, desk.Invalid(errs)
	}
	secret, digest, err := auth.NewSecret("shk_")
	if err != nil {
		return "", nil, err
	}
	entry := audit.New(ctx, now, audit.TokenCreated, "token", 0, map[string]any{"agent_id": agentID, "name": name})
	t, err := s.store.CreateToken(ctx, agentID, name, digest, now, expiresAt, entry)
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// Tokens lists an agent's tokens.
func (s *Service) Tokens(ctx context.Context, agentID int64) ([]*Token, error) {
	return s.store.Tokens(ctx, agentID)
}

// TokensPage returns a page of an agent's tokens in id order.
func (s *Service) TokensPage(ctx context.Context, agentID int64, p desk.Page) ([]*Token, error) {
	return s.store.TokensPage(ctx, agentID, p)
}

// RevokeToken revokes one of an agent's tokens; ifVersion, when not 0, is
// the version it must have (else ESTALE).
func (s *Service) RevokeToken(ctx context.Context, agentID, tokenID, ifVersion int64) error {
	entry := audit.New(ctx, s.clock.Now(), audit.TokenRevoked, "token", tokenID, map[string]any{"agent_id": agentID})
	err := s.store.RevokeToken(ctx, agentID, tokenID, ifVersion, s.clock.Now(), entry)
	s.forgetTokens()
	s.ended.Add(1)
	return err
}

// Token is an API token's stored form; the secret itself is never stored.
type Token struct {
	ID        int64      `json:"id"`
	AgentID   int64      `json:"agent_id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	// Version counts the changes (1, then 2 once revoked).
	Version int64 `json:"version"`
}

// CurrentVersion is the version the API sends as the ETag (If-Match compares with it).
func (t *Token) CurrentVersion() int64 { return t.Version }

// Session is a signed-in browser.
type Session struct {
	AgentID   int64
	CSRF      string
	ExpiresAt time.Time
}
