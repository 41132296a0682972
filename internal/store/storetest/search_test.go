package storetest_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/search"
	"github.com/sahayak/sahayak/internal/ticket"
)

// One corpus, one table of searches, the same answers on SQLite and
// PostgreSQL: Hindi words match as whole words, English and Hindi in one
// ticket are both found, phrases, exclusions and field:value filters work,
// agents find only their scope and customers only their own tickets.
func TestSearchCorpus(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		billingAgent := f.agent("meera@desk.test", "agent")
		otherAgent := f.agent("kabir@desk.test", "agent")
		admin := f.agent("root@desk.test", "admin")
		billing := f.team("Billing", 1, nil, billingAgent)
		hardware := f.team("Hardware", 1, nil, otherAgent)
		name, notes := "Acme Traders", "wholesale कपड़ा"
		domains := []string{"acme.test"}
		org, err := f.people.CreateOrganization(f.sys, people.OrganizationInput{Name: &name, Domains: &domains, Notes: &notes})
		if err != nil {
			t.Fatal(err)
		}
		cname, emails := "Ravi Kumar", []string{"ravi@acme.test"}
		if _, err := f.people.CreateContact(f.sys, people.ContactInput{Name: &cname, Emails: &emails}); err != nil {
			t.Fatal(err)
		}
		refund := f.open(ticket.NewTicket{Subject: "Refund for UPI payment", Body: "मेरा भुगतान वापस चाहिए, समर्थन टीम से बात हुई",
			Requester: ticket.Person{Email: "asha@customer.test", Name: "Asha"}, TeamID: &billing.ID, Tags: []string{"billing"}})
		book := f.open(ticket.NewTicket{Subject: "किताब नहीं मिली", Body: "मैंने किताब ऑर्डर की थी, समर की छुट्टियों में",
			Requester: ticket.Person{Email: "vikram@other.test", Name: "Vikram"}})
		printer := f.open(ticket.NewTicket{Subject: "Printer on fire", Body: "The printer smokes; call Asha at 5pm.",
			Requester: ticket.Person{Email: "ravi@acme.test"}, TeamID: &hardware.ID, Status: "open"})
		if _, err := f.tickets.AddMessage(f.as(admin), printer.ID, ticket.NewMessage{Body: "secret escalation note", Internal: true}); err != nil {
			t.Fatal(err)
		}
		idx := search.NewIndexer(f.db, f.bus, slog.Default())
		catchUp(t, f, idx)
		svc := search.NewService(f.db)
		cases := []struct {
			name string
			as   context.Context
			req  search.Request
			want []string
		}{
			{"Hindi word is not a prefix", f.as(admin), search.Request{Q: "समर"}, []string{"message:किताब नहीं मिली"}},
			{"Hindi word with vowel signs whole", f.as(admin), search.Request{Q: "समर्थन"}, []string{"message:Refund for UPI payment"}},
			{"Hindi subject and body", f.as(admin), search.Request{Q: "किताब"}, []string{"message:किताब नहीं मिली", "ticket:किताब नहीं मिली"}},
			{"English of a mixed ticket", f.as(admin), search.Request{Q: "refund"}, []string{"ticket:Refund for UPI payment"}},
			{"Hindi of the same ticket", f.as(admin), search.Request{Q: "भुगतान"}, []string{"message:Refund for UPI payment"}},
			{"case folds", f.as(admin), search.Request{Q: "PRINTER"}, []string{"message:Printer on fire", "ticket:Printer on fire"}},
			{"phrase", f.as(admin), search.Request{Q: `"upi payment"`}, []string{"ticket:Refund for UPI payment"}},
			{"phrase out of order", f.as(admin), search.Request{Q: `"payment upi"`}, nil},
			{"exclusion", f.as(admin), search.Request{Q: "printer -fire"}, []string{"message:Printer on fire"}},
			{"field status", f.as(admin), search.Request{Q: "printer status:open"}, []string{"message:Printer on fire", "ticket:Printer on fire"}},
			{"field status elsewhere", f.as(admin), search.Request{Q: "printer status:solved"}, nil},
			{"field tag", f.as(admin), search.Request{Q: "refund tag:billing"}, []string{"ticket:Refund for UPI payment"}},
			{"field from", f.as(admin), search.Request{Q: "asha from:ravi@acme.test"}, []string{"message:Printer on fire"}},
			{"filter team", f.as(admin), search.Request{Q: "printer", TeamID: &billing.ID}, nil},
			{"filter type", f.as(admin), search.Request{Q: "printer", Types: []string{"ticket"}}, []string{"ticket:Printer on fire"}},
			{"contacts and organizations", f.as(admin), search.Request{Q: "acme"}, []string{"contact:Ravi Kumar", "organization:Acme Traders"}},
			{"organization filter", f.as(admin), search.Request{Q: "ravi", OrganizationID: &org.ID}, []string{"contact:Ravi Kumar"}},
			{"email as a phrase", f.as(admin), search.Request{Q: "ravi@acme.test"}, []string{"contact:Ravi Kumar"}},
			{"internal note for agents", f.as(admin), search.Request{Q: "secret"}, []string{"message:Printer on fire"}},
			{"team scope hides other teams", f.as(billingAgent), search.Request{Q: "printer"}, nil},
			{"team scope keeps unrouted", f.as(billingAgent), search.Request{Q: "किताब"}, []string{"message:किताब नहीं मिली", "ticket:किताब नहीं मिली"}},
			{"team scope keeps own team", f.as(billingAgent), search.Request{Q: "refund"}, []string{"ticket:Refund for UPI payment"}},
			{"customer sees own", asContact(refund.Requester.ID), search.Request{Q: "refund"}, []string{"ticket:Refund for UPI payment"}},
			{"customer never sees another's", asContact(refund.Requester.ID), search.Request{Q: "किताब"}, nil},
			{"customer never sees another organization's", asContact(book.Requester.ID), search.Request{Q: "printer"}, nil},
			{"customer finds no contacts", asContact(refund.Requester.ID), search.Request{Q: "acme"}, nil},
			{"customer finds no internal notes", asContact(printer.Requester.ID), search.Request{Q: "secret"}, nil},
		}
		check := func(t *testing.T) {
			for _, c := range cases {
				page, err := svc.Search(c.as, c.req)
				if err != nil {
					t.Errorf("%s: %v", c.name, err)
					continue
				}
				var got []string
				for _, r := range page.Results {
					got = append(got, string(r.Type)+":"+r.Title)
				}
				slices.Sort(got)
				if !slices.Equal(got, c.want) {
					t.Errorf("%s (%q): got %q, want %q", c.name, c.req.Q, got, c.want)
				}
			}
		}
		check(t)
		// A reindex from scratch answers the same.
		var last int64
		if err := idx.Reindex(f.sys, true, func(_ search.Kind, done, _ int64) { last = done }); err != nil {
			t.Fatal(err)
		}
		if last == 0 {
			t.Error("reindex reported no progress")
		}
		check(t)
		// Snippets mark the words, escape the rest.
		page, err := svc.Search(f.as(admin), search.Request{Q: "smokes"})
		if err != nil || len(page.Results) != 1 || !strings.Contains(page.Results[0].Snippet, "<mark>smokes</mark>") {
			t.Errorf("snippet: %+v %v", page, err)
		}
		// A merge moves the thread: its messages are found on the target.
		if _, err := f.tickets.Merge(f.as(admin), book.ID, refund.ID); err != nil {
			t.Fatal(err)
		}
		catchUp(t, f, idx)
		page, err = svc.Search(f.as(admin), search.Request{Q: "समर", Types: []string{"message"}})
		if err != nil || len(page.Results) != 1 || page.Results[0].TicketID == nil || *page.Results[0].TicketID != refund.ID {
			t.Errorf("after merge: %+v %v", page, err)
		}
	})
}

