package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/notify"
)

// Notifications is what the web layer reads of an agent's notifications.
type Notifications interface {
	Notifications(ctx context.Context, agentID int64, limit int) ([]*notify.Notification, error)
	MarkNotificationsRead(ctx context.Context, agentID int64, now time.Time) error
}

// Replying is the transient event that says an agent is writing a reply;
// it is never stored.
const Replying = "presence.replying"

// presence remembers who announced a reply in progress, to throttle repeats.
type presence struct {
	mu   sync.Mutex
	seen map[[2]int64]time.Time
}

func newPresence() *presence { return &presence{seen: map[[2]int64]time.Time{}} }

// announce reports whether the agent's reply on a ticket is news (not
// announced in the last few seconds).
func (p *presence) announce(ticketID, agentID int64, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := [2]int64{ticketID, agentID}
	if now.Sub(p.seen[k]) < 3*time.Second {
		return false
	}
	for key, t := range p.seen {
		if now.Sub(t) > time.Minute {
			delete(p.seen, key)
		}
	}
	p.seen[k] = now
	return true
}

// replying lets the composer say "I am writing a reply"; other agents with
// the ticket open see a notice.
func (s *Server) replying(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.Tickets.Get(r.Context(), id); err != nil {
		return err
	}
	a, _ := desk.ActorFrom(r.Context())
	if s.live.announce(id, a.ID, s.Clock.Now()) {
		s.Bus.Publish(event.Event{Kind: Replying, TicketID: id, ActorKind: a.Kind, ActorID: a.ID,
			Data: json.RawMessage(fmt.Sprintf(`{"name":%q}`, a.Name)), CreatedAt: s.Clock.Now()})
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// eventStream sends committed events (and presence) to the browser as
// Server-Sent Events. Pages reload the part that changed; the stream only
// says what changed, and every fetch is permission-checked again.
func (s *Server) eventStream(w http.ResponseWriter, r *http.Request) error {
	flusher, ok := w.(http.Flusher)
	if !ok {
		return desk.E(desk.EINTERNAL, "error.streaming")
	}
	a, _ := desk.ActorFrom(r.Context())
	ch, cancel := s.Bus.Subscribe(256)
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n: connected\n\n")
	flusher.Flush()
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	scoped := !a.Can(auth.TicketsReadAll)
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.closing:
			return nil
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
			flusher.Flush()
		case e, ok := <-ch:
			if !ok {
				return nil
			}
			if !s.streamable(r.Context(), a, scoped, e) {
				continue
			}
			b, _ := json.Marshal(map[string]any{"id": e.ID, "kind": e.Kind, "ticket_id": e.TicketID,
				"actor_kind": e.ActorKind, "actor_id": e.ActorID, "data": e.Data})
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Kind, b)
			flusher.Flush()
		}
	}
}

// streamable decides whether an agent may hear of an event.
func (s *Server) streamable(ctx context.Context, a desk.Actor, scoped bool, e event.Event) bool {
	if e.Kind == event.NotificationAdded {
		var d struct {
			AgentID int64 `json:"agent_id"`
		}
		_ = json.Unmarshal(e.Data, &d)
		return d.AgentID == a.ID
	}
	if e.Kind == Replying && e.ActorID == a.ID {
		return false
	}
	if e.TicketID == 0 || !scoped {
		return true
	}
	_, err := s.Tickets.Get(ctx, e.TicketID)
	return err == nil
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return desk.Invalid(desk.Fields{"limit": desk.M("invalid.range", 200)})
		}
		limit = n
	}
	list, err := s.Notifications.Notifications(r.Context(), a.ID, limit)
	return respond(w, http.StatusOK, map[string]any{"notifications": list}, err)
}

func (s *Server) readNotifications(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	return noContent(w, s.Notifications.MarkNotificationsRead(r.Context(), a.ID, s.Clock.Now()))
}
