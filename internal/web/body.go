package web

import (
	"context"
	"io"
	"net/http"
	"time"
)

// Request bodies must arrive in time. The server has no ReadTimeout: it
// would also end live-update streams (a read deadline on the connection
// cancels the request when it passes, and a stream is one long request).
// Instead each request with a body gets a read deadline of BodyTimeout from
// its start, set through http.ResponseController; once the body has been
// read the deadline is lifted, so a long handler is not cut short. A file
// upload by a signed-in agent may take longer as long as it makes progress:
// every read that brings data moves the deadline BodyTimeout further.

// DefaultBodyTimeout is how long a request's body may take to arrive.
const DefaultBodyTimeout = 30 * time.Second

// timedBody is a request body under a read deadline.
type timedBody struct {
	io.ReadCloser
	rc       *http.ResponseController
	timeout  time.Duration
	progress bool // each read with data extends the deadline
	done     bool
}

type timedBodyKey struct{}

// withBodyDeadline puts r's body, if it has one, under the body deadline.
func (s *Server) withBodyDeadline(w http.ResponseWriter, r *http.Request) *http.Request {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return r
	}
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(s.BodyTimeout)); err != nil {
		return r // a writer without deadlines (a test recorder): nothing to bound
	}
	b := &timedBody{ReadCloser: r.Body, rc: rc, timeout: s.BodyTimeout}
	r = r.WithContext(context.WithValue(r.Context(), timedBodyKey{}, b))
	r.Body = b
	return r
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	switch {
	case err == io.EOF && !b.done:
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	case n > 0 && b.progress && err == nil:
		_ = b.rc.SetReadDeadline(time.Now().Add(b.timeout))
	}
	return n, err
}

// whileProgressing lets a long upload continue past the body deadline as
// long as its data keeps coming. Only for signed-in callers.
func whileProgressing(r *http.Request) {
	if b, ok := r.Context().Value(timedBodyKey{}).(*timedBody); ok {
		b.progress = true
	}
}
