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
	"github.com/sahayak/sahayak/internal/seed"
)

func seedCommand(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	var cfg app.Config
	var demo bool
	var tickets int
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	fs.BoolVar(&demo, "demo", false, "a realistic demo help desk")
	fs.IntVar(&tickets, "tickets", 0, "synthetic tickets for scale tests")
	if err := parse(fs, args); err != nil {
		return err
	}
	if demo == (tickets > 0) {
		return errors.New("seed: use exactly one of --demo or --tickets N")
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	services := seed.Services{DB: a.DB, People: a.People, Tickets: a.Tickets}
	if demo {
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
	res, err := seed.Synthetic(ctx, services, tickets, desk.SystemClock{}.Now())
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(stdout, "sahayak: seeded %d tickets (ids %d–%d) and %d contacts in %s: %.0f tickets/s; database size %.1f MB\n",
		res.Tickets, res.FirstID, res.FirstID+int64(res.Tickets)-1, res.Contacts, res.Elapsed.Round(1e6), res.PerSecond(),
		float64(res.SizeBytes)/(1<<20))
	return nil
}
