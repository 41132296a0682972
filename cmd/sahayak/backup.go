package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/backup"
	"github.com/sahayak/sahayak/internal/store"
)

// backupCommand writes a backup while the help desk may be serving: to a
// temporary file beside FILE, renamed into place once complete, readable
// by its owner only (it holds password hashes).
func backupCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg app.Config
	var to string
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	fs.StringVar(&to, "to", "", "the backup file to write")
	if err := parse(fs, args); err != nil {
		return err
	}
	if to == "" {
		return errors.New("backup: --to FILE is required")
	}
	db, err := store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := os.CreateTemp(filepath.Dir(to), "."+filepath.Base(to)+".*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(f.Name()) // a no-op after the rename
	s, err := backup.Write(ctx, db, app.BlobDir(cfg), f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), to)
	}
	if err != nil {
		return err
	}
	for _, d := range s.Missing {
		fmt.Fprintf(stderr, "sahayak: warning: attachment file %s is missing from %s\n", d, app.BlobDir(cfg))
	}
	fmt.Fprintf(stdout, "sahayak: backed up %s (schema %d) and %d attachment files to %s\n", s.Database,
		s.SchemaVersion, s.Attachments, to)
	return nil
}

// restoreCommand restores a backup into an empty data directory or
// database, or over one with --force.
func restoreCommand(ctx context.Context, args []string, stdout io.Writer) error {
	var cfg app.Config
	var from string
	var force bool
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	fs.StringVar(&from, "from", "", "the backup file to restore")
	fs.BoolVar(&force, "force", false, "replace a database and attachments that are not empty")
	if err := parse(fs, args); err != nil {
		return err
	}
	if from == "" {
		return errors.New("restore: --from FILE is required")
	}
	f, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	s, err := backup.Restore(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir}, app.BlobDir(cfg), f, force)
	if err != nil {
		return err
	}
	// The job queue's tables too are brought up to date.
	if err := app.Migrate(ctx, cfg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sahayak: restored %s backup of %s (schema %d) and %d attachment files\n", s.Database,
		s.CreatedAt.Format("2006-01-02 15:04:05 UTC"), s.SchemaVersion, s.Attachments)
	return nil
}
