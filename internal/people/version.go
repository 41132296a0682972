package people

import (
	"context"
	"sync/atomic"
)

// Version counts changes to agents, teams and roles: the facts a signed-in
// actor is built from. Caches of actors (API tokens) compare it to know
// when to rebuild, so a deactivation or a role change takes effect on the
// next request.
func (s *Service) Version() int64 { return s.version.Load() }

// versioned bumps the version around every write that can change an actor.
// Bumping before the write is safe: a cache that rebuilds early only reads
// what is already true.
type versioned struct {
	Store
	version *atomic.Int64
}

func (v versioned) bump() { v.version.Add(1) }

func (v versioned) CreateAgent(ctx context.Context, a *Agent) error {
	defer v.bump()
	return v.Store.CreateAgent(ctx, a)
}

func (v versioned) UpdateAgent(ctx context.Context, a *Agent) error {
	defer v.bump()
	return v.Store.UpdateAgent(ctx, a)
}

func (v versioned) CreateTeam(ctx context.Context, t *Team) error {
	defer v.bump()
	return v.Store.CreateTeam(ctx, t)
}

func (v versioned) UpdateTeam(ctx context.Context, t *Team) error {
	defer v.bump()
	return v.Store.UpdateTeam(ctx, t)
}

func (v versioned) DeleteTeam(ctx context.Context, id int64) error {
	defer v.bump()
	return v.Store.DeleteTeam(ctx, id)
}

func (v versioned) CreateRole(ctx context.Context, r *Role) error {
	defer v.bump()
	return v.Store.CreateRole(ctx, r)
}

func (v versioned) UpdateRole(ctx context.Context, r *Role) error {
	defer v.bump()
	return v.Store.UpdateRole(ctx, r)
}

func (v versioned) DeleteRole(ctx context.Context, id int64) error {
	defer v.bump()
	return v.Store.DeleteRole(ctx, id)
}
