// Package portal serves the customer portal under /portal: sign-in by a
// mailed link, the customer's tickets (and their organization's when it
// shares them), new tickets, replies with files, and satisfaction surveys,
// in English and Hindi. It is a different audience from the agent app, so
// it has its own route table, templates, session cookie, CSRF values and
// permission checks; it shares only small helpers (the error-to-status map)
// with package web, which mounts it.
package portal

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/csat"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/i18n"
	"github.com/sahayak/sahayak/internal/portal"
	"github.com/sahayak/sahayak/internal/ticket"
	"github.com/sahayak/sahayak/internal/web"
)

// Cookies of the portal, none shared with the agent app.
const (
	sessionCookie = "sahayak_portal"       // the signed-in customer's session token
	visitorCookie = "sahayak_portal_visit" // a random value binding forms before sign-in
	langCookie    = "sahayak_portal_lang"  // the language switcher's choice
)

// Deps are the services the portal calls.
type Deps struct {
	Log     *slog.Logger
	Portal  *portal.Service
	Tickets *ticket.Service
	CSAT    *csat.Service // nil: surveys are not shown
	Blobs   *blob.Store
	Clock   desk.Clock
	Catalog i18n.Catalog
	// SecureCookies marks cookies Secure: set when customers reach the
	// desk over https.
	SecureCookies bool
}

// Who may use a route.
const (
	public   = "public"   // anyone; the page itself says nothing of accounts
	customer = "customer" // a signed-in customer, acting as their contact
)

// Route is one entry of the portal's route table.
type Route struct {
	Method, Path, Access string
}

// handlerFunc is a handler that returns its error for central mapping.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handler serves the portal.
type Handler struct {
	Deps
	mux    *http.ServeMux
	routes []Route
	pages  map[string]*template.Template
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/portal.css
var css []byte

// New builds the portal and parses its templates (a broken one fails here).
func New(d Deps) (*Handler, error) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Clock == nil {
		d.Clock = desk.SystemClock{}
	}
	if d.Catalog == nil {
		d.Catalog = i18n.Builtin()
	}
	h := &Handler{Deps: d, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	for _, lang := range i18n.Languages {
		c := d.Catalog
		t, err := template.New("").Funcs(template.FuncMap{
			"t":    func(key string, args ...any) string { return c.T(lang, key, args...) },
			"lang": func() string { return lang },
			"msg":  func(m desk.Msg) string { return c.T(lang, m.Key, m.Args...) },
			"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
			"status": func(s string) string {
				if c.Has("status." + s) {
					return c.T(lang, "status."+s)
				}
				return s // an admin's own status name
			},
			"safe":    func(s string) template.HTML { return template.HTML(s) }, // only for sanitized message HTML
			"ratings": func() []int { return []int{5, 4, 3, 2, 1} },
			"rating": func(n int) string {
				return c.T(lang, ratingWords[n])
			},
			"size":      fileSize,
			"derefTime": func(t *time.Time) time.Time { return *t },
			"cf":        fieldText,
		}).ParseFS(templateFS, "templates/*.html")
		if err != nil {
			return nil, fmt.Errorf("portal templates: %w", err)
		}
		h.pages[lang] = t
	}
	h.routeTable()
	return h, nil
}

// ratingWords names each rating (index 1 to 5) in the catalog.
var ratingWords = [...]string{0: "csat.rating_3", 1: "csat.rating_1", 2: "csat.rating_2", 3: "csat.rating_3",
	4: "csat.rating_4", 5: "csat.rating_5"}

func (h *Handler) routeTable() {
	h.handle("GET /portal", public, h.home)
	h.handle("GET /portal/{$}", public, h.home)
	h.handle("POST /portal/link", public, h.requestLink)
	h.handle("GET /portal/signin/{token}", public, h.signInPage)
	h.handle("POST /portal/signin/{token}", public, h.signIn)
	h.handle("GET /portal/lang/{lang}", public, h.switchLanguage)
	h.handle("GET /portal/static/portal.css", public, h.stylesheet)
	h.handle("POST /portal/signout", customer, h.signOut)
	h.handle("GET /portal/tickets", customer, h.ticketList)
	h.handle("GET /portal/tickets/new", customer, h.newTicketPage)
	h.handle("POST /portal/tickets", customer, h.createTicket)
	h.handle("GET /portal/tickets/{id}", customer, h.ticketPage)
	h.handle("POST /portal/tickets/{id}/replies", customer, h.reply)
	h.handle("POST /portal/tickets/{id}/satisfaction", customer, h.answerSurvey)
	h.handle("GET /portal/attachments/{id}", customer, h.download)
	h.mux.HandleFunc("/portal/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, desk.E(desk.ENOTFOUND, "portal.not_found"))
	})
}

