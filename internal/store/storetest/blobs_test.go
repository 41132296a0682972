package storetest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/ticket"
)

// The blob collector deletes stored files no attachment row references once
// they are older than the grace period, and keeps referenced and young ones.
func TestBlobCollectorKeepsWhatRowsReference(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		dir := t.TempDir()
		blobs := blob.New(dir)
		now := time.Now()
		put := func(content string, old time.Duration) string {
			d, _, err := blobs.Put(strings.NewReader(content), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, d[:2], d[2:4], d)
			if err := os.Chtimes(path, now.Add(-old), now.Add(-old)); err != nil {
				t.Fatal(err)
			}
			return path
		}
		referenced := put("the invoice", 2*time.Hour)
		orphan := put("a refused upload", 2*time.Hour)
		young := put("an upload in flight", time.Minute)
		tk := f.open(ticket.NewTicket{Subject: "Invoice", Body: "see attached", Requester: ticket.Person{Email: "kavya@customer.test"}})
		if _, err := f.tickets.AddMessage(f.sys, tk.ID, ticket.NewMessage{Body: "attached", Internal: true,
			Attachments: []ticket.Attachment{{Filename: "invoice.pdf", ContentType: "application/pdf", Size: 11,
				SHA256: referenced[strings.LastIndex(referenced, "/")+1:]}}}); err != nil {
			t.Fatal(err)
		}
		n, err := blobs.Collect(context.Background(), f.db, now, blob.Grace)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("collected %d files, want 1", n)
		}
		for path, want := range map[string]bool{referenced: true, orphan: false, young: true} {
			if _, err := os.Stat(path); (err == nil) != want {
				t.Errorf("%s: exists=%v, want %v", path, err == nil, want)
			}
		}
	})
}
