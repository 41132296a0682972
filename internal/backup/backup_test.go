package backup_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/automation"
	"github.com/sahayak/sahayak/internal/backup"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
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

// A damaged or cut-short backup changes nothing, even forced over a desk
// with data: the archive is checked whole before the target is touched, so
// the desk keeps its database and its attachments. The same backup, whole,
// then replaces them.
func TestForcedRestoreOfADamagedBackupChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		const digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" // sha256("test")

		// The source: an empty desk with one attachment file.
		src := storetest.Open(t, b)
		srcBlobs := t.TempDir()
		writeBlob(t, srcBlobs, digest, "test")
		var buf bytes.Buffer
		if _, err := backup.Write(ctx, src, srcBlobs, &buf); err != nil {
			t.Fatal(err)
		}
		good := buf.Bytes()
		parts := entries(t, good)
		last := parts[len(parts)-1]
		if last.name != "attachments/9f/86/"+digest {
			t.Fatalf("the backup's last entry is %q, want the attachment", last.name)
		}
		damaged := archive(t, append(parts[:len(parts)-1:len(parts)-1], entry{last.name, "tset"})...)

		// The target: a desk with a macro and another attachment file.
		tcfg := b.Config(t)
		if tcfg.DataDir == "" {
			tcfg.DataDir = t.TempDir()
		}
		target, err := store.Open(ctx, tcfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := target.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := target.CreateMacro(ctx, &automation.Macro{Name: "kept", Scope: "shared"}); err != nil {
			t.Fatal(err)
		}
		target.Close()
		blobs := filepath.Join(tcfg.DataDir, "attachments")
		const keptDigest = "4f1a7a7a5a9bfb3e1e8c3f2e0b0f1b6b0f8e0c0e6ab0b4d2c7d6f4c2a1e3b5d7"
		writeBlob(t, blobs, keptDigest, "kept")

		macros := func() []string {
			db, err := store.Open(ctx, tcfg)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ms, err := db.Macros(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, m := range ms {
				names = append(names, m.Name)
			}
			return names
		}
		for _, tc := range []struct {
			name    string
			archive []byte
			want    string
		}{
			{"an attachment that does not match its digest", damaged, "damaged"},
			{"an archive cut short", good[:len(good)-40], "unexpected EOF"},
		} {
			_, err := backup.Restore(ctx, tcfg, blobs, bytes.NewReader(tc.archive), true)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%s: error %v, want one saying %q", tc.name, err, tc.want)
			}
			if got := macros(); len(got) != 1 || got[0] != "kept" {
				t.Fatalf("%s: the desk's macros are %v after the refused restore, want [kept]", tc.name, got)
			}
			if _, err := os.Stat(filepath.Join(blobs, "4f", "1a", keptDigest)); err != nil {
				t.Fatalf("%s: the desk's attachment is gone: %v", tc.name, err)
			}
			if _, err := os.Stat(blobs + ".restoring"); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s: staging left behind: %v", tc.name, err)
			}
		}

		s, err := backup.Restore(ctx, tcfg, blobs, bytes.NewReader(good), true)
		if err != nil || s.Attachments != 1 {
			t.Fatalf("the whole backup: %v (%d attachments)", err, s.Attachments)
		}
		if got := macros(); len(got) != 0 {
			t.Fatalf("macros %v after restoring an empty desk", got)
		}
		if _, err := os.Stat(filepath.Join(blobs, "4f", "1a", keptDigest)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the replaced desk's attachment is still there: %v", err)
		}
		if body, err := os.ReadFile(filepath.Join(blobs, "9f", "86", digest)); err != nil || string(body) != "test" {
			t.Fatalf("restored attachment: %q %v", body, err)
		}
	})
}