// Routes is the route table, for tests.
func (h *Handler) Routes() []Route { return h.routes }

// handle registers a route with who may use it: every route goes through
// here, so none is added without saying so.
func (h *Handler) handle(pattern, access string, fn handlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	h.routes = append(h.routes, Route{Method: method, Path: path, Access: access})
	h.mux.Handle(pattern, h.guard(access, fn))
}

// ServeHTTP dispatches a portal request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

type customerKey struct{}

// customerFrom is the signed-in customer of a request (nil: none).
func customerFrom(ctx context.Context) *portal.Customer {
	c, _ := ctx.Value(customerKey{}).(*portal.Customer)
	return c
}

// guard resolves the portal session, refuses customer routes to visitors
// (with the sign-in page), checks the CSRF value of every form, and maps
// the handler's error.
func (h *Handler) guard(access string, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.Log.Error("portal panic", slog.String("path", r.URL.Path), slog.Any("panic", v),
					slog.String("stack", string(debug.Stack())))
				h.fail(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		ctx := r.Context()
		if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
			c, err := h.Portal.Customer(ctx, ck.Value)
			switch {
			case err == nil:
				ctx = context.WithValue(desk.WithActor(ctx, c.Actor()), customerKey{}, c)
			case desk.ErrorCode(err) != desk.EUNAUTHORIZED:
				h.fail(w, r, err)
				return
			}
		}
		r = r.WithContext(ctx)
		if access == customer && customerFrom(ctx) == nil {
			if r.Method == http.MethodGet {
				h.clearSession(w)
				http.Redirect(w, r, "/portal", http.StatusSeeOther)
				return
			}
			h.fail(w, r, desk.E(desk.EUNAUTHORIZED, "portal.sign_in"))
			return
		}
		if r.Method == http.MethodPost {
			var ok bool
			if r, ok = h.csrfOK(w, r); !ok {
				h.fail(w, r, desk.E(desk.EFORBIDDEN, "portal.csrf"))
				return
			}
		}
		if err := fn(w, r); err != nil {
			h.fail(w, r, err)
		}
	})
}

// csrfSecret is what a request's CSRF value derives from: the session
// token once signed in, else the visitor cookie.
func csrfSecret(r *http.Request) string {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		return c.Value
	}
	if c, err := r.Cookie(visitorCookie); err == nil && c.Value != "" {
		return c.Value
	}
	return ""
}

// csrfValue is the value a form must carry: a digest of the secret, so
// that the page never shows the session token itself.
func csrfValue(secret string) string {
	if secret == "" {
		return ""
	}
	return auth.Digest("portal-csrf:" + secret)[:32]
}

// csrf makes sure a visitor has a secret for the forms of the page being
// rendered, and returns its value.
func (h *Handler) csrf(w http.ResponseWriter, r *http.Request) string {
	if s := csrfSecret(r); s != "" {
		return csrfValue(s)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return ""
	}
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, h.cookie(visitorCookie, v, 0))
	r.AddCookie(&http.Cookie{Name: visitorCookie, Value: v})
	return csrfValue(v)
}

