// Package webhook owns outbound webhooks: subscriptions of an outside URL to
// kinds of events, signed deliveries of the events table's rows to them, the
// delivery log with replay, and turning off a webhook that keeps failing.
//
// Delivery is at least once. A durable consumer (like notify) reads events
// after its cursor and enqueues one job per (event, webhook) with a unique
// key; the job POSTs the payload and is retried with exponential backoff. A
// receiver de-duplicates on the payload's id (the event id), which is the
// same on every attempt and replay. Order is not guaranteed.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

// Webhook is one subscription.
type Webhook struct {
	ID          int64    `json:"id"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events"` // kinds of event.Public, or ["*"] for all
	Active      bool     `json:"active"`
	// DisabledReason says why a webhook is inactive: "failing" when it was
	// turned off after repeated failure, "" when an admin turned it off.
	DisabledReason string `json:"disabled_reason"`
	// Failures counts consecutive failed attempts since FailingSince.
	Failures     int        `json:"consecutive_failures"`
	FailingSince *time.Time `json:"failing_since"`
	// Secret signs payloads. It is shown once, when the webhook is created
	// (or its secret is rotated); it is stored as is because signing needs it.
	Secret    string    `json:"-"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CurrentVersion is the version the API sends as the ETag (If-Match compares with it).
func (w *Webhook) CurrentVersion() int64 { return w.Version }

// Wants reports whether the webhook subscribes to an event kind.
func (w *Webhook) Wants(kind string) bool {
	return slices.Contains(w.Events, "*") || slices.Contains(w.Events, kind)
}

// Delivery is one attempt to deliver one event to one webhook.
type Delivery struct {
	ID         int64     `json:"id"`
	WebhookID  int64     `json:"webhook_id"`
	EventID    int64     `json:"event_id"`
	EventType  string    `json:"event_type"`
	Attempt    int       `json:"attempt"` // 1 for the first attempt of (event, webhook), counting replays on
	StatusCode int       `json:"status_code"`
	DurationMS int64     `json:"duration_ms"`
	Error      string    `json:"error"`
	OK         bool      `json:"ok"`
	Replay     bool      `json:"replay"`
	CreatedAt  time.Time `json:"created_at"`
}

// Payload is the JSON body of every delivery.
type Payload struct {
	ID        int64           `json:"id"` // the event id: the same on every attempt and replay
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	TicketID  *int64          `json:"ticket_id"`
	Actor     PayloadActor    `json:"actor"`
	Data      json.RawMessage `json:"data"`
}

// PayloadActor is who made the change.
type PayloadActor struct {
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
}

// NewPayload builds the payload of an event.
func NewPayload(e event.Event) Payload {
	p := Payload{ID: e.ID, Type: e.Kind, CreatedAt: e.CreatedAt, Actor: PayloadActor{Kind: e.ActorKind, ID: e.ActorID},
		Data: e.Data}
	if e.TicketID != 0 {
		id := e.TicketID
		p.TicketID = &id
	}
	if len(p.Data) == 0 {
		p.Data = json.RawMessage("{}")
	}
	return p
}

// Headers of a delivery.
const (
	SignatureHeader = "Sahayak-Signature"  // t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
	EventIDHeader   = "Sahayak-Event-Id"   // the payload's id, for de-duplication without parsing
	EventTypeHeader = "Sahayak-Event-Type" // the payload's type
)

// Sign returns the signature header's value for a body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header as a receiver should: a v1 signature of
// the body with the secret, made within tolerance of now (which bounds
// replays of a captured request).
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("webhook signature: no timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook signature: timestamp %s outside tolerance", ts)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return errors.New("webhook signature: no matching v1 signature")
}

// MaxURL is the longest webhook URL accepted.
const MaxURL = 2000

// checkURL accepts absolute http and https URLs without credentials or a
// fragment. Loopback and private addresses are allowed (a receiver on the
// same host is common, and tests need it): only holders of webhooks:write,
// admins by default, can make the server send requests, and a delivery shows
// them no more than a status code. See docs/ARCHITECTURE.md on SSRF.
func checkURL(raw string) (string, desk.Msg) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "", desk.M("invalid.required")
	case len(raw) > MaxURL:
		return "", desk.M("invalid.too_long")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" ||
		u.User != nil || u.Fragment != "" || u.Opaque != "":
		return "", desk.M("invalid.webhook_url")
	}
	return u.String(), desk.Msg{}
}

// checkEvents accepts "*" alone or known public kinds, at least one.
func checkEvents(kinds []string) ([]string, desk.Msg) {
	out := []string{}
	for _, k := range kinds {
		k = strings.TrimSpace(k)
		if k != "*" && !slices.Contains(event.Public, k) {
			return nil, desk.M("invalid.event_kind", k)
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil, desk.M("invalid.required")
	}
	if slices.Contains(out, "*") {
		return []string{"*"}, desk.Msg{}
	}
	slices.Sort(out)
	return out, desk.Msg{}
}
