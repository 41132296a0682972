package web

import (
	"net/http"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/digest"
)

// Digests: report mails on schedule (digest.Service), under the reports.

// digests is the service, or 404 where digests are not offered.
func (s *Server) digests() (*digest.Service, error) {
	if s.Digests == nil {
		return nil, desk.E(desk.ENOTFOUND, "error.digest_not_found", 0)
	}
	return s.Digests, nil
}

func (s *Server) listDigests(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.digests()
	if err != nil {
		return err
	}
	list, err := svc.List(r.Context())
	return respond(w, http.StatusOK, map[string]any{"digests": list}, err)
}

func (s *Server) createDigest(w http.ResponseWriter, r *http.Request) error {
	var in digest.Input
	if err := decode(r, &in); err != nil {
		return err
	}
	svc, err := s.digests()
	if err != nil {
		return err
	}
	d, err := svc.Create(r.Context(), in)
	if err == nil {
		locate(w, "/api/v1/reports/digests/", d.ID)
	}
	return respond(w, http.StatusCreated, d, err)
}

func (s *Server) getDigest(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	svc, err := s.digests()
	if err != nil {
		return err
	}
	d, err := svc.Get(r.Context(), id)
	return respond(w, http.StatusOK, d, err)
}

func (s *Server) updateDigest(w http.ResponseWriter, r *http.Request) error {
	var in digest.Input
	if err := decode(r, &in); err != nil {
		return err
	}
	svc, err := s.digests()
	if err != nil {
		return err
	}
	d, err := withPrecondition(r, func(id, v int64) (*digest.Digest, error) { return svc.Update(r.Context(), id, v, in) })
	return respond(w, http.StatusOK, d, err)
}

func (s *Server) deleteDigest(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.digests()
	if err != nil {
		return err
	}
	_, err = withPrecondition(r, func(id, v int64) (any, error) { return nil, svc.Delete(r.Context(), id, v) })
	return noContent(w, err)
}
