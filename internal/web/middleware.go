package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

const sessionCookie = "sahayak_session"

type csrfKey struct{}

// csrfFrom returns the CSRF secret of the session behind the request.
func csrfFrom(ctx context.Context) string {
	s, _ := ctx.Value(csrfKey{}).(string)
	return s
}

// authorize authenticates the request (API token or session cookie), checks
// CSRF for cookie-authenticated writes, checks the route's permission, and
// runs the handler, mapping its error.
func (s *Server) authorize(rt Route, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", slog.String("path", r.URL.Path), slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				s.fail(w, r, rt, fmt.Errorf("panic: %v", v))
			}
		}()
		if !cleanText(r.URL.Path) || !cleanQuery(r.URL.RawQuery) {
			// PostgreSQL refuses to compare text holding NUL or invalid
			// UTF-8; no id, name or filter holds either.
			s.fail(w, r, rt, desk.E(desk.EINVALID, "error.address_unclean"))
			return
		}
		r = r.WithContext(audit.WithAddress(r.Context(), clientAddr(r)))
		ctx := r.Context()
		if rt.Permission != auth.Public {
			// Nothing of the body is read before the caller is known.
			a, csrf, viaCookie, err := s.authenticate(r)
			if err != nil {
				s.fail(w, r, rt, err)
				return
			}
			if viaCookie && unsafeMethod(r.Method) {
				var ok bool
				if r, ok = csrfOK(w, r, csrf); !ok {
					s.fail(w, r, rt, desk.E(desk.EFORBIDDEN, "error.csrf"))
					return
				}
				ctx = r.Context()
			}
			ctx = context.WithValue(desk.WithActor(ctx, a), csrfKey{}, csrf)
			noteActor(ctx, a)
			if rt.Permission != auth.SignedIn && !a.Can(rt.Permission) {
				// The refusal is a page in the agent's language and layout.
				s.fail(w, r.WithContext(ctx), rt, desk.E(desk.EFORBIDDEN, "error.forbidden", rt.Permission))
				return
			}
			ctx = context.WithValue(desk.WithActor(ctx, a), csrfKey{}, csrf)
			if viaCookie && a.Kind == desk.ActorAgent && s.Assign != nil {
				// A person at work in the app is available; API tokens are
				// integrations and say nothing of that.
				s.Assign.Seen(ctx, a.ID)
			}
		}
		r = r.WithContext(ctx) // errors, too, answer in the actor's language
		if !cleanForm(w, r, rt) {
			// Nor can PostgreSQL store them; JSON bodies get the same check in decode.
			s.fail(w, r, rt, desk.E(desk.EINVALID, "error.form_unclean"))
			return
		}
		run := func(w http.ResponseWriter, r *http.Request) {
			if err := fn(w, r); err != nil {
				s.fail(w, r, rt, err)
			}
		}
		if !rt.API || rt.Permission == auth.Public {
			run(w, r)
			return
		}
		who := caller(r)
		if err := s.rateLimit(w, who); err != nil {
			s.fail(w, r, rt, err)
			return
		}
		if _, keyed := r.Header["Idempotency-Key"]; keyed && s.Idempotency != nil && r.Method == http.MethodPost {
			if err := s.idempotent(w, r, who, run); err != nil {
				s.fail(w, r, rt, err)
			}
			return
		}
		run(w, r)
	})
}

// rateLimit counts an API request against its caller's budget and says
// where the caller stands (RateLimit-Limit, -Remaining, -Reset in seconds),
// refusing it with 429 and Retry-After once the budget is spent.
func (s *Server) rateLimit(w http.ResponseWriter, who string) error {
	if s.RateLimit == nil {
		return nil
	}
	d := s.RateLimit.Allow(who, s.Clock.Now())
	reset := strconv.FormatInt(int64((d.Reset+time.Second-1)/time.Second), 10)
	h := w.Header()
	h["Ratelimit-Limit"] = []string{strconv.FormatInt(d.Limit, 10)}
	h["Ratelimit-Remaining"] = []string{strconv.FormatInt(d.Remaining, 10)}
	h["Ratelimit-Reset"] = []string{reset}
	if d.Allowed {
		return nil
	}
	h["Retry-After"] = []string{reset}
	return desk.E(desk.ERATELIMIT, "error.api_rate_limit", d.Limit, reset)
}

