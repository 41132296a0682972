package event

import (
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
