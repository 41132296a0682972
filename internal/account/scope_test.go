package account_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/search"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// An account executive sees the tickets of the accounts they own (and
// those assigned to them or their teams'), not every ticket: ticket reads,
// lists and searches agree. Supervisors see all; other books are read
// only with accounts:read_all.
func TestAccountExecutiveTicketScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		acc := access.NewService(f.db, f.clock)
		actor := func(a *people.Agent) context.Context {
			t.Helper()
			a, err := f.db.Agent(f.sys, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			act, err := acc.ActorFor(f.sys, a)
			if err != nil {
				t.Fatal(err)
			}
			return desk.WithActor(context.Background(), act)
		}
		meera, _ := f.agent("meera", auth.RoleAccountExecutive)
		arjun, _ := f.agent("arjun", auth.RoleAccountExecutive)
		sunita, _ := f.agent("sunita", auth.RoleSupervisor)
		acme, globex := f.org("Acme", "acme.test"), f.org("Globex", "globex.test")
		for _, own := range []struct{ org, owner int64 }{{acme.ID, meera.ID}, {globex.ID, arjun.ID}} {
			owner := own.owner
			if _, err := f.acc.Update(f.sys, own.org, account.Input{OwnerID: &owner}); err != nil {
				t.Fatal(err)
			}
		}
		team, err := f.people.CreateTeam(f.sys, people.TeamInput{Name: ptr("Billing")})
		if err != nil {
			t.Fatal(err)
		}
		open := func(subject, from string, assignee, teamID *int64) *ticket.Ticket {
			tk, err := f.tickets.Create(f.sys, ticket.NewTicket{Subject: "zebracorn " + subject, Body: subject,
				Requester: ticket.Person{Email: from, Name: "Asha"}, AssigneeID: assignee, TeamID: teamID})
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		acmeT := open("acme ticket", "a@acme.test", nil, &team.ID)
		globexT := open("globex ticket", "g@globex.test", nil, nil)
		loose := open("unrouted ticket", "x@example.test", nil, nil)
		mine := open("assigned to arjun", "y@example.test", &arjun.ID, nil)

		storetest.CatchUpWith(t, f.db, search.Consumer, func(ctx context.Context) error {
			return search.NewIndexer(f.db, event.NewBus(), slog.New(slog.DiscardHandler)).CatchUp(desk.WithActor(ctx, desk.System))
		})
		cases := []struct {
			name string
			who  *people.Agent
			sees []int64
		}{
			{"meera sees her account's tickets only", meera, []int64{acmeT.ID}},
			{"arjun sees his account's and those assigned to him", arjun, []int64{globexT.ID, mine.ID}},
			{"a supervisor sees every ticket", sunita, []int64{acmeT.ID, globexT.ID, loose.ID, mine.ID}},
		}
		all := []*ticket.Ticket{acmeT, globexT, loose, mine}
		for _, tc := range cases {
			ctx := actor(tc.who)
			page, err := f.tickets.List(ctx, ticket.Filter{Limit: 100})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var listed []int64
			for _, tk := range page.Tickets {
				listed = append(listed, tk.ID)
			}
			slices.Sort(listed)
			want := slices.Clone(tc.sees)
			slices.Sort(want)
			if !slices.Equal(listed, want) {
				t.Errorf("%s: list %v, want %v", tc.name, listed, want)
			}
			for _, tk := range all {
				_, err := f.tickets.Get(ctx, tk.ID)
				if got, want := err == nil, slices.Contains(tc.sees, tk.ID); got != want {
					t.Errorf("%s: reads %q = %v, want %v (%v)", tc.name, tk.Subject, got, want, err)
				}
			}
			res, err := search.NewService(f.db).Search(ctx, search.Request{Q: "zebracorn", Types: []string{"ticket"}, Limit: 50})
			if err != nil {
				t.Fatalf("%s: search: %v", tc.name, err)
			}
			var found []int64
			for _, r := range res.Results {
				found = append(found, r.ID)
			}
			slices.Sort(found)
			if !slices.Equal(found, want) {
				t.Errorf("%s: search %v, want %v", tc.name, found, want)
			}
		}
		// Meera put in a team has its scope besides: its tickets and the
		// unrouted ones (as every agent of a team does).
		if _, err := f.people.UpdateAgent(f.sys, meera.ID, people.AgentInput{TeamIDs: &[]int64{team.ID}}, auth.HashPassword); err != nil {
			t.Fatal(err)
		}
		ctx := actor(meera)
		for _, tk := range []*ticket.Ticket{acmeT, loose, mine, globexT} {
			if _, err := f.tickets.Get(ctx, tk.ID); err != nil {
				t.Errorf("meera in the team reads %q: %v", tk.Subject, err)
			}
		}
		// Routed to the team, arjun's account's ticket stays out of his reach.
		if _, err := f.tickets.Update(f.sys, globexT.ID, ticket.Patch{TeamID: &team.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.tickets.Get(actor(arjun), globexT.ID); err != nil {
			t.Errorf("arjun reads his account's ticket routed to a team he is not in: %v", err)
		}
		// Books: one's own; another's only with accounts:read_all.
		if _, err := f.acc.Book(actor(meera), arjun.ID); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("meera reads arjun's book: %v", err)
		}
		if book, err := f.acc.Book(actor(sunita), arjun.ID); err != nil || len(book) != 1 {
			t.Errorf("the supervisor reads arjun's book: %v %v", book, err)
		}
	})
}
