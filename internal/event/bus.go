package event

import (
	"sync"
	"sync/atomic"
	"time"
)

// Key names a group of listeners an event may be for: an agent personally
// (an assignee, a notification's recipient), a team's members, the agents
// who see every ticket, or the agents who see tickets no team has. Events
// name their keys in Event.To; a subscription names the keys it hears.
type Key struct {
	kind keyKind
	id   int64
}

type keyKind uint8

const (
	keyAgent keyKind = iota + 1
	keyTeam
	keyAllTickets
	keyUnteamed
	keyAccount
)

// Agent is the key of one agent.
func Agent(id int64) Key { return Key{kind: keyAgent, id: id} }

// Team is the key of a team's members.
func Team(id int64) Key { return Key{kind: keyTeam, id: id} }

// Account is the key of the owner of an account (an organization).
func Account(id int64) Key { return Key{kind: keyAccount, id: id} }

// AllTickets is the key of agents who see every ticket; Unteamed of agents
// who see tickets no team has.
var (
	AllTickets = Key{kind: keyAllTickets}
	Unteamed   = Key{kind: keyUnteamed}
)

// Meets reports whether any key of a is in b.
func Meets(a, b []Key) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// Bus delivers committed events to in-process subscribers. Delivery is best
// effort: a subscriber that falls behind loses events rather than slowing the
// writer, and must reload what it shows (live views do exactly that).
//
// Subscribers are indexed by the keys they hear, so that publishing an event
// costs the subscribers it is for, not every subscriber: with a thousand live
// streams open, a change to one team's ticket touches that team's streams,
// its assignee's and those of agents who see every ticket.
type Bus struct {
	mu    sync.RWMutex
	every map[*Subscription]struct{} // hear every event
	keyed map[*Subscription]struct{} // hear the events addressed to their keys
	byKey map[Key]map[*Subscription]struct{}
	once  *published // set by DeliverOnce
	// shared is handed each event without an id (never stored) that is
	// published here; set by NewBroadcast.
	shared atomic.Pointer[func(Event)]
}

// NewBus returns an empty bus.
func NewBus() *Bus {
	return &Bus{every: map[*Subscription]struct{}{}, keyed: map[*Subscription]struct{}{},
		byKey: map[Key]map[*Subscription]struct{}{}}
}

// Subscription is one subscriber's feed.
type Subscription struct {
	bus       *Bus
	ch        chan Event
	keys      []Key // nil: every event
	lagged    chan struct{}
	lagOnce   sync.Once
	closeOnce sync.Once
}

// Events is the feed; it is closed by Close.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Lagged is closed once the subscriber has lost an event because its buffer
// was full. A live view should then end and be reloaded.
func (s *Subscription) Lagged() <-chan struct{} { return s.lagged }

// Close ends the subscription and closes its feed. It may be called more
// than once.
func (s *Subscription) Close() {
	s.closeOnce.Do(func() {
		b := s.bus
		b.mu.Lock()
		b.remove(s)
		delete(b.every, s)
		b.mu.Unlock()
		close(s.ch)
	})
}

// Listen changes the keys the subscription hears (after the subscriber's
// teams or permissions changed).
func (s *Subscription) Listen(keys ...Key) {
	b := s.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	b.remove(s)
	b.add(s, keys)
}

func (b *Bus) add(s *Subscription, keys []Key) {
	s.keys = append([]Key{}, keys...)
	b.keyed[s] = struct{}{}
	for _, k := range s.keys {
		m := b.byKey[k]
		if m == nil {
			m = map[*Subscription]struct{}{}
			b.byKey[k] = m
		}
		m[s] = struct{}{}
	}
}

func (b *Bus) remove(s *Subscription) {
	if _, ok := b.keyed[s]; !ok {
		return
	}
	delete(b.keyed, s)
	for _, k := range s.keys {
		if m := b.byKey[k]; m != nil {
			delete(m, s)
			if len(m) == 0 {
				delete(b.byKey, k)
			}
		}
	}
}

