package storetest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// The small lists page in SQL by keyset: a page holds at most Limit rows
// after its position, in id (or name, or workflow) order, since a time when
// asked; walking the pages gives the whole list once.
func TestListsPageInSQL(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		var orgs []int64
		var third time.Time
		for i := range 5 {
			f.clock.Advance(time.Minute)
			o, err := f.people.CreateOrganization(f.sys, people.OrganizationInput{Name: ptr(fmt.Sprintf("Org %d", 5-i))})
			if err != nil {
				t.Fatal(err)
			}
			orgs = append(orgs, o.ID)
			if i == 2 {
				third = o.UpdatedAt
			}
		}
		var walked []int64
		p := desk.Page{Limit: 2}
		for {
			page, err := f.db.OrganizationsPage(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > 2 {
				t.Fatalf("a page of %d with Limit 2", len(page))
			}
			for _, o := range page {
				walked = append(walked, o.ID)
			}
			if len(page) < 2 {
				break
			}
			p.AfterID = page[len(page)-1].ID
		}
		if !slices.Equal(walked, orgs) {
			t.Errorf("organizations by page %v, want %v in id order", walked, orgs)
		}
		since, err := f.db.OrganizationsPage(ctx, desk.Page{Since: third, Limit: 10})
		if err != nil || len(since) != 3 || since[0].ID != orgs[2] {
			t.Errorf("organizations since the third: %d, %v", len(since), err)
		}

		tk := f.open(ticket.NewTicket{})
		for _, in := range []ticket.NewMessage{{Body: "one"}, {Body: "a note", Internal: true}, {Body: "two"}} {
			if _, err := f.tickets.AddMessage(f.sys, tk.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		all, err := f.db.MessagesPage(ctx, tk.ID, true, desk.Page{Limit: 100})
		if err != nil || len(all) != 4 {
			t.Fatalf("messages: %d, %v", len(all), err)
		}
		public, err := f.db.MessagesPage(ctx, tk.ID, false, desk.Page{AfterID: all[0].ID, Limit: 100})
		if err != nil || len(public) != 2 || public[0].BodyText != "one" || public[1].BodyText != "two" {
			t.Errorf("public messages after the first: %d, %v", len(public), err)
		}
		evs, err := f.db.TicketEventsPage(ctx, tk.ID, desk.Page{AfterID: 0, Limit: 2})
		if err != nil || len(evs) != 2 || evs[0].ID >= evs[1].ID {
			t.Errorf("events page: %v, %v", evs, err)
		}

		for _, name := range []string{"delta", "alpha", "charlie", "bravo"} {
			if _, err := f.tickets.CreateTag(f.sys, name); err != nil {
				t.Fatal(err)
			}
		}
		tags, err := f.db.TagsPage(ctx, desk.Page{AfterName: "alpha", Limit: 2})
		if err != nil || !slices.Equal(tags, []string{"bravo", "charlie"}) {
			t.Errorf("tags after alpha: %v, %v", tags, err)
		}

		statuses, err := f.db.Statuses(ctx)
		if err != nil || len(statuses) < 3 {
			t.Fatalf("statuses: %v, %v", statuses, err)
		}
		after := statuses[0]
		rest, err := f.db.StatusesPage(ctx, desk.Page{AfterID: int64(after.Position), AfterName: after.Name, Limit: 100})
		if err != nil || !slices.Equal(rest, statuses[1:]) {
			t.Errorf("statuses after %s: %v, %v; want %v", after.Name, rest, err, statuses[1:])
		}
	})
}
