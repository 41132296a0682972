package blob

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// refs is a Referencer over a fixed set of digests.
type refs map[string]bool

func (r refs) ReferencedBlobs(_ context.Context, digests []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, d := range digests {
		out[d] = r[d]
	}
	return out, nil
}

// age sets a file's modification time to now minus d.
func age(t *testing.T, path string, now time.Time, d time.Duration) {
	t.Helper()
	if err := os.Chtimes(path, now.Add(-d), now.Add(-d)); err != nil {
		t.Fatal(err)
	}
}

func TestCollectDeletesOldUnreferencedFilesOnly(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	now := time.Now()
	put := func(content string, old time.Duration) string {
		d, _, err := s.Put(strings.NewReader(content), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		age(t, s.path(d), now, old)
		return d
	}
	orphan := put("refused upload", 2*time.Hour)
	kept := put("attached to a reply", 2*time.Hour)
	young := put("upload in flight", 10*time.Minute)
	deadTmp, err := s.Receive(strings.NewReader("a crash mid-upload"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	age(t, deadTmp.tmp, now, 3*time.Hour)
	liveTmp, err := s.Receive(strings.NewReader("arriving now"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}

	n, err := s.Collect(context.Background(), refs{kept: true}, now, Grace)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("collected %d files, want 2 (the old orphan and the old temporary file)", n)
	}
	for _, c := range []struct {
		path string
		want bool
		what string
	}{
		{s.path(orphan), false, "an old unreferenced file"},
		{s.path(kept), true, "an old referenced file"},
		{s.path(young), true, "a young unreferenced file"},
		{deadTmp.tmp, false, "an old temporary file"},
		{liveTmp.tmp, true, "a young temporary file"},
	} {
		_, err := os.Stat(c.path)
		if exists := err == nil; exists != c.want {
			t.Errorf("%s: exists=%v after collecting, want %v", c.what, exists, c.want)
		}
	}
	// Storing an old orphan's content again makes it young, so a new row may
	// refer to it while the collector runs.
	again := put("refused upload", 0)
	if n, _ := s.Collect(context.Background(), refs{kept: true}, now, Grace); n != 0 {
		t.Errorf("collected %d files right after storing one anew", n)
	}
	if _, err := os.Stat(s.path(again)); err != nil {
		t.Errorf("the re-stored file is gone: %v", err)
	}
	if _, err := New(filepath.Join(dir, "never-used")).Collect(context.Background(), refs{}, now, Grace); err != nil {
		t.Errorf("collecting a store that was never written: %v", err)
	}
}
