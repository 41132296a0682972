package event

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Wire carries short messages to every node sharing the database
// (PostgreSQL's LISTEN/NOTIFY): what one node sends, every listening node
// hears, the sender included.
type Wire interface {
	// Send hands payload to every listener; it is lost if none listens.
	Send(ctx context.Context, payload string) error
	// Listen calls listening once it hears, then got with every payload,
	// until ctx ends (nil) or the connection fails (the error).
	Listen(ctx context.Context, listening func(), got func(payload string)) error
}

// MaxWirePayload is the most a payload may hold (PostgreSQL refuses a
// NOTIFY payload of 8000 bytes or more).
const MaxWirePayload = 7999

// Broadcast brings the events that are never stored — "is replying", the
// push of a notification just stored — to the buses of the other nodes, as
// the Relay does for stored events (which it reads from the table). Once
// made, a Publish on the bus of an event without an id is also sent over
// the wire; what another node sent is published here. Delivery is best
// effort, as on one node: a node that is not listening at the moment misses
// it, and the views it serves catch up at their next reload.
type Broadcast struct {
	bus     *Bus
	wire    Wire
	node    string
	out     chan Event
	log     *slog.Logger
	started chan struct{}
	dropped atomic.Int64
}

// broadcastBuffer is how many transient events may wait to be sent; more
// are dropped (they are courtesies) rather than slow the publisher.
const broadcastBuffer = 1024

// NewBroadcast shares bus's transient events over wire.
func NewBroadcast(bus *Bus, wire Wire, log *slog.Logger) *Broadcast {
	var id [8]byte
	_, _ = rand.Read(id[:])
	b := &Broadcast{bus: bus, wire: wire, node: hex.EncodeToString(id[:]), out: make(chan Event, broadcastBuffer),
		log: log, started: make(chan struct{})}
	bus.share(func(e Event) {
		select {
		case b.out <- e:
		default:
			b.dropped.Add(1)
		}
	})
	return b
}

// Started is closed once the node listens: transient events other nodes
// publish afterwards reach this node's bus.
func (b *Broadcast) Started() <-chan struct{} { return b.started }

// Run sends this node's transient events and publishes the other nodes'
// until ctx ends, listening again after a lost connection.
func (b *Broadcast) Run(ctx context.Context) {
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		b.send(ctx)
	}()
	defer func() { <-sent }()
	var once bool
	for {
		err := b.wire.Listen(ctx, func() {
			if !once {
				once = true
				close(b.started)
			}
		}, b.receive)
		if ctx.Err() != nil {
			return
		}
		b.log.Error("broadcast: listen", slog.Any("err", err))
		if !sleep(ctx, time.Second) {
			return
		}
	}
}

func (b *Broadcast) send(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-b.out:
			payload, err := b.encode(e)
			if err == nil {
				err = b.wire.Send(ctx, payload)
			}
			if err != nil && ctx.Err() == nil {
				b.log.Warn("broadcast: send", slog.String("kind", e.Kind), slog.Any("err", err))
			}
		}
	}
}

// onWire is an event as it travels between nodes.
type onWire struct {
	Node      string          `json:"n"`
	Kind      string          `json:"k"`
	TicketID  int64           `json:"t,omitempty"`
	ActorKind string          `json:"ak,omitempty"`
	ActorID   int64           `json:"a,omitempty"`
	Data      json.RawMessage `json:"d,omitempty"`
	CreatedAt time.Time       `json:"c"`
	To        []string        `json:"to"` // nil: everyone
}

func (b *Broadcast) encode(e Event) (string, error) {
	w := onWire{Node: b.node, Kind: e.Kind, TicketID: e.TicketID, ActorKind: e.ActorKind, ActorID: e.ActorID,
		Data: e.Data, CreatedAt: e.CreatedAt}
	if e.To != nil {
		w.To = make([]string, len(e.To))
		for i, k := range e.To {
			w.To[i] = k.String()
		}
	}
	p, err := json.Marshal(w)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", e.Kind, err)
	}
	if len(p) > MaxWirePayload {
		return "", fmt.Errorf("%s is %d bytes, more than a node can send", e.Kind, len(p))
	}
	return string(p), nil
}

// receive publishes what another node sent (this node's own came back too,
// and was published when it was sent).
func (b *Broadcast) receive(payload string) {
	var w onWire
	if err := json.Unmarshal([]byte(payload), &w); err != nil {
		b.log.Warn("broadcast: a message that is not an event", slog.Any("err", err))
		return
	}
	if w.Node == b.node {
		return
	}
	e := Event{Kind: w.Kind, TicketID: w.TicketID, ActorKind: w.ActorKind, ActorID: w.ActorID, Data: w.Data,
		CreatedAt: w.CreatedAt}
	if w.To != nil {
		e.To = make([]Key, 0, len(w.To))
		for _, s := range w.To {
			k, err := ParseKey(s)
			if err != nil {
				b.log.Warn("broadcast: an event to an unknown audience", slog.String("key", s))
				return
			}
			e.To = append(e.To, k)
		}
	}
	b.bus.deliver(e)
}

// String is the key as it travels between nodes: "agent:7", "team:3",
// "all", "unteamed".
func (k Key) String() string {
	switch k.kind {
	case keyAgent:
		return "agent:" + strconv.FormatInt(k.id, 10)
	case keyTeam:
		return "team:" + strconv.FormatInt(k.id, 10)
	case keyAccount:
		return "account:" + strconv.FormatInt(k.id, 10)
	case keyAllTickets:
		return "all"
	case keyUnteamed:
		return "unteamed"
	}
	return "?"
}

// ParseKey reads a key written by String.
func ParseKey(s string) (Key, error) {
	switch s {
	case "all":
		return AllTickets, nil
	case "unteamed":
		return Unteamed, nil
	}
	kind, id, _ := strings.Cut(s, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if err == nil && n > 0 {
		switch kind {
		case "agent":
			return Agent(n), nil
		case "team":
			return Team(n), nil
		case "account":
			return Account(n), nil
		}
	}
	return Key{}, fmt.Errorf("event: key %q", s)
}