// caller names who sent an authenticated request, for what is kept per
// caller (idempotency keys, rate limits): the API token (by a prefix of its
// digest, never the secret), else the signed-in agent.
func caller(r *http.Request) string {
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return "token:" + auth.Digest(token)[:16]
	}
	a, _ := desk.ActorFrom(r.Context())
	return "agent:" + strconv.FormatInt(a.ID, 10)
}

// cleanText reports whether s is valid UTF-8 without NUL characters.
func cleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// cleanQuery reports whether every key and value of a raw query string is
// clean text once decoded.
func cleanQuery(raw string) bool {
	if raw == "" {
		return true
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return true // the handlers read what parsed; nothing unclean gets through
	}
	return cleanValues(q)
}

// MaxForm bounds a URL-encoded form body: the longest reply (ticket.MaxBody
// characters) percent-encoded in any script, with room for other fields.
// maxPublicForm bounds a form read before anyone is known (sign-in: an
// email, a password, a redirect and the CSRF value).
const (
	MaxForm       = 4 << 20
	maxPublicForm = 16 << 10
)

// cleanForm reads a URL-encoded form body (at most MaxForm bytes) and
// reports whether it is clean text once decoded. Other bodies are checked by
// whoever decodes them.
func cleanForm(w http.ResponseWriter, r *http.Request, rt Route) bool {
	if !unsafeMethod(r.Method) || !isForm(r) {
		return true
	}
	if r.PostForm == nil {
		limit := int64(MaxForm)
		if rt.Permission == auth.Public {
			limit = maxPublicForm
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	if err := r.ParseForm(); err != nil {
		return true // the handlers refuse a form they cannot read
	}
	return cleanValues(r.PostForm)
}

func cleanValues(q url.Values) bool {
	for k, vs := range q {
		if !cleanText(k) {
			return false
		}
		for _, v := range vs {
			if !cleanText(v) {
				return false
			}
		}
	}
	return true
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

func isForm(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

func isMultipart(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
}

// csrfOK checks a cookie-authenticated write's CSRF value: the
// X-CSRF-Token header (app.js), else the form's csrf field. A multipart body
// must carry that field as its first part (as a form puts its hidden csrf
// input first), and only that part is read here: files behind it are not
// read for a request that fails the check. The request returned holds the
// body's multipart reader, past that part, for the handler.
func csrfOK(w http.ResponseWriter, r *http.Request, want string) (*http.Request, bool) {
	got := r.Header.Get("X-CSRF-Token")
	switch {
	case got != "":
	case isForm(r):
		r.Body = http.MaxBytesReader(w, r.Body, MaxForm)
		got = r.PostFormValue("csrf")
	case isMultipart(r):
		r.Body = http.MaxBytesReader(w, r.Body, maxMultipart)
		mr, err := r.MultipartReader()
		if err != nil {
			return r, false
		}
		part, err := mr.NextPart()
		if err != nil || part.FormName() != "csrf" || part.FileName() != "" {
			return r, false
		}
		v, err := io.ReadAll(io.LimitReader(part, 256))
		if err != nil {
			return r, false
		}
		got = string(v)
		r = r.WithContext(context.WithValue(r.Context(), multipartKey{}, mr))
	}
	return r, want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// multipartKey holds a multipart body's reader once csrfOK has read its
// first part.
type multipartKey struct{}

// multipartReader returns the request's multipart reader, continuing where
// the CSRF check stopped.
func multipartReader(r *http.Request) (*multipart.Reader, error) {
	if mr, ok := r.Context().Value(multipartKey{}).(*multipart.Reader); ok {
		return mr, nil
	}
	return r.MultipartReader()
}

// authenticate resolves the request's credentials: a Bearer token first,
// then the session cookie.
func (s *Server) authenticate(r *http.Request) (a desk.Actor, csrf string, viaCookie bool, err error) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			return a, "", false, desk.E(desk.EUNAUTHORIZED, "error.bearer")
		}
		a, err = s.Access.TokenActor(ctx, token)
		return a, "", false, err
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return a, "", false, desk.E(desk.EUNAUTHORIZED, "error.sign_in")
	}
	ag, csrf, err := s.Access.Session(ctx, c.Value)
	if err != nil {
		return a, "", false, err
	}
	a, err = s.Access.ActorFor(ctx, ag)
	return a, csrf, true, err
}

// fail answers an error: JSON for the API; for pages, a sign-in redirect on
// 401 and an error page otherwise.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rt Route, err error) {
	if clientGone(r, err) {
		// Nobody is left to read an answer, and the caller's leaving is
		// not the server's fault: no log line, and the metrics say 499.
		w.WriteHeader(statusClientClosed)
		return
	}
	if rt.API || !acceptsHTML(r) {
		s.writeError(w, r, err)
		return
	}
	if desk.ErrorCode(err) == desk.EUNAUTHORIZED {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if desk.ErrorCode(err) == desk.EINTERNAL {
		s.log.ErrorContext(r.Context(), "internal error", slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	s.renderError(w, r, err)
}

// statusClientClosed is nginx's "client closed request", for metrics only.
const statusClientClosed = 499

// clientGone reports whether err is the work of the client hanging up: the
// request's context was cancelled and the error is no answer of ours (a
// query interrupted, a body read cut short).
func clientGone(r *http.Request, err error) bool {
	return errors.Is(r.Context().Err(), context.Canceled) && desk.ErrorCode(err) == desk.EINTERNAL
}

func acceptsHTML(r *http.Request) bool {
	return r.Header.Get("Accept") == "" || strings.Contains(r.Header.Get("Accept"), "text/html") ||
		r.Header.Get("Content-Type") == "application/x-www-form-urlencoded"
}

// clientAddr is the remote address without its port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter allows n events per key per window (a fixed window is enough for
// sign-in throttling, which only has to make guessing slow).
type limiter struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	counts map[string]*window
}

type window struct {
	start time.Time
	count int
}

func newLimiter(n int, w time.Duration) *limiter {
	return &limiter{n: n, window: w, counts: map[string]*window{}}
}

// Allow records an event for key and reports whether it is within the limit.
func (l *limiter) Allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.counts) > 10000 {
		for k, w := range l.counts {
			if now.Sub(w.start) > l.window {
				delete(l.counts, k)
			}
		}
	}
	w := l.counts[key]
	if w == nil || now.Sub(w.start) > l.window {
		w = &window{start: now}
		l.counts[key] = w
	}
	w.count++
	return w.count <= l.n
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	log      *slog.Logger
}

func newMetrics(reg *prometheus.Registry, log *slog.Logger) (*metrics, error) {
	m := &metrics{log: log,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sahayak_http_requests_total",
			Help: "HTTP requests by route and status."}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sahayak_http_request_duration_seconds",
			Help: "HTTP request latency by route.", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}},
			[]string{"route"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	return m, nil
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets Server-Sent Events through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap counts and times each request of a route and logs it: one line at
// info level with the method, the route's pattern (never the path or query,
// which can carry secrets such as a token in a link), the status, the time
// taken and the acting agent's id (0 for nobody). Headers and bodies are
// never logged, so no cookie, token or password is.
func (m *metrics) wrap(route string, h http.Handler) http.Handler {
	dur := m.duration.WithLabelValues(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		seen := &requestActor{}
		h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), requestActorKey{}, seen)))
		took := time.Since(start)
		dur.Observe(took.Seconds())
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		m.requests.WithLabelValues(route, statusText(sw.status)).Inc()
		if m.log.Enabled(r.Context(), slog.LevelInfo) {
			m.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("method", r.Method), slog.String("route", route),
				slog.Int("status", sw.status), slog.Duration("duration", took), slog.Int64("actor", seen.id))
		}
	})
}

// requestActor is where authorize leaves the acting agent's id for the
// request's log line, which is written outside the handler's context.
type requestActor struct{ id int64 }

type requestActorKey struct{}

// noteActor records the request's actor for its log line.
func noteActor(ctx context.Context, a desk.Actor) {
	if seen, ok := ctx.Value(requestActorKey{}).(*requestActor); ok {
		seen.id = a.ID
	}
}

var statusTexts = func() map[int]string {
	m := map[int]string{}
	for c := 100; c < 600; c++ {
		m[c] = fmt.Sprint(c)
	}
	return m
}()

func statusText(c int) string { return statusTexts[c] }
