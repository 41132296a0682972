package web

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// streamsPerAgent is how many live-update streams one agent may hold open on
// a node. A browser tab holds one; past a few it is a leak or abuse, and each
// costs a connection and a goroutine. The next one answers 429: a browser's
// EventSource does not retry a refused stream, so the tabs already open keep
// theirs (closing the oldest instead would make tabs evict each other as each
// reconnects).
const streamsPerAgent = 8

// recheckEvery bounds how long a live stream trusts its credential without
// asking the database again. A token revoked, a session ended or an agent
// deactivated or moved between teams on another node stops delivery within
// this; on this node it takes effect at the next delivery (see check).
const recheckEvery = time.Second

// credential is what a stream was opened with: an API token or a browser
// session id; key is its digest, under which checks are shared.
type credential struct {
	token, session, key string
}

func credentialOf(r *http.Request) credential {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && tok != "" {
		return credential{token: tok, key: "token:" + auth.Digest(tok)}
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		return credential{session: c.Value, key: "session:" + auth.Digest(c.Value)}
	}
	return credential{}
}

// liveStreams counts the open streams per agent and remembers, per
// credential in use, the actor a recent check resolved it to. A check is
// good for recheckEvery, and only while nothing on this node moved that can
// change an actor: the people version (agents, teams, roles) and the count
// of token revocations and sign-outs. So a stream costs at most one
// credential query a second, and only while it has something to deliver;
// an idle one costs nothing until its next ping.
type liveStreams struct {
	mu       sync.Mutex
	perAgent map[int64]int
	checks   map[string]*credentialCheck
}

type credentialCheck struct {
	streams int // open streams that use the credential
	actor   desk.Actor
	err     error
	at      time.Time // zero: never checked by a stream
	people  int64     // people.Service.Version when checked
	ended   int64     // access.Service.Ended when checked
}

func newLiveStreams() *liveStreams {
	return &liveStreams{perAgent: map[int64]int{}, checks: map[string]*credentialCheck{}}
}

// open counts a new stream of the agent against the limit and returns the
// function that closes it.
func (l *liveStreams) open(a desk.Actor, c credential) (func(), error) {
	if c.key == "" {
		return nil, desk.E(desk.EUNAUTHORIZED, "error.sign_in")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perAgent[a.ID] >= streamsPerAgent {
		return nil, desk.E(desk.ERATELIMIT, "error.too_many_streams", streamsPerAgent)
	}
	l.perAgent[a.ID]++
	ch := l.checks[c.key]
	if ch == nil {
		// Checked by nobody yet: the first delivery asks the database,
		// so that a change made while this request was authorized counts.
		ch = &credentialCheck{}
		l.checks[c.key] = ch
	}
	ch.streams++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.perAgent[a.ID]--; l.perAgent[a.ID] <= 0 {
			delete(l.perAgent, a.ID)
		}
		if ch.streams--; ch.streams <= 0 {
			delete(l.checks, c.key)
		}
	}, nil
}

// check returns the actor the credential stands for now, or the error that
// ends the stream.
func (l *liveStreams) check(ctx context.Context, s *Server, c credential) (desk.Actor, error) {
	now, people, ended := s.Clock.Now(), s.People.Version(), s.Access.Ended()
	l.mu.Lock()
	ch := l.checks[c.key]
	if ch != nil && !ch.at.IsZero() && now.Sub(ch.at) < recheckEvery && ch.people == people && ch.ended == ended {
		a, err := ch.actor, ch.err
		l.mu.Unlock()
		return a, err
	}
	l.mu.Unlock()
	a, err := s.credentialActor(ctx, c)
	l.mu.Lock()
	if ch != nil {
		ch.actor, ch.err, ch.at, ch.people, ch.ended = a, err, now, people, ended
	}
	l.mu.Unlock()
	return a, err
}

// credentialActor resolves a credential afresh (no cache), as authorize
// would: a revoked or unknown token, an ended session or a deactivated agent
// is an error.
func (s *Server) credentialActor(ctx context.Context, c credential) (desk.Actor, error) {
	if c.token != "" {
		return s.Access.TokenActorNow(ctx, c.token)
	}
	ag, _, err := s.Access.Session(ctx, c.session)
	if err != nil {
		return desk.Actor{}, err
	}
	return s.Access.ActorFor(ctx, ag)
}
