package assign_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/assign"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// BenchmarkAssignUnderConcurrentCreates: 50 goroutines each create a ticket
// in a load-balanced team of 5 online agents and assign it at once, on each
// database. decisions/s counts assignments made (each one a locked read of
// the team and its agents' loads plus the ticket's update).
func BenchmarkAssignUnderConcurrentCreates(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			f := newFixture(b, be)
			var agents []*people.Agent
			for _, n := range []string{"asha", "ravi", "meena", "john", "lila"} {
				agents = append(agents, f.agent(n))
			}
			team := f.team("Support", agents...)
			f.mode(team, assign.ModeLoadBalanced, 0, false)
			for _, a := range agents {
				f.status(a, assign.Online)
			}
			b.SetParallelism(max(1, 50/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					tk := f.open(team, "Printer")
					ok, err := f.assign.Assign(context.Background(), tk.ID)
					if err != nil || !ok {
						b.Errorf("assign: %v %v", ok, err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
		})
	}
}

// BenchmarkAssignOneAtATime: the cost of one decision without contention:
// the tickets are made first, then assigned one after another.
func BenchmarkAssignOneAtATime(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			f := newFixture(b, be)
			var agents []*people.Agent
			for _, n := range []string{"asha", "ravi", "meena", "john", "lila"} {
				agents = append(agents, f.agent(n))
			}
			team := f.team("Support", agents...)
			f.mode(team, assign.ModeLoadBalanced, 0, false)
			for _, a := range agents {
				f.status(a, assign.Online)
			}
			var tks []*ticket.Ticket
			for range b.N {
				tks = append(tks, f.open(team, "Printer"))
			}
			b.ResetTimer()
			start := time.Now()
			for _, tk := range tks {
				if ok, err := f.assign.Assign(context.Background(), tk.ID); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
		})
	}
}
