package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/search"
	"github.com/sahayak/sahayak/internal/store"
)

// searchCommand is `sahayak search reindex`: build the search index again
// from the tickets, messages, contacts and organizations, with a progress
// bar on stderr.
func searchCommand(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	if len(args) == 0 || args[0] != "reindex" {
		if len(args) > 0 && isHelp(args[0]) {
			args = []string{"-h"}
		} else {
			return errors.New("search: the only subcommand is reindex: sahayak search reindex -h says how")
		}
	} else {
		args = args[1:]
	}
	var cfg app.Config
	var keep bool
	fs := flag.NewFlagSet("search reindex", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	fs.BoolVar(&keep, "keep", false, "replace entries as it goes instead of emptying the index first (searches keep finding old entries meanwhile)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := app.Migrate(ctx, cfg); err != nil {
		return err
	}
	db, err := store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	bar := &progressBar{w: stderr, start: time.Now()}
	idx := search.NewIndexer(db, event.NewBus(), log)
	if err := idx.Reindex(ctx, !keep, bar.show); err != nil {
		return fmt.Errorf("search reindex: %w", err)
	}
	bar.end()
	fmt.Fprintf(stdout, "sahayak: search index rebuilt in %s\n", time.Since(bar.start).Round(time.Millisecond))
	return nil
}

// progressBar draws "tickets  [#####-----]  52%  520/1000" on one line,
// redrawn at most ten times a second.
type progressBar struct {
	w     io.Writer
	start time.Time
	last  time.Time
	kind  search.Kind
	drawn bool
}

func (p *progressBar) show(kind search.Kind, done, total int64) {
	if kind != p.kind && p.drawn {
		fmt.Fprintln(p.w)
	}
	if kind == p.kind && done < total && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.kind, p.last, p.drawn = kind, time.Now(), true
	const width = 30
	filled := width
	if total > 0 {
		filled = int(done * width / total)
	}
	pct := int64(100)
	if total > 0 {
		pct = done * 100 / total
	}
	fmt.Fprintf(p.w, "\r%-14s [%s%s] %3d%%  %d/%d", kind+"s", strings.Repeat("#", filled), strings.Repeat("-", width-filled), pct, done, total)
}

func (p *progressBar) end() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
