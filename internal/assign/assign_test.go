package assign_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/assign"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Choose, the pure decision, per mode.
func TestChoose(t *testing.T) {
	on := func(id int64, open int, skills, langs []string) assign.Candidate {
		return assign.Candidate{AgentID: id, Status: assign.Online, Open: open, Skills: skills, Languages: langs}
	}
	hindi := &ticket.Ticket{Subject: "भुगतान नहीं हुआ", Tags: []string{"billing"}}
	plain := &ticket.Ticket{Subject: "Refund", Tags: []string{"billing", "vip"}}
	cases := []struct {
		name  string
		team  assign.TeamSettings
		last  int64
		cands []assign.Candidate
		t     *ticket.Ticket
		want  int64
	}{
		{"round robin takes the next after the last", assign.TeamSettings{Mode: assign.ModeRoundRobin}, 2,
			[]assign.Candidate{on(1, 0, nil, nil), on(2, 0, nil, nil), on(3, 9, nil, nil)}, plain, 3},
		{"round robin wraps around", assign.TeamSettings{Mode: assign.ModeRoundRobin}, 3,
			[]assign.Candidate{on(1, 0, nil, nil), on(3, 0, nil, nil)}, plain, 1},
		{"round robin skips the away and the full", assign.TeamSettings{Mode: assign.ModeRoundRobin, Capacity: 2}, 0,
			[]assign.Candidate{{AgentID: 1, Status: assign.Away}, on(2, 2, nil, nil), on(3, 1, nil, nil)}, plain, 3},
		{"least loaded", assign.TeamSettings{Mode: assign.ModeLoadBalanced, Capacity: 5}, 0,
			[]assign.Candidate{on(1, 3, nil, nil), on(2, 1, nil, nil), on(3, 2, nil, nil)}, plain, 2},
		{"an agent's own capacity beats the team's", assign.TeamSettings{Mode: assign.ModeLoadBalanced, Capacity: 5}, 0,
			[]assign.Candidate{{AgentID: 1, Status: assign.Online, Open: 1, Capacity: 1}, on(2, 2, nil, nil)}, plain, 2},
		{"everyone full: nobody", assign.TeamSettings{Mode: assign.ModeLoadBalanced, Capacity: 1}, 0,
			[]assign.Candidate{on(1, 1, nil, nil), on(2, 1, nil, nil)}, plain, 0},
		{"offline agents get nothing", assign.TeamSettings{Mode: assign.ModeLoadBalanced}, 0,
			[]assign.Candidate{{AgentID: 1, Status: assign.Offline}}, plain, 0},
		{"Hindi ticket to the Hindi speaker, though busier", assign.TeamSettings{Mode: assign.ModeSkills}, 0,
			[]assign.Candidate{on(1, 0, []string{"billing"}, []string{"en"}), on(2, 4, nil, []string{"hi", "en"})}, hindi, 2},
		{"Hindi ticket waits when the speaker is away", assign.TeamSettings{Mode: assign.ModeSkills}, 0,
			[]assign.Candidate{on(1, 0, nil, []string{"en"}), {AgentID: 2, Status: assign.Away, Languages: []string{"hi"}}}, hindi, 0},
		{"more matching skills win", assign.TeamSettings{Mode: assign.ModeSkills}, 0,
			[]assign.Candidate{on(1, 0, []string{"billing"}, nil), on(2, 3, []string{"billing", "vip"}, nil)}, plain, 2},
		{"equal skills: least loaded", assign.TeamSettings{Mode: assign.ModeSkills}, 0,
			[]assign.Candidate{on(1, 3, []string{"billing"}, nil), on(2, 1, []string{"billing"}, nil)}, plain, 2},
		{"off assigns nobody", assign.TeamSettings{Mode: assign.ModeOff}, 0,
			[]assign.Candidate{on(1, 0, nil, nil)}, plain, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := assign.Choose(c.team, c.last, c.cands, c.t); got.AgentID != c.want {
				t.Errorf("Choose = %+v, want agent %d", got, c.want)
			}
		})
	}
}

