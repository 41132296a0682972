package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"

	"github.com/sahayak/sahayak/internal/app"
)

func seed(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
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
	return errors.New("seed: not built yet")
}
