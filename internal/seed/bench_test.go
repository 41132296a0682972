package seed_test

import (
	"context"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/seed"
)

// BenchmarkSynthetic loads 100,000 synthetic tickets into a fresh SQLite
// file per round; profile it with -cpuprofile.
func BenchmarkSynthetic(b *testing.B) {
	const n = 100000
	for range b.N {
		b.StopTimer()
		a, err := app.Open(context.Background(), app.Config{DataDir: b.TempDir()}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := seed.Synthetic(context.Background(), services(a), n, time.Now().UTC()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		a.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tickets/s")
}
