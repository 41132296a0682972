package email_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// BenchmarkOutboundToSink measures the outbound path: b.N agents' replies
// on b.N email tickets (each to its own customer) are written first; then
// the clock starts with the job queue (64 workers) and the sender's
// consumer, which turns each reply into a queued mail and a River job, and
// stops when a go-smtp sink on loopback holds every mail (jobs of up to 25
// mails of the mailbox each, over the relay's pooled sessions with a login).
// replies/s is b.N over that time.
//
//	go test -run '^$' -bench BenchmarkOutboundToSink -benchtime 2000x -count 3 ./internal/channel/email/
func BenchmarkOutboundToSink(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			db := storetest.Open(b, be)
			bus := event.NewBus()
			clock := desk.SystemClock{}
			q := storetest.Queue(b, db, jobs.Config{Logger: quiet, PollInterval: 20 * time.Millisecond, MaxWorkers: 64})
			snd, err := email.NewSender(db, blob.New(b.TempDir()), q, bus, clock, quiet, email.SenderConfig{})
			if err != nil {
				b.Fatal(err)
			}
			relay := newSink(b, "none", nil)
			mb := addMailbox(b, db, &email.Mailbox{Address: "support@desk.test", Name: "Support", SMTP: email.Server{Host: relay.host,
				Port: relay.port, Security: email.SecurityNone, Username: relay.user, Password: relay.password}})
			tickets := ticket.NewService(db, db, bus, clock)
			inbox := email.New(db, tickets, blob.New(b.TempDir()), clock, quiet, email.Config{})
			sys := desk.WithActor(context.Background(), desk.System)
			admin, err := people.NewService(db, clock).CreateAgent(sys, people.AgentInput{Email: ptr("asha@desk.test"),
				Name: ptr("Asha"), Role: ptr(auth.RoleAdmin)}, auth.HashPassword)
			if err != nil {
				b.Fatal(err)
			}
			actor, err := access.NewService(db, clock).ActorFor(context.Background(), admin)
			if err != nil {
				b.Fatal(err)
			}
			agent := desk.WithActor(context.Background(), actor)
			ids := make([]int64, b.N)
			for i := range ids {
				n := strconv.Itoa(i)
				res, err := inbox.Ingest(context.Background(), mb.ID, strings.NewReader("From: c"+n+"@customer.test\r\nTo: support@desk.test\r\n"+
					"Subject: Order "+n+"\r\nMessage-ID: <o"+n+"@customer.test>\r\n\r\nWhere is my order?\r\n"), email.Source{Kind: "inject"})
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = res.TicketID
			}
			// The replies are written first, 8 agents at once; the clock
			// starts when the queue and the sender's consumer do.
			next := make(chan int64)
			var writers sync.WaitGroup
			for w := 0; w < 8; w++ {
				writers.Add(1)
				go func() {
					defer writers.Done()
					for id := range next {
						if _, err := tickets.AddMessage(agent, id, ticket.NewMessage{Body: "It ships today."}); err != nil {
							b.Error(err)
						}
					}
				}()
			}
			for _, id := range ids {
				next <- id
			}
			close(next)
			writers.Wait()
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			b.ResetTimer()
			cpu0 := cpuTime()
			start := time.Now()
			if err := q.Start(ctx); err != nil {
				b.Fatal(err)
			}
			wg.Add(1)
			go func() { defer wg.Done(); snd.Run(ctx) }()
			defer func() { cancel(); wg.Wait() }()
			deadline := time.Now().Add(5 * time.Minute)
			for len(relay.received()) < b.N {
				if time.Now().After(deadline) {
					b.Fatalf("the sink got %d of %d mails", len(relay.received()), b.N)
				}
				time.Sleep(5 * time.Millisecond)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "replies/s")
			// On a shared machine the wall clock says as much about the
			// neighbours as about us; the process's CPU time per reply (the
			// sink and, on SQLite, the database included) does not.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/reply")
		})
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
