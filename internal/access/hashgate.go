package access

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// HashGate bounds how many argon2id computations run at once. Each holds
// 64 MiB for about 100 ms, so without a bound 30 simultaneous wrong
// passwords took a server from 0.55 to 2.1 GB. A computation waits a moment
// for a slot; past that the caller is told the server is busy (503 with
// Retry-After) rather than queued without end.
type HashGate struct {
	slots chan struct{}
	wait  time.Duration
	inUse atomic.Int64
	peak  atomic.Int64
	runs  atomic.Int64
}

// hashWait is how long a sign-in waits for a hashing slot before "busy":
// a few hashes' time, far less than a person would wait for a page.
const hashWait = 500 * time.Millisecond

// NewHashGate returns a gate of n slots that waits at most wait for one.
func NewHashGate(n int, wait time.Duration) *HashGate {
	return &HashGate{slots: make(chan struct{}, n), wait: wait}
}

// defaultHashGate has two slots per processor: more cannot run faster, only
// take more memory.
func defaultHashGate() *HashGate { return NewHashGate(2*runtime.GOMAXPROCS(0), hashWait) }

// errBusy answers a sign-in that found no hashing slot in time.
var errBusy = desk.E(desk.EUNAVAILABLE, "error.busy")

// Do runs fn in a slot, or returns errBusy when none frees up in time (or
// ctx's error when ctx ends first).
func (g *HashGate) Do(ctx context.Context, fn func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		t := time.NewTimer(g.wait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			return errBusy
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.runs.Add(1)
	n := g.inUse.Add(1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	defer func() {
		g.inUse.Add(-1)
		<-g.slots
	}()
	fn()
	return nil
}

// Runs counts the computations run through the gate.
func (g *HashGate) Runs() int64 { return g.runs.Load() }

// Peak is the most computations that have run at once.
func (g *HashGate) Peak() int64 { return g.peak.Load() }

// SetHashGate replaces the gate sign-ins hash through (tests, tuning).
func (s *Service) SetHashGate(g *HashGate) { s.hashes = g }

// Hasher returns a password hasher for people.Service that runs through the
// same gate as sign-ins: an admin creating agents or resetting passwords
// costs the same 64 MiB per hash, so a burst of them must not get past the
// bound that protects the server from a burst of sign-ins (503 when full).
func (s *Service) Hasher(ctx context.Context) func(string) (string, error) {
	return func(password string) (hash string, err error) {
		if gerr := s.hashes.Do(ctx, func() { hash, err = auth.HashPassword(password) }); gerr != nil {
			return "", gerr
		}
		return hash, err
	}
}
