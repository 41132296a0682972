package storetest_test

import (
	"context"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

func TestPeople(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		acme, err := f.people.CreateOrganization(f.sys, people.OrganizationInput{Name: ptr("Acme"), Domains: &[]string{"Acme.test", "acme.test"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(acme.Domains) != 1 || acme.Domains[0] != "acme.test" {
			t.Fatalf("domains = %v", acme.Domains)
		}
		_, err = f.people.CreateOrganization(f.sys, people.OrganizationInput{Name: ptr("Copycat"), Domains: &[]string{"ACME.test"}})
		wantCode(t, err, desk.ECONFLICT)
		_, err = f.people.CreateOrganization(f.sys, people.OrganizationInput{Name: ptr("Bad"), Domains: &[]string{"not a domain"}})
		wantField(t, err, "domains")

		asha, err := f.people.CreateContact(f.sys, people.ContactInput{Name: ptr("Asha"), Emails: &[]string{"Asha@acme.test"}})
		if err != nil {
			t.Fatal(err)
		}
		if asha.OrganizationID == nil || *asha.OrganizationID != acme.ID || asha.Email() != "asha@acme.test" {
			t.Fatalf("contact = %+v, want attached to acme by domain", asha)
		}
		_, err = f.people.CreateContact(f.sys, people.ContactInput{Name: ptr("Impostor"), Emails: &[]string{"ASHA@acme.test"}})
		wantCode(t, err, desk.ECONFLICT)
		bala, err := f.people.CreateContact(f.sys, people.ContactInput{Name: ptr("Bala"), Emails: &[]string{"bala@other.test"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.people.UpdateContact(f.sys, bala.ID, people.ContactInput{Emails: &[]string{"bala@other.test", "asha@acme.test"}})
		wantCode(t, err, desk.ECONFLICT)
		if got, _ := f.people.Contact(f.sys, bala.ID); len(got.Emails) != 1 {
			t.Fatalf("a refused update changed emails to %v", got.Emails)
		}
		// A ticket from a known address reuses the contact.
		tk := f.open(ticket.NewTicket{Requester: ticket.Person{Email: "asha@acme.test"}})
		if tk.Requester.ID != asha.ID {
			t.Fatalf("requester %d, want %d", tk.Requester.ID, asha.ID)
		}
		wantCode(t, f.people.DeleteContact(f.sys, asha.ID, 0), desk.ECONFLICT)
		if err := f.people.DeleteContact(f.sys, bala.ID, 0); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.people.DeleteContact(f.sys, bala.ID, 0), desk.ENOTFOUND)

		// Roles.
		_, err = f.people.CreateRole(f.sys, rolePerms("auditor", "tickets:read", "tickets:fly"))
		wantField(t, err, "permissions")
		_, err = f.people.CreateRole(f.sys, rolePerms("Auditor!", "tickets:read"))
		wantField(t, err, "name")
		_, err = f.people.CreateRole(f.sys, rolePerms("agent", "tickets:read"))
		wantCode(t, err, desk.ECONFLICT)
		auditor, err := f.people.CreateRole(f.sys, rolePerms("auditor", "tickets:read", "tickets:read_all", "tickets:read"))
		if err != nil {
			t.Fatal(err)
		}
		if len(auditor.Permissions) != 2 {
			t.Fatalf("permissions = %v, want de-duplicated", auditor.Permissions)
		}
		roles, _ := f.people.Roles(f.sys)
		for _, r := range roles {
			if r.Builtin {
				wantCode(t, f.people.DeleteRole(f.sys, r.ID, 0), desk.EUNPROCESSABLE)
			}
		}
		f.agent("aud@desk.test", "auditor")
		wantCode(t, f.people.DeleteRole(f.sys, auditor.ID, 0), desk.ECONFLICT)
		spare, err := f.people.CreateRole(f.sys, rolePerms("spare"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.people.DeleteRole(f.sys, spare.ID, 0); err != nil {
			t.Fatal(err)
		}

		// Agents and teams.
		ravi, lead := f.agent("ravi@desk.test", "agent"), f.agent("lead@desk.test", "team_lead")
		_, err = f.people.CreateAgent(f.sys, people.AgentInput{Email: ptr("RAVI@desk.test"), Name: ptr("Ravi 2"), Role: ptr("agent")}, auth.HashPassword)
		wantCode(t, err, desk.ECONFLICT)
		_, err = f.people.CreateAgent(f.sys, people.AgentInput{Email: ptr("x@desk.test"), Name: ptr("X"), Role: ptr("wizard")}, auth.HashPassword)
		wantField(t, err, "role")
		team := f.team("Billing", 1, lead, ravi)
		if len(team.MemberIDs) != 2 {
			t.Fatalf("members = %v, want ravi and the lead", team.MemberIDs)
		}
		team, err = f.people.UpdateTeam(f.sys, team.ID, people.TeamInput{MemberIDs: &[]int64{}})
		if err != nil || len(team.MemberIDs) != 1 || team.MemberIDs[0] != lead.ID {
			t.Fatalf("members after emptying = %v (%v), want the lead who stays a member", team.MemberIDs, err)
		}
		if got, _ := f.db.Agent(context.Background(), lead.ID); len(got.TeamIDs) != 1 || got.TeamIDs[0] != team.ID {
			t.Fatalf("lead's teams = %v", got.TeamIDs)
		}
		_, err = f.people.CreateTeam(f.sys, people.TeamInput{Name: ptr("Billing")})
		wantCode(t, err, desk.ECONFLICT)
		_, err = f.people.CreateTeam(f.sys, people.TeamInput{Name: ptr("Ghosts"), MemberIDs: &[]int64{999}})
		wantField(t, err, "member_ids")
		_, err = f.people.CreateTeam(f.sys, people.TeamInput{Name: ptr("Tier 9"), Tier: ptr(9)})
		wantField(t, err, "tier")

		// An agent without the permission may not change people.
		_, err = f.people.CreateOrganization(f.as(ravi), people.OrganizationInput{Name: ptr("Mine")})
		wantCode(t, err, desk.EFORBIDDEN)
		_, err = f.people.CreateRole(f.as(ravi), rolePerms("mine"))
		wantCode(t, err, desk.EFORBIDDEN)
	})
}

func TestSignInLockoutAndSessions(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		const pw = "correct horse battery"
		ravi, err := f.people.CreateAgent(f.sys, people.AgentInput{Email: ptr("ravi@desk.test"), Name: ptr("Ravi"),
			Role: ptr("agent"), Password: ptr(pw)}, auth.HashPassword)
		if err != nil {
			t.Fatal(err)
		}
		sid, csrf, a, err := f.access.SignIn(ctx, "Ravi@desk.test", pw)
		if err != nil || a.ID != ravi.ID || sid == "" || csrf == "" {
			t.Fatalf("sign in: %v", err)
		}
		if got, gotCSRF, err := f.access.Session(ctx, sid); err != nil || got.ID != ravi.ID || gotCSRF != csrf {
			t.Fatalf("session: %v", err)
		}
		_, _, _, err = f.access.SignIn(ctx, "nobody@desk.test", pw)
		wantCode(t, err, desk.EUNAUTHORIZED)

		// Five wrong passwords lock the account for fifteen minutes, even
		// against the right password.
		for range access.MaxFailures {
			_, _, _, err = f.access.SignIn(ctx, "ravi@desk.test", "wrong password")
			wantCode(t, err, desk.EUNAUTHORIZED)
		}
		_, _, _, err = f.access.SignIn(ctx, "ravi@desk.test", pw)
		wantCode(t, err, desk.ERATELIMIT)
		f.clock.Advance(access.LockFor - time.Second)
		_, _, _, err = f.access.SignIn(ctx, "ravi@desk.test", pw)
		wantCode(t, err, desk.ERATELIMIT)
		f.clock.Advance(time.Second)
		sid2, _, _, err := f.access.SignIn(ctx, "ravi@desk.test", pw)
		if err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		// A success resets the count: four more failures do not lock.
		for range access.MaxFailures - 1 {
			_, _, _, _ = f.access.SignIn(ctx, "ravi@desk.test", "wrong password")
		}
		if _, _, _, err := f.access.SignIn(ctx, "ravi@desk.test", pw); err != nil {
			t.Fatalf("four failures after a success locked: %v", err)
		}

		// Sessions end at their expiry and on sign-out.
		if err := f.access.SignOut(ctx, sid2); err != nil {
			t.Fatal(err)
		}
		_, _, err = f.access.Session(ctx, sid2)
		wantCode(t, err, desk.EUNAUTHORIZED)
		f.clock.Advance(access.SessionTTL - access.LockFor - time.Second)
		if _, _, err := f.access.Session(ctx, sid); err != nil {
			t.Fatalf("session before expiry: %v", err)
		}
		f.clock.Advance(time.Second)
		_, _, err = f.access.Session(ctx, sid)
		wantCode(t, err, desk.EUNAUTHORIZED)

		// A new password ends the sessions begun before it, and only those.
		old, _, _, err := f.access.SignIn(ctx, "ravi@desk.test", pw)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Second)
		const pw2 = "a brand new passphrase"
		if _, err := f.people.UpdateAgent(f.sys, ravi.ID, people.AgentInput{Password: ptr(pw2)}, auth.HashPassword); err != nil {
			t.Fatal(err)
		}
		_, _, err = f.access.Session(ctx, old)
		wantCode(t, err, desk.EUNAUTHORIZED)
		f.clock.Advance(time.Second)
		fresh, _, _, err := f.access.SignIn(ctx, "ravi@desk.test", pw2)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.access.Session(ctx, fresh); err != nil {
			t.Fatalf("a session begun after the change: %v", err)
		}

		// A deactivated agent's password is refused.
		if _, err := f.people.UpdateAgent(f.sys, ravi.ID, peopleActive(false), nil); err != nil {
			t.Fatal(err)
		}
		_, _, _, err = f.access.SignIn(ctx, "ravi@desk.test", pw)
		wantCode(t, err, desk.EUNAUTHORIZED)

	})
}

func TestTokensAndActors(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		ravi := f.agent("ravi@desk.test", "agent")
		// Tokens.
		secret, tok, err := f.access.CreateToken(ctx, ravi.ID, "laptop")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := f.access.Token(ctx, secret); err != nil || got.ID != ravi.ID {
			t.Fatalf("token: %v", err)
		}
		_, err = f.access.Token(ctx, secret+"x")
		wantCode(t, err, desk.EUNAUTHORIZED)
		list, err := f.access.Tokens(ctx, ravi.ID)
		if err != nil || len(list) != 1 || list[0].Name != "laptop" || list[0].RevokedAt != nil {
			t.Fatalf("tokens = %v (%v)", list, err)
		}
		wantCode(t, f.access.RevokeToken(ctx, ravi.ID+1, tok.ID, 0), desk.ENOTFOUND)
		if err := f.access.RevokeToken(ctx, ravi.ID, tok.ID, 0); err != nil {
			t.Fatal(err)
		}
		_, err = f.access.Token(ctx, secret)
		wantCode(t, err, desk.EUNAUTHORIZED)
		wantCode(t, f.access.RevokeToken(ctx, ravi.ID, tok.ID, 0), desk.ENOTFOUND)

		// A deactivated agent's tokens are refused.
		secret, _, err = f.access.CreateToken(ctx, ravi.ID, "desktop")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.people.UpdateAgent(f.sys, ravi.ID, peopleActive(false), nil); err != nil {
			t.Fatal(err)
		}
		_, err = f.access.Token(ctx, secret)
		wantCode(t, err, desk.EUNAUTHORIZED)

		// The actor carries the role's permissions and the agent's teams.
		lead := f.agent("lead@desk.test", "team_lead")
		team := f.team("Billing", 1, lead)
		fresh, _ := f.db.Agent(ctx, lead.ID)
		actor, err := f.access.ActorFor(ctx, fresh)
		if err != nil || !actor.Can(auth.TicketsReadAll) || actor.Can(auth.RolesWrite) || !actor.InTeam(team.ID) {
			t.Fatalf("actor = %+v (%v)", actor, err)
		}
	})
}
