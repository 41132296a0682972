package storetest_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
)

// eventsSince returns the n events after id, of any ticket or none. On
// PostgreSQL a consumer sees an event once every older transaction of the
// database has ended (other tests' included), so it waits for them.
func (f *fixture) eventsSince(id int64, n int) []event.Event {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		evs, err := f.db.EventsAfter(context.Background(), id, 1000)
		if err != nil {
			f.t.Fatal(err)
		}
		if len(evs) >= n || time.Now().After(deadline) {
			return evs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *fixture) lastEvent() int64 {
	f.t.Helper()
	id, err := f.db.LastEventID(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// auditActions returns the actions of the audit log, oldest first.
func (f *fixture) auditActions(flt audit.Filter) []string {
	f.t.Helper()
	flt.Limit = 200
	entries, err := f.db.AuditEntries(context.Background(), flt)
	if err != nil {
		f.t.Fatal(err)
	}
	out := []string{}
	for _, e := range slices.Backward(entries) {
		out = append(out, e.Action)
	}
	return out
}

func TestContactsOrganizationsAgentsAndTeamsEmitEventsWithoutATicket(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		admin := f.agent("root@desk.test", "admin")
		as := f.as(admin)
		from := f.lastEvent()
		org, err := f.people.CreateOrganization(as, people.OrganizationInput{Name: ptr("Acme"), Domains: &[]string{"acme.test"}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.people.CreateContact(as, people.ContactInput{Name: ptr("Asha"), Emails: &[]string{"asha@acme.test"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.people.UpdateContact(as, c.ID, people.ContactInput{Phone: ptr("+91 1234")}); err != nil {
			t.Fatal(err)
		}
		if err := f.people.DeleteContact(as, c.ID, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := f.people.UpdateOrganization(as, org.ID, people.OrganizationInput{Notes: ptr("key account")}); err != nil {
			t.Fatal(err)
		}
		if err := f.people.DeleteOrganization(as, org.ID, 0); err != nil {
			t.Fatal(err)
		}
		ravi := f.agent("ravi@desk.test", "agent")
		if _, err := f.people.UpdateAgent(as, ravi.ID, people.AgentInput{Name: ptr("Ravi K")}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.people.UpdateAgent(as, ravi.ID, peopleActive(false), nil); err != nil {
			t.Fatal(err)
		}
		tm, err := f.people.CreateTeam(as, people.TeamInput{Name: ptr("Billing")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.people.UpdateTeam(as, tm.ID, people.TeamInput{Tier: ptr(2)}); err != nil {
			t.Fatal(err)
		}
		if err := f.people.DeleteTeam(as, tm.ID, 0); err != nil {
			t.Fatal(err)
		}
		// A refused change records nothing.
		if _, err := f.people.CreateContact(as, people.ContactInput{Name: ptr("Twin"), Emails: &[]string{"ravi@desk.test", "x"}}); err == nil {
			t.Fatal("bad contact accepted")
		}

		want := []string{event.OrganizationCreated, event.ContactCreated, event.ContactUpdated, event.ContactDeleted,
			event.OrganizationUpdated, event.OrganizationDeleted, event.AgentCreated, event.AgentUpdated,
			event.AgentDeactivated, event.TeamCreated, event.TeamUpdated, event.TeamDeleted}
		evs := f.eventsSince(from, len(want))
		if got := kinds(evs); !slices.Equal(got, want) {
			t.Fatalf("events = %v\nwant     %v", got, want)
		}
		for _, e := range evs {
			if e.TicketID != 0 {
				t.Errorf("%s has ticket %d, want none", e.Kind, e.TicketID)
			}
			wantActor := admin.ID
			if e.Kind == event.AgentCreated {
				wantActor = 0 // the fixture creates agents as the system
			}
			if e.ActorID != wantActor || !e.CreatedAt.Equal(start) {
				t.Errorf("%s by %s %d at %v", e.Kind, e.ActorKind, e.ActorID, e.CreatedAt)
			}
		}
		var created people.Contact
		if err := json.Unmarshal(evs[1].Data, &created); err != nil || created.ID != c.ID || created.OrganizationID == nil ||
			*created.OrganizationID != org.ID || created.Email() != "asha@acme.test" {
			t.Fatalf("contact.created data = %s (%v)", evs[1].Data, err)
		}
		var deleted struct{ ID int64 }
		if err := json.Unmarshal(evs[3].Data, &deleted); err != nil || deleted.ID != c.ID {
			t.Fatalf("contact.deleted data = %s", evs[3].Data)
		}
		var agent map[string]any
		_ = json.Unmarshal(evs[8].Data, &agent)
		if agent["active"] != false || agent["password_hash"] != nil || agent["PasswordHash"] != nil {
			t.Fatalf("agent.deactivated data = %s", evs[8].Data)
		}
	})
}

func TestAgentAndRoleChangesAreAuditedInTheirTransaction(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		admin := f.agent("root@desk.test", "admin")
		as := audit.WithAddress(f.as(admin), "192.0.2.7")
		ravi := f.agent("ravi@desk.test", "agent")
		pw := "a long new password"
		if _, err := f.people.UpdateAgent(as, ravi.ID, people.AgentInput{Role: ptr("team_lead"), Password: &pw}, auth.HashPassword); err != nil {
			t.Fatal(err)
		}
		if _, err := f.people.UpdateAgent(as, ravi.ID, peopleActive(false), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.people.UpdateAgent(as, ravi.ID, peopleActive(true), nil); err != nil {
			t.Fatal(err)
		}
		role, err := f.people.CreateRole(as, rolePerms("auditor", auth.TicketsRead))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.people.UpdateRole(as, role.ID, 0, func(r *people.Role) { r.Permissions = []string{auth.AuditRead} }); err != nil {
			t.Fatal(err)
		}
		if err := f.people.DeleteRole(as, role.ID, 0); err != nil {
			t.Fatal(err)
		}
		// Refused: nothing is recorded.
		if _, err := f.people.UpdateAgent(as, ravi.ID, people.AgentInput{Role: ptr("no_such_role")}, nil); err == nil {
			t.Fatal("unknown role accepted")
		}

		got := f.auditActions(audit.Filter{ActorID: &admin.ID})
		want := []string{audit.AgentRole, audit.PasswordChanged, audit.AgentDeactivate, audit.AgentReactivate,
			audit.RoleCreated, audit.RoleUpdated, audit.RoleDeleted}
		if !slices.Equal(got, want) {
			t.Fatalf("audit = %v\nwant    %v", got, want)
		}
		entries, _ := f.db.AuditEntries(context.Background(), audit.Filter{Action: audit.AgentRole, Limit: 10})
		e := entries[0]
		if e.ActorKind != desk.ActorAgent || e.ActorName != "root" || e.Address != "192.0.2.7" || e.TargetID != ravi.ID ||
			string(e.Data) != `{"new":"team_lead","old":"agent"}` || !e.CreatedAt.Equal(start) {
			t.Fatalf("role change entry = %+v data %s", e, e.Data)
		}
		updated, _ := f.db.AuditEntries(context.Background(), audit.Filter{Action: audit.RoleUpdated, Limit: 10})
		if string(updated[0].Data) != `{"granted":["audit:read"],"name":"auditor","old_name":"auditor","revoked":["tickets:read"]}` {
			t.Fatalf("role update data = %s", updated[0].Data)
		}
		if got := f.auditActions(audit.Filter{Action: "role."}); !slices.Equal(got, []string{audit.RoleCreated, audit.RoleUpdated, audit.RoleDeleted}) {
			t.Fatalf("prefix filter = %v", got)
		}
	})
}

func TestSignInsSignOutsAndTokensAreAudited(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		pw := "correct horse battery"
		ravi, err := f.people.CreateAgent(f.sys, people.AgentInput{Email: ptr("ravi@desk.test"), Name: ptr("Ravi"),
			Role: ptr("agent"), Password: &pw}, auth.HashPassword)
		if err != nil {
			t.Fatal(err)
		}
		from := audit.WithAddress(context.Background(), "198.51.100.9")
		if _, _, _, err := f.access.SignIn(from, "ravi@desk.test", "wrong password"); desk.ErrorCode(err) != desk.EUNAUTHORIZED {
			t.Fatalf("wrong password: %v", err)
		}
		if _, _, _, err := f.access.SignIn(from, "nobody@desk.test", pw); desk.ErrorCode(err) != desk.EUNAUTHORIZED {
			t.Fatalf("unknown email: %v", err)
		}
		session, _, _, err := f.access.SignIn(from, "ravi@desk.test", pw)
		if err != nil {
			t.Fatal(err)
		}
		as := audit.WithAddress(f.as(ravi), "198.51.100.9")
		until := f.clock.Now().Add(24 * time.Hour)
		_, tok, err := f.access.CreateTokenUntil(as, ravi.ID, "laptop", &until)
		if err != nil {
			t.Fatal(err)
		}
		// Refused: nothing recorded.
		if err := f.access.RevokeToken(as, ravi.ID, tok.ID, tok.Version+1); desk.ErrorCode(err) != desk.ESTALE {
			t.Fatalf("revoking at a version the token is not at: %v", err)
		}
		if err := f.access.RevokeToken(as, ravi.ID, tok.ID, tok.Version); err != nil {
			t.Fatal(err)
		}
		// Refused: nothing recorded.
		if err := f.access.RevokeToken(as, ravi.ID, tok.ID+100, 0); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Fatalf("revoking a token that is not there: %v", err)
		}
		if err := f.access.SignOut(as, session); err != nil {
			t.Fatal(err)
		}

		got := f.auditActions(audit.Filter{Action: "auth."})
		got = append(got, f.auditActions(audit.Filter{Action: "token."})...)
		want := []string{audit.SignInFailed, audit.SignInFailed, audit.SignIn, audit.SignOut, audit.TokenCreated, audit.TokenRevoked}
		if !slices.Equal(got, want) {
			t.Fatalf("audit = %v\nwant    %v", got, want)
		}
		entries, _ := f.db.AuditEntries(context.Background(), audit.Filter{Limit: 20})
		byAction := map[string][]audit.Entry{}
		for _, e := range entries {
			byAction[e.Action] = append(byAction[e.Action], e)
			if e.Action != audit.AgentCreated && e.Address != "198.51.100.9" {
				t.Errorf("%s from %q", e.Action, e.Address)
			}
		}
		unknown, wrong := byAction[audit.SignInFailed][0], byAction[audit.SignInFailed][1]
		if unknown.TargetID != 0 || string(unknown.Data) != `{"email":"nobody@desk.test","reason":"unknown"}` || unknown.ActorKind != "anonymous" {
			t.Errorf("unknown email entry %+v %s", unknown, unknown.Data)
		}
		if wrong.TargetID != ravi.ID || string(wrong.Data) != `{"email":"ravi@desk.test","reason":"password"}` {
			t.Errorf("wrong password entry %+v %s", wrong, wrong.Data)
		}
		if in := byAction[audit.SignIn][0]; in.ActorID != ravi.ID || in.ActorName != "Ravi" || in.TargetID != ravi.ID {
			t.Errorf("sign-in entry %+v", in)
		}
		if c := byAction[audit.TokenCreated][0]; c.TargetKind != "token" || c.TargetID != tok.ID || c.ActorID != ravi.ID {
			t.Errorf("token entry %+v", c)
		}
	})
}
