package assign_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/assign"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// desk is one fresh help desk on one backend, with the assignment service.
type fixture struct {
	t       testing.TB
	db      *store.DB
	clock   *storetest.Clock
	tickets *ticket.Service
	people  *people.Service
	assign  *assign.Service
	sys     context.Context
}

func newFixture(t testing.TB, b storetest.Backend) *fixture {
	db := storetest.Open(t, b)
	return fixtureOn(t, db, storetest.NewClock(time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)))
}

// fixtureOn builds the services on a database handle: two handles on one
// PostgreSQL database are two nodes.
func fixtureOn(t testing.TB, db *store.DB, c *storetest.Clock) *fixture {
	bus := event.NewBus()
	tickets := ticket.NewService(db, db, bus, c)
	return &fixture{t: t, db: db, clock: c, tickets: tickets, people: people.NewService(db, c),
		assign: assign.NewService(db, tickets, bus, c, slog.New(slog.DiscardHandler), assign.Config{}),
		sys:    desk.WithActor(context.Background(), desk.System)}
}

func (f *fixture) agent(name string) *people.Agent {
	f.t.Helper()
	email, role := name+"@desk.test", auth.RoleAgent
	a, err := f.people.CreateAgent(f.sys, people.AgentInput{Email: &email, Name: &name, Role: &role}, auth.HashPassword)
	if err != nil {
		f.t.Fatalf("agent %s: %v", name, err)
	}
	return a
}

func (f *fixture) team(name string, members ...*people.Agent) *people.Team {
	f.t.Helper()
	ids := []int64{}
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	tm, err := f.people.CreateTeam(f.sys, people.TeamInput{Name: &name, MemberIDs: &ids})
	if err != nil {
		f.t.Fatalf("team %s: %v", name, err)
	}
	return tm
}

func (f *fixture) mode(team *people.Team, mode string, capacity int, handBack bool) {
	f.t.Helper()
	if _, err := f.assign.SetTeam(f.sys, team.ID, 0, func(s *assign.TeamSettings) {
		s.Mode, s.Capacity, s.HandBack = mode, capacity, handBack
	}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) profile(a *people.Agent, capacity int, skills, langs []string) {
	f.t.Helper()
	if _, err := f.assign.SetProfile(f.sys, a.ID, 0, func(p *assign.Profile) {
		p.Capacity, p.Skills, p.Languages = capacity, skills, langs
	}); err != nil {
		f.t.Fatal(err)
	}
}

// status sets an agent's availability as that agent.
func (f *fixture) status(a *people.Agent, s string) {
	f.t.Helper()
	ctx := desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorAgent, ID: a.ID, Name: a.Name})
	if err := f.assign.SetStatus(ctx, s); err != nil {
		f.t.Fatal(err)
	}
}

var seq int
var seqMu sync.Mutex

func (f *fixture) open(team *people.Team, subject string, tags ...string) *ticket.Ticket {
	f.t.Helper()
	seqMu.Lock()
	seq++
	n := seq
	seqMu.Unlock()
	t, err := f.tickets.Create(f.sys, ticket.NewTicket{Subject: subject, Body: "body",
		Requester: ticket.Person{Email: fmt.Sprintf("c%d@customer.test", n)}, Tags: tags, TeamID: &team.ID})
	if err != nil {
		f.t.Fatal(err)
	}
	return t
}

// consume runs the consumer over everything committed so far.
func (f *fixture) consume() {
	f.t.Helper()
	storetest.CatchUp(f.t, f.db, "assign", f.assign.Handle)
}

func (f *fixture) assignee(id int64) int64 {
	f.t.Helper()
	t, err := f.tickets.Get(f.sys, id)
	if err != nil {
		f.t.Fatal(err)
	}
	if t.AssigneeID == nil {
		return 0
	}
	return *t.AssigneeID
}
