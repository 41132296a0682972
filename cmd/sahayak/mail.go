package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/channel/email"
)

// mailCommand takes mail in without a mail server (inject) and runs stored
// messages through the parser again (reparse).
func mailCommand(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, log *slog.Logger) error {
	if len(args) > 0 && isHelp(args[0]) {
		args = []string{"inject", "-h"}
	}
	if len(args) == 0 || (args[0] != "inject" && args[0] != "reparse") {
		return errors.New("mail: use mail inject --mailbox ADDRESS [FILE...] or mail reparse [--mailbox ADDRESS]")
	}
	var cfg app.Config
	var mailbox string
	fs := flag.NewFlagSet("mail "+args[0], flag.ContinueOnError)
	commonFlags(fs, &cfg)
	fs.StringVar(&mailbox, "mailbox", "", "the mailbox's address")
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args[1:]); errors.Is(err, flag.ErrHelp) {
		return &helpRequested{fs: fs}
	} else if err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	if args[0] == "reparse" && fs.NArg() > 0 {
		return fmt.Errorf("mail reparse: unexpected argument %q", fs.Arg(0))
	}
	if args[0] == "inject" && mailbox == "" {
		return errors.New("mail inject: --mailbox is required")
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx = app.SystemContext(ctx)
	if args[0] == "reparse" {
		var id int64
		if mailbox != "" {
			m, err := a.DB.MailboxByAddress(ctx, mailbox)
			if err != nil {
				return fmt.Errorf("mail reparse: %w", err)
			}
			id = m.ID
		}
		rep, err := a.Mail.Reparse(ctx, id)
		fmt.Fprintf(stdout, "sahayak: reparsed %d, refused %d, skipped %d already on tickets\n", rep.Finished, rep.Failed, rep.Skipped)
		return err
	}
	inject := func(name string, r io.Reader) error {
		res, err := a.Mail.IngestTo(ctx, mailbox, r, email.Source{Kind: "inject"})
		if err != nil {
			return fmt.Errorf("mail inject %s: %w", name, err)
		}
		dup := ""
		if res.Duplicate {
			dup = " (seen before)"
		}
		fmt.Fprintf(stdout, "%s: %s ticket %d message %d%s\n", name, res.Outcome, res.TicketID, res.MessageID, dup)
		return nil
	}
	if fs.NArg() == 0 {
		return inject("stdin", stdin)
	}
	for _, path := range fs.Args() {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("mail inject: %w", err)
		}
		err = inject(path, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
