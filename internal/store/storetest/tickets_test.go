package storetest_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

func TestCreateFindsOrCreatesTheRequester(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		org, err := f.people.CreateOrganization(f.sys, people.OrganizationInput{Name: ptr("Acme"), Domains: &[]string{"acme.test"}})
		if err != nil {
			t.Fatal(err)
		}
		first := f.open(ticket.NewTicket{Requester: ticket.Person{Email: "Ravi@ACME.test", Name: "Ravi"}})
		if first.Requester.Email != "ravi@acme.test" || first.Requester.Name != "Ravi" {
			t.Fatalf("requester = %+v, want ravi@acme.test named Ravi", first.Requester)
		}
		if first.OrganizationID == nil || *first.OrganizationID != org.ID {
			t.Fatalf("organization = %v, want %d (by email domain)", first.OrganizationID, org.ID)
		}
		second := f.open(ticket.NewTicket{Requester: ticket.Person{Email: "ravi@acme.test", Name: "Someone Else"}})
		if second.Requester.ID != first.Requester.ID || second.Requester.Name != "Ravi" {
			t.Fatalf("second requester = %+v, want the existing contact %d", second.Requester, first.Requester.ID)
		}
		other := f.open(ticket.NewTicket{Requester: ticket.Person{Email: "meera@elsewhere.test"}})
		if other.OrganizationID != nil || other.Requester.Name != "meera" {
			t.Fatalf("unmatched domain: org %v name %q, want none and the local part", other.OrganizationID, other.Requester.Name)
		}
		contacts, err := f.people.Contacts(f.sys, people.ContactFilter{})
		if err != nil || len(contacts) != 2 {
			t.Fatalf("contacts = %d (%v), want 2", len(contacts), err)
		}
		got := f.reload(first.ID)
		if got.Requester.Email != "ravi@acme.test" || got.Status != ticket.CategoryNew || got.Channel != "api" ||
			got.Priority != "normal" || got.Type != "question" || !got.CreatedAt.Equal(start) {
			t.Fatalf("stored ticket = %+v", got)
		}
		msgs, err := f.tickets.Messages(f.sys, first.ID)
		if err != nil || len(msgs) != 1 || msgs[0].AuthorKind != desk.ActorContact || msgs[0].AuthorID != first.Requester.ID {
			t.Fatalf("thread = %v (%v), want the requester's first message", msgs, err)
		}
		if k := kinds(f.events(first.ID)); len(k) != 1 || k[0] != "ticket.created" {
			t.Fatalf("events = %v, want one ticket.created", k)
		}
	})
}

