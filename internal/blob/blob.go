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

	"github.com/sahayak/sahayak/internal/desk"
)

// Store is a directory of content-addressed files.
type Store struct {
	dir string
}

// New returns a store rooted at dir (created on first Put).
func New(dir string) *Store { return &Store{dir: dir} }

var digestRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (s *Store) path(digest string) string {
	return filepath.Join(s.dir, digest[:2], digest[2:4], digest)
}

// Put stores what r yields, at most max bytes (more is ETOOLARGE), and
// returns its digest and size. It writes to a temporary file first, so a
// half-written upload never appears under a digest.
func (s *Store) Put(r io.Reader, max int64) (digest string, size int64, err error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, "upload-*")
	if err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, max+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("blob: write: %w", err)
	}
	if n > max {
		return "", 0, desk.E(desk.ETOOLARGE, "error.file_too_large", max>>20)
	}
	digest = hex.EncodeToString(h.Sum(nil))
	dst := s.path(digest)
	if _, err := os.Stat(dst); err == nil {
		return digest, n, nil // already stored: deduplicated
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, fmt.Errorf("blob: store: %w", err)
	}
	return digest, n, nil
}

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
