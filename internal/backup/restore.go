package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/store"
)

// ErrNotEmpty is the refusal to restore over data without being forced.
var ErrNotEmpty = errors.New("restore: the target is not empty (use --force to replace it)")

// Restore reads a backup from r into the database cfg names and the
// attachments directory blobDir, which must both be empty unless force,
// when what they hold is removed first. The database ends at the schema
// version of this build. Stop every server using the target first.
func Restore(ctx context.Context, cfg store.Config, blobDir string, r io.Reader, force bool) (Summary, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return Summary{}, fmt.Errorf("restore: not a backup: %w", err)
	}
	tr := tar.NewReader(zr)
	m, err := readManifest(tr)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Manifest: m}
	kind := "sqlite"
	if store.IsPostgres(cfg.DatabaseURL) {
		kind = "postgres"
	}
	if m.Database != kind {
		return s, fmt.Errorf("restore: a backup of %s restores into %s, not %s", m.Database, m.Database, kind)
	}
	if err := prepareBlobDir(blobDir, force); err != nil {
		return s, err
	}
	if kind == "sqlite" {
		err = restoreSQLite(ctx, cfg, tr, force)
	} else {
		err = restorePostgres(ctx, cfg, m, tr, force)
	}
	if err != nil {
		return s, err
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s, fmt.Errorf("restore: %w", err)
		}
		rel, ok := strings.CutPrefix(h.Name, attachDir+"/")
		if !ok || !blobPath.MatchString(rel) {
			return s, fmt.Errorf("restore: unexpected %q in the backup", h.Name)
		}
		if err := restoreBlob(blobDir, rel, tr); err != nil {
			return s, err
		}
		s.Attachments++
	}
	db, err := store.Open(ctx, cfg)
	if err != nil {
		return s, err
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		return s, fmt.Errorf("restore: %w", err)
	}
	return s, db.Migrate(ctx)
}

func readManifest(tr *tar.Reader) (Manifest, error) {
	var m Manifest
	h, err := tr.Next()
	if err != nil || h.Name != manifestName {
		return m, errors.New("restore: not a backup: no manifest first")
	}
	if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil {
		return m, fmt.Errorf("restore: manifest: %w", err)
	}
	if m.Format != Format || m.Version != Version {
		return m, fmt.Errorf("restore: a %q archive of version %d, want %q version %d", m.Format, m.Version, Format, Version)
	}
	return m, nil
}

// prepareBlobDir refuses a directory with files in it, or empties it when
// forced.
func prepareBlobDir(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || err == nil && len(entries) == 0 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if !force {
		return fmt.Errorf("%w: %s has files", ErrNotEmpty, dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// restoreSQLite puts the backed-up file in place of the data file.
func restoreSQLite(ctx context.Context, cfg store.Config, tr *tar.Reader, force bool) error {
	path := filepath.Join(cfg.DataDir, "sahayak.db")
	if st, err := os.Stat(path); err == nil && st.Size() > 0 && !force {
		return fmt.Errorf("%w: %s exists", ErrNotEmpty, path)
	}
	h, err := tr.Next()
	if err != nil || h.Name != sqliteName {
		return fmt.Errorf("restore: %s missing from the backup", sqliteName)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("restore: %w", err)
		}
	}
	return writeFile(path, tr, nil)
}

// restorePostgres loads the tables into the database at the backup's
// schema version, then the River queue's tables exist for its jobs.
func restorePostgres(ctx context.Context, cfg store.Config, m Manifest, tr *tar.Reader, force bool) error {
	db, err := store.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	empty, err := db.IsEmpty(ctx)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if !empty {
		if !force {
			return fmt.Errorf("%w: the database has tables", ErrNotEmpty)
		}
		if err := db.DropEverything(ctx); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	if err := db.MigrateTo(ctx, m.SchemaVersion); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := jobs.Migrate(ctx, jobs.Config{PostgresURL: cfg.DatabaseURL, Logger: quiet}); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	i := 0
	return db.ImportTables(ctx, func() (store.Table, io.Reader, error) {
		if i == len(m.Tables) {
			return store.Table{}, nil, io.EOF
		}
		t := m.Tables[i]
		h, err := tr.Next()
		if err != nil {
			return t, nil, fmt.Errorf("restore: table %s: %w", t.Name, err)
		}
		if want := fmt.Sprintf("postgres/%03d-%s.copy", i, t.Name); h.Name != want {
			return t, nil, fmt.Errorf("restore: found %q where %q belongs", h.Name, want)
		}
		i++
		return t, tr, nil
	})
}

// restoreBlob writes one attachment file, refusing one whose contents do
// not match its digest.
func restoreBlob(dir, rel string, r io.Reader) error {
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	h := sha256.New()
	if err := writeFile(path, r, h); err != nil {
		return err
	}
	if hex.EncodeToString(h.Sum(nil)) != filepath.Base(path) {
		os.Remove(path)
		return fmt.Errorf("restore: attachment %s is damaged", filepath.Base(path))
	}
	return nil
}

// writeFile writes r to path by way of a temporary file, so that nothing
// half-written is ever in place; also to h, when given.
func writeFile(path string, r io.Reader, h io.Writer) error {
	tmp := path + ".restoring"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(tmp) // a no-op after the rename
	w := io.Writer(f)
	if h != nil {
		w = io.MultiWriter(f, h)
	}
	_, err = io.Copy(w, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}
