package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/seed"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
	"github.com/sahayak/sahayak/internal/view"
)

// The sidebar's counts come from counts kept in each ticket write's
// transaction (ticket_counts). After every kind of change — creates,
// assignment, status changes, escalation, team moves, merges, a deleted
// ticket, a deleted team and agent (their tickets' SET NULL), a bulk load — they equal a
// fresh count of the tickets, for every built-in view, as an admin and
// within an agent's scope (so "my teams" counts only the agent's teams).
func TestKeptCountsEqualAFreshCount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		ctx, db, ps, tickets, agent := viewDesk(t, b)
		ravi, meera, kiran := agent("ravi"), agent("meera"), agent("kiran")
		team := func(name string, tier int, members ...int64) int64 {
			tm, err := ps.CreateTeam(ctx, people.TeamInput{Name: &name, Tier: &tier, MemberIDs: &members})
			if err != nil {
				t.Fatal(err)
			}
			return tm.ID
		}
		billing, hardware, experts := team("Billing", 1, ravi), team("Hardware", 1, meera), team("Experts", 2, kiran)
		create := func(teamID, assignee int64) int64 {
			in := ticket.NewTicket{Subject: "Printer", Body: "It jams", Requester: ticket.Person{Email: "c@example.com"}}
			if teamID != 0 {
				in.TeamID = &teamID
			}
			if assignee != 0 {
				in.AssigneeID = &assignee
			}
			tk, err := tickets.Create(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			return tk.ID
		}
		update := func(id int64, p ticket.Patch) {
			t.Helper()
			if _, err := tickets.Update(ctx, id, p); err != nil {
				t.Fatalf("update %d: %v", id, err)
			}
		}
		actors := map[string]desk.Actor{
			"admin": {Kind: desk.ActorAgent, ID: ravi, TeamIDs: []int64{billing}},
			"ravi":  {Kind: desk.ActorAgent, ID: ravi, TeamIDs: []int64{billing}},
			"meera": {Kind: desk.ActorAgent, ID: meera, TeamIDs: []int64{hardware}},
			"kiran": {Kind: desk.ActorAgent, ID: kiran, TeamIDs: []int64{experts, billing}},
		}
		check := func(step string) {
			t.Helper()
			drift, err := db.TicketCountsDrift(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range drift {
				t.Errorf("after %s: %s", step, d)
			}
			for name, a := range actors {
				for _, bv := range view.Builtins {
					f, _ := bv.Query.Filter(a, time.Now())
					if name != "admin" {
						f.Scope = &ticket.Scope{AgentID: a.ID, TeamIDs: a.TeamIDs}
					}
					q, args, err := db.CountQuery(f, 1<<30)
					if err != nil {
						t.Fatal(err)
					}
					var fresh int
					if err := db.QueryRowForTest(ctx, q, args...).Scan(&fresh); err != nil {
						t.Fatal(err)
					}
					for _, atMost := range []int{1 << 30, 2} {
						n, err := db.CountTickets(ctx, f, atMost)
						if want := min(fresh, atMost); err != nil || n != want {
							t.Errorf("after %s, %s's %s at most %d: %d, %v; a fresh count says %d", step, name, bv.Key, atMost, n, err, want)
						}
					}
				}
			}
		}
		var ids []int64
		for _, r := range [][2]int64{{0, 0}, {0, 0}, {billing, 0}, {billing, ravi}, {billing, ravi}, {hardware, meera},
			{hardware, 0}, {0, ravi}, {experts, kiran}, {hardware, meera}} {
			ids = append(ids, create(r[0], r[1]))
		}
		check("creates")
		update(ids[0], ticket.Patch{AssigneeID: &meera})
		update(ids[2], ticket.Patch{AssigneeID: &ravi})
		update(ids[3], ticket.Patch{AssigneeID: ptr(int64(0))})
		check("assignments")
		update(ids[4], ticket.Patch{Status: ptr(ticket.CategoryPending)})
		update(ids[5], ticket.Patch{Status: ptr(ticket.CategorySolved)})
		update(ids[6], ticket.Patch{Status: ptr(ticket.CategoryOnHold)})
		update(ids[4], ticket.Patch{Status: ptr(ticket.CategoryOpen)})
		check("status changes")
		update(ids[1], ticket.Patch{TeamID: &billing})
		update(ids[6], ticket.Patch{TeamID: &billing})
		update(ids[7], ticket.Patch{TeamID: &hardware})
		check("team moves")
		if _, err := tickets.Escalate(ctx, ids[2], experts, "needs an expert"); err != nil {
			t.Fatal(err)
		}
		check("an escalation")
		if _, err := tickets.Merge(ctx, ids[9], ids[5]); err != nil {
			t.Fatal(err)
		}
		check("a merge")
		for _, q := range []string{`DELETE FROM ticket_tags WHERE ticket_id = $1`, `DELETE FROM messages WHERE ticket_id = $1`,
			`DELETE FROM events WHERE ticket_id = $1`, `DELETE FROM tickets WHERE id = $1`} {
			if err := db.ExecForTest(ctx, q, ids[8]); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		check("a delete")
		if err := db.ExecForTest(ctx, `DELETE FROM teams WHERE id = $1`, hardware); err != nil {
			t.Fatal(err)
		}
		check("a deleted team")
		if err := db.ExecForTest(ctx, `DELETE FROM agents WHERE id = $1`, meera); err != nil {
			t.Fatal(err)
		}
		check("a deleted agent")
		// A bulk load (seed) counts its tickets in one statement, the
		// trigger off on PostgreSQL.
		if _, err := seed.Synthetic(context.Background(), seed.Services{DB: db, People: ps, Tickets: tickets}, 300, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		check("a bulk load")
	})
}
