package blob

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/desk"
)

func TestPutDeduplicatesAndOpens(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	d1, n1, err := s.Put(strings.NewReader("invoice #42"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	d2, n2, err := s.Put(strings.NewReader("invoice #42"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if d1 != d2 || n1 != 11 || n2 != 11 {
		t.Fatalf("same content gave %s/%d and %s/%d", d1, n1, d2, n2)
	}
	var files int
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files++
		}
		return nil
	})
	if files != 1 {
		t.Fatalf("%d files stored for one content, want 1 (and no temporary leftovers)", files)
	}
	f, err := s.Open(d1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	if string(b) != "invoice #42" {
		t.Fatalf("read back %q", b)
	}
}

func TestPutRefusesOversizeAndOpenRefusesBadDigests(t *testing.T) {
	s := New(t.TempDir())
	if _, _, err := s.Put(bytes.NewReader(make([]byte, 2048)), 1024); desk.ErrorCode(err) != desk.ETOOLARGE {
		t.Fatalf("oversize upload: %v", err)
	}
	for _, d := range []string{"../../etc/passwd", "abc", strings.Repeat("g", 64), strings.Repeat("a", 64)} {
		if _, err := s.Open(d); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Errorf("Open(%q) = %v, want not found", d, err)
		}
	}
}
