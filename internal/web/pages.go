package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/i18n"
)

//go:embed templates
var templateFS embed.FS

// parseTemplates parses the page templates once per language, so that the
// "t" function needs no language argument and no page pays for cloning.
func parseTemplates(c i18n.Catalog) (map[string]*template.Template, error) {
	if c == nil {
		var err error
		if c, err = i18n.Load(); err != nil {
			return nil, err
		}
	}
	sets := map[string]*template.Template{}
	for _, lang := range i18n.Languages {
		t, err := template.New("").Funcs(template.FuncMap{
			"t":      func(key string, args ...any) string { return c.T(lang, key, args...) },
			"lang":   func() string { return lang },
			"status": func(s string) string { return c.T(lang, "status."+s) },
			"asset":  assetURL,
			"when":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
			"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
			"deref":  derefID,
			"join":   strings.Join,
			"query":  url.QueryEscape,
			"safe":   func(s string) template.HTML { return template.HTML(s) }, // only for sanitized message HTML
			"can":    func(a desk.Actor, p string) bool { return a.Can(p) },
			"eqid":   func(p *int64, id int64) bool { return p != nil && *p == id },
		}).ParseFS(templateFS, "templates/*.html")
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		sets[lang] = t
	}
	return sets, nil
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// page is what every page template receives.
type page struct {
	Title string
	Lang  string
	Actor desk.Actor
	CSRF  string
	Nav   string
	Data  any
	Error string
}

// render executes a page template in the viewer's language. Rendering into a
// buffer first means a template error becomes a clean 500, not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) error {
	a, _ := desk.ActorFrom(r.Context())
	p.Actor, p.CSRF = a, csrfFrom(r.Context())
	p.Lang = a.Language
	if p.Lang == "" {
		p.Lang = i18n.Pick(r.Header.Get("Accept-Language"))
	}
	t := s.pages[p.Lang]
	if t == nil {
		t = s.pages["en"]
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status := HTTPStatus(err)
	msg := desk.ErrorMessage(err)
	if rerr := s.render(w, r, status, "error.html", page{Title: http.StatusText(status), Error: msg}); rerr != nil {
		http.Error(w, msg, status)
	}
}

// pageRoutes registers the agent web app.
func (s *Server) pageRoutes() {
	s.handle("GET /login", auth.Public, s.loginPage)
	s.handle("POST /login", auth.Public, s.login)
	s.handle("POST /logout", auth.SignedIn, s.logout)
	s.handle("GET /{$}", auth.SignedIn, s.home)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/tickets", http.StatusSeeOther)
	return nil
}
