// Package web is Sahayak's HTTP face: one route table naming a permission for
// every route, the JSON API under /api/v1, the server-rendered agent app, live
// updates over Server-Sent Events, health and metrics. Handlers decode, call a
// domain service and encode; rules live in the services.
package web

import (
	"context"
	"github.com/sahayak/sahayak/internal/assign"
	"github.com/sahayak/sahayak/internal/automation"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/teamtask"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/accountreport"
	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/csat"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/digest"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/i18n"
	"github.com/sahayak/sahayak/internal/idempotency"
	"github.com/sahayak/sahayak/internal/kb"
	"github.com/sahayak/sahayak/internal/nps"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ratelimit"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/search"
	"github.com/sahayak/sahayak/internal/sla"
	"github.com/sahayak/sahayak/internal/ticket"
	"github.com/sahayak/sahayak/internal/training"
	"github.com/sahayak/sahayak/internal/view"
	"github.com/sahayak/sahayak/internal/webhook"
)

// Deps are the services the web layer calls.
type Deps struct {
	Log      *slog.Logger
	Tickets  *ticket.Service
	People   *people.Service
	Access   *access.Service
	Webhooks *webhook.Service
	Mail     *email.Service
	MailOut  *email.Sender // outbound mail: outbox, relay test, DKIM, IMAP status
	SLA      *sla.Service
	// Assign is availability and auto-assignment (nil: not offered).
	Assign *assign.Service
	// Automations is automation rules and macros.
	Automations *automation.Service
	// Reports is the KPIs and the supervisor's views (package report).
	Reports *report.Service
	// Views is the sidebar's views and saved views; New builds it from DB
	// when DB is the store and Views is nil.
	Views *view.Service
	// Search, when set, is where the jump box sends words that are not a
	// ticket number (full-text search plugs in here).
	Search Searcher
	// FullText is full-text search (package search): GET /api/v1/search
	// and the /search results page, where the jump box sends words when
	// Search is nil.
	FullText *search.Service
	// Accounts is the account executive's work: accounts, health, book.
	Accounts *account.Service
	// CSAT is satisfaction surveys (nil: not offered).
	CSAT *csat.Service
	// Portal is the customer portal (package web/portal), mounted at
	// /portal with its own route table, sessions and permission checks;
	// nil: not offered.
	Portal http.Handler
	// AccountReports is the account report and its schedule (nil: not offered).
	AccountReports *accountreport.Service
	// Digests are the report digests (nil: not offered).
	Digests *digest.Service
	// NPS is Net Promoter Score campaigns (nil: not offered).
	NPS *nps.Service
	// Quality is scorecards and conversation reviews.
	Quality *quality.Service
	// Tasks is the teams' task boards.
	Tasks *teamtask.Service
	// Training is courses, assignments and performance reviews.
	Training *training.Service
	// KB is the knowledge base: the API, /kb pages, suggestions.
	KB            *kb.Service
	Audit         *audit.Recorder
	Notifications Notifications
	Blobs         *blob.Store
	Bus           *event.Bus
	DB            interface{ Ping(context.Context) error }
	Clock         desk.Clock
	Catalog       i18n.Catalog
	Registry      *prometheus.Registry
	// SecureCookies marks cookies Secure; set when served over TLS.
	SecureCookies bool
	// LoginLimit is the number of sign-in attempts allowed per client
	// address per minute (default 10).
	LoginLimit int
	// Idempotency keeps the answers of POSTs sent with an Idempotency-Key.
	Idempotency idempotency.Store
	// RateLimit holds each API caller to its requests per minute; nil for
	// no limit.
	RateLimit *ratelimit.Limiter
	// KBLimit holds client addresses to KBRateLimit public knowledge base
	// requests a minute across nodes; nil counts in this process only (one
	// node, tests).
	KBLimit interface {
		Allow(caller string, now time.Time) ratelimit.Decision
	}
	// BodyTimeout bounds how long a request body may take to arrive
	// (default DefaultBodyTimeout; see body.go).
	BodyTimeout time.Duration
}

// viewStore is what the views service needs of the store.
type viewStore interface {
	view.Store
	view.Teams
}