func writeBlob(t *testing.T, dir, digest, body string) {
	t.Helper()
	path := filepath.Join(dir, digest[:2], digest[2:4], digest)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Restored events keep no transaction ids from the database they came
// from: a backup from a cluster whose ids run far ahead of this one's still
// has every restored event read, in order, and every event written after
// the restore read after them by a consumer resuming from a restored cursor.
func TestRestoredEventsComeBeforeNewOnesOnAnotherCluster(t *testing.T) {
	if len(storetest.Backends()) < 2 {
		t.Skip("needs PostgreSQL (" + storetest.EnvPostgres + ")")
	}
	pg := storetest.Backends()[1]
	ctx := context.Background()
	src := storetest.Open(t, pg)
	for range 3 {
		if err := src.InTx(ctx, func(tx ticket.Tx) error {
			return tx.AppendEvents(ctx, []event.Event{{Kind: "test.written", ActorKind: desk.ActorSystem, CreatedAt: time.Now()}})
		}); err != nil {
			t.Fatal(err)
		}
	}
	restoredIDs := eventIDsEventually(t, src, 0, 3)
	if err := src.SetEventCursor(ctx, "reader", restoredIDs[1]); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := backup.Write(ctx, src, t.TempDir(), &buf); err != nil {
		t.Fatal(err)
	}
	farAhead := rewriteColumn(t, buf.Bytes(), "events", "xact", "900000000000")

	cfg := pg.Config(t)
	if _, err := backup.Restore(ctx, cfg, filepath.Join(t.TempDir(), "attachments"), bytes.NewReader(farAhead), false); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := eventIDsAfter(t, db, 0); !slices.Equal(got, restoredIDs) {
		t.Fatalf("restored events read %v, want %v", got, restoredIDs)
	}
	var fresh event.Event
	if err := db.InTx(ctx, func(tx ticket.Tx) error {
		evs := []event.Event{{Kind: "test.written", ActorKind: desk.ActorSystem, CreatedAt: time.Now()}}
		err := tx.AppendEvents(ctx, evs)
		fresh = evs[0]
		return err
	}); err != nil {
		t.Fatal(err)
	}
	cursor, err := db.EventCursor(ctx, "reader")
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{restoredIDs[2], fresh.ID}
	if got := eventIDsEventually(t, db, cursor, len(want)); !slices.Equal(got, want) {
		t.Fatalf("a consumer resuming at restored event %d reads %v, want %v", cursor, got, want)
	}
}

// eventIDsEventually reads the ids of the events after an id once at least
// n are readable: on PostgreSQL a reader sees an event once every older
// transaction of the cluster has ended (other tests' too).
func eventIDsEventually(t *testing.T, db *store.DB, after int64, n int) []int64 {
	t.Helper()
	got := eventIDsAfter(t, db, after)
	for deadline := time.Now().Add(90 * time.Second); len(got) < n && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		got = eventIDsAfter(t, db, after)
	}
	return got
}

func eventIDsAfter(t *testing.T, db *store.DB, after int64) []int64 {
	t.Helper()
	evs, err := db.EventsAfter(context.Background(), after, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	return ids
}

// rewriteColumn sets one column of every row of a PostgreSQL backup's table
// to value.
func rewriteColumn(t *testing.T, archiveBytes []byte, table, column, value string) []byte {
	t.Helper()
	parts := entries(t, archiveBytes)
	var m backup.Manifest
	if err := json.Unmarshal([]byte(parts[0].body), &m); err != nil {
		t.Fatal(err)
	}
	for i, tb := range m.Tables {
		if tb.Name != table {
			continue
		}
		col := slices.Index(tb.Columns, column)
		if col < 0 {
			t.Fatalf("table %s has no column %s: %v", table, column, tb.Columns)
		}
		e := &parts[1+i]
		lines := strings.Split(strings.TrimSuffix(e.body, "\n"), "\n")
		for j, line := range lines {
			fields := strings.Split(line, "\t")
			fields[col] = value
			lines[j] = strings.Join(fields, "\t")
		}
		e.body = strings.Join(lines, "\n") + "\n"
		return archive(t, parts...)
	}
	t.Fatalf("no table %s in the backup", table)
	return nil
}
