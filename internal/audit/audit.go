// Package audit owns the audit log: a read-only record of admin and security
// actions (sign-ins and their failures, sign-outs, role, permission and agent
// changes, API tokens, passwords, webhooks, exports). Entries of a
// transactional change are written in that change's transaction by the
// service that makes it (see Entry and New); Recorder writes the others and
// is what later features (exports) call. Nothing updates or deletes an entry.
package audit

import (
	"context"
	"encoding/json"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// Actions recorded. Never rename one: filters and integrations match them.
const (
	SignIn          = "auth.sign_in"
	SignInFailed    = "auth.sign_in_failed"
	SignOut         = "auth.sign_out"
	AgentCreated    = "agent.created"
	AgentUpdated    = "agent.updated" // name, email or language
	AgentRole       = "agent.role_changed"
	AgentDeactivate = "agent.deactivated"
	AgentReactivate = "agent.reactivated"
	PasswordChanged = "agent.password_changed"
	RoleCreated     = "role.created"
	RoleUpdated     = "role.updated" // permissions or description
	RoleDeleted     = "role.deleted"
	TokenCreated    = "token.created"
	TokenRevoked    = "token.revoked"
	WebhookCreated  = "webhook.created"
	WebhookUpdated  = "webhook.updated"
	WebhookDeleted  = "webhook.deleted"
	WebhookDisabled = "webhook.disabled" // by the system after repeated failure
	Export          = "export"
	MailboxCreated  = "mailbox.created"
	MailboxUpdated  = "mailbox.updated" // names the fields changed, never a password's value
	MailboxDeleted  = "mailbox.deleted"
)

// Entry is one recorded action.
type Entry struct {
	ID         int64           `json:"id"`
	Action     string          `json:"action"`
	ActorKind  string          `json:"actor_kind"`
	ActorID    int64           `json:"actor_id"`
	ActorName  string          `json:"actor_name"`
	TargetKind string          `json:"target_kind"`
	TargetID   int64           `json:"target_id"`
	Address    string          `json:"address"` // the client's IP address, "" for the system
	Data       json.RawMessage `json:"data"`
	CreatedAt  time.Time       `json:"created_at"`
}

// New builds an entry for the actor and client address of ctx. targetID may
// be 0 when the store assigns it in the same transaction (a creation).
func New(ctx context.Context, now time.Time, action, targetKind string, targetID int64, data any) Entry {
	e := Entry{Action: action, TargetKind: targetKind, TargetID: targetID, Address: AddressFrom(ctx), CreatedAt: now,
		Data: json.RawMessage("{}")}
	if a, ok := desk.ActorFrom(ctx); ok {
		e.ActorKind, e.ActorID, e.ActorName = a.Kind, a.ID, a.Name
	} else {
		e.ActorKind = "anonymous"
	}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			panic("audit: marshal " + action + ": " + err.Error()) // only plain maps reach here
		}
		e.Data = b
	}
	return e
}

type addressKey struct{}

// WithAddress returns a context carrying the client's address, which every
// entry made with it records.
func WithAddress(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, addressKey{}, addr)
}

// AddressFrom returns the client address of ctx, or "".
func AddressFrom(ctx context.Context) string {
	s, _ := ctx.Value(addressKey{}).(string)
	return s
}

// Filter selects entries, newest first. Zero fields select everything.
type Filter struct {
	ActorKind string
	ActorID   *int64
	Action    string // an exact action, or a prefix ending in "." ("agent.")
	Since     *time.Time
	Until     *time.Time // exclusive
	BeforeID  int64      // the cursor: entries older than this one
	Limit     int
}

// Store persists entries. Append sets their ids.
type Store interface {
	AppendAudit(ctx context.Context, entries ...Entry) error
	AuditEntries(ctx context.Context, f Filter) ([]Entry, error)
}

// Recorder writes entries of actions that have no transaction of their own
// to join, and reads the log.
type Recorder struct {
	store Store
	clock desk.Clock
}

// NewRecorder returns a recorder.
func NewRecorder(s Store, clock desk.Clock) *Recorder { return &Recorder{store: s, clock: clock} }

// Record writes one entry for the actor and address of ctx, now. Features
// that export data call it with Export and what was exported.
func (r *Recorder) Record(ctx context.Context, action, targetKind string, targetID int64, data any) error {
	return r.store.AppendAudit(ctx, New(ctx, r.clock.Now(), action, targetKind, targetID, data))
}

// MaxPage is the largest page List returns.
const MaxPage = 200

// List returns a page of entries, newest first, for holders of audit:read.
func (r *Recorder) List(ctx context.Context, f Filter) ([]Entry, error) {
	a, ok := desk.ActorFrom(ctx)
	if !ok {
		return nil, desk.E(desk.EUNAUTHORIZED, "error.sign_in")
	}
	if !a.Can(auth.AuditRead) {
		return nil, desk.E(desk.EFORBIDDEN, "error.forbidden", auth.AuditRead)
	}
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = 50
	}
	return r.store.AuditEntries(ctx, f)
}
