package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Referencer tells which of some digests rows still point at.
type Referencer interface {
	ReferencedBlobs(ctx context.Context, digests []string) (map[string]bool, error)
}

// CollectArgs is the periodic job that collects unreferenced blobs (see
// Collect); its kind is stored with each job, so it is never renamed.
type CollectArgs struct{}

// Kind names the job.
func (CollectArgs) Kind() string { return "blob_collect" }

// Grace is how old a file must be before the collector may delete it: older
// than any upload still on its way to a row.
const Grace = time.Hour

// collectBatch is how many digests one question to the Referencer holds.
const collectBatch = 500

// Collect deletes the stored files that no row references and that were
// stored before now-grace, and the temporary files of uploads older than
// that (left by a process that died mid-upload). Young files are kept
// whatever refers to them: an upload is stored before the row that
// references it commits. It returns how many files it deleted.
func (s *Store) Collect(ctx context.Context, refs Referencer, now time.Time, grace time.Duration) (int, error) {
	cutoff := now.Add(-grace)
	deleted := 0
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		used, err := refs.ReferencedBlobs(ctx, batch)
		if err != nil {
			return fmt.Errorf("blob: collect: %w", err)
		}
		for _, d := range batch {
			if used[d] {
				continue
			}
			// Look again right before deleting: Keep may have stored the
			// same content anew since the walk saw it.
			if info, err := os.Stat(s.path(d)); err == nil && info.ModTime().Before(cutoff) {
				if err := os.Remove(s.path(d)); err == nil {
					deleted++
				}
			}
		}
		batch = batch[:0]
		return nil
	}
	err := filepath.WalkDir(s.dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == s.dir {
				return fs.SkipAll // nothing was ever stored
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if e.IsDir() {
			return nil
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			return nil // gone meanwhile, or young
		}
		name := e.Name()
		switch {
		case strings.HasPrefix(name, tmpPrefix) && filepath.Dir(p) == s.dir:
			if os.Remove(p) == nil {
				deleted++
			}
		case digestRE.MatchString(name) && p == s.path(name):
			batch = append(batch, name)
			if len(batch) == collectBatch {
				return flush()
			}
		}
		return nil
	})
	if err != nil {
		return deleted, fmt.Errorf("blob: collect: %w", err)
	}
	return deleted, flush()
}
