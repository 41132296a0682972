package search_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/search"
	"github.com/sahayak/sahayak/internal/seed"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/ticket"
)

// The search benchmarks run over a desk of SAHAYAK_SEARCH_BENCH_TICKETS
// tickets (default 20,000) with SAHAYAK_SEARCH_BENCH_MESSAGES messages per
// ticket (default 5: the first from seed --tickets, the rest written in
// batches of 5,000 in English and Hindi). The desk is kept in
// SAHAYAK_SEARCH_BENCH_DIR when set (seeded once, reused by later runs: a
// million tickets take a while), else in a temporary directory; with
// SAHAYAK_SEARCH_BENCH_POSTGRES set to the URL of a database of its own
// (createdb; never the shared test database) it runs on PostgreSQL. At full
// scale (docs/PERFORMANCE.md):
//
//	SAHAYAK_SEARCH_BENCH_TICKETS=1000000 SAHAYAK_SEARCH_BENCH_DIR=/var/tmp/search1m \
//	  go test ./internal/search -run '^$' -bench 'Search' -benchtime 200x -timeout 6h
var bench struct {
	once    sync.Once
	db      *store.DB
	err     error
	tickets int
	seeded  time.Duration
}

func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// vocabulary: words of both languages, picked with a skewed distribution so
// that some are in most messages and some in few.
var vocabulary = strings.Fields(`payment refund order delivery login password invoice upi courier parcel account bank
debited failed reset app tracking hub days week please check sorry help customer number update cancel return exchange
damaged size colour address pincode otp mobile wallet card emi gst receipt discount coupon offer shipment warehouse
भुगतान रिफंड ऑर्डर डिलीवरी पासवर्ड खाता बैंक पैसे वापस कृपया जल्दी समस्या शिकायत किताब समर समर्थन मोबाइल पता
कूरियर पार्सल दिन सप्ताह धन्यवाद रद्द बदलना नुकसान रंग आकार छूट कूपन रसीद कार्ड बटुआ`)

func sentence(rng *rand.Rand, words int) string {
	var b strings.Builder
	for i := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		// Zipf-like: low indexes far more often.
		k := int(float64(len(vocabulary)) * rng.Float64() * rng.Float64() * rng.Float64())
		b.WriteString(vocabulary[k])
		if rng.IntN(200) == 0 {
			b.WriteString(strconv.Itoa(rng.IntN(1_000_000))) // rare tokens: order numbers
		}
	}
	return b.String()
}

func benchDesk(b *testing.B) *store.DB {
	bench.once.Do(func() {
		ctx := context.Background()
		cfg := store.Config{DataDir: os.Getenv("SAHAYAK_SEARCH_BENCH_DIR"), DatabaseURL: os.Getenv("SAHAYAK_SEARCH_BENCH_POSTGRES")}
		if cfg.DataDir == "" {
			dir, err := os.MkdirTemp("", "search-bench-")
			if err != nil {
				bench.err = err
				return
			}
			cfg.DataDir = dir
		}
		db, err := store.Open(ctx, cfg)
		if err == nil {
			err = db.Migrate(ctx)
		}
		if err != nil {
			bench.err = err
			return
		}
		bench.db = db
		n := benchEnv("SAHAYAK_SEARCH_BENCH_TICKETS", 20000)
		perTicket := benchEnv("SAHAYAK_SEARCH_BENCH_MESSAGES", 5)
		have, err := db.SearchCount(ctx, search.KindTicket)
		if err != nil || have >= int64(n) {
			bench.tickets, bench.err = int(have), err
			return
		}
		start := time.Now()
		clock := desk.SystemClock{}
		svc := seed.Services{DB: db, People: people.NewService(db, clock), Tickets: ticket.NewService(db, db, event.NewBus(), clock)}
		res, err := seed.Synthetic(ctx, svc, n, clock.Now())
		if err != nil {
			bench.err = err
			return
		}
		rng := rand.New(rand.NewPCG(3, 5))
		batch := make([]store.BulkMessage, 0, 5000)
		for i := range n {
			for range perTicket - 1 {
				batch = append(batch, store.BulkMessage{TicketID: res.FirstID + int64(i), AuthorKind: "agent", AuthorID: 1,
					Body: sentence(rng, 12+rng.IntN(30)), CreatedAt: clock.Now()})
				if len(batch) == cap(batch) {
					if bench.err = db.LoadMessages(ctx, batch); bench.err != nil {
						return
					}
					batch = batch[:0]
				}
			}
		}
		if bench.err = db.LoadMessages(ctx, batch); bench.err != nil {
			return
		}
		bench.tickets, bench.seeded = n, time.Since(start)
		idx := search.NewIndexer(db, event.NewBus(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		bench.err = idx.Reindex(ctx, true, nil)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.db
}

// BenchmarkSearchIndex rebuilds the whole index (sahayak search reindex)
// and reports messages indexed per second.
func BenchmarkSearchIndex(b *testing.B) {
	db := benchDesk(b)
	ctx := context.Background()
	msgs, err := db.SearchCount(ctx, search.KindMessage)
	if err != nil {
		b.Fatal(err)
	}
	idx := search.NewIndexer(db, event.NewBus(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := idx.Reindex(ctx, true, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(msgs)*float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64(msgs), "messages")
}

// BenchmarkSearchQuery runs typical searches as an admin and as an agent
// limited to teams, and reports each one's median and 95th percentile.
func BenchmarkSearchQuery(b *testing.B) {
	db := benchDesk(b)
	svc := search.NewService(db)
	admin := desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorAgent, ID: 1, Permissions: []string{"tickets:read", "tickets:read_all", "contacts:read", "organizations:read"}})
	agent := desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorAgent, ID: 2, TeamIDs: []int64{1}, Permissions: []string{"tickets:read", "contacts:read", "organizations:read"}})
	for _, c := range []struct {
		name string
		as   context.Context
		q    string
	}{
		{"english-common", admin, "payment"},
		{"english-rare", admin, "pincode"},
		{"english-two-words", admin, "refund courier"},
		{"hindi-common", admin, "भुगतान"},
		{"hindi-rare", admin, "बटुआ"},
		{"hindi-phrase", admin, `"पैसे वापस"`},
		{"exclusion", admin, "refund -bank"},
		{"status-filter", admin, "payment status:open"},
		{"agent-scope", agent, "refund"},
		{"no-match", admin, "zebra"},
	} {
		b.Run(c.name, func(b *testing.B) {
			took := make([]time.Duration, 0, b.N)
			for range b.N {
				t0 := time.Now()
				if _, err := svc.Search(c.as, search.Request{Q: c.q, Limit: 20}); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
	b.Logf("desk: %d tickets (%s to seed this run)", bench.tickets, fmt.Sprint(bench.seeded.Round(time.Second)))
}
