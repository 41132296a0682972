package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/sahayak/sahayak/internal/app"
)

// reportCommand runs `report rebuild`: empty the rollups and count every
// event again. Serving nodes may keep running; their consumers help (each
// batch counts once).
func reportCommand(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 || args[0] != "rebuild" {
		if len(args) > 0 && isHelp(args[0]) {
			args = []string{"-h"}
		} else {
			return fmt.Errorf("report: the only subcommand is rebuild: sahayak report rebuild -h says how")
		}
	} else {
		args = args[1:]
	}
	var cfg app.Config
	fs := flag.NewFlagSet("report rebuild", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	if err := a.Reports.Rebuild(ctx); err != nil {
		return fmt.Errorf("report rebuild: %w", err)
	}
	fmt.Fprintf(stdout, "sahayak: report rollups rebuilt from the events in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
