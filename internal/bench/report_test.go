package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/app/apptest"
	"github.com/sahayak/sahayak/internal/report"
)

// The supervisor's pages and the KPI API, served over loopback to one
// signed-in admin, one request at a time, after the report consumer has
// counted the whole synthetic history (seed writes each ticket's creation,
// first reply and solve). Sizes and databases as BenchmarkTicketPage:
//
//	SAHAYAK_BENCH_PAGE_TICKETS=1000000 go test ./internal/bench -run '^$' \
//	  -bench 'SupervisorHome|KPIAPI|ExportCSV' -benchtime 200x -count 3 -timeout 90m
func BenchmarkSupervisorHome(b *testing.B) {
	reportBench(b, func(p *servedPage, i int) string { return "/supervisor" })
}

func BenchmarkKPIAPI(b *testing.B) {
	groups := []string{"", "team", "agent", "channel", "priority", "tag"}
	reportBench(b, func(p *servedPage, i int) string {
		to := time.Now().UTC()
		from := to.AddDate(0, 0, -30)
		path := "/api/v1/reports/kpis?from=" + from.Format(time.DateOnly) + "&to=" + to.Format(time.DateOnly)
		if g := groups[i%len(groups)]; g != "" {
			path += "&group_by=" + g
		}
		return path
	})
}

// caughtUp counts the seeded history into the rollups in bulk (as `seed`
// and `report rebuild` do; the desk's own consumer would take a batch of
// 500 at a time) and checks that nothing is left.
func caughtUp(b *testing.B, p *servedPage) {
	ctx := context.Background()
	start := time.Now()
	cpu := apptest.ProcessCPU()
	if err := p.app.Reports.CatchUpBulk(ctx); err != nil {
		b.Fatal(err)
	}
	last, err := p.app.DB.LastEventID(ctx)
	if err != nil {
		b.Fatal(err)
	}
	at, err := p.app.DB.EventCursor(ctx, report.Consumer)
	if err != nil || at != last {
		b.Fatalf("report cursor %d, last event %d: %v", at, last, err)
	}
	b.Logf("report rollups counted (%d events) in %s, CPU %s", last, time.Since(start).Round(time.Second),
		(apptest.ProcessCPU() - cpu).Round(time.Millisecond))
}

func reportBench(b *testing.B, path func(p *servedPage, i int) string) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("SAHAYAK_BENCH_PAGE_TICKETS")); err == nil && v > 0 {
		n = v
	}
	for name, cfg := range benchDatabases() {
		b.Run(fmt.Sprintf("%s/tickets=%d", name, n), func(b *testing.B) {
			p := pageDesk(b, name, cfg, n)
			caughtUp(b, p)
			b.ResetTimer()
			cpu := apptest.ProcessCPU()
			times := make([]time.Duration, 0, b.N)
			for i := range b.N {
				req, _ := http.NewRequest("GET", p.url+path(p, i), nil)
				req.Header.Set("Accept", "text/html")
				req.AddCookie(&http.Cookie{Name: "sahayak_session", Value: p.session})
				start := time.Now()
				res, err := p.http.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				times = append(times, time.Since(start))
				if res.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: %d", req.URL, res.StatusCode)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((apptest.ProcessCPU()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}

// BenchmarkExportCSV streams every ticket as CSV (the "all" view, no row
// cap) and reports rows per second and how much the process's resident
// memory grew over the export.
func BenchmarkExportCSV(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("SAHAYAK_BENCH_PAGE_TICKETS")); err == nil && v > 0 {
		n = v
	}
	for name, cfg := range benchDatabases() {
		b.Run(fmt.Sprintf("%s/tickets=%d", name, n), func(b *testing.B) {
			p := pageDesk(b, name, cfg, n)
			rssBefore := rss()
			var rows int64
			var peak int64
			b.ResetTimer()
			cpu := apptest.ProcessCPU()
			for range b.N {
				req, _ := http.NewRequest("GET", p.url+"/tickets/export.csv?view=all", nil)
				req.AddCookie(&http.Cookie{Name: "sahayak_session", Value: p.session})
				res, err := p.http.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				sc := bufio.NewScanner(res.Body)
				for sc.Scan() {
					rows++
					if rows%50000 == 0 {
						peak = max(peak, rss())
					}
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK || sc.Err() != nil {
					b.Fatalf("export: %d %v", res.StatusCode, sc.Err())
				}
			}
			b.StopTimer()
			used := apptest.ProcessCPU() - cpu
			peak = max(peak, rss())
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			// Server and client share the process: rows per CPU second of
			// both, which a busy machine does not inflate.
			b.ReportMetric(float64(rows)/used.Seconds(), "rows/cpu-s")
			b.ReportMetric(float64(peak-rssBefore)/(1<<20), "rss-growth-MB")
		})
	}
}

// rss is the process's resident set size in bytes (Linux; 0 elsewhere).
func rss() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
