// The storetest suite is the one behaviour spec every database backend must
// pass. Each test opens a fresh database (a SQLite file always; a PostgreSQL
// schema too when SAHAYAK_TEST_POSTGRES_URL is set) and drives it through
// the domain services — ticket, people and access — acting as agents of the
// built-in roles, with a fixed test clock wherever time matters.
//
// It covers:
//   - tickets: create (contact find-or-create by email, organization by
//     email domain, tags, every custom field kind with validation and
//     required fields); Get and List with every Filter field, each sort, and
//     cursor paging that visits every ticket once even when all share one
//     updated_at; the scope of an agent without tickets:read_all;
//   - changes: one event per changed field with old and new values, nothing
//     at all for a no-op patch; status rules (never back to new, solved_at,
//     closed refuses change); routing (a team change unassigns, an assignee
//     must be an active member); messages (first response, reopening,
//     internal notes by permission, @mentions, sanitized HTML); escalation;
//     merge; links; and atomicity — a change that fails half-way leaves
//     neither a partial row nor an event;
//   - event cursors that never move backwards;
//   - people: conflicts on duplicate contact emails and organization
//     domains, role validation and deletion rules, team leads as members;
//   - access: sign-in, lockout after five wrong passwords and unlock after
//     fifteen minutes, session expiry, API tokens (create, resolve, revoke,
//     refused for a deactivated agent).
package storetest_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// testClock is a settable clock; every service of a fixture shares one.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// start is the fixed moment every fixture begins at.
var start = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

// fixture is one fresh help desk on one backend.
type fixture struct {
	t       *testing.T
	db      *store.DB
	clock   *testClock
	bus     *event.Bus
	tickets *ticket.Service
	people  *people.Service
	access  *access.Service
	// sys acts as the system, which may do anything.
	sys context.Context
}

// run runs fn as a parallel subtest on each backend with its own database.
func run(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		fn(t, newFixture(t, b))
	})
}

func newFixture(t *testing.T, b storetest.Backend) *fixture {
	db := storetest.Open(t, b)
	clock := &testClock{now: start}
	bus := event.NewBus()
	return &fixture{
		t: t, db: db, clock: clock, bus: bus,
		tickets: ticket.NewService(db, db, bus, clock),
		people:  people.NewService(db, clock),
		access:  access.NewService(db, clock),
		sys:     desk.WithActor(context.Background(), desk.System),
	}
}

// agent creates an active agent with a role.
func (f *fixture) agent(email, role string) *people.Agent {
	f.t.Helper()
	name := email[:len(email)-len("@desk.test")]
	a, err := f.people.CreateAgent(f.sys, people.AgentInput{Email: &email, Name: &name, Role: &role}, auth.HashPassword)
	if err != nil {
		f.t.Fatalf("create agent %s: %v", email, err)
	}
	return a
}

// team creates a team of the given tier with members and an optional lead.
func (f *fixture) team(name string, tier int, lead *people.Agent, members ...*people.Agent) *people.Team {
	f.t.Helper()
	ids := []int64{}
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	in := people.TeamInput{Name: &name, Tier: &tier, MemberIDs: &ids}
	if lead != nil {
		in.LeadID = &lead.ID
	}
	tm, err := f.people.CreateTeam(f.sys, in)
	if err != nil {
		f.t.Fatalf("create team %s: %v", name, err)
	}
	return tm
}

// as returns a context acting as the agent, with its current role and teams.
func (f *fixture) as(a *people.Agent) context.Context {
	f.t.Helper()
	fresh, err := f.db.Agent(context.Background(), a.ID)
	if err != nil {
		f.t.Fatalf("agent %d: %v", a.ID, err)
	}
	actor, err := f.access.ActorFor(context.Background(), fresh)
	if err != nil {
		f.t.Fatalf("actor for %d: %v", a.ID, err)
	}
	return desk.WithActor(context.Background(), actor)
}

// asContact returns a context acting as a customer.
func asContact(id int64) context.Context {
	return desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorContact, ID: id, Name: "customer",
		Permissions: []string{auth.TicketsRead, auth.TicketsReply}})
}

// open creates a ticket as the system with sensible defaults.
func (f *fixture) open(in ticket.NewTicket) *ticket.Ticket {
	f.t.Helper()
	if in.Subject == "" {
		in.Subject = "Printer on fire"
	}
	if in.Body == "" && in.BodyHTML == "" {
		in.Body = "It started this morning."
	}
	if in.Requester.Email == "" {
		in.Requester.Email = "asha@customer.test"
	}
	tk, err := f.tickets.Create(f.sys, in)
	if err != nil {
		f.t.Fatalf("create ticket: %v", err)
	}
	return tk
}

// reload reads a ticket back from the database, bypassing scope.
func (f *fixture) reload(id int64) *ticket.Ticket {
	f.t.Helper()
	tk, err := f.db.Ticket(context.Background(), id)
	if err != nil {
		f.t.Fatalf("ticket %d: %v", id, err)
	}
	return tk
}

// events returns the kinds of a ticket's events, oldest first.
func (f *fixture) events(id int64) []event.Event {
	f.t.Helper()
	evs, err := f.db.TicketEvents(context.Background(), id)
	if err != nil {
		f.t.Fatalf("events of %d: %v", id, err)
	}
	return evs
}

func kinds(evs []event.Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

// wantCode fails unless err carries the desk error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := desk.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// wantField fails unless err is EINVALID with a message for the field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	wantCode(t, err, desk.EINVALID)
	if _, ok := desk.ErrorFields(err)[field]; !ok {
		t.Fatalf("error %v has no message for %q", err, field)
	}
}

func ptr[T any](v T) *T { return &v }

func ids(ts []*ticket.Ticket) []int64 {
	out := []int64{}
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func sameIDs(a, b []int64) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func peopleActive(active bool) people.AgentInput { return people.AgentInput{Active: &active} }

func peopleQuery(q string) people.ContactFilter { return people.ContactFilter{Query: q} }

func rolePerms(name string, perms ...string) people.Role {
	return people.Role{Name: name, Permissions: perms}
}
