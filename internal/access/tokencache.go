package access

import (
	"context"
	"sync"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// tokenCache remembers which actor an API token digest stands for, so that
// an API request costs no database round trip to authenticate. An entry is
// good while the people version it was built at is current (any change to
// agents, teams or roles rebuilds) and for at most ttl (the bound on how
// long another node's revocation takes to reach this one). A revocation on
// this node clears the cache at once.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]cachedActor
	version func() int64
	ttl     time.Duration
}

type cachedActor struct {
	actor   desk.Actor
	version int64
	until   time.Time
}

// maxCachedTokens bounds the cache; past it the cache starts afresh.
const maxCachedTokens = 10000

// CacheTokens turns on the token cache. version reports the people version
// (people.Service.Version).
func (s *Service) CacheTokens(version func() int64, ttl time.Duration) {
	s.tokens = &tokenCache{entries: map[string]cachedActor{}, version: version, ttl: ttl}
}

// TokenActor resolves an API token to the acting agent.
func (s *Service) TokenActor(ctx context.Context, secret string) (desk.Actor, error) {
	c := s.tokens
	if c == nil {
		a, _, err := s.tokenActor(ctx, secret)
		return a, err
	}
	digest := auth.Digest(secret)
	now := time.Now()
	v := c.version()
	c.mu.Lock()
	e, ok := c.entries[digest]
	c.mu.Unlock()
	if ok && e.version == v && now.Before(e.until) {
		return e.actor, nil
	}
	a, exp, err := s.tokenActor(ctx, secret)
	if err != nil {
		return a, err
	}
	until := now.Add(c.ttl)
	if exp != nil && exp.Before(until) {
		until = *exp // an expired token is not served from the cache
	}
	c.mu.Lock()
	if len(c.entries) >= maxCachedTokens {
		c.entries = map[string]cachedActor{}
	}
	c.entries[digest] = cachedActor{actor: a, version: v, until: until}
	c.mu.Unlock()
	return a, nil
}

// TokenActorNow resolves an API token without the cache, for re-checking a
// credential that stays in use (a live stream) within a bound shorter than
// the cache's.
func (s *Service) TokenActorNow(ctx context.Context, secret string) (desk.Actor, error) {
	a, _, err := s.tokenActor(ctx, secret)
	return a, err
}

func (s *Service) tokenActor(ctx context.Context, secret string) (desk.Actor, *time.Time, error) {
	ag, exp, err := s.token(ctx, secret)
	if err != nil {
		return desk.Actor{}, nil, err
	}
	a, err := s.ActorFor(ctx, ag)
	return a, exp, err
}

// forgetTokens empties the cache (after a revocation).
func (s *Service) forgetTokens() {
	if c := s.tokens; c != nil {
		c.mu.Lock()
		c.entries = map[string]cachedActor{}
		c.mu.Unlock()
	}
}
