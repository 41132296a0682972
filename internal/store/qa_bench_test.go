package store

import (
	"context"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/quality"
)

// BenchmarkQADashboard reads a supervisor's QA dashboard (twelve weeks,
// every agent, team and criterion) over the buckets 200 agents leave with
// five reviews a week each on a five-criterion scorecard, over a year.
// go test ./internal/store -run '^$' -bench QADashboard -benchtime 200x
// (PostgreSQL: SAHAYAK_BENCH_POSTGRES_URL names an empty database of one's
// own; the benchmark leaves its rows there, to be dropped with it).
func BenchmarkQADashboard(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: b.TempDir(), DatabaseURL: os.Getenv("SAHAYAK_BENCH_POSTGRES_URL")})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if err := db.Exec(ctx, `DELETE FROM qa_rollups`); err != nil { // a database of its own, from the run before
		b.Fatal(err)
	}
	now := time.Now().UTC()
	crits := []string{"", "greeting", "empathy", "correct", "privacy", "tone"}
	for w := 0; w < 52; w++ {
		week := quality.WeekStart(now).AddDate(0, 0, -7*w).Unix()
		var rows []string
		var args []any
		for agent := 1; agent <= 200; agent++ {
			for _, c := range crits {
				n := len(args)
				rows = append(rows, "($"+itoa(n+1)+", $"+itoa(n+2)+", $"+itoa(n+3)+", $"+itoa(n+4)+", 5, 400)")
				args = append(args, week, agent, agent%10+1, c)
			}
		}
		if err := db.Exec(ctx, `INSERT INTO qa_rollups (week, agent_id, team_id, criterion, n, total) VALUES `+strings.Join(rows, ", "), args...); err != nil {
			b.Fatal(err)
		}
	}
	svc := quality.NewService(db, nil, desk.SystemClock{})
	boss := desk.WithActor(ctx, desk.Actor{Kind: desk.ActorAgent, ID: 9999, Permissions: []string{"tickets:read", "reports:read_all"}})
	times, cpu0 := make([]time.Duration, 0, b.N), processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		s, err := svc.Dashboard(boss, quality.DashboardQuery{})
		if err != nil || len(s.Agents) != 200 {
			b.Fatalf("%v %d", err, len(s.Agents))
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	cpu := processCPU() - cpu0
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// processCPU is the CPU time (user and system) the process has used: less
// moved by a busy machine than the wall clock.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}
