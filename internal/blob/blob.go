// Package blob keeps attachment contents in the data directory, addressed by
// their SHA-256: the same file attached twice is stored once, and a stored
// file never changes.
package blob

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/sahayak/sahayak/internal/desk"
)

// Store is a directory of content-addressed files.
type Store struct {
	dir string
	// made holds the directories known to exist, so that a Put does not
	// ask the file system again (a stat per level per file).
	made sync.Map
}

// mkdir makes a directory (and its parents) unless this store made or
// found it before.
func (s *Store) mkdir(dir string) error {
	if _, ok := s.made.Load(dir); ok {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	s.made.Store(dir, true)
	return nil
}

// New returns a store rooted at dir (created on first Put).
func New(dir string) *Store { return &Store{dir: dir} }

var digestRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (s *Store) path(digest string) string {
	return filepath.Join(s.dir, digest[:2], digest[2:4], digest)
}

// Put stores what r yields, at most max bytes (more is ETOOLARGE), and
// returns its digest and size.
func (s *Store) Put(r io.Reader, max int64) (digest string, size int64, err error) {
	u, err := s.Receive(r, max)
	if err != nil {
		return "", 0, err
	}
	if err := u.Keep(); err != nil {
		return "", 0, err
	}
	return u.Digest, u.Size, nil
}

// Upload is a file received into a temporary file of the store and hashed,
// not yet stored under its digest: nothing can address it, and Discard (or
// the collector, should the process die) removes it.
type Upload struct {
	Digest string
	Size   int64
	tmp    string
	store  *Store
}

// tmpPrefix names the temporary files of uploads in flight.
const tmpPrefix = "upload-"

// Receive writes what r yields, at most max bytes (more is ETOOLARGE), to a
// temporary file and hashes it.
func (s *Store) Receive(r io.Reader, max int64) (*Upload, error) {
	if err := s.mkdir(s.dir); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, tmpPrefix+"*")
	if errors.Is(err, os.ErrNotExist) {
		s.made.Delete(s.dir) // removed behind the store's back
		if err = s.mkdir(s.dir); err == nil {
			tmp, err = os.CreateTemp(s.dir, tmpPrefix+"*")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, max+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > max {
		err = desk.E(desk.ETOOLARGE, "error.file_too_large", max>>20)
	} else if err != nil {
		err = fmt.Errorf("blob: write: %w", err)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	return &Upload{Digest: hex.EncodeToString(h.Sum(nil)), Size: n, tmp: tmp.Name(), store: s}, nil
}

// Keep stores the upload under its digest. A copy already stored is
// replaced by this one (the same bytes), which makes it young again, so
// that the collector does not take a file a new row is about to reference.
func (u *Upload) Keep() error {
	dst := u.store.path(u.Digest)
	if err := u.store.mkdir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	err := os.Rename(u.tmp, dst)
	if errors.Is(err, os.ErrNotExist) {
		// The directory went away behind the store's back (a restore):
		// make it again.
		u.store.made.Delete(filepath.Dir(dst))
		u.store.made.Delete(u.store.dir)
		if err = u.store.mkdir(filepath.Dir(dst)); err == nil {
			err = os.Rename(u.tmp, dst)
		}
	}
	if err != nil {
		return fmt.Errorf("blob: store: %w", err)
	}
	return nil
}

// Discard removes an upload that is not kept; after Keep it does nothing.
func (u *Upload) Discard() { os.Remove(u.tmp) }

// Open returns the stored file with the digest.
func (s *Store) Open(digest string) (*os.File, error) {
	if !digestRE.MatchString(digest) {
		return nil, desk.E(desk.ENOTFOUND, "error.no_such_file")
	}
	f, err := os.Open(s.path(digest))
	if errors.Is(err, os.ErrNotExist) {
		return nil, desk.E(desk.ENOTFOUND, "error.file_missing")
	}
	return f, err
}