func TestCreateValidates(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		for _, fd := range []ticket.Field{
			{Key: "order_no", Label: "Order", Kind: ticket.FieldText, Required: true},
			{Key: "amount", Label: "Amount", Kind: ticket.FieldNumber},
			{Key: "due", Label: "Due", Kind: ticket.FieldDate},
			{Key: "plan", Label: "Plan", Kind: ticket.FieldDropdown, Options: []string{"free", "pro"}},
			{Key: "vip", Label: "VIP", Kind: ticket.FieldCheckbox},
		} {
			if _, err := f.tickets.CreateField(f.sys, fd); err != nil {
				t.Fatalf("field %s: %v", fd.Key, err)
			}
		}
		good := map[string]any{"order_no": "A-1", "amount": 12.5, "due": "2025-04-01", "plan": "pro", "vip": true}
		tk := f.open(ticket.NewTicket{CustomFields: good, Tags: []string{"Billing", " refund", "billing"}})
		got := f.reload(tk.ID)
		for k, v := range good {
			if got.CustomFields[k] != v {
				t.Errorf("custom field %s = %v, want %v", k, got.CustomFields[k], v)
			}
		}
		if fmt.Sprint(got.Tags) != "[billing refund]" {
			t.Errorf("tags = %v, want [billing refund]", got.Tags)
		}
		if tags, _ := f.tickets.Tags(f.sys); fmt.Sprint(tags) != "[billing refund]" {
			t.Errorf("tag catalog = %v", tags)
		}

		with := func(k string, v any) map[string]any {
			m := map[string]any{"order_no": "A-2"}
			m[k] = v
			return m
		}
		cases := []struct {
			name  string
			in    ticket.NewTicket
			field string
		}{
			{"required field missing", ticket.NewTicket{CustomFields: map[string]any{"amount": 1.0}}, "custom_fields.order_no"},
			{"text must be text", ticket.NewTicket{CustomFields: map[string]any{"order_no": 7.0}}, "custom_fields.order_no"},
			{"number must be a number", ticket.NewTicket{CustomFields: with("amount", "12")}, "custom_fields.amount"},
			{"date must be a date", ticket.NewTicket{CustomFields: with("due", "01/04/2025")}, "custom_fields.due"},
			{"dropdown must be an option", ticket.NewTicket{CustomFields: with("plan", "gold")}, "custom_fields.plan"},
			{"checkbox must be a bool", ticket.NewTicket{CustomFields: with("vip", "yes")}, "custom_fields.vip"},
			{"unknown field", ticket.NewTicket{CustomFields: with("colour", "red")}, "custom_fields.colour"},
			{"bad email", ticket.NewTicket{Requester: ticket.Person{Email: "not an email"}, CustomFields: with("vip", true)}, "requester.email"},
			{"bad tag", ticket.NewTicket{Tags: []string{"two words"}, CustomFields: with("vip", true)}, "tags"},
			{"bad priority", ticket.NewTicket{Priority: "meh", CustomFields: with("vip", true)}, "priority"},
			{"solved is not an opening status", ticket.NewTicket{Status: "solved", CustomFields: with("vip", true)}, "status"},
			{"no such team", ticket.NewTicket{TeamID: ptr(int64(999)), CustomFields: with("vip", true)}, "team_id"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := c.in
				in.Subject, in.Body = "Help", "Please"
				if in.Requester.Email == "" {
					in.Requester.Email = "x@customer.test"
				}
				_, err := f.tickets.Create(f.sys, in)
				wantField(t, err, c.field)
			})
		}
		page, err := f.tickets.List(f.sys, ticket.Filter{})
		if err != nil || len(page.Tickets) != 1 {
			t.Fatalf("tickets after refused creates = %d (%v), want 1", len(page.Tickets), err)
		}
	})
}

// listFixture builds a desk with a spread of tickets to filter.
type listFixture struct {
	*fixture
	ravi, meera   *people.Agent
	billing, tech *people.Team
	org           *people.Organization
	a, b, c, d, e *ticket.Ticket
}

