package event

import (
	"slices"
	"testing"
	"time"
)

func TestBusDeliversToEverySubscriber(t *testing.T) {
	b := NewBus()
	c1, cancel1 := b.Subscribe(4)
	c2, cancel2 := b.Subscribe(4)
	defer cancel2()
	b.Publish(New(TicketCreated, 1, map[string]any{"subject": "x"}), New(Assigned, 1, nil))
	for _, ch := range []<-chan Event{c1, c2} {
		for _, want := range []string{TicketCreated, Assigned} {
			select {
			case e := <-ch:
				if e.Kind != want || e.TicketID != 1 {
					t.Fatalf("got %s for %d, want %s", e.Kind, e.TicketID, want)
				}
			case <-time.After(time.Second):
				t.Fatalf("no %s delivered", want)
			}
		}
	}
	cancel1()
	cancel1() // idempotent
	if _, ok := <-c1; ok {
		t.Fatal("channel not closed after cancel")
	}
	b.Publish(New(Linked, 2, nil)) // must not panic on the closed subscriber
	if e := <-c2; e.Kind != Linked {
		t.Fatalf("got %s", e.Kind)
	}
}

func TestBusNeverBlocksTheWriter(t *testing.T) {
	b := NewBus()
	_, cancel := b.Subscribe(1)
	defer cancel()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100; i++ {
			b.Publish(New(MessageAdded, int64(i), nil))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publishing to a full subscriber blocked")
	}
}

func TestBusRoutesByKey(t *testing.T) {
	b := NewBus()
	team1 := b.SubscribeTo(8, Unteamed, Agent(1), Team(1))
	team2 := b.SubscribeTo(8, Unteamed, Agent(2), Team(2))
	all := b.SubscribeTo(8, AllTickets, Agent(3))
	every, cancel := b.Subscribe(8)
	defer cancel()
	for _, s := range []*Subscription{team1, team2, all} {
		defer s.Close()
	}
	to := func(kind string, keys ...Key) Event { e := New(kind, 1, nil); e.To = keys; return e }
	b.Publish(
		to("team 1 ticket assigned to agent 1", AllTickets, Team(1), Agent(1)), // agent 1 hears it once
		to("ticket with no team", AllTickets, Unteamed),
		to("for agent 3", Agent(3)),
		New("to everyone", 0, nil),
	)
	for _, tc := range []struct {
		name string
		ch   <-chan Event
		want []string
	}{
		{"team 1 member", team1.Events(), []string{"team 1 ticket assigned to agent 1", "ticket with no team", "to everyone"}},
		{"team 2 member", team2.Events(), []string{"ticket with no team", "to everyone"}},
		{"sees every ticket", all.Events(), []string{"team 1 ticket assigned to agent 1", "ticket with no team", "for agent 3", "to everyone"}},
		{"subscribed to every event", every, []string{"team 1 ticket assigned to agent 1", "ticket with no team", "for agent 3", "to everyone"}},
	} {
		var got []string
		for len(tc.ch) > 0 {
			got = append(got, (<-tc.ch).Kind)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s heard %q, want %q", tc.name, got, tc.want)
		}
	}

	team2.Listen(Unteamed, Agent(2), Team(1)) // moved from team 2 to team 1
	b.Publish(to("team 1 again", AllTickets, Team(1)), to("team 2 again", AllTickets, Team(2)))
	if e := <-team2.Events(); e.Kind != "team 1 again" || len(team2.Events()) != 0 {
		t.Errorf("after moving teams: heard %s and %d more", e.Kind, len(team2.Events()))
	}
}

func TestBusTellsASubscriberThatFellBehind(t *testing.T) {
	b := NewBus()
	s := b.SubscribeTo(1, Team(1))
	defer s.Close()
	e := New(Assigned, 1, nil)
	e.To = []Key{Team(1)}
	b.Publish(e)
	select {
	case <-s.Lagged():
		t.Fatal("lagged with room in the buffer")
	default:
	}
	b.Publish(e)
	select {
	case <-s.Lagged():
	default:
		t.Fatal("a lost event was not reported")
	}
}

func TestBusDeliversAStoredEventOnceWhenAskedTo(t *testing.T) {
	b := NewBus()
	b.DeliverOnce()
	ch, cancel := b.Subscribe(8)
	defer cancel()
	stored := Event{ID: 7, Kind: Assigned}
	b.Publish(stored)                                                             // by the writer
	b.Publish(stored, Event{ID: 8, Kind: Linked})                                 // by the relay
	b.Publish(Event{Kind: "presence.replying"}, Event{Kind: "presence.replying"}) // transient: every time
	var got []string
	for len(ch) > 0 {
		got = append(got, (<-ch).Kind)
	}
	if want := []string{Assigned, Linked, "presence.replying", "presence.replying"}; !slices.Equal(got, want) {
		t.Errorf("heard %q, want %q", got, want)
	}
	b.Forget(8, time.Now().Add(time.Second))
	b.Publish(stored)
	if len(ch) != 1 {
		t.Error("a forgotten id was not published again")
	}
}

// Keys travel between nodes as text and come back the same.
func TestKeysRoundTripAsText(t *testing.T) {
	for _, k := range []Key{Agent(7), Team(3), AllTickets, Unteamed} {
		got, err := ParseKey(k.String())
		if err != nil || got != k {
			t.Errorf("%s: parsed %v, %v", k, got, err)
		}
	}
	for _, bad := range []string{"", "agent:", "agent:0", "team:x", "robot:1", "?"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) succeeded", bad)
		}
	}
}