// Bad queries are refused with EINVALID naming q, or answered; never an
// internal error, and never FTS or SQL syntax run as such.
func TestSearchBadInput(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		admin := f.agent("root@desk.test", "admin")
		f.open(ticket.NewTicket{Subject: "NEAR and OR words", Body: "select * from tickets"})
		catchUp(t, f, search.NewIndexer(f.db, f.bus, slog.Default()))
		svc := search.NewService(f.db)
		for _, q := range []string{`"unbalanced`, `-`, `:`, `"`, `-"`, `status:`, `AND OR NOT`, `NEAR(a b)`, `"*"`, `a*`, `^near`,
			`' OR 1=1 --`, `'); DROP TABLE tickets; --`, `words:x`, `{near}`, `a & b | !c <-> d`, `\`, strings.Repeat("क", 10000),
			strings.Repeat("a ", 5000), "tickets\x00", "\xff\xfe", `col:"x`, `-near -or`, `assignee:abc x`} {
			page, err := svc.Search(f.as(admin), search.Request{Q: q})
			if err != nil && desk.ErrorCode(err) != desk.EINVALID {
				t.Errorf("q=%.40q: %v", q, err)
			}
			if err == nil && page == nil {
				t.Errorf("q=%.40q: no page", q)
			}
		}
		for _, q := range []string{`near OR words`, `"select *`} {
			page, err := svc.Search(f.as(admin), search.Request{Q: q})
			if err != nil || len(page.Results) != 1 {
				t.Errorf("operators as words %q: %+v %v", q, page, err)
			}
		}
	})
}

// catchUp runs the indexer until its cursor is at the last event. On
// PostgreSQL a consumer reads an event only once every transaction older
// than it has ended anywhere on the server, so one pass may find nothing.
func catchUp(t *testing.T, f *fixture, idx *search.Indexer) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := idx.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		last, err := f.db.LastEventID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		at, err := f.db.EventCursor(ctx, search.Consumer)
		if err != nil {
			t.Fatal(err)
		}
		if at == last {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("indexer at event %d, last %d", at, last)
		}
	}
}