// Subscribe returns a channel of every event and a function that ends the
// subscription and closes the channel.
func (b *Bus) Subscribe(buffer int) (<-chan Event, func()) {
	s := b.newSubscription(buffer)
	b.mu.Lock()
	b.every[s] = struct{}{}
	b.mu.Unlock()
	return s.ch, s.Close
}

// SubscribeTo returns a subscription that hears the events addressed to any
// of keys, and events addressed to everyone.
func (b *Bus) SubscribeTo(buffer int, keys ...Key) *Subscription {
	s := b.newSubscription(buffer)
	b.mu.Lock()
	b.add(s, keys)
	b.mu.Unlock()
	return s
}

func (b *Bus) newSubscription(buffer int) *Subscription {
	return &Subscription{bus: b, ch: make(chan Event, buffer), lagged: make(chan struct{})}
}

// Publish hands the events to their subscribers without blocking (and,
// with a Broadcast, the transient ones to the other nodes too).
func (b *Bus) Publish(evs ...Event) {
	if share := b.shared.Load(); share != nil {
		for _, e := range evs {
			if e.ID == 0 {
				(*share)(e)
			}
		}
	}
	b.deliver(evs...)
}

// share makes the bus hand its transient events to fn, which must not block.
func (b *Bus) share(fn func(Event)) { b.shared.Store(&fn) }

// deliver hands the events to this node's subscribers.
func (b *Bus) deliver(evs ...Event) {
	if b.once != nil {
		evs = b.once.firstTime(evs, time.Now())
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, e := range evs {
		for s := range b.every {
			s.offer(e)
		}
		if e.To == nil {
			for s := range b.keyed {
				s.offer(e)
			}
			continue
		}
		for i, k := range e.To {
			for s := range b.byKey[k] {
				// A subscriber that hears an earlier key of the event has it already.
				if !Meets(s.keys, e.To[:i]) {
					s.offer(e)
				}
			}
		}
	}
}

func (s *Subscription) offer(e Event) {
	select {
	case s.ch <- e:
	default:
		s.lagOnce.Do(func() { close(s.lagged) })
	}
}

// DeliverOnce makes the bus publish each stored event (one with an id) at
// most once, for a node where events arrive both from the writer that
// committed them and from a relay that tails the events table. The relay
// calls Forget as it moves on.
func (b *Bus) DeliverOnce() { b.once = &published{ids: map[int64]time.Time{}} }

// Forget lets the bus drop what it remembers of stored events that were
// published before the given time, with ids up to upTo (the relay's
// position; on PostgreSQL reading order is not quite id order, so the time
// is what keeps an id long enough). Without DeliverOnce it does nothing.
func (b *Bus) Forget(upTo int64, before time.Time) {
	if b.once != nil {
		b.once.forget(upTo, before)
	}
}

// published remembers the ids of stored events already published.
type published struct {
	mu  sync.Mutex
	ids map[int64]time.Time
}

// firstTime returns the events not published before, and remembers them.
func (p *published) firstTime(evs []Event, now time.Time) []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := evs[:0:0]
	for _, e := range evs {
		if e.ID != 0 {
			if _, seen := p.ids[e.ID]; seen {
				continue
			}
			p.ids[e.ID] = now
		}
		out = append(out, e)
	}
	return out
}

// unpublished returns the events the bus has not published yet (all of them
// without DeliverOnce), so that a relay spends nothing on the node's own.
func (b *Bus) unpublished(evs []Event) []Event {
	p := b.once
	if p == nil {
		return evs
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := evs[:0:0]
	for _, e := range evs {
		if _, seen := p.ids[e.ID]; !seen || e.ID == 0 {
			out = append(out, e)
		}
	}
	return out
}

func (p *published) forget(upTo int64, before time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, at := range p.ids {
		if id <= upTo && at.Before(before) {
			delete(p.ids, id)
		}
	}
}
