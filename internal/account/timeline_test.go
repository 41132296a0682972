package account_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// after reports whether a comes after b in the timeline's order: newest
// first, then kind, then id, all descending.
func after(a, b account.TimelineKey) bool {
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	return a.ID < b.ID
}

// show writes items for comparing: each one's place, ticket and text.
func show(items []account.TimelineItem) string {
	out := ""
	for _, it := range items {
		tid := int64(0)
		if it.TicketID != nil {
			tid = *it.TicketID
		}
		out += fmt.Sprintf("%d %s %d %d %q\n", it.At.UnixMicro(), it.Kind, it.ID, tid, it.Text)
	}
	return out
}

// Paged a few items at a time, an account's timeline gives every item once
// and in order, though items of every kind share their instants (the clock
// stands still while a round of them is written), whatever the page size
// and with a kind filter; a merged ticket's messages follow it into its
// account, a ticket moved to the account brings its message and escalation,
// and another account's items never show.
func TestTimelinePagesThroughSharedInstants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		acme := f.org("Acme", "acme.test")
		f.org("Globex", "globex.test")
		want := map[string]int{}
		for round := range 3 {
			var tks []*ticket.Ticket
			for range 2 {
				tks = append(tks, f.ticket("acme.test", "normal"))
				want[account.ItemTicket]++
				want[account.ItemMessage]++
			}
			if _, err := f.tickets.AddMessage(f.sys, tks[0].ID, ticket.NewMessage{Body: "Called them.", Internal: true}); err != nil {
				t.Fatal(err)
			}
			want[account.ItemNote]++
			err := f.db.InTx(f.sys, func(tx ticket.Tx) error {
				var evs []event.Event
				for _, k := range []string{event.Escalated, event.SLABreached, event.SLABreached} {
					e := event.New(k, tks[1].ID, map[string]any{"metric": "first_response"})
					e.ActorKind, e.CreatedAt = desk.ActorSystem, f.clock.Now()
					evs = append(evs, e)
				}
				return tx.AppendEvents(f.sys, evs)
			})
			if err != nil {
				t.Fatal(err)
			}
			want[account.ItemEscalation]++
			want[account.ItemBreach] += 2
			if _, err := f.acc.LogCheckin(f.sys, account.CheckinInput{OrganizationID: acme.ID, Notes: "Round " + fmt.Sprint(round),
				Outcome: "positive"}); err != nil {
				t.Fatal(err)
			}
			want[account.ItemCheckin]++
			if _, err := f.acc.RecordFeedback(f.sys, account.FeedbackInput{TicketID: &tks[0].ID, Kind: account.FeedbackPraise,
				Body: "Quick answers."}); err != nil {
				t.Fatal(err)
			}
			want[account.ItemFeedback]++
			if _, err := f.acc.FlagOpportunity(f.sys, account.OpportunityInput{TicketID: &tks[1].ID, Title: ptr("More seats")}); err != nil {
				t.Fatal(err)
			}
			want[account.ItemOpportunity]++
			// Another account's ticket at the same instant; the last one
			// is merged into an Acme ticket, and its message moves along.
			other := f.ticket("globex.test", "normal")
			if round == 2 {
				if _, err := f.tickets.Merge(f.sys, other.ID, tks[0].ID); err != nil {
					t.Fatal(err)
				}
				want[account.ItemMessage]++
			}
			f.clock.Advance(time.Minute)
		}
		// A ticket given to Acme (the store moves its message and its
		// escalation along).
		moved := f.ticket("globex.test", "normal")
		err := f.db.InTx(f.sys, func(tx ticket.Tx) error {
			e := event.New(event.Escalated, moved.ID, map[string]any{})
			e.ActorKind, e.CreatedAt = desk.ActorSystem, f.clock.Now()
			if err := tx.AppendEvents(f.sys, []event.Event{e}); err != nil {
				return err
			}
			tk, err := tx.TicketForUpdate(f.sys, moved.ID)
			if err != nil {
				return err
			}
			tk.OrganizationID = &acme.ID
			return tx.SaveTicket(f.sys, tk)
		})
		if err != nil {
			t.Fatal(err)
		}
		want[account.ItemTicket]++
		want[account.ItemMessage]++
		want[account.ItemEscalation]++

		all, err := f.acc.Timeline(f.sys, acme.ID, account.TimelineFilter{Limit: 201})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for i, it := range all {
			got[it.Kind]++
			if i > 0 && !after(it.Key(), all[i-1].Key()) {
				t.Errorf("item %d %+v does not come after %+v", i, it.Key(), all[i-1].Key())
			}
		}
		// Merging adds its own notes to both tickets: count what is not a
		// note exactly, notes at least.
		notes := got[account.ItemNote]
		got[account.ItemNote], want[account.ItemNote] = 0, 0
		if fmt.Sprint(got) != fmt.Sprint(want) || notes < 3 {
			t.Errorf("kinds %v (and %d notes), want %v and at least 3 notes", got, notes, want)
		}
		for _, kinds := range [][]string{nil, {account.ItemMessage, account.ItemTicket, account.ItemBreach}} {
			var whole []account.TimelineItem
			for _, it := range all {
				if kinds == nil || slices.Contains(kinds, it.Kind) {
					whole = append(whole, it)
				}
			}
			for _, size := range []int{1, 2, 3, 7} {
				var paged []account.TimelineItem
				var before *account.TimelineKey
				for {
					page, err := f.acc.Timeline(f.sys, acme.ID, account.TimelineFilter{Kinds: kinds, Before: before, Limit: size})
					if err != nil {
						t.Fatal(err)
					}
					paged = append(paged, page...)
					if len(page) < size || len(paged) > len(whole) {
						break
					}
					k := page[len(page)-1].Key()
					before = &k
				}
				if show(paged) != show(whole) {
					t.Errorf("kinds %v by %d: %d items, want the %d of one page in its order", kinds, size, len(paged), len(whole))
				}
			}
		}
	})
}
