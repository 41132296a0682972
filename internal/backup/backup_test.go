package backup_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/backup"
	"github.com/sahayak/sahayak/internal/store"
)

type entry struct{ name, body string }

func archive(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o600, Size: int64(len(e.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// entries reads a backup back into its entries.
func entries(t *testing.T, b []byte) []entry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out []entry
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		out = append(out, entry{h.Name, string(body)})
	}
}

// A restore takes only what a backup writes: anything else is refused and
// writes nothing outside the target.
func TestRestoreRefusesWhatIsNotABackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := backup.Write(ctx, db, filepath.Join(dir, "attachments"), &buf); err != nil {
		t.Fatal(err)
	}
	real := entries(t, buf.Bytes())
	if len(real) != 2 || real[0].name != "manifest.json" || real[1].name != "sqlite/sahayak.db" {
		t.Fatalf("a backup without attachments holds %v", real)
	}
	manifest, file := real[0], real[1]
	const digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" // sha256("test")

	for _, tc := range []struct {
		name    string
		archive []byte
		want    string
	}{
		{"not gzip", []byte("hello"), "not a backup"},
		{"no manifest first", archive(t, file, manifest), "no manifest"},
		{"another format", archive(t, entry{"manifest.json", `{"format":"other","version":1}`}, file), "archive of version"},
		{"another database", archive(t, entry{"manifest.json", strings.Replace(manifest.body, `"sqlite"`, `"postgres"`, 1)}, file),
			"restores into postgres"},
		{"a path out of the attachments", archive(t, manifest, file, entry{"attachments/../../evil", "x"}), "unexpected"},
		{"an attachment not matching its digest", archive(t, manifest, file, entry{"attachments/9f/86/" + digest, "tset"}),
			"damaged"},
		{"no database", archive(t, manifest), "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			target := filepath.Join(root, "a", "b")
			_, err := backup.Restore(ctx, store.Config{DataDir: target}, filepath.Join(target, "attachments"),
				bytes.NewReader(tc.archive), false)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(root, "evil")); err == nil {
				t.Fatal("a file was written outside the target")
			}
			if _, err := os.Stat(filepath.Join(target, "attachments", "9f", "86", digest)); err == nil {
				t.Fatal("a damaged attachment was kept")
			}
		})
	}

	t.Run("a good archive restores, then is refused over the restored desk", func(t *testing.T) {
		target := t.TempDir()
		good := archive(t, manifest, file, entry{"attachments/9f/86/" + digest, "test"})
		for i, want := range []error{nil, backup.ErrNotEmpty} {
			s, err := backup.Restore(ctx, store.Config{DataDir: target}, filepath.Join(target, "attachments"),
				bytes.NewReader(good), false)
			if !errors.Is(err, want) || i == 0 && s.Attachments != 1 {
				t.Fatalf("restore %d: %v (%d attachments), want %v", i+1, err, s.Attachments, want)
			}
		}
	})
}
