package backup

import (
	"archive/tar"
	"bytes"
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
// when what they hold is replaced. The database ends at the schema version
// of this build. Stop every server using the target first.
//
// A restore is all or nothing for what can go wrong with an archive: the
// whole archive is read and checked (every entry where it belongs, every
// attachment against its digest) before anything in the target changes, so
// a damaged or truncated backup leaves the target as it was, forced or
// not. Then the attachments are written beside the target and moved in only
// after the database is restored; PostgreSQL's tables load in one
// transaction and SQLite's file is moved into place whole.
func Restore(ctx context.Context, cfg store.Config, blobDir string, r io.Reader, force bool) (Summary, error) {
	src, done, err := rereadable(r)
	if err != nil {
		return Summary{}, err
	}
	defer done()
	kind := "sqlite"
	if store.IsPostgres(cfg.DatabaseURL) {
		kind = "postgres"
	}
	start, err := src.Seek(0, io.SeekCurrent)
	if err != nil {
		return Summary{}, fmt.Errorf("restore: %w", err)
	}
	if _, err := walk(src, kind, checker{}); err != nil {
		return Summary{}, err
	}
	if _, err := src.Seek(start, io.SeekStart); err != nil {
		return Summary{}, fmt.Errorf("restore: %w", err)
	}

	if err := refuseNotEmptyDir(blobDir, force); err != nil {
		return Summary{}, err
	}
	w := &writer{ctx: ctx, cfg: cfg, force: force, staging: blobDir + ".restoring"}
	if kind == "sqlite" {
		w.dbPath = filepath.Join(cfg.DataDir, "sahayak.db")
		if st, err := os.Stat(w.dbPath); err == nil && st.Size() > 0 && !force {
			return Summary{}, fmt.Errorf("%w: %s exists", ErrNotEmpty, w.dbPath)
		}
	}
	if err := os.RemoveAll(w.staging); err != nil {
		return Summary{}, fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(w.staging) // a no-op once moved into place
	if w.dbPath != "" {
		defer os.Remove(w.dbPath + staged) // likewise
	}
	s, err := walk(src, kind, w)
	if err != nil {
		return s, err
	}
	if err := w.commit(blobDir); err != nil {
		return s, err
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

// rereadable answers r as something that can be read twice: r itself when
// it seeks (a file), else a temporary copy of it, removed by done.
func rereadable(r io.Reader) (rs io.ReadSeeker, done func(), err error) {
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			return f, func() {}, nil
		}
	}
	if rs, ok := r.(*bytes.Reader); ok {
		return rs, func() {}, nil
	}
	tmp, err := os.CreateTemp("", "sahayak-restore-*")
	if err != nil {
		return nil, nil, fmt.Errorf("restore: %w", err)
	}
	done = func() { tmp.Close(); os.Remove(tmp.Name()) }
	if _, err := io.Copy(tmp, r); err != nil {
		done()
		return nil, nil, fmt.Errorf("restore: reading the backup: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		done()
		return nil, nil, fmt.Errorf("restore: %w", err)
	}
	return tmp, done, nil
}

// A sink receives a backup's parts in archive order; walk has checked each
// entry's name, and checks each attachment's digest after its sink read it.
type sink interface {
	sqlite(r io.Reader) error
	postgres(m Manifest, next func() (store.Table, io.Reader, error)) error
	blob(rel string, r io.Reader) error
}

// walk reads the archive in r into s, refusing anything a backup does not
// write, and answers what it held.
func walk(r io.Reader, kind string, s sink) (Summary, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return Summary{}, fmt.Errorf("restore: not a backup: %w", err)
	}
	tr := tar.NewReader(zr)
	m, err := readManifest(tr)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Manifest: m}
	if m.Database != kind {
		return sum, fmt.Errorf("restore: a backup of %s restores into %s, not %s", m.Database, m.Database, kind)
	}
	if kind == "sqlite" {
		h, err := tr.Next()
		if err != nil || h.Name != sqliteName {
			return sum, fmt.Errorf("restore: %s missing from the backup", sqliteName)
		}
		if err := s.sqlite(tr); err != nil {
			return sum, err
		}
	} else {
		i := 0
		err := s.postgres(m, func() (store.Table, io.Reader, error) {
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
		if err != nil {
			return sum, err
		}
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return sum, nil
		}
		if err != nil {
			return sum, fmt.Errorf("restore: %w", err)
		}
		rel, ok := strings.CutPrefix(h.Name, attachDir+"/")
		if !ok || !blobPath.MatchString(rel) {
			return sum, fmt.Errorf("restore: unexpected %q in the backup", h.Name)
		}
		d := sha256.New()
		body := io.TeeReader(tr, d)
		if err := s.blob(rel, body); err != nil {
			return sum, err
		}
		if _, err := io.Copy(io.Discard, body); err != nil {
			return sum, fmt.Errorf("restore: %w", err)
		}
		if hex.EncodeToString(d.Sum(nil)) != filepath.Base(rel) {
			return sum, fmt.Errorf("restore: attachment %s is damaged", filepath.Base(rel))
		}
		sum.Attachments++
	}
}

// checker reads every part to its end and writes nothing: a gzip or tar
// stream cut short, or damaged, fails here.
type checker struct{}

func (checker) sqlite(r io.Reader) error {
	head := make([]byte, len(sqliteMagic))
	if _, err := io.ReadFull(r, head); err != nil || string(head) != sqliteMagic {
		return fmt.Errorf("restore: %s is not an SQLite database", sqliteName)
	}
	return drain(r)
}

func (checker) postgres(_ Manifest, next func() (store.Table, io.Reader, error)) error {
	for {
		_, r, err := next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := drain(r); err != nil {
			return err
		}
	}
}

func (checker) blob(_ string, r io.Reader) error { return drain(r) }

func drain(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// sqliteMagic opens every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// staged marks the restored SQLite file until it takes the target's place.
const staged = ".restoring"

// writer writes a checked archive: SQLite's file beside the target, the
// attachments into staging, PostgreSQL's tables straight in (one
// transaction).
type writer struct {
	ctx     context.Context
	cfg     store.Config
	force   bool
	dbPath  string // SQLite
	staging string // attachments, until commit
}

func (w *writer) sqlite(r io.Reader) error {
	if err := os.MkdirAll(w.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return writeFile(w.dbPath+staged, r)
}

// postgres loads the tables into the database at the backup's schema
// version, then the River queue's tables exist for its jobs.
func (w *writer) postgres(m Manifest, next func() (store.Table, io.Reader, error)) error {
	db, err := store.Open(w.ctx, w.cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	empty, err := db.IsEmpty(w.ctx)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if !empty {
		if !w.force {
			return fmt.Errorf("%w: the database has tables", ErrNotEmpty)
		}
		if err := db.DropEverything(w.ctx); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	if err := db.MigrateTo(w.ctx, m.SchemaVersion); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := jobs.Migrate(w.ctx, jobs.Config{PostgresURL: w.cfg.DatabaseURL, Logger: quiet}); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return db.ImportTables(w.ctx, next)
}

func (w *writer) blob(rel string, r io.Reader) error {
	path := filepath.Join(w.staging, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return writeFile(path, r)
}

// commit moves what was written beside the target into its place: the
// SQLite file (its old journal files removed first) and the attachments.
func (w *writer) commit(blobDir string) error {
	if w.dbPath != "" {
		for _, suffix := range []string{"-wal", "-shm", "-journal"} {
			if err := os.Remove(w.dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("restore: %w", err)
			}
		}
		if err := os.Rename(w.dbPath+staged, w.dbPath); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	if _, err := os.Stat(w.staging); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(w.staging, 0o700); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.RemoveAll(blobDir); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(blobDir), 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(w.staging, blobDir); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
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

// refuseNotEmptyDir refuses a directory with files in it unless forced.
func refuseNotEmptyDir(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || err == nil && (len(entries) == 0 || force) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return fmt.Errorf("%w: %s has files", ErrNotEmpty, dir)
}

// writeFile writes r to path by way of a temporary file, so that nothing
// half-written is ever in place.
func writeFile(path string, r io.Reader) error {
	tmp := path + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(tmp) // a no-op after the rename
	_, err = io.Copy(f, r)
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
