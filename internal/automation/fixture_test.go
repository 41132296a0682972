package automation_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/automation"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

type fixture struct {
	t       testing.TB
	db      *store.DB
	clock   *storetest.Clock
	tickets *ticket.Service
	people  *people.Service
	auto    *automation.Service
	sys     context.Context
	n       int
}

func newFixture(t testing.TB, b storetest.Backend) *fixture {
	db := storetest.Open(t, b)
	c := storetest.NewClock(time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC))
	bus := event.NewBus()
	tickets := ticket.NewService(db, db, bus, c)
	return &fixture{t: t, db: db, clock: c, tickets: tickets, people: people.NewService(db, c),
		auto: automation.NewService(db, tickets, nil, bus, c, slog.New(slog.DiscardHandler)),
		sys:  desk.WithActor(context.Background(), desk.System)}
}

func (f *fixture) agent(name, role string) (*people.Agent, context.Context) {
	f.t.Helper()
	email := name + "@desk.test"
	a, err := f.people.CreateAgent(f.sys, people.AgentInput{Email: &email, Name: &name, Role: &role}, auth.HashPassword)
	if err != nil {
		f.t.Fatalf("agent %s: %v", name, err)
	}
	return a, f.as(a)
}

func (f *fixture) as(a *people.Agent) context.Context {
	fresh, err := f.db.Agent(context.Background(), a.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	var perms []string
	for _, r := range auth.BuiltinRoles {
		if r.Name == fresh.Role {
			perms = r.Permissions
		}
	}
	return desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorAgent, ID: a.ID, Name: a.Name,
		Role: fresh.Role, Permissions: perms, TeamIDs: fresh.TeamIDs})
}

func (f *fixture) rule(r automation.Rule) *automation.Rule {
	f.t.Helper()
	r.Active = true
	out, err := f.auto.Create(f.sys, r)
	if err != nil {
		f.t.Fatalf("rule %s: %v", r.Name, err)
	}
	return out
}

func (f *fixture) open(in ticket.NewTicket) *ticket.Ticket {
	f.t.Helper()
	f.n++
	if in.Subject == "" {
		in.Subject = "Printer on fire"
	}
	in.Body = "It started this morning."
	if in.Requester.Email == "" {
		in.Requester = ticket.Person{Email: fmt.Sprintf("c%d@customer.test", f.n), Name: "Asha Rao"}
	}
	t, err := f.tickets.Create(f.sys, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return t
}

func (f *fixture) get(id int64) *ticket.Ticket {
	f.t.Helper()
	t, err := f.tickets.Get(f.sys, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return t
}

// consume runs the consumer over everything committed so far.
func (f *fixture) consume() {
	f.t.Helper()
	storetest.CatchUp(f.t, f.db, "automation", f.auto.Handle)
}

func (f *fixture) runs(r *automation.Rule) []*automation.Run {
	f.t.Helper()
	runs, err := f.auto.Runs(f.sys, r.ID, 0, 100)
	if err != nil {
		f.t.Fatal(err)
	}
	return runs
}

func ptr[T any](v T) *T { return &v }

func pTeam(name string, tier int, lead int64, members ...int64) people.TeamInput {
	ms := append([]int64{lead}, members...)
	return people.TeamInput{Name: &name, Tier: &tier, LeadID: &lead, MemberIDs: &ms}
}
