package web

import (
	"net/http"
	"time"

	"github.com/sahayak/sahayak/internal/view"
)

// viewIn is a saved view as the API takes it; absent fields stay as they are.
type viewIn struct {
	Name   *string     `json:"name"`
	Scope  *string     `json:"scope"`
	TeamID optionalID  `json:"team_id"`
	Query  *view.Query `json:"query"`
}

func (in viewIn) apply(v *view.View) {
	set(&v.Name, in.Name)
	set(&v.Scope, in.Scope)
	if p := in.TeamID.ptr(); p != nil {
		v.TeamID = nil
		if *p != 0 {
			v.TeamID = p
		}
	}
	set(&v.Query, in.Query)
}

// listViews lists the saved views the caller sees: their own and their
// teams'. Each has its bounded count only on the page, not here.
func (s *Server) listViews(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, true)
	if err := l.err(); err != nil {
		return err
	}
	list, err := s.Views.Saved(r.Context())
	if err != nil {
		return err
	}
	items, next := pageOf(l, list, func(x *view.View) string { return idKey(x.ID) },
		func(x *view.View) time.Time { return x.UpdatedAt })
	writePage(w, "views", items, next, nil)
	return nil
}

func (s *Server) getView(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*view.View, error) { return s.Views.Get(r.Context(), id) })
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) createView(w http.ResponseWriter, r *http.Request) error {
	var in viewIn
	if err := decode(r, &in); err != nil {
		return err
	}
	var v view.View
	in.apply(&v)
	x, err := s.Views.Create(r.Context(), v)
	if err == nil {
		locate(w, "/api/v1/views/", x.ID)
	}
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) updateView(w http.ResponseWriter, r *http.Request) error {
	var in viewIn
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*view.View, error) {
		return s.Views.Update(r.Context(), id, v, in.apply)
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) deleteView(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.Views.Delete(r.Context(), id, v) })
	return noContent(w, err)
}
