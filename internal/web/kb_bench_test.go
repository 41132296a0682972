package web_test

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/kb"
	"github.com/sahayak/sahayak/internal/search"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// BenchmarkKnowledgeBase measures what a reader waits for: the public
// article page (read, render, view counted in memory) and a suggestion
// search for a new ticket's subject, over SAHAYAK_BENCH_KB_ARTICLES
// published articles (default 200, half of them Hindi translations) in an
// index that also holds SAHAYAK_BENCH_TICKETS tickets sharing their words
// (default 2,000), on each database (PostgreSQL when configured). It
// reports p50 and p95 over b.N sequential requests of each kind:
//
//	go test ./internal/web -run '^$' -bench KnowledgeBase -benchtime 400x
func BenchmarkKnowledgeBase(b *testing.B) {
	articles, tickets := envInt("SAHAYAK_BENCH_KB_ARTICLES", 200), envInt("SAHAYAK_BENCH_TICKETS", 2000)
	words := strings.Fields(`invoice payment refund order delivery login password upi courier parcel account bank
		debited failed reset tracking cancel return exchange damaged address otp mobile wallet card receipt coupon`)
	hindi := strings.Fields(`भुगतान रिफंड ऑर्डर डिलीवरी पासवर्ड खाता बैंक पैसे वापस समस्या शिकायत मोबाइल पता कूरियर रसीद`)
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(ws []string, n int) string {
		out := make([]string, n)
		for i := range out {
			out[i] = ws[rng.IntN(len(ws))]
		}
		return strings.Join(out, " ")
	}
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			d := newDesk(b, be, nil)
			ctx := system()
			writer := ctx
			name := "Help"
			c, err := d.Server.KB.CreateCategory(writer, kb.CategoryInput{Name: &name})
			if err != nil {
				b.Fatal(err)
			}
			sec, err := d.Server.KB.CreateSection(writer, kb.SectionInput{CategoryID: &c.ID, Name: &name})
			if err != nil {
				b.Fatal(err)
			}
			var ids []int64
			for i := 0; i < articles; i += 2 {
				title, body := pick(words, 4), "## "+pick(words, 3)+"\n\n"+pick(words, 120)+"\n\n* "+pick(words, 8)+"\n* "+pick(words, 8)
				a, err := d.Server.KB.CreateArticle(writer, kb.ArticleInput{SectionID: &sec.ID, Title: &title, Body: &body})
				if err != nil {
					b.Fatal(err)
				}
				lang, htitle, hbody := "hi", pick(hindi, 4), pick(hindi, 120)
				h, err := d.Server.KB.CreateArticle(writer, kb.ArticleInput{Title: &htitle, Body: &hbody, Language: &lang, TranslationOf: &a.ID})
				if err != nil {
					b.Fatal(err)
				}
				for _, id := range []int64{a.ID, h.ID} {
					if _, err := d.Server.KB.Publish(writer, id, 0); err != nil {
						b.Fatal(err)
					}
					ids = append(ids, id)
				}
			}
			for i := range tickets {
				if _, err := d.Tickets.Create(ctx, ticket.NewTicket{Subject: pick(words, 5), Body: pick(words, 20) + " " + pick(hindi, 5),
					Requester: ticket.Person{Email: "c" + strconv.Itoa(i%50) + "@customer.test", Name: "Customer"}}); err != nil {
					b.Fatal(err)
				}
			}
			// A rebuild rather than the consumer: on a shared PostgreSQL the
			// consumer waits for every other open transaction.
			if err := search.NewIndexer(d.DB, d.Bus, nil).Reindex(context.Background(), false, nil); err != nil {
				b.Fatal(err)
			}
			client := &http.Client{}
			measure := func(b *testing.B, path func(i int) string) {
				took := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					start := time.Now()
					res, err := client.Get(d.URL + path(i))
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						b.Fatalf("%s: %d", path(i), res.StatusCode)
					}
					took = append(took, time.Since(start))
				}
				b.StopTimer()
				slices.Sort(took)
				b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
			}
			b.Run("article", func(b *testing.B) {
				measure(b, func(i int) string { return "/kb/articles/" + strconv.FormatInt(ids[i%len(ids)], 10) })
			})
			b.Run("suggest", func(b *testing.B) {
				// The service, not HTTP: /kb/suggest holds one address to
				// 120 a minute, which a benchmark from loopback would hit.
				qs := make([]string, 64)
				for i := range qs {
					if i%2 == 0 {
						qs[i] = "my " + pick(words, 3) + " is not working"
					} else {
						qs[i] = pick(hindi, 3) + " नहीं हुआ"
					}
				}
				took := make([]time.Duration, 0, b.N)
				public := context.Background()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					start := time.Now()
					if _, err := d.Server.KB.Suggest(public, qs[i%len(qs)], "", 5); err != nil {
						b.Fatal(err)
					}
					took = append(took, time.Since(start))
				}
				b.StopTimer()
				slices.Sort(took)
				b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
			})
		})
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
