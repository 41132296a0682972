package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
)

// apiPaths knows, for every /api/v1 path pattern of the route table, which
// methods it answers; the fallback for the API asks it whether a request
// missed by method (405) or by path (404).
type apiPaths struct {
	mux     *http.ServeMux
	methods map[string][]string
}

func newAPIPaths() *apiPaths {
	return &apiPaths{mux: http.NewServeMux(), methods: map[string][]string{}}
}

func (p *apiPaths) add(method, path string) {
	if _, ok := p.methods[path]; !ok {
		p.mux.Handle(path, http.NotFoundHandler()) // only its pattern is ever used
	}
	p.methods[path] = append(p.methods[path], method)
	if method == http.MethodGet {
		p.methods[path] = append(p.methods[path], http.MethodHead) // the mux serves HEAD with GET
	}
}

// allow returns the methods the request's path answers, nil for none.
func (p *apiPaths) allow(r *http.Request) []string {
	_, pattern := p.mux.Handler(r)
	ms := slices.Clone(p.methods[pattern])
	slices.Sort(ms)
	return ms
}

// apiFallback answers every /api/v1 request that no route took, in the
// API's JSON error shape: 405 with Allow when the path exists under other
// methods, 404 otherwise.
func (s *Server) apiFallback(w http.ResponseWriter, r *http.Request) {
	allow := s.apiPaths.allow(r)
	if len(allow) == 0 {
		s.writeError(w, r, desk.E(desk.ENOTFOUND, "error.no_route", r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	s.writeError(w, r, desk.E(desk.EMETHOD, "error.method", r.Method, strings.Join(allow, ", ")))
}
