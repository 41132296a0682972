package teamtask_test

import (
	"context"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/teamtask"
	"github.com/sahayak/sahayak/internal/ticket"
)

func TestTeamBoard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		db := storetest.Open(t, b)
		clock := storetest.NewClock(time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC))
		sys := desk.WithActor(context.Background(), desk.System)
		pp := people.NewService(db, clock)
		tickets := ticket.NewService(db, db, event.NewBus(), clock)
		svc := teamtask.NewService(db, tickets, clock)
		as := func(name, role string) (*people.Agent, func() context.Context) {
			email := name + "@desk.test"
			a, err := pp.CreateAgent(sys, people.AgentInput{Email: &email, Name: &name, Role: &role}, auth.HashPassword)
			if err != nil {
				t.Fatal(err)
			}
			return a, func() context.Context {
				fresh, _ := db.Agent(context.Background(), a.ID)
				var perms []string
				for _, r := range auth.BuiltinRoles {
					if r.Name == role {
						perms = r.Permissions
					}
				}
				return desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorAgent, ID: a.ID, Role: role,
					Permissions: perms, TeamIDs: fresh.TeamIDs})
			}
		}
		lead, asLead := as("lead", auth.RoleTeamLead)
		ravi, asRavi := as("ravi", auth.RoleAgent)
		mina, asMina := as("mina", auth.RoleAgent)
		_, asBoss := as("boss", auth.RoleSupervisor)
		name, tier, members := "Billing", 1, []int64{lead.ID, ravi.ID}
		tm, err := pp.CreateTeam(sys, people.TeamInput{Name: &name, Tier: &tier, LeadID: &lead.ID, MemberIDs: &members})
		if err != nil {
			t.Fatal(err)
		}
		str := func(s string) *string { return &s }
		due := clock.Now().Add(48 * time.Hour)
		card, err := svc.Create(asLead(), tm.ID, teamtask.Patch{Title: str("Refund macro rewrite"), OwnerID: &ravi.ID, DueAt: &due})
		if err != nil || card.Status != teamtask.ToDo || card.Version != 1 {
			t.Fatalf("create %+v %v", card, err)
		}
		for _, tc := range []struct {
			name  string
			ctx   context.Context
			p     teamtask.Patch
			code  string
			field string
		}{
			{"no title", asLead(), teamtask.Patch{Title: str(" ")}, desk.EINVALID, "title"},
			{"an owner outside the team", asLead(), teamtask.Patch{Title: str("x"), OwnerID: &mina.ID}, desk.EINVALID, "owner_id"},
			{"an unknown column", asLead(), teamtask.Patch{Title: str("x"), Status: str("later")}, desk.EINVALID, "status"},
			{"a member who does not lead", asRavi(), teamtask.Patch{Title: str("x")}, desk.EFORBIDDEN, ""},
			{"an agent of another team", asMina(), teamtask.Patch{Title: str("x")}, desk.ENOTFOUND, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := svc.Create(tc.ctx, tm.ID, tc.p)
				if desk.ErrorCode(err) != tc.code {
					t.Fatalf("code %q (%v), want %q", desk.ErrorCode(err), err, tc.code)
				}
				if tc.field != "" {
					if _, ok := desk.ErrorFields(err)[tc.field]; !ok {
						t.Fatalf("fields %v, want %s", desk.ErrorFields(err), tc.field)
					}
				}
			})
		}
		// The owner moves the card; a stale move is refused, not applied.
		moved, err := svc.Update(asRavi(), card.ID, card.Version, teamtask.Patch{Status: str(teamtask.Doing)})
		if err != nil || moved.Status != teamtask.Doing || moved.Version != 2 {
			t.Fatalf("move %+v %v", moved, err)
		}
		_, err = svc.Update(asLead(), card.ID, card.Version, teamtask.Patch{Status: str(teamtask.Done)})
		if desk.ErrorCode(err) != desk.ESTALE {
			t.Fatalf("stale move: %v", err)
		}
		_, err = svc.Update(asMina(), card.ID, 0, teamtask.Patch{Status: str(teamtask.Done)})
		if desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Fatalf("outsider move: %v", err)
		}
		list, _, lead_, err := svc.Board(asBoss(), tm.ID)
		if err != nil || len(list) != 1 || list[0].Status != teamtask.Doing || !lead_ {
			t.Fatalf("board %+v %v %v", list, lead_, err)
		}
		if _, _, _, err := svc.Board(asMina(), tm.ID); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Fatalf("outsider board: %v", err)
		}
	})
}