// Route is one entry of the route table.
type Route struct {
	Method     string
	Path       string
	Permission string // an auth permission, auth.Public or auth.SignedIn
	API        bool   // answers JSON (errors too) rather than pages
}

// handlerFunc is a handler that returns its error for central mapping.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Server serves the help desk.
type Server struct {
	Deps
	log       *slog.Logger
	mux       *http.ServeMux
	ops       *http.ServeMux
	routes    []Route
	apiPaths  *apiPaths
	pages     map[string]*template.Template
	metrics   *metrics
	loginRate *limiter
	// kbRate admits a client address's public knowledge base write or
	// suggestion search (KBRateLimit a minute per kind).
	kbRate    func(key string, now time.Time) bool
	live      *presence
	streams   *liveStreams
	closing   chan struct{}
	closeOnce sync.Once
}

// New builds the server and its route table; templates are parsed here so
// that a broken template fails at start-up.
func New(d Deps) (*Server, error) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Clock == nil {
		d.Clock = desk.SystemClock{}
	}
	if d.LoginLimit <= 0 {
		d.LoginLimit = 10
	}
	if d.BodyTimeout <= 0 {
		d.BodyTimeout = DefaultBodyTimeout
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	if d.Search == nil && d.FullText != nil {
		d.Search = searchURL
	}
	if st, ok := d.DB.(kb.Store); ok && d.KB == nil {
		d.KB = kb.New(st, d.Clock, search.Words)
	}
	if st, ok := d.DB.(viewStore); ok && d.Views == nil && d.Tickets != nil {
		d.Views = view.NewService(st, d.Tickets, st, d.Clock)
	}
	s := &Server{Deps: d, log: d.Log, mux: http.NewServeMux(), ops: http.NewServeMux(), loginRate: newLimiter(d.LoginLimit, time.Minute),
		kbRate: newLimiter(KBRateLimit, time.Minute).Allow,
		live:   newPresence(), streams: newLiveStreams(), closing: make(chan struct{}), apiPaths: newAPIPaths()}
	if d.KBLimit != nil {
		s.kbRate = func(key string, now time.Time) bool { return d.KBLimit.Allow(key, now).Allowed }
	}
	var err error
	if d.Catalog == nil {
		if d.Catalog, err = i18n.Load(); err != nil {
			return nil, err
		}
		s.Catalog = d.Catalog
	}
	if s.pages, err = parseTemplates(d.Catalog); err != nil {
		return nil, err
	}
	if s.metrics, err = newMetrics(d.Registry, d.Log); err != nil {
		return nil, err
	}
	s.routeTable()
	if d.Portal != nil {
		s.mux.Handle("/portal", s.metrics.wrap("/portal/", d.Portal))
		s.mux.Handle("/portal/", s.metrics.wrap("/portal/", d.Portal))
	}
	s.mux.Handle("/api/v1/", s.metrics.wrap("/api/v1/", http.HandlerFunc(s.apiFallback)))
	s.mux.Handle("/", s.metrics.wrap("/", http.HandlerFunc(s.pageNotFound)))
	s.opsRouteTable()
	return s, nil
}

// Routes returns the route table, for tests and the OpenAPI check.
func (s *Server) Routes() []Route { return s.routes }

// ServeHTTP applies the headers every response carries and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if s.SecureCookies {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, s.withBodyDeadline(w, r))
}

// OpsHandler serves the operations address: metrics, health and
// readiness. Metrics are not on the main address: they tell anyone who can
// reach it how busy the desk is and which routes fail.
func (s *Server) OpsHandler() http.Handler { return s.ops }

// handle registers a route with its permission. Every route goes through
// here, so none can be added without naming who may use it.
func (s *Server) handle(pattern, permission string, fn handlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	rt := Route{Method: method, Path: path, Permission: permission, API: strings.HasPrefix(path, "/api/")}
	s.routes = append(s.routes, rt)
	if rt.API {
		s.apiPaths.add(method, path)
	}
	s.mux.Handle(pattern, s.metrics.wrap(pattern, s.authorize(rt, fn)))
}

// CloseStreams ends every live-update stream, so that a graceful shutdown
// does not wait for browsers that never hang up.
func (s *Server) CloseStreams() { s.closeOnce.Do(func() { close(s.closing) }) }
