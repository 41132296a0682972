package people

import (
	"context"
	"sync/atomic"
)

// Version counts changes to people: agents, teams and roles are the facts a
// signed-in actor is built from. Caches of actors (API tokens) compare it to
// know when to rebuild, so a deactivation or a role change takes effect on
// the next request.
func (s *Service) Version() int64 { return s.version.Load() }

// versioned bumps the version around every write transaction. Bumping for
// a contact's change too costs a cache rebuild, never a stale actor; bumping
// before the commit is safe: a cache that rebuilds early only reads what is
// already true, and the bump after the commit makes it read again.
type versioned struct {
	Store
	version *atomic.Int64
}

func (v versioned) InPeopleTx(ctx context.Context, fn func(Tx) error) error {
	v.version.Add(1)
	defer v.version.Add(1)
	return v.Store.InPeopleTx(ctx, fn)
}
