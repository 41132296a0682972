package email

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
)

// MailboxStore persists mailboxes. Single reads return a desk ENOTFOUND
// error for a missing row. Every write also writes its audit entry in the
// same transaction (the store fills in a created mailbox's id).
type MailboxStore interface {
	Mailboxes(ctx context.Context) ([]*Mailbox, error)
	Mailbox(ctx context.Context, id int64) (*Mailbox, error)
	// MailboxByAddress finds a mailbox by its lower-case address.
	MailboxByAddress(ctx context.Context, address string) (*Mailbox, error)
	// CreateMailbox inserts m (an address already taken is ECONFLICT).
	CreateMailbox(ctx context.Context, m *Mailbox, log audit.Entry) error
	// UpdateMailbox writes m if it is still at m.Version (else ESTALE) and
	// bumps the version.
	UpdateMailbox(ctx context.Context, m *Mailbox, log audit.Entry) error
	// DeleteMailbox removes a mailbox at ifVersion (0: any).
	DeleteMailbox(ctx context.Context, id, ifVersion int64, log audit.Entry) error
	Team(ctx context.Context, id int64) (*people.Team, error)
}

// Service manages mailboxes and takes in mail.
type Service struct {
	store   Store
	tickets Tickets
	blobs   Blobs
	clock   desk.Clock
	log     *slog.Logger
	cfg     Config
	hooks   Hooks // the outbound side's look at received mail (mailhooks.go)
	boxes   *mailboxCache
}

// New returns the email channel's service.
func New(s Store, tickets Tickets, blobs Blobs, clock desk.Clock, log *slog.Logger, cfg Config) *Service {
	cfg.defaults()
	return &Service{store: s, tickets: tickets, blobs: blobs, clock: clock, log: log, cfg: cfg,
		boxes: &mailboxCache{store: s}}
}

func require(ctx context.Context, permission string) error {
	a, ok := desk.ActorFrom(ctx)
	if !ok {
		return desk.E(desk.EUNAUTHORIZED, "error.sign_in")
	}
	if !a.Can(permission) {
		return desk.E(desk.EFORBIDDEN, "error.forbidden", permission)
	}
	return nil
}

// List returns every mailbox by id.
func (s *Service) List(ctx context.Context) ([]*Mailbox, error) {
	if err := require(ctx, auth.MailboxesRead); err != nil {
		return nil, err
	}
	return s.store.Mailboxes(ctx)
}

// Get returns one mailbox.
func (s *Service) Get(ctx context.Context, id int64) (*Mailbox, error) {
	if err := require(ctx, auth.MailboxesRead); err != nil {
		return nil, err
	}
	return s.store.Mailbox(ctx, id)
}

func (s *Service) teamExists(ctx context.Context) func(int64) bool {
	return func(id int64) bool {
		_, err := s.store.Team(ctx, id)
		return err == nil
	}
}

// Create adds a mailbox.
func (s *Service) Create(ctx context.Context, in Input) (*Mailbox, error) {
	if err := require(ctx, auth.MailboxesWrite); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	m := &Mailbox{Active: true, CreatedAt: now, UpdatedAt: now,
		IMAP: Server{Security: SecurityTLS, Folder: "INBOX"}, SMTP: Server{Security: SecurityStartTLS}}
	if err := in.apply(m, true, s.teamExists(ctx)); err != nil {
		return nil, err
	}
	entry := audit.New(ctx, now, audit.MailboxCreated, "mailbox", 0, map[string]any{"address": m.Address})
	if err := s.store.CreateMailbox(ctx, m, entry); err != nil {
		return nil, fmt.Errorf("create mailbox: %w", err)
	}
	s.boxes.forget()
	return m, nil
}

// Update changes a mailbox. The audit entry names the fields changed, and
// of a password only that it changed.
func (s *Service) Update(ctx context.Context, id int64, in Input) (*Mailbox, error) {
	if err := require(ctx, auth.MailboxesWrite); err != nil {
		return nil, err
	}
	var m *Mailbox
	err := desk.Optimistic(in.IfVersion, func() (err error) {
		if m, err = s.store.Mailbox(ctx, id); err != nil {
			return err
		}
		if err := desk.CheckVersion(in.IfVersion, m.Version); err != nil {
			return err
		}
		before := *m
		if err := in.apply(m, false, s.teamExists(ctx)); err != nil {
			return err
		}
		m.UpdatedAt = s.clock.Now()
		entry := audit.New(ctx, m.UpdatedAt, audit.MailboxUpdated, "mailbox", id,
			map[string]any{"address": m.Address, "fields": changedFields(&before, m)})
		return s.store.UpdateMailbox(ctx, m, entry)
	})
	s.boxes.forget() // even after an error: the write may have happened
	if err != nil {
		return nil, fmt.Errorf("update mailbox %d: %w", id, err)
	}
	return m, nil
}

func changedFields(a, b *Mailbox) []string {
	out := []string{}
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("address", a.Address != b.Address)
	add("name", a.Name != b.Name)
	add("team_id", fmt.Sprint(a.TeamID != nil, deref(a.TeamID)) != fmt.Sprint(b.TeamID != nil, deref(b.TeamID)))
	add("signature", a.Signature != b.Signature)
	add("active", a.Active != b.Active)
	for _, p := range []struct {
		name string
		x, y Server
	}{{"imap", a.IMAP, b.IMAP}, {"smtp", a.SMTP, b.SMTP}} {
		add(p.name+".host", p.x.Host != p.y.Host)
		add(p.name+".port", p.x.Port != p.y.Port)
		add(p.name+".security", p.x.Security != p.y.Security)
		add(p.name+".username", p.x.Username != p.y.Username)
		add(p.name+".password", p.x.Password != p.y.Password)
		add(p.name+".folder", p.x.Folder != p.y.Folder)
	}
	return out
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// Delete removes a mailbox; mail already taken in stays on its tickets.
func (s *Service) Delete(ctx context.Context, id, ifVersion int64) error {
	if err := require(ctx, auth.MailboxesWrite); err != nil {
		return err
	}
	m, err := s.store.Mailbox(ctx, id)
	if err != nil {
		return err
	}
	defer s.boxes.forget()
	return s.store.DeleteMailbox(ctx, id, ifVersion, audit.New(ctx, s.clock.Now(), audit.MailboxDeleted, "mailbox", id,
		map[string]any{"address": m.Address}))
}