func newListFixture(t *testing.T, f *fixture) *listFixture {
	l := &listFixture{fixture: f}
	l.ravi, l.meera = f.agent("ravi@desk.test", "agent"), f.agent("meera@desk.test", "agent")
	l.billing, l.tech = f.team("Billing", 1, nil, l.ravi), f.team("Tech", 2, nil, l.meera)
	var err error
	l.org, err = f.people.CreateOrganization(f.sys, people.OrganizationInput{Name: ptr("Acme"), Domains: &[]string{"acme.test"}})
	if err != nil {
		t.Fatal(err)
	}
	// a: billing, assigned to ravi, acme, tag refund.
	l.a = f.open(ticket.NewTicket{Requester: ticket.Person{Email: "asha@acme.test"}, TeamID: &l.billing.ID, AssigneeID: &l.ravi.ID, Tags: []string{"refund"}})
	f.clock.Advance(time.Minute)
	// b: billing, unassigned, new.
	l.b = f.open(ticket.NewTicket{Requester: ticket.Person{Email: "bala@other.test"}, TeamID: &l.billing.ID})
	f.clock.Advance(time.Minute)
	// c: tech, assigned to meera, pending.
	l.c = f.open(ticket.NewTicket{Requester: ticket.Person{Email: "chen@acme.test"}, TeamID: &l.tech.ID, AssigneeID: &l.meera.ID})
	f.clock.Advance(time.Minute)
	// d: no team, escalated later into tech, then solved.
	l.d = f.open(ticket.NewTicket{Requester: ticket.Person{Email: "asha@acme.test"}, Tags: []string{"vip"}})
	f.clock.Advance(time.Minute)
	// e: no team, new, untouched.
	l.e = f.open(ticket.NewTicket{Requester: ticket.Person{Email: "dev@other.test"}})
	f.clock.Advance(time.Minute)
	if _, err := f.tickets.Update(f.sys, l.c.ID, ticket.Patch{Status: ptr("pending")}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	if _, err := f.tickets.Escalate(f.sys, l.d.ID, l.tech.ID, "needs an engineer"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	if _, err := f.tickets.Update(f.sys, l.d.ID, ticket.Patch{Status: ptr("solved")}); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestListFilters(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		l := newListFixture(t, f)
		afterEscalation := start.Add(6 * time.Minute)
		cases := []struct {
			name   string
			filter ticket.Filter
			want   []*ticket.Ticket
		}{
			{"everything, newest change first", ticket.Filter{}, []*ticket.Ticket{l.d, l.c, l.e, l.b, l.a}},
			{"status by name", ticket.Filter{Status: ptr("pending")}, []*ticket.Ticket{l.c}},
			{"status by category", ticket.Filter{Status: ptr("new")}, []*ticket.Ticket{l.e, l.b}},
			{"unassigned", ticket.Filter{AssigneeID: ptr(int64(0))}, []*ticket.Ticket{l.d, l.e, l.b}},
			{"assigned to ravi", ticket.Filter{AssigneeID: &l.ravi.ID}, []*ticket.Ticket{l.a}},
			{"team billing", ticket.Filter{TeamID: &l.billing.ID}, []*ticket.Ticket{l.b, l.a}},
			{"no team", ticket.Filter{TeamID: ptr(int64(0))}, []*ticket.Ticket{l.e}},
			{"any of two teams", ticket.Filter{TeamIDs: []int64{l.billing.ID, l.tech.ID}}, []*ticket.Ticket{l.d, l.c, l.b, l.a}},
			{"organization", ticket.Filter{OrganizationID: &l.org.ID}, []*ticket.Ticket{l.d, l.c, l.a}},
			{"requester id", ticket.Filter{RequesterID: &l.a.Requester.ID}, []*ticket.Ticket{l.d, l.a}},
			{"requester email, any case", ticket.Filter{RequesterEmail: ptr("Asha@Acme.test")}, []*ticket.Ticket{l.d, l.a}},
			{"unknown requester email", ticket.Filter{RequesterEmail: ptr("nobody@acme.test")}, nil},
			{"tag", ticket.Filter{Tag: ptr("vip")}, []*ticket.Ticket{l.d}},
			{"updated since", ticket.Filter{UpdatedSince: &afterEscalation}, []*ticket.Ticket{l.d}},
			{"escalated", ticket.Filter{Escalated: ptr(true)}, []*ticket.Ticket{l.d}},
			{"not escalated", ticket.Filter{Escalated: ptr(false)}, []*ticket.Ticket{l.c, l.e, l.b, l.a}},
			{"open only", ticket.Filter{Open: true}, []*ticket.Ticket{l.c, l.e, l.b, l.a}},
			{"sorted by created, newest first", ticket.Filter{Sort: "created"}, []*ticket.Ticket{l.e, l.d, l.c, l.b, l.a}},
			{"sorted oldest first", ticket.Filter{Sort: "oldest"}, []*ticket.Ticket{l.a, l.b, l.c, l.d, l.e}},
			{"filters combine", ticket.Filter{Open: true, OrganizationID: &l.org.ID, AssigneeID: ptr(int64(0))}, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				page, err := f.tickets.List(f.sys, c.filter)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := ids(page.Tickets), ids(c.want); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("tickets = %v, want %v", got, want)
				}
			})
		}
		_, err := f.tickets.List(f.sys, ticket.Filter{Sort: "random"})
		wantField(t, err, "sort")
		_, err = f.tickets.List(f.sys, ticket.Filter{Cursor: "garbage!"})
		wantField(t, err, "cursor")
		_, err = f.tickets.List(f.sys, ticket.Filter{Limit: 101})
		wantField(t, err, "limit")
	})
}

