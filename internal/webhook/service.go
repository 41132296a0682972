package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/people"
)

// Store persists webhooks and their delivery log. Single reads return a desk
// ENOTFOUND error for a missing row. Every write of a webhook writes its
// audit entry (and DisableWebhook its event) in the same transaction; the
// store fills in the entry's target id on creation.
type Store interface {
	event.Cursor
	Event(ctx context.Context, id int64) (event.Event, error)
	Webhooks(ctx context.Context) ([]*Webhook, error)
	Webhook(ctx context.Context, id int64) (*Webhook, error)
	CreateWebhook(ctx context.Context, w *Webhook, log audit.Entry) error
	// UpdateWebhook writes w if it is still at w.Version (else ESTALE with
	// the current version) and bumps the version.
	UpdateWebhook(ctx context.Context, w *Webhook, log audit.Entry) error
	// DeleteWebhook removes a webhook at ifVersion (0: any; else ESTALE).
	DeleteWebhook(ctx context.Context, id, ifVersion int64, log audit.Entry) error
	// RecordDelivery stores an attempt (numbering it after the earlier
	// attempts of the same event and webhook), moves the webhook's failure
	// streak (reset by a success) and returns the webhook as it is now.
	RecordDelivery(ctx context.Context, d *Delivery) (*Webhook, error)
	// DisableWebhook turns an active webhook off, recording e and log; it
	// reports false when the webhook was already off.
	DisableWebhook(ctx context.Context, id int64, reason string, e event.Event, log audit.Entry) (bool, error)
	// Deliveries returns a webhook's attempts newest first, before the
	// attempt beforeID when it is not 0.
	Deliveries(ctx context.Context, webhookID, beforeID int64, limit int) ([]*Delivery, error)
	Delivery(ctx context.Context, webhookID, id int64) (*Delivery, error)
}

// Config tunes delivery. Zero fields take the defaults.
type Config struct {
	// Timeout bounds one attempt, connection to last byte (default 10 s).
	Timeout time.Duration
	// MaxAttempts of one event to one webhook (default 12: with the queue's
	// backoff of about attempt⁴ seconds, retries span some 11 hours).
	MaxAttempts int
	// A webhook is turned off once it has failed DisableAfter times in a row
	// (default 20) over at least DisableWindow (default 6 h), so that a short
	// outage on a busy desk does not turn it off.
	DisableAfter  int
	DisableWindow time.Duration
	// MaxResponse is how much of a receiver's answer is read (default 64 KiB).
	MaxResponse int64
	// Poll is how often the consumer looks for events no bus announced
	// (default 1 s).
	Poll time.Duration
	// Transport, when set, replaces the default HTTP transport (tests).
	Transport http.RoundTripper
}

func (c *Config) defaults() {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 12
	}
	if c.DisableAfter <= 0 {
		c.DisableAfter = 20
	}
	if c.DisableWindow <= 0 {
		c.DisableWindow = 6 * time.Hour
	}
	if c.MaxResponse <= 0 {
		c.MaxResponse = 64 << 10
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
}

// Service manages webhooks and delivers events to them.
type Service struct {
	store  Store
	queue  *jobs.Queue
	bus    *event.Bus
	clock  desk.Clock
	log    *slog.Logger
	cfg    Config
	client *http.Client
}

