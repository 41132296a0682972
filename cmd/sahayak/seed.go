package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/seed"
	"github.com/sahayak/sahayak/internal/sla"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/ticket"
)

func seedCommand(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	var cfg app.Config
	var demo bool
	var tickets, messages int
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	fs.BoolVar(&demo, "demo", false, "a realistic demo help desk")
	fs.IntVar(&tickets, "tickets", 0, "synthetic tickets for scale tests")
	fs.IntVar(&messages, "messages-per-ticket", 0, "with --tickets: messages in each synthetic thread, English and Hindi (0: the first message and an agent's reply)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if demo == (tickets > 0) {
		return errors.New("seed: use exactly one of --demo or --tickets N")
	}
	if !demo {
		return seedSynthetic(ctx, cfg, tickets, messages, stdout)
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	// Seeded agents have no passwords: make sure someone can sign in.
	if err := a.EnsureAdmin(ctx, stdout); err != nil {
		return err
	}
	services := seed.Services{DB: a.DB, People: a.People, Tickets: a.Tickets}
	res, err := seed.Demo(ctx, services, desk.SystemClock{}.Now())
	if errors.Is(err, seed.ErrDemoExists) {
		fmt.Fprintln(stdout, "sahayak: the demo data is already in this database; nothing to do")
		return nil
	}
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	res.Print(stdout)
	return nil
}

// seedSynthetic loads synthetic tickets through the store alone, without the
// job queue's own handle to the data file: on SQLite a big load into a new
// database may then leave WAL for the length of the load, which needs the
// only open connection to the file (see store.LoadTickets).
func seedSynthetic(ctx context.Context, cfg app.Config, tickets, messagesPerTicket int, stdout io.Writer) error {
	if err := app.Migrate(ctx, cfg); err != nil {
		return err
	}
	db, err := store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	clock := desk.SystemClock{}
	bus := event.NewBus()
	ticketSvc := ticket.NewService(db, db, bus, clock)
	// The report rollups are counted as part of the seed, so that the
	// supervisor's figures are there at the first start.
	reports := report.New(db, sla.New(db, ticketSvc, bus, clock, nil, sla.Config{}), bus, clock, nil)
	services := seed.Services{DB: db, People: people.NewService(db, clock), Tickets: ticketSvc, Reports: reports}
	if err := app.EnsureAdmin(ctx, db, services.People, stdout); err != nil {
		return err
	}
	res, err := seed.SyntheticThreads(ctx, services, tickets, messagesPerTicket, clock.Now())
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(stdout, "sahayak: seeded %d tickets (ids %d–%d) with %d messages and %d contacts in %s: %.0f tickets/s; database size %.1f MB\n",
		res.Tickets, res.FirstID, res.FirstID+int64(res.Tickets)-1, res.Messages, res.Contacts, res.Elapsed.Round(1e6), res.PerSecond(),
		float64(res.SizeBytes)/(1<<20))
	return nil
}