func TestCursorPagingVisitsEveryTicketOnce(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		var want []int64
		for i := range 23 {
			// Most tickets share one updated_at; a few differ, so that the
			// keyset has to break ties by id across page boundaries.
			if i%7 == 0 {
				f.clock.Advance(time.Second)
			}
			want = append(want, f.open(ticket.NewTicket{}).ID)
		}
		for _, sort := range []string{"updated", "created", "oldest"} {
			t.Run(sort, func(t *testing.T) {
				seen := map[int64]bool{}
				var got []int64
				filter := ticket.Filter{Sort: sort, Limit: 5}
				for pages := 0; ; pages++ {
					if pages > 10 {
						t.Fatal("paging does not end")
					}
					page, err := f.tickets.List(f.sys, filter)
					if err != nil {
						t.Fatal(err)
					}
					for _, tk := range page.Tickets {
						if seen[tk.ID] {
							t.Fatalf("ticket %d seen twice", tk.ID)
						}
						seen[tk.ID] = true
						got = append(got, tk.ID)
					}
					if page.NextCursor == "" {
						break
					}
					filter.Cursor = page.NextCursor
				}
				if !sameIDs(got, want) {
					t.Fatalf("visited %v, want %v", got, want)
				}
			})
		}
	})
}

func TestAgentWithoutReadAllSeesOwnTeamsAndUnroutedTickets(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		l := newListFixture(t, f)
		ravi := f.as(l.ravi)
		page, err := f.tickets.List(ravi, ticket.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		// ravi is in billing: a, b; e has no team. c and d are tech's.
		if got, want := ids(page.Tickets), []int64{l.e.ID, l.b.ID, l.a.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("ravi sees %v, want %v", got, want)
		}
		for _, hidden := range []*ticket.Ticket{l.c, l.d} {
			_, err := f.tickets.Get(ravi, hidden.ID)
			wantCode(t, err, desk.ENOTFOUND)
			_, err = f.tickets.Update(ravi, hidden.ID, ticket.Patch{Priority: ptr("high")})
			wantCode(t, err, desk.ENOTFOUND)
			_, err = f.tickets.AddMessage(ravi, hidden.ID, ticket.NewMessage{Body: "hello"})
			wantCode(t, err, desk.ENOTFOUND)
			_, err = f.tickets.Events(ravi, hidden.ID)
			wantCode(t, err, desk.ENOTFOUND)
		}
		if _, err := f.tickets.Get(ravi, l.e.ID); err != nil {
			t.Fatalf("unrouted ticket: %v", err)
		}
		// A ticket assigned to ravi stays visible even in another team:
		// add ravi to tech, assign c to him, take him out of tech again.
		if _, err := f.people.UpdateTeam(f.sys, l.tech.ID, people.TeamInput{MemberIDs: &[]int64{l.meera.ID, l.ravi.ID}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.tickets.Update(f.sys, l.c.ID, ticket.Patch{AssigneeID: &l.ravi.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.people.UpdateTeam(f.sys, l.tech.ID, people.TeamInput{MemberIDs: &[]int64{l.meera.ID}}); err != nil {
			t.Fatal(err)
		}
		ravi = f.as(l.ravi)
		if _, err := f.tickets.Get(ravi, l.c.ID); err != nil {
			t.Fatalf("own ticket in another team: %v", err)
		}
		page, err = f.tickets.List(ravi, ticket.Filter{Status: ptr("pending")})
		if err != nil || fmt.Sprint(ids(page.Tickets)) != fmt.Sprint([]int64{l.c.ID}) {
			t.Fatalf("ravi's pending = %v (%v), want [%d]", ids(page.Tickets), err, l.c.ID)
		}
		// A team lead (tickets:read_all) sees everything.
		lead := f.as(f.agent("lead@desk.test", "team_lead"))
		page, err = f.tickets.List(lead, ticket.Filter{})
		if err != nil || len(page.Tickets) != 5 {
			t.Fatalf("team lead sees %d tickets (%v), want 5", len(page.Tickets), err)
		}
		_, err = f.tickets.Get(context.Background(), l.a.ID)
		wantCode(t, err, desk.EUNAUTHORIZED)
	})
}

// A customer (the portal's actor) sees only the tickets they requested, and
// their "@agent" text is not a mention.
func TestCustomerSeesOnlyTheirOwnTickets(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		l := newListFixture(t, f)
		asha := desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorContact, ID: l.a.Requester.ID,
			Name: "Asha", Permissions: []string{"tickets:read", "tickets:reply"}})
		page, err := f.tickets.List(asha, ticket.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ids(page.Tickets), []int64{l.d.ID, l.a.ID}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("asha sees %v, want her own %v", got, want)
		}
		_, err = f.tickets.Get(asha, l.b.ID)
		wantCode(t, err, desk.ENOTFOUND)
		_, err = f.tickets.AddMessage(asha, l.b.ID, ticket.NewMessage{Body: "hello"})
		wantCode(t, err, desk.ENOTFOUND)
		if _, err := f.tickets.AddMessage(asha, l.a.ID, ticket.NewMessage{Body: "thanks @ravi@desk.test"}); err != nil {
			t.Fatal(err)
		}
		evs, err := f.tickets.Events(f.sys, l.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Kind == "ticket.mentioned" {
				t.Fatalf("a customer's @ must not mention an agent: %s", e.Data)
			}
		}
	})
}

