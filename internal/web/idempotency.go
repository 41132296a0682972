package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/idempotency"
)

// replayedHeaders are the headers of a first answer that a replay repeats.
var replayedHeaders = []string{"Content-Type", "Location", "ETag", "Last-Modified"}

// idempotent runs a POST that carries an Idempotency-Key at most once per
// caller and key (see package idempotency): the first request claims the
// key and its successful answer is stored; a repeat with the same method,
// path and body gets that answer again with Idempotent-Replayed: true; a
// repeat with another request is 422, one while the first still runs 409.
// The request runs under its claim (idempotency.WithClaim): its write
// transaction marks the claim written in the same commit, so a request that
// wrote nothing (refused, or its node died first) frees its key and may be
// sent again, and one that wrote something never runs again — its answer,
// even an error, is what a repeat gets, and if its node died before storing
// the answer a repeat is told so (409) rather than writing twice.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, owner string, run http.HandlerFunc) error {
	key := r.Header.Get("Idempotency-Key")
	if !idempotency.ValidKey(key) {
		return desk.Invalid(desk.Fields{"Idempotency-Key": desk.M("invalid.idempotency_key", idempotency.MaxKeyLength)})
	}
	fp := idempotency.NewFingerprint(r.Method, r.URL.RequestURI())
	body, cleanup, err := spoolBody(r, fp)
	if err != nil {
		return err
	}
	defer cleanup()
	r.Body = body
	ctx := r.Context()
	now := s.Clock.Now()
	claim := idempotency.Record{Owner: owner, Key: key, Fingerprint: fp.Sum(), ClaimedAt: now, ExpiresAt: now.Add(idempotency.TTL)}
	held, err := s.Idempotency.ClaimIdempotencyKey(ctx, claim, now.Add(-idempotency.Stale))
	if err != nil {
		return err
	}
	if held != nil {
		switch {
		case held.Fingerprint != claim.Fingerprint:
			return desk.E(desk.EKEYREUSED, "error.idempotency_key_reused")
		case held.Status == 0 && held.Written && held.ClaimedAt.Before(now.Add(-idempotency.Stale)):
			return desk.E(desk.EKEYINFLIGHT, "api.idempotency_answer_lost")
		case held.Status == 0:
			return desk.E(desk.EKEYINFLIGHT, "error.idempotency_key_in_use")
		}
		h := w.Header()
		for k, v := range held.Header {
			h.Set(k, v)
		}
		h.Set("Idempotent-Replayed", "true")
		h.Set("Content-Length", strconv.Itoa(len(held.Body)))
		w.WriteHeader(held.Status)
		_, _ = w.Write(held.Body)
		return nil
	}
	rec := &recorder{statusWriter: statusWriter{ResponseWriter: w}}
	run(rec, r.WithContext(idempotency.WithClaim(ctx, claim)))
	// The answer is out; keeping it must not hang on the client.
	ctx = context.WithoutCancel(ctx)
	if rec.status == 0 || rec.status >= 400 {
		released, err := s.Idempotency.ReleaseIdempotencyKey(ctx, claim)
		if err != nil || released || rec.status == 0 {
			return s.keepQuiet(r, err)
		}
		// It wrote something before it failed: that answer is the answer.
	}
	claim.Status, claim.Body, claim.Header = rec.status, rec.body.Bytes(), map[string]string{}
	for _, k := range replayedHeaders {
		if v := w.Header().Get(k); v != "" {
			claim.Header[k] = v
		}
	}
	return s.keepQuiet(r, s.Idempotency.FinishIdempotencyKey(ctx, claim))
}

// keepQuiet logs an error that comes after the answer was sent: it can no
// longer change what the client sees.
func (s *Server) keepQuiet(r *http.Request, err error) error {
	if err != nil {
		s.log.ErrorContext(r.Context(), "idempotency record", "path", r.URL.Path, "err", err)
	}
	return nil
}

// spoolBody reads the whole body into the fingerprint before anything runs,
// and hands back a reader of the same bytes: a JSON body from memory, a
// multipart one (attachments) from a temporary file.
func spoolBody(r *http.Request, fp idempotency.Fingerprint) (io.ReadCloser, func(), error) {
	limit := int64(MaxJSONBody)
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "multipart/form-data") || strings.HasPrefix(ct, "message/rfc822") {
		limit = maxMultipart // files, or a raw mail message
	}
	src := io.TeeReader(http.MaxBytesReader(nil, r.Body, limit), fp)
	head, err := io.ReadAll(io.LimitReader(src, MaxJSONBody+1))
	if err != nil {
		return nil, nil, bodyError(err, limit)
	}
	if len(head) <= MaxJSONBody {
		return io.NopCloser(bytes.NewReader(head)), func() {}, nil
	}
	f, err := os.CreateTemp("", "sahayak-body-*")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	if _, err := io.Copy(f, src); err != nil {
		cleanup()
		return nil, nil, bodyError(err, limit)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, nil, err
	}
	return io.NopCloser(io.MultiReader(bytes.NewReader(head), f)), cleanup, nil
}

func bodyError(err error, limit int64) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return desk.E(desk.ETOOLARGE, "error.body_too_large", limit)
	}
	return desk.E(desk.EINVALID, "error.body_unreadable")
}

// recorder passes an answer through and keeps a copy of it.
type recorder struct {
	statusWriter
	body bytes.Buffer
}

func (w *recorder) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.statusWriter.Write(b)
}
