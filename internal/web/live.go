package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/notify"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Notifications is what the web layer reads of an agent's notifications.
type Notifications interface {
	// NotificationsPage lists newest first, below beforeID (0: from the
	// newest), created since since.
	NotificationsPage(ctx context.Context, agentID, beforeID int64, since time.Time, limit int) ([]*notify.Notification, error)
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
	t, err := s.Tickets.Get(r.Context(), id)
	if err != nil {
		return err
	}
	a, _ := desk.ActorFrom(r.Context())
	if s.live.announce(id, a.ID, s.Clock.Now()) {
		s.Bus.Publish(event.Event{Kind: Replying, TicketID: id, ActorKind: a.Kind, ActorID: a.ID,
			Data: json.RawMessage(fmt.Sprintf(`{"name":%q}`, a.Name)), CreatedAt: s.Clock.Now(), To: t.Audience()})
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// eventStream sends committed events (and presence) to the browser as
// Server-Sent Events. Pages reload the part that changed; the stream only
// says what changed, and every fetch is permission-checked again.
//
// The stream hears only the events addressed to what its agent may see
// (event.Bus indexes it by those keys), and before each delivery it checks
// that its credential still stands (see liveStreams.check): a revoked token,
// a signed-out or outdated session or a deactivated agent ends it, a change
// of teams changes what it hears.
func (s *Server) eventStream(w http.ResponseWriter, r *http.Request) error {
	flusher, ok := w.(http.Flusher)
	if !ok {
		return desk.E(desk.EINTERNAL, "error.streaming")
	}
	a, _ := desk.ActorFrom(r.Context())
	cred := credentialOf(r)
	closeStream, err := s.streams.open(a, cred)
	if err != nil {
		return err
	}
	defer closeStream()
	keys := liveKeys(a)
	sub := s.Bus.SubscribeTo(256, keys...)
	defer sub.Close()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n: connected\n\n")
	flusher.Flush()
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	// stillAllowed re-checks the credential (cached, see liveStreams) and
	// follows a change of what the agent may see.
	stillAllowed := func() bool {
		now, err := s.streams.check(r.Context(), s, cred)
		if err != nil || !now.Can(auth.TicketsRead) {
			return false
		}
		if k := liveKeys(now); !slices.Equal(k, keys) {
			keys = k
			sub.Listen(keys...)
		}
		a = now
		return true
	}
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.closing:
			return nil
		case <-sub.Lagged():
			// It fell behind and lost an event; the browser reconnects
			// and reloads rather than show a stale page.
			return nil
		case <-ping.C:
			if !stillAllowed() {
				return nil
			}
			fmt.Fprint(w, ": ping\n\n")
			flusher.Flush()
		case e, ok := <-sub.Events():
			if !ok || !stillAllowed() {
				return nil
			}
			s.writeEvent(r.Context(), w, a, keys, e)
			// Whatever else is waiting goes in the same write: in a burst a
			// stream costs one flush per batch, not one per event.
			for i := 0; i < 64 && len(sub.Events()) > 0; i++ {
				if e, ok = <-sub.Events(); !ok {
					return nil
				}
				s.writeEvent(r.Context(), w, a, keys, e)
			}
			flusher.Flush()
		}
	}
}

// liveEvent is an event as a stream sends it.
type liveEvent struct {
	ID        int64           `json:"id"`
	Kind      string          `json:"kind"`
	TicketID  int64           `json:"ticket_id"`
	ActorKind string          `json:"actor_kind"`
	ActorID   int64           `json:"actor_id"`
	Data      json.RawMessage `json:"data"`
}

// writeEvent writes the event to the stream if its agent may hear of it.
func (s *Server) writeEvent(ctx context.Context, w io.Writer, a desk.Actor, keys []event.Key, e event.Event) {
	if !s.streamable(ctx, a, keys, e) {
		return
	}
	b, _ := json.Marshal(liveEvent{ID: e.ID, Kind: e.Kind, TicketID: e.TicketID, ActorKind: e.ActorKind,
		ActorID: e.ActorID, Data: e.Data})
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Kind, b)
}

// liveKeys names what an agent's stream hears: the tickets they may see
// and what is for them personally (notifications).
func liveKeys(a desk.Actor) []event.Key {
	keys := ticket.AudienceKeys(a)
	if me := event.Agent(a.ID); !slices.Contains(keys, me) {
		keys = append(keys, me)
	}
	return keys
}

// streamable decides whether an agent may hear of an event. The bus routes
// by the same keys; this also covers events published to everyone.
func (s *Server) streamable(ctx context.Context, a desk.Actor, keys []event.Key, e event.Event) bool {
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
	if e.TicketID == 0 {
		// Events about contacts, agents and teams are for durable
		// consumers (webhooks, audit), not for live views.
		return false
	}
	if e.To != nil {
		return event.Meets(e.To, keys)
	}
	if a.Can(auth.TicketsReadAll) {
		return true
	}
	// A ticket event nobody addressed: ask the ticket.
	_, err := s.Tickets.Get(desk.WithActor(ctx, a), e.TicketID)
	return err == nil
}

// listNotifications pages the agent's notifications newest first, in SQL.
func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	l := readList(r, true)
	before := l.cursorID()
	if err := l.err(); err != nil {
		return err
	}
	var since time.Time
	if l.since != nil {
		since = *l.since
	}
	list, err := s.Notifications.NotificationsPage(r.Context(), a.ID, before, since, l.limit+1)
	if err != nil {
		return err
	}
	items, next := sqlPage(l, list, func(n *notify.Notification) int64 { return n.ID })
	writePage(w, "notifications", s.describeNotifications(r, items), next, nil)
	return nil
}

func (s *Server) readNotifications(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	return noContent(w, s.Notifications.MarkNotificationsRead(r.Context(), a.ID, s.Clock.Now()))
}