// A create writes its requester's contact.created (when it made the contact)
// before ticket.created, and ticket.created names the requester and the
// first message; what the bus publishes is byte for byte what was stored.
func TestCreateRecordsTheNewRequesterAndWhatItWrote(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		org, err := f.people.CreateOrganization(f.sys, people.OrganizationInput{Name: ptr("Acme"), Domains: &[]string{"acme.test"}})
		if err != nil {
			t.Fatal(err)
		}
		live, stop := f.bus.Subscribe(10)
		defer stop()
		from := f.lastEvent()
		first := f.open(ticket.NewTicket{Requester: ticket.Person{Email: "kavya@acme.test", Name: `Kavya "K" Rao`}, Tags: []string{"vip"}})
		second := f.open(ticket.NewTicket{Requester: ticket.Person{Email: "kavya@acme.test"}})
		evs := f.eventsSince(from, 3)
		if k := kinds(evs); fmt.Sprint(k) != "[contact.created ticket.created ticket.created]" {
			t.Fatalf("events = %v, want the contact once, then both tickets", k)
		}
		var c people.Contact
		if err := json.Unmarshal(evs[0].Data, &c); err != nil {
			t.Fatalf("contact.created data %s: %v", evs[0].Data, err)
		}
		stored, err := f.people.Contact(f.sys, first.Requester.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID != stored.ID || c.Name != `Kavya "K" Rao` || fmt.Sprint(c.Emails) != "[kavya@acme.test]" ||
			c.OrganizationID == nil || *c.OrganizationID != org.ID || c.Version != 1 || evs[0].TicketID != 0 {
			t.Fatalf("contact.created = %s (ticket %d), want contact %d of organization %d", evs[0].Data, evs[0].TicketID, stored.ID, org.ID)
		}
		for i, tk := range []*ticket.Ticket{first, second} {
			e := evs[i+1]
			msgs, err := f.tickets.Messages(f.sys, tk.ID)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("thread of %d: %v (%v)", tk.ID, msgs, err)
			}
			var d struct {
				Subject     string `json:"subject"`
				RequesterID int64  `json:"requester_id"`
				MessageID   int64  `json:"message_id"`
			}
			if err := json.Unmarshal(e.Data, &d); err != nil || e.TicketID != tk.ID || d.Subject != tk.Subject ||
				d.RequesterID != stored.ID || d.MessageID != msgs[0].ID {
				t.Fatalf("ticket.created of %d = %s (%v), want requester %d and message %d", tk.ID, e.Data, err, stored.ID, msgs[0].ID)
			}
			if tk.Requester.ID != stored.ID || tk.OrganizationID == nil || *tk.OrganizationID != org.ID || tk.Version != 1 {
				t.Fatalf("returned ticket %+v", tk)
			}
			pub := <-live
			if pub.ID != e.ID || string(pub.Data) != string(e.Data) {
				t.Fatalf("published %d %s, stored %d %s", pub.ID, pub.Data, e.ID, e.Data)
			}
		}
		if tags := f.reload(first.ID).Tags; fmt.Sprint(tags) != "[vip]" {
			t.Fatalf("tags = %v", tags)
		}
	})
}