// Scenarios per mode on each database: tickets created in a team are
// assigned by the consumer as the team's mode says.
func TestAssignmentScenarios(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		t.Run("round robin in turn, online agents only", func(t *testing.T) {
			f := newFixture(t, b)
			asha, ravi, meena := f.agent("asha"), f.agent("ravi"), f.agent("meena")
			team := f.team("Support", asha, ravi, meena)
			f.mode(team, assign.ModeRoundRobin, 0, false)
			f.status(asha, assign.Online)
			f.status(ravi, assign.Online)
			f.status(meena, assign.Away)
			var got []int64
			for range 4 {
				tk := f.open(team, "Printer")
				f.consume()
				got = append(got, f.assignee(tk.ID))
			}
			want := []int64{asha.ID, ravi.ID, asha.ID, ravi.ID}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("round robin gave %v, want %v", got, want)
				}
			}
		})
		t.Run("load balanced up to capacity, then waiting until a slot frees", func(t *testing.T) {
			f := newFixture(t, b)
			asha, ravi := f.agent("asha"), f.agent("ravi")
			team := f.team("Support", asha, ravi)
			f.mode(team, assign.ModeLoadBalanced, 2, false)
			f.profile(ravi, 1, nil, nil)
			f.status(asha, assign.Online)
			f.status(ravi, assign.Online)
			var ts []*ticket.Ticket
			for range 4 {
				ts = append(ts, f.open(team, "Printer"))
			}
			f.consume()
			load := map[int64]int{}
			for _, tk := range ts {
				load[f.assignee(tk.ID)]++
			}
			if load[asha.ID] != 2 || load[ravi.ID] != 1 || load[0] != 1 {
				t.Fatalf("loads %v, want asha 2, ravi 1 (own capacity), one waiting", load)
			}
			// Ravi solves his: the waiting ticket goes to him.
			for _, tk := range ts {
				if f.assignee(tk.ID) == ravi.ID {
					solved := "solved"
					if _, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{Status: &solved}); err != nil {
						t.Fatal(err)
					}
				}
			}
			f.consume()
			if got := f.assignee(ts[3].ID); got != ravi.ID {
				t.Errorf("waiting ticket went to %d, want ravi %d once his slot freed", got, ravi.ID)
			}
		})
		t.Run("skills: Hindi tickets to Hindi speakers, tags to skills", func(t *testing.T) {
			f := newFixture(t, b)
			asha, ravi, john := f.agent("asha"), f.agent("ravi"), f.agent("john")
			team := f.team("Support", asha, ravi, john)
			f.mode(team, assign.ModeSkills, 10, false)
			f.profile(asha, 0, []string{"billing"}, []string{"hi", "en"})
			f.profile(ravi, 0, []string{"network"}, []string{"hi"})
			f.profile(john, 0, []string{"billing", "network"}, []string{"en"})
			for _, a := range []*people.Agent{asha, ravi, john} {
				f.status(a, assign.Online)
			}
			cases := []struct {
				subject string
				tags    []string
				want    int64
			}{
				{"इंटरनेट बंद है", []string{"network"}, ravi.ID},
				{"बिल गलत है", []string{"billing"}, asha.ID},
				{"Router down and bill wrong", []string{"billing", "network"}, john.ID},
			}
			for _, c := range cases {
				tk := f.open(team, c.subject, c.tags...)
				f.consume()
				if got := f.assignee(tk.ID); got != c.want {
					t.Errorf("%q %v went to %d, want %d", c.subject, c.tags, got, c.want)
				}
			}
		})
		t.Run("going offline hands tickets back when the team wants it", func(t *testing.T) {
			f := newFixture(t, b)
			asha, ravi := f.agent("asha"), f.agent("ravi")
			team := f.team("Support", asha, ravi)
			f.mode(team, assign.ModeLoadBalanced, 10, true)
			f.status(asha, assign.Online)
			tk := f.open(team, "Printer")
			f.consume()
			if f.assignee(tk.ID) != asha.ID {
				t.Fatal("not assigned to the only online agent")
			}
			f.status(ravi, assign.Online)
			f.status(asha, assign.Offline)
			f.consume()
			if got := f.assignee(tk.ID); got != ravi.ID {
				t.Errorf("after asha went offline the ticket is with %d, want ravi %d", got, ravi.ID)
			}
		})
		t.Run("inactivity makes an agent away, then offline; activity brings them back", func(t *testing.T) {
			f := newFixture(t, b)
			asha := f.agent("asha")
			team := f.team("Support", asha)
			f.assign.Seen(f.sys, asha.ID)
			board := func() assign.Presence {
				t.Helper()
				ps, err := f.assign.Board(f.sys, team.ID, nil)
				if err != nil || len(ps) != 1 {
					t.Fatalf("board: %v %v", ps, err)
				}
				return ps[0]
			}
			if p := board(); p.Status != assign.Online {
				t.Fatalf("first seen: %+v", p)
			}
			f.clock.Advance(11 * time.Minute)
			if _, err := f.assign.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
			if p := board(); p.Status != assign.Away || !p.ByInactivity {
				t.Fatalf("after 11 idle minutes: %+v", p)
			}
			f.clock.Advance(20 * time.Minute)
			if _, err := f.assign.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
			if p := board(); p.Status != assign.Offline {
				t.Fatalf("after 31 idle minutes: %+v", p)
			}
			f.assign.Seen(f.sys, asha.ID)
			if p := board(); p.Status != assign.Online {
				t.Fatalf("seen again: %+v", p)
			}
		})
	})
}

// No agent is assigned past capacity when many creates race, from two
// nodes (two database handles on PostgreSQL; SQLite is one node, and its
// goroutines race instead).
func TestAssignmentNeverPastCapacity(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		f := newFixture(t, b)
		agents := []*people.Agent{f.agent("asha"), f.agent("ravi"), f.agent("meena")}
		team := f.team("Support", agents...)
		f.mode(team, assign.ModeLoadBalanced, 2, false)
		for _, a := range agents {
			f.status(a, assign.Online)
		}
		other := f
		if b.Name == "postgres" {
			db2, err := store.Open(context.Background(), store.Config{DatabaseURL: f.db.URL})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db2.Close() })
			other = fixtureOn(t, db2, f.clock)
		}
		const creates = 50
		var wg sync.WaitGroup
		errs := make(chan error, creates)
		for i := range creates {
			node := f
			if i%2 == 1 {
				node = other
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				tk := node.open(team, "Printer")
				if _, err := node.assign.Assign(context.Background(), tk.ID); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		ps, err := f.assign.Board(f.sys, team.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, p := range ps {
			if p.Open != 2 {
				t.Errorf("%s holds %d open tickets, want exactly the capacity 2", p.Name, p.Open)
			}
			total += p.Open
		}
		if total != 6 {
			t.Errorf("%d assigned, want 6", total)
		}
	})
}
