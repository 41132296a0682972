package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// BenchmarkCreateWithLiveStreams creates tickets of one team while 1,000
// live streams are open (8 each for 125 agents, each agent alone in a
// team), so that 8 streams may see each event and 992 may not. What it
// measures is the writer's cost per ticket with that many listeners; the
// streams run on the same two cores, so work they do per event shows.
//
//	go test ./internal/web -run XXX -bench CreateWithLiveStreams -count 6
func BenchmarkCreateWithLiveStreams(b *testing.B) {
	for _, streams := range []int{0, 1000} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			d := newDesk(b, storetest.Backends()[0], nil)
			ctx := system()
			var teams []int64
			for i := 0; i < streams/8; i++ {
				email, name, role := fmt.Sprintf("agent%d@desk.test", i), fmt.Sprintf("Agent %d", i), auth.RoleAgent
				a, err := d.People.CreateAgent(ctx, people.AgentInput{Email: &email, Name: &name, Role: &role}, auth.HashPassword)
				if err != nil {
					b.Fatal(err)
				}
				team, tier, members := fmt.Sprintf("Team %d", i), 1, []int64{a.ID}
				tm, err := d.People.CreateTeam(ctx, people.TeamInput{Name: &team, Tier: &tier, MemberIDs: &members})
				if err != nil {
					b.Fatal(err)
				}
				teams = append(teams, tm.ID)
				secret, _, err := d.Access.CreateToken(ctx, a.ID, "bench")
				if err != nil {
					b.Fatal(err)
				}
				for j := 0; j < 8; j++ {
					if s := openStream(b, d.URL, http.Header{"Authorization": {"Bearer " + secret}}); s.Status != 200 {
						b.Fatalf("stream: %d %s", s.Status, s.Body)
					}
				}
			}
			team := d.Teams[1].ID
			if len(teams) > 0 {
				team = teams[0]
			}
			in := ticket.NewTicket{Subject: "Printer on fire", Body: "It smokes.",
				Requester: ticket.Person{Email: "kavya@customer.test", Name: "Kavya"}, TeamID: &team}
			b.ResetTimer()
			for b.Loop() {
				if _, err := d.Tickets.Create(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