// Creates racing for one new email make one contact, and every create lands.
func TestConcurrentCreatesForOneNewEmailShareTheContact(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		const n = 12
		var wg sync.WaitGroup
		got := make([]*ticket.Ticket, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				got[i], errs[i] = f.tickets.Create(f.sys, ticket.NewTicket{Subject: fmt.Sprintf("Race %d", i), Body: "b",
					Requester: ticket.Person{Email: "same@race.test"}})
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("create %d: %v", i, errs[i])
			}
			if got[i].Requester.ID != got[0].Requester.ID {
				t.Fatalf("create %d has requester %d, create 0 has %d", i, got[i].Requester.ID, got[0].Requester.ID)
			}
		}
		cs, err := f.people.Contacts(f.sys, people.ContactFilter{})
		if err != nil || len(cs) != 1 {
			t.Fatalf("contacts = %d (%v), want 1", len(cs), err)
		}
	})
}

// Concurrent creates may share a transaction (PostgreSQL) or a commit
// (SQLite); one that the database refuses fails alone and the others land
// once each, with their events.
func TestConcurrentCreatesFailAlone(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		const n = 48
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make([]error, n)
		ids := make([]int64, n)
		for i := range n {
			wg.Go(func() {
				status := ticket.CategoryNew
				if i%6 == 5 {
					status = "no-such-status" // past the service's checks: the database refuses it
				}
				now := start.Add(time.Duration(i) * time.Second)
				o := &ticket.Opening{Email: fmt.Sprintf("c%d@batch.test", i%7), Name: "C", Now: now,
					Ticket: &ticket.Ticket{Subject: fmt.Sprintf("Batch %d", i), Status: status, StatusCategory: ticket.CategoryNew,
						Priority: "normal", Type: "question", Channel: "api", Tags: []string{fmt.Sprintf("b%d", i%3)}},
					Message:      &ticket.Message{AuthorKind: desk.ActorContact, BodyText: "b", CreatedAt: now},
					Events:       []event.Event{event.New(event.TicketCreated, 0, map[string]any{"subject": fmt.Sprintf("Batch %d", i)})},
					ContactEvent: event.Event{Kind: event.ContactCreated}}
				errs[i] = f.db.OpenTicket(ctx, o)
				ids[i] = o.Ticket.ID
			})
		}
		wg.Wait()
		landed := 0
		for i := range n {
			if i%6 == 5 {
				if errs[i] == nil {
					t.Fatalf("create %d with an unknown status landed", i)
				}
				continue
			}
			if errs[i] != nil {
				t.Fatalf("create %d: %v", i, errs[i])
			}
			landed++
			tk := f.reload(ids[i])
			if tk.Subject != fmt.Sprintf("Batch %d", i) || tk.Requester.Email != fmt.Sprintf("c%d@batch.test", i%7) {
				t.Fatalf("ticket %d = %q by %s, want create %d's", ids[i], tk.Subject, tk.Requester.Email, i)
			}
			evs := f.events(ids[i])
			var d struct {
				Subject   string `json:"subject"`
				MessageID int64  `json:"message_id"`
			}
			if len(evs) != 1 || json.Unmarshal(evs[0].Data, &d) != nil || d.Subject != tk.Subject || d.MessageID == 0 {
				t.Fatalf("events of ticket %d = %v", ids[i], evs)
			}
		}
		page, err := f.tickets.List(f.sys, ticket.Filter{Limit: 100})
		if err != nil || len(page.Tickets) != landed {
			t.Fatalf("%d tickets listed (%v), want %d", len(page.Tickets), err, landed)
		}
		cs, err := f.people.Contacts(f.sys, people.ContactFilter{})
		if err != nil || len(cs) != 7 {
			t.Fatalf("contacts = %d (%v), want 7", len(cs), err)
		}
	})
}

