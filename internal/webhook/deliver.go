package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/jobs"
)

// deliveryArgs is the delivery job: one event to one webhook.
type deliveryArgs struct {
	WebhookID int64 `json:"webhook_id"`
	EventID   int64 `json:"event_id"`
	Replay    bool  `json:"replay,omitempty"`
}

// Kind names the job in the queue; never rename it.
func (deliveryArgs) Kind() string { return "webhook_delivery" }

const consumer = "webhooks"

// Run reads events from the stored cursor and enqueues their deliveries
// until ctx ends.
func (s *Service) Run(ctx context.Context) {
	event.Follow(ctx, s.store, s.bus, consumer, 200*time.Millisecond, s.cfg.Poll, s.enqueue, s.log)
}

// Dispatch enqueues the deliveries of every event after the cursor once,
// as Run does on every wake-up.
func (s *Service) Dispatch(ctx context.Context) error {
	return event.Consume(ctx, s.store, consumer, s.enqueue)
}

// enqueue adds one job per (event, subscribed webhook). The webhooks are
// read after the batch of events, so a webhook created before an event
// committed is among them; one created after it is not sent it.
func (s *Service) enqueue(ctx context.Context, evs []event.Event) error {
	all, err := s.store.Webhooks(ctx)
	if err != nil {
		return err
	}
	hooks := slices.DeleteFunc(all, func(w *Webhook) bool { return !w.Active })
	if len(hooks) == 0 {
		return nil
	}
	for _, e := range evs {
		if !slices.Contains(event.Public, e.Kind) {
			continue
		}
		for _, w := range hooks {
			if !w.Wants(e.Kind) || e.CreatedAt.Before(w.CreatedAt) {
				continue
			}
			key := "webhook:" + strconv.FormatInt(e.ID, 10) + ":" + strconv.FormatInt(w.ID, 10)
			if _, err := s.queue.Enqueue(ctx, deliveryArgs{WebhookID: w.ID, EventID: e.ID}, jobs.Unique(key)); err != nil {
				return fmt.Errorf("enqueue webhook delivery: %w", err)
			}
		}
	}
	return nil
}

// deliver is the job: POST the event, log the attempt, and fail (to be
// retried with backoff) unless the receiver answered 2xx. A webhook deleted
// or turned off since ends its pending deliveries quietly.
func (s *Service) deliver(ctx context.Context, a deliveryArgs) error {
	w, err := s.store.Webhook(ctx, a.WebhookID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if !w.Active {
		return nil
	}
	e, err := s.store.Event(ctx, a.EventID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	body, err := json.Marshal(NewPayload(e))
	if err != nil {
		return fmt.Errorf("webhook payload: %w", err)
	}
	started, t0 := s.clock.Now(), time.Now()
	status, sendErr := s.send(ctx, w, e, body)
	d := &Delivery{WebhookID: w.ID, EventID: e.ID, EventType: e.Kind, StatusCode: status, OK: sendErr == nil,
		Replay: a.Replay, CreatedAt: started, DurationMS: time.Since(t0).Milliseconds()}
	if sendErr != nil {
		d.Error = truncate(sendErr.Error(), 500)
	}
	now, err := s.store.RecordDelivery(ctx, d)
	if err != nil {
		return err
	}
	if sendErr == nil {
		return nil
	}
	if err := s.disableIfFailing(ctx, now); err != nil {
		s.log.Error("webhook: disable", slog.Int64("webhook", w.ID), slog.Any("err", err))
	}
	return fmt.Errorf("webhook %d event %d: %w", w.ID, e.ID, sendErr)
}

// send POSTs one signed payload and returns the receiver's status.
func (s *Service) send(ctx context.Context, w *Webhook, e event.Event, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Sahayak-Webhooks/1")
	h.Set(EventIDHeader, strconv.FormatInt(e.ID, 10))
	h.Set(EventTypeHeader, e.Kind)
	h.Set(SignatureHeader, Sign(w.Secret, s.clock.Now(), body))
	res, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	// Read (a bounded part of) the answer so the connection can be reused;
	// nothing of it is kept.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, s.cfg.MaxResponse))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("receiver answered %d", res.StatusCode)
	}
	return res.StatusCode, nil
}

// disableIfFailing turns a webhook off once its failure streak is long
// enough in count and in time; the webhook.disabled event it records tells
// the admins (package notify) and the audit log says the system did it.
func (s *Service) disableIfFailing(ctx context.Context, w *Webhook) error {
	now := s.clock.Now()
	if !w.Active || w.Failures < s.cfg.DisableAfter || w.FailingSince == nil || now.Sub(*w.FailingSince) < s.cfg.DisableWindow {
		return nil
	}
	sys := desk.WithActor(ctx, desk.System)
	data := map[string]any{"id": w.ID, "url": w.URL, "failures": w.Failures, "failing_since": w.FailingSince}
	e := event.New(event.WebhookDisabled, 0, data)
	e.ActorKind, e.CreatedAt = desk.ActorSystem, now
	_, err := s.store.DisableWebhook(ctx, w.ID, "failing", e, audit.New(sys, now, audit.WebhookDisabled, "webhook", w.ID, data))
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Send delivers one event to one webhook whatever it subscribes to (an
// automation's "call a webhook" action); once per (event, webhook), like
// the subscribed deliveries it shares its unique key with.
func (s *Service) Send(ctx context.Context, webhookID, eventID int64) error {
	w, err := s.store.Webhook(ctx, webhookID)
	if err != nil {
		return err
	}
	if !w.Active {
		return desk.E(desk.EUNPROCESSABLE, "error.webhook_inactive", webhookID)
	}
	key := "webhook:" + strconv.FormatInt(eventID, 10) + ":" + strconv.FormatInt(webhookID, 10)
	if _, err := s.queue.Enqueue(ctx, deliveryArgs{WebhookID: webhookID, EventID: eventID}, jobs.Unique(key)); err != nil {
		return fmt.Errorf("enqueue webhook delivery: %w", err)
	}
	return nil
}
