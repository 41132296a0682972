package store

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/quality"
)

// BenchmarkQADashboard reads a supervisor's QA dashboard (twelve weeks,
// every agent, team and criterion) over the buckets 200 agents leave with
// five reviews a week each on a five-criterion scorecard, over a year.
// go test ./internal/store -run '^$' -bench QADashboard -benchtime 200x
func BenchmarkQADashboard(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
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
	times := make([]time.Duration, 0, b.N)
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
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}