// An agent's list pages through exactly the tickets of their scope, in list
// order, whatever the sort: the store reads the scope's routing branches
// (assigned to them, no team, each of their teams) separately and merges
// them, so a ticket in two branches must come once and ties in time must
// break by id across pages.
func TestScopedPagingVisitsTheScopeInListOrder(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		ravi, meera := f.agent("ravi@desk.test", "agent"), f.agent("meera@desk.test", "agent")
		billing := f.team("Billing", 1, nil, ravi)
		sales := f.team("Sales", 1, nil, ravi, meera)
		tech := f.team("Tech", 2, nil, meera, ravi) // ravi leaves it below
		routes := []struct{ team, assignee *int64 }{
			{&billing.ID, &ravi.ID}, // two branches: assigned and team
			{&billing.ID, nil},
			{&sales.ID, &meera.ID},
			{&tech.ID, &ravi.ID}, // assigned, outside his teams
			{&tech.ID, nil},      // never his
			{nil, nil},
		}
		var all []*ticket.Ticket
		for i := range 30 {
			if i%4 == 0 {
				f.clock.Advance(time.Second)
			}
			r := routes[i%len(routes)]
			tk := f.open(ticket.NewTicket{TeamID: r.team, AssigneeID: r.assignee})
			if i%5 == 0 {
				tk, _ = f.tickets.Update(f.sys, tk.ID, ticket.Patch{Status: ptr("pending")})
			}
			all = append(all, tk)
		}
		if _, err := f.people.UpdateTeam(f.sys, tech.ID, people.TeamInput{MemberIDs: &[]int64{meera.ID}}); err != nil {
			t.Fatal(err)
		}
		for i, tk := range all {
			all[i] = f.reload(tk.ID)
		}
		actor := f.as(ravi)
		scope := &ticket.Scope{AgentID: ravi.ID, TeamIDs: []int64{billing.ID, sales.ID}}
		order := map[string]func(a, b *ticket.Ticket) int{
			"updated": func(a, b *ticket.Ticket) int {
				if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
					return c
				}
				return cmp.Compare(b.ID, a.ID)
			},
			"created": func(a, b *ticket.Ticket) int { return cmp.Compare(b.ID, a.ID) },
			"oldest":  func(a, b *ticket.Ticket) int { return cmp.Compare(a.ID, b.ID) },
		}
		for sort, less := range order {
			// "mine" too: his own tickets, also the one outside his teams
			// (the store reads it without the scope, which holds it anyway).
			for _, status := range []string{"", "pending", "mine"} {
				t.Run(sort+"/"+status, func(t *testing.T) {
					var want []int64
					sorted := slices.Clone(all)
					slices.SortFunc(sorted, less)
					for _, tk := range sorted {
						mine := tk.AssigneeID != nil && *tk.AssigneeID == ravi.ID
						if scope.Sees(tk) && (status == "" || tk.Status == status || status == "mine" && mine) {
							want = append(want, tk.ID)
						}
					}
					filter := ticket.Filter{Sort: sort, Limit: 4}
					if status == "mine" {
						filter.AssigneeID = &ravi.ID
					} else if status != "" {
						filter.Status = &status
					}
					var got []int64
					for pages := 0; ; pages++ {
						if pages > 20 {
							t.Fatal("paging does not end")
						}
						page, err := f.tickets.List(actor, filter)
						if err != nil {
							t.Fatal(err)
						}
						got = append(got, ids(page.Tickets)...)
						if page.NextCursor == "" {
							break
						}
						filter.Cursor = page.NextCursor
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("pages visit\n %v\nwant\n %v", got, want)
					}
				})
			}
		}
	})
}