func (h *Handler) csrfOK(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	want := csrfValue(csrfSecret(r))
	var got string
	switch ct := r.Header.Get("Content-Type"); {
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			return r, false
		}
		got = r.PostFormValue("csrf")
	case strings.HasPrefix(ct, "multipart/form-data"):
		var err error
		if r, got, err = firstPart(w, r); err != nil {
			return r, false
		}
	}
	return r, want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// cookie is a portal cookie: HttpOnly, SameSite=Lax, for /portal only.
// maxAge 0 lasts the browser session; < 0 deletes.
func (h *Handler) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/portal", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: h.SecureCookies}
}

func (h *Handler) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, h.cookie(sessionCookie, "", -1))
}

// lang is the page's language: the switcher's choice, else the browser's.
func lang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		switch c.Value {
		case "en", "hi":
			return c.Value
		}
	}
	return i18n.Pick(r.Header.Get("Accept-Language"))
}

func (h *Handler) tr(r *http.Request, key string, args ...any) string {
	return h.Catalog.T(lang(r), key, args...)
}

// page is what every portal template receives.
type page struct {
	Title    string // catalog key
	Lang     string
	CSRF     string
	Customer *portal.Customer
	Path     string // for the language switcher's way back
	Back     string // the "back" link of the page ("" on the top pages)
	Data     any
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) error {
	p.Lang = lang(r)
	p.CSRF = h.csrf(w, r)
	p.Customer = customerFrom(r.Context())
	p.Path = r.URL.Path
	t := h.pages[p.Lang].Lookup(name)
	if t == nil {
		return fmt.Errorf("portal: no template %s", name)
	}
	var b strings.Builder
	if err := t.Execute(&b, p); err != nil {
		return fmt.Errorf("portal: render %s: %w", name, err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Language", p.Lang)
	w.WriteHeader(status)
	_, err := w.Write([]byte(b.String()))
	return err
}

// errorData is the error page's content.
type errorData struct {
	Message string
	Fields  []string
	SignIn  bool
}

// fail answers an error with a page in the visitor's language; only
// internal errors are logged, and none shows its details.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := web.HTTPStatus(err)
	msg := desk.ErrorMsg(err)
	if status >= 500 {
		h.Log.Error("portal", slog.String("path", r.URL.Path), slog.Any("err", err))
		msg = desk.M("portal.internal")
	}
	d := errorData{Message: h.Catalog.T(lang(r), msg.Key, msg.Args...), SignIn: status == http.StatusUnauthorized}
	for _, m := range desk.ErrorFields(err) {
		d.Fields = append(d.Fields, h.Catalog.T(lang(r), m.Key, m.Args...))
	}
	if d.SignIn {
		h.clearSession(w)
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	if rerr := h.render(w, r, status, "error.html", page{Title: "portal.error_title", Back: "/portal", Data: d}); rerr != nil {
		h.Log.Error("portal error page", slog.Any("err", rerr))
	}
}

func (h *Handler) stylesheet(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err := w.Write(css)
	return err
}

// switchLanguage keeps the visitor's language in a cookie and goes back to
// the portal page they were on.
func (h *Handler) switchLanguage(w http.ResponseWriter, r *http.Request) error {
	l := r.PathValue("lang")
	if l != "en" && l != "hi" {
		return desk.E(desk.ENOTFOUND, "portal.not_found")
	}
	http.SetCookie(w, h.cookie(langCookie, l, 365*24*3600))
	http.Redirect(w, r, localPath(r.URL.Query().Get("back")), http.StatusSeeOther)
	return nil
}

// localPath is a portal path to go back to, never another site.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/portal") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return "/portal"
	}
	return p
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, desk.E(desk.ENOTFOUND, "portal.not_found")
	}
	return id, nil
}

func fileSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

// fieldText shows a custom field's value.
func fieldText(values map[string]any, key string) string {
	switch v := values[key].(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		if v {
			return "true"
		}
		return ""
	case string:
		return v
	}
	return fmt.Sprint(values[key])
}
