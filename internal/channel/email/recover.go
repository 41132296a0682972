package email

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
)

// RecoverAfter is how old a received message must be before Recover takes
// it: younger ones may still be in the hands of the process that received
// them (which is harmless — the record is finished once — but wasteful).
const RecoverAfter = 30 * time.Second

// Recover puts on their tickets the messages that were recorded but never
// finished (the process died, or the database failed, between storing a
// message and its ticket change). It returns how many it finished.
func (s *Service) Recover(ctx context.Context, olderThan time.Duration) (int, error) {
	ctx = desk.WithActor(ctx, desk.System)
	n := 0
	var after int64
	for {
		list, err := s.store.PendingInbound(ctx, s.clock.Now().Add(-olderThan), after, 100)
		if err != nil {
			return n, err
		}
		for _, in := range list {
			after = in.ID
			if _, err := s.reprocess(ctx, in); err != nil {
				return n, fmt.Errorf("inbound mail %d: %w", in.ID, err)
			}
			n++
		}
		if len(list) < 100 {
			return n, nil
		}
	}
}

// Run recovers unfinished messages at start and then every RecoverAfter
// until ctx ends. Several nodes may run it at once: each message is
// finished once whoever gets there first.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(RecoverAfter)
	defer t.Stop()
	for {
		if n, err := s.Recover(ctx, RecoverAfter); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "recover inbound mail", slog.String("error", err.Error()))
		} else if n > 0 {
			s.log.InfoContext(ctx, "recovered inbound mail", slog.Int("messages", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reprocess reads a recorded message from its record or the blob store and puts it on
// its ticket.
func (s *Service) reprocess(ctx context.Context, in *Inbound) (*Result, error) {
	m, err := s.store.Mailbox(ctx, in.MailboxID)
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		return &Result{InboundID: in.ID, Outcome: OutcomeFailed}, s.store.SettleInbound(ctx, in.ID, StateFailed,
			OutcomeFailed, "mailbox deleted", in.Warnings, s.clock.Now())
	}
	if err != nil {
		return nil, err
	}
	data, err := s.store.InboundRaw(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if data == nil {
		f, err := s.blobs.Open(in.RawSHA256)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if data, err = io.ReadAll(f); err != nil {
			return nil, err
		}
	}
	return s.process(ctx, m, in, data, Source{Kind: in.Source, EnvelopeFrom: in.EnvelopeFrom})
}

// ReparseReport counts what Reparse did.
type ReparseReport struct {
	Finished, Skipped, Failed int
}

// Reparse runs the stored raw messages of a mailbox (0: every mailbox) that
// are not on a ticket — received but unfinished, or refused before — through
// the parser and the threading again, as after a parser fix. Messages on a
// ticket already are skipped: replaying them would add them twice.
func (s *Service) Reparse(ctx context.Context, mailboxID int64) (ReparseReport, error) {
	ctx = desk.WithActor(ctx, desk.System)
	var rep ReparseReport
	var after int64
	for {
		list, err := s.store.InboundAfter(ctx, mailboxID, after, 200)
		if err != nil {
			return rep, err
		}
		for _, in := range list {
			after = in.ID
			if in.State == StateDone {
				rep.Skipped++
				continue
			}
			res, err := s.reprocess(ctx, in)
			if err != nil {
				return rep, fmt.Errorf("inbound mail %d: %w", in.ID, err)
			}
			if res.Outcome == OutcomeFailed {
				rep.Failed++
			} else {
				rep.Finished++
			}
		}
		if len(list) < 200 {
			return rep, nil
		}
	}
}

// IngestTo is Ingest for a mailbox named by its address (`mail inject`).
func (s *Service) IngestTo(ctx context.Context, address string, raw io.Reader, src Source) (*Result, error) {
	m, err := s.boxes.byAddress(ctx, address)
	if err != nil {
		return nil, err
	}
	return s.Ingest(ctx, m.ID, raw, src)
}
