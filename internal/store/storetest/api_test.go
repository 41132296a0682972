package storetest_test

import (
	"context"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/idempotency"
)

// Idempotency keys: one claim per (owner, key); the holder is reported to
// everyone else; a finished answer is kept until it expires, a claim left
// unfinished until it goes stale; the purge deletes only expired records.
func TestIdempotencyKeys(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		db := f.db
		ctx := context.Background()
		t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
		claim := func(owner, key, fp string, at time.Time) *idempotency.Record {
			t.Helper()
			held, err := db.ClaimIdempotencyKey(ctx, idempotency.Record{Owner: owner, Key: key, Fingerprint: fp, ClaimedAt: at,
				ExpiresAt: at.Add(idempotency.TTL)}, at.Add(-idempotency.Stale))
			if err != nil {
				t.Fatal(err)
			}
			return held
		}
		if held := claim("token:a", "k1", "fp1", t0); held != nil {
			t.Fatalf("a fresh key is held: %+v", held)
		}
		if held := claim("token:a", "k1", "fp1", t0.Add(time.Second)); held == nil || held.Status != 0 || held.Fingerprint != "fp1" {
			t.Errorf("a running claim: %+v, want held in flight", held)
		}
		if held := claim("token:b", "k1", "fp9", t0); held != nil {
			t.Errorf("another owner's key: %+v", held)
		}
		answer := idempotency.Record{Owner: "token:a", Key: "k1", Fingerprint: "fp1", ClaimedAt: t0, Status: 201,
			Header: map[string]string{"Location": "/api/v1/tickets/7"}, Body: []byte(`{"id":7}`)}
		if err := db.FinishIdempotencyKey(ctx, answer); err != nil {
			t.Fatal(err)
		}
		held := claim("token:a", "k1", "fp1", t0.Add(time.Hour))
		if held == nil || held.Status != 201 || string(held.Body) != `{"id":7}` || held.Header["Location"] != "/api/v1/tickets/7" {
			t.Errorf("a finished key: %+v", held)
		}
		// A claim never finished (its node died) is taken over once stale.
		claim("token:a", "k2", "fp2", t0)
		if held := claim("token:a", "k2", "fp3", t0.Add(idempotency.Stale+time.Second)); held != nil {
			t.Errorf("a stale claim was not taken over: %+v", held)
		}
		// A released claim is free at once.
		claim("token:a", "k3", "fp3", t0)
		if released, err := db.ReleaseIdempotencyKey(ctx, idempotency.Record{Owner: "token:a", Key: "k3", ClaimedAt: t0}); err != nil || !released {
			t.Fatal(released, err)
		}
		if held := claim("token:a", "k3", "fp4", t0); held != nil {
			t.Errorf("a released key is held: %+v", held)
		}
		// After 24 h the answer is gone: purged, and a new claim succeeds.
		n, err := db.PurgeIdempotencyKeys(ctx, t0.Add(idempotency.TTL))
		if err != nil || n != 3 {
			t.Errorf("purge at +24h: %d, %v; want the 3 records claimed at t0 (k2 was taken over later)", n, err)
		}
		if held := claim("token:a", "k1", "fp-new", t0.Add(idempotency.TTL+time.Second)); held != nil {
			t.Errorf("an expired key is held: %+v", held)
		}
	})
}

// Request counts add up per (caller, window) across callers of AddRequestCounts
// (the nodes), and a count of 0 reads the total.
func TestRequestCounts(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		db := f.db
		ctx := context.Background()
		w := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
		if got, err := db.AddRequestCounts(ctx, w, map[string]int64{"token:a": 5, "token:b": 1}); err != nil || got["token:a"] != 5 || got["token:b"] != 1 {
			t.Fatalf("first node: %v, %v", got, err)
		}
		if got, err := db.AddRequestCounts(ctx, w, map[string]int64{"token:a": 3}); err != nil || got["token:a"] != 8 {
			t.Errorf("second node: %v, %v; want 8", got, err)
		}
		if got, err := db.AddRequestCounts(ctx, w, map[string]int64{"token:a": 0, "token:c": 0}); err != nil || got["token:a"] != 8 || got["token:c"] != 0 {
			t.Errorf("read only: %v, %v", got, err)
		}
		if got, _ := db.AddRequestCounts(ctx, w.Add(time.Minute), map[string]int64{"token:a": 1}); got["token:a"] != 1 {
			t.Errorf("the next window: %v, want 1", got)
		}
		if err := db.PurgeRequestCounts(ctx, w.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.AddRequestCounts(ctx, w, map[string]int64{"token:a": 0}); got["token:a"] != 0 {
			t.Errorf("after the purge: %v, want 0", got)
		}
	})
}