// New builds the service and registers its delivery worker on the queue
// (before the queue starts).
func New(s Store, q *jobs.Queue, bus *event.Bus, clock desk.Clock, log *slog.Logger, cfg Config) (*Service, error) {
	cfg.defaults()
	svc := &Service{store: s, queue: q, bus: bus, clock: clock, log: log, cfg: cfg}
	svc.client = &http.Client{
		Timeout:   cfg.Timeout,
		Transport: cfg.Transport,
		// A redirect is an answer, not an instruction: following it would
		// send the signed event somewhere the admin did not name.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if err := jobs.AddWorker(q, svc.deliver, jobs.MaxAttempts(cfg.MaxAttempts)); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	return svc, nil
}

func require(ctx context.Context) error {
	a, ok := desk.ActorFrom(ctx)
	if !ok {
		return desk.E(desk.EUNAUTHORIZED, "error.sign_in")
	}
	if !a.Can(auth.WebhooksWrite) {
		return desk.E(desk.EFORBIDDEN, "error.forbidden", auth.WebhooksWrite)
	}
	return nil
}

// Input creates or changes a webhook. Nil fields stay unchanged.
type Input struct {
	URL          *string
	Description  *string
	Events       *[]string
	Active       *bool // true re-enables a webhook turned off after failures
	RotateSecret bool  // make a new secret (returned once)
	// IfVersion, when not 0, applies the change only to that version
	// (If-Match); else a change that loses a race is applied again on top.
	IfVersion int64
}

// List returns every webhook.
func (s *Service) List(ctx context.Context) ([]*Webhook, error) {
	if err := require(ctx); err != nil {
		return nil, err
	}
	return s.store.Webhooks(ctx)
}

// Get returns one webhook.
func (s *Service) Get(ctx context.Context, id int64) (*Webhook, error) {
	if err := require(ctx); err != nil {
		return nil, err
	}
	return s.store.Webhook(ctx, id)
}

// Create adds a webhook and returns it with its secret, which is never
// shown again.
func (s *Service) Create(ctx context.Context, in Input) (*Webhook, string, error) {
	if err := require(ctx); err != nil {
		return nil, "", err
	}
	now := s.clock.Now()
	w := &Webhook{Active: true, Events: []string{}, CreatedAt: now, UpdatedAt: now}
	if in.URL == nil {
		in.URL = new(string)
	}
	if in.Events == nil {
		in.Events = &[]string{}
	}
	in.RotateSecret = true
	if err := s.apply(w, in); err != nil {
		return nil, "", err
	}
	entry := audit.New(ctx, now, audit.WebhookCreated, "webhook", 0, map[string]any{"url": w.URL, "events": w.Events})
	if err := s.store.CreateWebhook(ctx, w, entry); err != nil {
		return nil, "", fmt.Errorf("create webhook: %w", err)
	}
	return w, w.Secret, nil
}

// Update changes a webhook; the secret is returned when it was rotated.
func (s *Service) Update(ctx context.Context, id int64, in Input) (*Webhook, string, error) {
	if err := require(ctx); err != nil {
		return nil, "", err
	}
	var w *Webhook
	err := desk.Optimistic(in.IfVersion, func() (err error) {
		w, err = s.update(ctx, id, in)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("update webhook %d: %w", id, err)
	}
	if !in.RotateSecret {
		return w, "", nil
	}
	return w, w.Secret, nil
}

// update is one attempt of Update: read, check the version, apply, write.
func (s *Service) update(ctx context.Context, id int64, in Input) (*Webhook, error) {
	w, err := s.store.Webhook(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := desk.CheckVersion(in.IfVersion, w.Version); err != nil {
		return nil, err
	}
	before := *w
	if err := s.apply(w, in); err != nil {
		return nil, err
	}
	w.UpdatedAt = s.clock.Now()
	changed := []string{}
	if w.URL != before.URL {
		changed = append(changed, "url")
	}
	if w.Description != before.Description {
		changed = append(changed, "description")
	}
	if fmt.Sprint(w.Events) != fmt.Sprint(before.Events) {
		changed = append(changed, "events")
	}
	if w.Active != before.Active {
		changed = append(changed, "active")
	}
	if in.RotateSecret {
		changed = append(changed, "secret")
	}
	entry := audit.New(ctx, w.UpdatedAt, audit.WebhookUpdated, "webhook", id, map[string]any{"fields": changed,
		"url": w.URL, "active": w.Active})
	if err := s.store.UpdateWebhook(ctx, w, entry); err != nil {
		return nil, err
	}
	return w, nil
}

func (s *Service) apply(w *Webhook, in Input) error {
	errs := desk.Fields{}
	if in.URL != nil {
		u, msg := checkURL(*in.URL)
		if msg.Key != "" {
			errs["url"] = msg
		}
		w.URL = u
	}
	if in.Description != nil {
		if *in.Description == "" {
			w.Description = ""
		} else if d, msg := people.CleanName(*in.Description, 200); msg.Key != "" {
			errs["description"] = msg
		} else {
			w.Description = d
		}
	}
	if in.Events != nil {
		kinds, msg := checkEvents(*in.Events)
		if msg.Key != "" {
			errs["events"] = msg
		}
		w.Events = kinds
	}
	if in.Active != nil {
		if *in.Active && !w.Active {
			// Re-enabled: the failure streak starts again.
			w.Failures, w.FailingSince, w.DisabledReason = 0, nil, ""
		}
		w.Active = *in.Active
	}
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	if in.RotateSecret {
		secret, _, err := auth.NewSecret("whsec_")
		if err != nil {
			return err
		}
		w.Secret = secret
	}
	return nil
}

// Delete removes a webhook and its delivery log, if it is at ifVersion (0:
// any); its pending deliveries find it gone and stop.
func (s *Service) Delete(ctx context.Context, id, ifVersion int64) error {
	if err := require(ctx); err != nil {
		return err
	}
	w, err := s.store.Webhook(ctx, id)
	if err != nil {
		return err
	}
	if err := desk.CheckVersion(ifVersion, w.Version); err != nil {
		return err
	}
	return s.store.DeleteWebhook(ctx, id, ifVersion, audit.New(ctx, s.clock.Now(), audit.WebhookDeleted, "webhook", id,
		map[string]any{"url": w.URL}))
}

// Deliveries returns a page of a webhook's delivery log, newest first.
func (s *Service) Deliveries(ctx context.Context, id, beforeID int64, limit int) ([]*Delivery, error) {
	if err := require(ctx); err != nil {
		return nil, err
	}
	if _, err := s.store.Webhook(ctx, id); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	return s.store.Deliveries(ctx, id, beforeID, limit)
}

// Replay delivers the event of an earlier attempt again, as a new job (with
// the same payload id, so a receiver that has it already can tell).
func (s *Service) Replay(ctx context.Context, id, deliveryID int64) error {
	if err := require(ctx); err != nil {
		return err
	}
	w, err := s.store.Webhook(ctx, id)
	if err != nil {
		return err
	}
	d, err := s.store.Delivery(ctx, id, deliveryID)
	if err != nil {
		return err
	}
	if !w.Active {
		return desk.E(desk.EUNPROCESSABLE, "error.webhook_inactive", id)
	}
	_, err = s.queue.Enqueue(ctx, deliveryArgs{WebhookID: id, EventID: d.EventID, Replay: true})
	return err
}
