// Package idempotency owns what makes a retried API write safe: the rules
// for an Idempotency-Key, the fingerprint of a request, and the record kept
// of the first answer. The web layer replays answers; the store keeps them,
// shared by every node.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"time"
)

const (
	// TTL is how long a finished answer is kept and replayed.
	TTL = 24 * time.Hour
	// Stale is how long a claimed key may stay unfinished before another
	// request may take it over (its node died or its client hung up
	// mid-write); until then a repeat answers 409.
	Stale = 5 * time.Minute
	// MaxKeyLength bounds a key; a UUID is 36 characters.
	MaxKeyLength = 255
)

// ValidKey reports whether a key is 1 to MaxKeyLength printable ASCII
// characters without spaces (a UUID, a ULID, "order-42:attempt-1").
func ValidKey(k string) bool {
	if len(k) == 0 || len(k) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' {
			return false
		}
	}
	return true
}

// Fingerprint hashes what makes two requests "the same": method, path with
// query, and body. Write the body to it, then call Sum.
type Fingerprint struct{ h hash.Hash }

// NewFingerprint starts the fingerprint of a request.
func NewFingerprint(method, requestURI string) Fingerprint {
	f := Fingerprint{h: sha256.New()}
	f.h.Write([]byte(method + " " + requestURI + "\n"))
	return f
}

func (f Fingerprint) Write(p []byte) (int, error) { return f.h.Write(p) }

// Sum returns the fingerprint in hex.
func (f Fingerprint) Sum() string { return hex.EncodeToString(f.h.Sum(nil)) }

// Record is one key's state: claimed (Status 0) or finished with an answer.
type Record struct {
	Owner       string // who sent it: an API token or an agent
	Key         string
	Fingerprint string
	Status      int // 0 while the first request runs
	// Written says the first request's write committed: its write
	// transaction marked the claim (see WithClaim), so it must never run
	// again, even when it is left without an answer.
	Written   bool
	Header    map[string]string // the answer's headers worth replaying
	Body      []byte
	ClaimedAt time.Time
	ExpiresAt time.Time
}

// Store keeps records, shared by every node.
type Store interface {
	// ClaimIdempotencyKey takes rec's (owner, key) for a new request unless a
	// live record holds it: an expired record, or a claim older than
	// staleBefore, is taken over. It returns nil when the caller now holds the
	// key, else the record that holds it.
	ClaimIdempotencyKey(ctx context.Context, rec Record, staleBefore time.Time) (*Record, error)
	// FinishIdempotencyKey stores the answer of a claimed key.
	FinishIdempotencyKey(ctx context.Context, rec Record) error
	// ReleaseIdempotencyKey forgets rec's claim, so that the key may be sent
	// again, unless its request wrote something (Written): then it keeps
	// the claim and reports false.
	ReleaseIdempotencyKey(ctx context.Context, rec Record) (bool, error)
	// PurgeIdempotencyKeys deletes records expired before now and returns
	// how many.
	PurgeIdempotencyKeys(ctx context.Context, now time.Time) (int64, error)
}

type claimKey struct{}

// WithClaim marks ctx as running the request that holds rec's claim. Every
// write transaction under it marks the claim written in the same commit, and
// fails (EKEYINFLIGHT, rolling the write back) if the claim is no longer
// this request's (taken over as stale): so a write is never committed for a
// key without the record knowing, and never twice for one key.
func WithClaim(ctx context.Context, rec Record) context.Context {
	return context.WithValue(ctx, claimKey{}, rec)
}

// ClaimIn returns the claim ctx runs under, if any.
func ClaimIn(ctx context.Context) (Record, bool) {
	rec, ok := ctx.Value(claimKey{}).(Record)
	return rec, ok
}
