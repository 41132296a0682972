package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/seed"
	"github.com/sahayak/sahayak/internal/ticket"
)

// BenchmarkStoreTicket measures the store alone (no HTTP) at 100,000
// tickets: one ticket by id, and the first page of the default list.
func BenchmarkStoreTicket(b *testing.B) {
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DataDir: b.TempDir()}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	res, err := seed.Synthetic(ctx, seed.Services{DB: a.DB, People: a.People, Tickets: a.Tickets}, 100000, time.Now().UTC())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("get", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := int64(0)
			for pb.Next() {
				i++
				if _, err := a.DB.Ticket(ctx, res.FirstID+(i*7919)%100000); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("list", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := a.DB.Tickets(ctx, ticket.Filter{Limit: 25}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkStoreCreateTicket measures ticket creation through the ticket
// service (validation, contact lookup, the transaction with its events) on
// SQLite with group commit, without HTTP.
func BenchmarkStoreCreateTicket(b *testing.B) {
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DataDir: b.TempDir()}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	if _, err := seed.Synthetic(ctx, seed.Services{DB: a.DB, People: a.People, Tickets: a.Tickets}, 100000, time.Now().UTC()); err != nil {
		b.Fatal(err)
	}
	sys := app.SystemContext(ctx)
	var n atomic.Int64
	b.SetParallelism(25) // 50 goroutines on 2 cores, like the API benchmark's clients
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := a.Tickets.Create(sys, ticket.NewTicket{Subject: fmt.Sprintf("Payment failed %d", i),
				Body: "UPI payment failed but money was debited.", Priority: "high", Tags: []string{"billing"},
				Requester: ticket.Person{Email: fmt.Sprintf("bench%d@customers.example", i%5000), Name: "Bench Customer"}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
}
