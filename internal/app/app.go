// Package app is the composition root: it turns configuration into an open
// database, the domain services, the job queue and its workers, and the HTTP
// server, and runs them until asked to stop. Nothing else wires packages
// together or reads configuration.
package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/sahayak/sahayak/internal/assign"
	"github.com/sahayak/sahayak/internal/automation"
	"github.com/sahayak/sahayak/internal/view"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/accountreport"
	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/csat"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/digest"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/i18n"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/kb"
	"github.com/sahayak/sahayak/internal/notify"
	"github.com/sahayak/sahayak/internal/nps"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/portal"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/ratelimit"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/search"
	"github.com/sahayak/sahayak/internal/sla"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/teamtask"
	"github.com/sahayak/sahayak/internal/ticket"
	"github.com/sahayak/sahayak/internal/training"
	"github.com/sahayak/sahayak/internal/web"
	webportal "github.com/sahayak/sahayak/internal/web/portal"
	"github.com/sahayak/sahayak/internal/webhook"
)

// Config is every setting of a Sahayak process.
type Config struct {
	Addr string // listen address, e.g. 127.0.0.1:8080
	// PublicURL is where customers reach the desk (links in mail, such as
	// satisfaction surveys); empty: http:// and Addr.
	PublicURL   string
	DataDir     string // SQLite file and attachments
	DatabaseURL string // postgres://… selects PostgreSQL
	// DatabaseConns bounds this node's database connections (0: the
	// store's default); see store.Config.Conns.
	DatabaseConns int
	// SecureCookies marks cookies Secure (behind TLS).
	SecureCookies bool
	// JobPoll is how often the SQLite job queue looks for work.
	JobPoll time.Duration
	// APIRateLimit is each API caller's requests per minute, over all
	// nodes; 0 means no limit.
	APIRateLimit int
	// OpsAddr, when set, is where metrics (and health) are served, apart
	// from the public address; empty serves no metrics.
	OpsAddr string
	// MaxConnsPerClient caps the open connections of one client address
	// (0: DefaultMaxConnsPerClient, negative: no cap, e.g. behind a proxy
	// that enforces its own).
	MaxConnsPerClient int
	// BodyTimeout bounds how long a request body may take to arrive (0:
	// web.DefaultBodyTimeout).
	BodyTimeout time.Duration
	// Webhooks tunes outbound webhook delivery (zero: the defaults).
	Webhooks webhook.Config
	// Mail tunes inbound mail (zero: the defaults).
	Mail email.Config
	// MailOut tunes outbound mail (zero: the defaults).
	MailOut email.SenderConfig
	// IMAP tunes the IMAP poller (zero: the defaults).
	IMAP email.PollerConfig
	// SMTPAddr, when set, is where the built-in SMTP receiver accepts mail
	// for the mailboxes.
	SMTPAddr string
	// SLA tunes the SLA timers and consumers (zero: the defaults).
	SLA sla.Config
}

// DefaultMaxConnsPerClient is enough for a browser's few connections and
// an integration's pool, far below the process's file limit.
const DefaultMaxConnsPerClient = 64

// Limits of the HTTP server beyond the body deadline (see web/body.go).
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
)

// tokenCacheFor bounds how long a token revoked on another node keeps
// working here; on this node a revocation takes effect at once.
const tokenCacheFor = 5 * time.Second

// relayPoll is how often a node on PostgreSQL looks for events committed by
// other nodes, to bring them to its live streams.
const relayPoll = 200 * time.Millisecond

// App is a running Sahayak: its database, services and server.
type App struct {
	Config   Config
	Log      *slog.Logger
	DB       *store.DB
	Bus      *event.Bus
	Clock    desk.Clock
	Tickets  *ticket.Service
	People   *people.Service
	Access   *access.Service
	Queue    *jobs.Queue
	Notifier *notify.Notifier
	Relay    *event.Relay       // nil on SQLite (one node)
	Shared   *event.Broadcast   // nil on SQLite (one node)
	Limiter  *ratelimit.Limiter // nil without a rate limit
	Webhooks *webhook.Service
	Mail     *email.Service
	// MailOut sends agents' replies on email tickets as mail.
	MailOut *email.Sender
	// Poller fetches new mail from mailboxes with an IMAP server.
	Poller  *email.Poller
	SLA     *sla.Service
	Reports *report.Service
	CSAT    *csat.Service
	// Portal signs customers in to the portal; its limiters hold link
	// requests per address asked for and per client, across nodes.
	Portal       *portal.Service
	portalLimits []*ratelimit.Limiter
	kbLimit      *ratelimit.Limiter
	Audit        *audit.Recorder
	Web          *web.Server
	jobsDB       *sql.DB
	Assign       *assign.Service
	Automate     *automation.Service
	// Search answers searches; Indexer keeps its index from events.
	Search  *search.Service
	Indexer *search.Indexer
	// Views is the agents' ticket views: the sidebar, saved views, landing.
	Views    *view.Service
	Accounts *account.Service
	Quality  *quality.Service
	Training *training.Service
	// AccountReports answers account reports and mails them on schedule.
	AccountReports *accountreport.Service
	// Digests mails report digests on schedule.
	Digests *digest.Service
	// NPS runs NPS campaigns.
	NPS *nps.Service
	// KB is the knowledge base; its view counter is flushed by Serve.
	KB *kb.Service
}

// Migrate opens the database and brings its schema (and the job queue's)
// up to date, then closes it.
func Migrate(ctx context.Context, cfg Config) error {
	db, err := store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	jc, closeJobs, err := jobsConfig(db, cfg, slog.Default())
	if err != nil {
		return err
	}
	defer closeJobs()
	return jobs.Migrate(ctx, jc)
}

func jobsConfig(db *store.DB, cfg Config, log *slog.Logger) (jobs.Config, func(), error) {
	// River narrates every migration and start at info; only its warnings
	// are worth an operator's attention.
	jc := jobs.Config{Logger: slog.New(minLevel{Handler: log.Handler(), min: slog.LevelWarn}), PollInterval: cfg.JobPoll}
	if db.SQLitePath == "" {
		jc.PostgresURL = db.URL
		return jc, func() {}, nil
	}
	// The queue gets its own handle to the data file (see package jobs).
	h, err := sql.Open(store.SQLiteDriver, store.SQLiteDSN(db.SQLitePath, true))
	if err != nil {
		return jc, nil, fmt.Errorf("open job queue database: %w", err)
	}
	jc.SQLite = h
	return jc, func() { h.Close() }, nil
}

// BlobDir is where attachment files are kept: in the data directory, on
// PostgreSQL too.
func BlobDir(cfg Config) string { return filepath.Join(cfg.DataDir, "attachments") }

// Open opens and migrates the database and builds every service. The job
// queue is created but not started; Serve starts it.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	if log == nil {
		log = slog.Default()
	}
	db, err := store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Conns: cfg.DatabaseConns})
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: log, DB: db, Bus: event.NewBus(), Clock: desk.SystemClock{}}
	if err := a.build(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context) error {
	if err := a.DB.Migrate(ctx); err != nil {
		return err
	}
	jc, closeJobs, err := jobsConfig(a.DB, a.Config, a.Log)
	if err != nil {
		return err
	}
	a.jobsDB = jc.SQLite
	_ = closeJobs // closed in Close through a.jobsDB
	if err := jobs.Migrate(ctx, jc); err != nil {
		return err
	}
	if a.Queue, err = jobs.New(ctx, jc); err != nil {
		return err
	}
	a.Tickets = ticket.NewService(a.DB, a.DB, a.Bus, a.Clock)
	a.People = people.NewService(a.DB, a.Clock)
	a.Access = access.NewService(a.DB, a.Clock)
	a.Access.CacheTokens(a.People.Version, tokenCacheFor)
	if a.Notifier, err = notify.New(a.DB, a.Queue, a.Bus, a.Clock, a.Log); err != nil {
		return err
	}
	a.Search = search.NewService(a.DB)
	a.Indexer = search.NewIndexer(a.DB, a.Bus, a.Log)
	if a.DB.SQLitePath == "" {
		// Other nodes may share the database: bring their events here.
		a.Relay = event.NewRelay(a.DB, a.Bus, func(ctx context.Context, evs []event.Event) error {
			return ticket.Address(ctx, a.DB, evs)
		}, relayPoll, a.Log)
		// ... and their "is replying" and notification pushes, which are
		// never stored.
		a.Shared = event.NewBroadcast(a.Bus, a.DB.Wire(), a.Log)
	}
	if err := addHousekeeping(a.Queue, a.DB, a.Clock); err != nil {
		return err
	}
	if a.Config.APIRateLimit > 0 {
		a.Limiter = ratelimit.New(int64(a.Config.APIRateLimit), a.DB, a.Log)
	}
	blobs := blob.New(BlobDir(a.Config))
	if err := collectBlobs(a.Queue, blobs, a.DB, a.Clock, a.Log); err != nil {
		return err
	}
	if a.Webhooks, err = webhook.New(a.DB, a.Queue, a.Bus, a.Clock, a.Log, a.Config.Webhooks); err != nil {
		return err
	}
	a.Mail = email.New(a.DB, a.Tickets, blobs, a.Clock, a.Log, a.Config.Mail)
	if a.MailOut, err = email.NewSender(a.DB, blobs, a.Queue, a.Bus, a.Clock, a.Log, a.Config.MailOut); err != nil {
		return err
	}
	a.Mail.SetHooks(email.Hooks{Bounce: a.MailOut.HandleBounce, AllowSender: a.MailOut.AllowInbound})
	a.Poller = email.NewPoller(a.DB, func(ctx context.Context, mb *email.Mailbox, raw []byte) error {
		_, err := a.Mail.Ingest(ctx, mb.ID, bytes.NewReader(raw), email.Source{Kind: "imap"})
		return err
	}, a.Clock, a.Log, nodeName(), a.Config.IMAP)
	a.SLA = sla.New(a.DB, a.Tickets, a.Bus, a.Clock, a.Log, a.Config.SLA)
	a.Tickets.KeepSLA(a.SLA)
	a.CSAT = csat.New(a.DB, a.MailOut, a.Bus, a.Clock, a.Log, i18n.Builtin().T, csat.Config{PublicURL: a.Config.publicURL()})
	perMail := ratelimit.New(portalLinksPerAddress, a.DB, a.Log)
	perClient := ratelimit.New(portalLinksPerClient, a.DB, a.Log)
	a.kbLimit = ratelimit.New(web.KBRateLimit, a.DB, a.Log)
	// The public limits share their counts through the database, as the
	// API's does, so they hold across nodes.
	a.portalLimits = []*ratelimit.Limiter{perMail, perClient, a.kbLimit}
	a.Portal = portal.New(a.DB, a.MailOut, perMail, perClient, a.Clock, a.Log, i18n.Builtin().T,
		portal.Config{PublicURL: a.Config.publicURL()})
	a.Audit = audit.NewRecorder(a.DB, a.Clock)
	a.Assign = assign.NewService(a.DB, a.Tickets, a.Bus, a.Clock, a.Log, assign.Config{})
	if err := sweepPresence(a.Queue, a.Assign); err != nil {
		return err
	}
	a.Automate = automation.NewService(a.DB, a.Tickets, a.Webhooks, a.Bus, a.Clock, a.Log)
	a.Reports = report.New(a.DB, a.SLA, a.Bus, a.Clock, a.Log)
	a.Views = view.NewService(a.DB, a.Tickets, a.DB, a.Clock)
	if err := runDueAutomations(a.Queue, a.Automate); err != nil {
		return err
	}
	a.Accounts = account.New(a.DB, a.Bus, a.Clock, a.Log)
	if err := checkGoals(a.Queue, a.Reports); err != nil {
		return err
	}
	a.Accounts.SendMail(account.Mail{Sender: a.MailOut, T: i18n.Builtin().T, PublicURL: a.Config.publicURL()})
	if err := refreshAccounts(a.Queue, a.Accounts); err != nil {
		return err
	}
	a.AccountReports = accountreport.New(a.DB, a.Reports, a.MailOut, a.Clock, a.Log, i18n.Builtin().T, a.Config.publicURL())
	if err := mailAccountReports(a.Queue, a.AccountReports); err != nil {
		return err
	}
	a.Digests = digest.New(a.DB, a.Reports, a.Access, a.MailOut, a.Clock, a.Log, i18n.Builtin().T, a.Config.publicURL())
	if err := mailDigests(a.Queue, a.Digests); err != nil {
		return err
	}
	a.Reports.MailGoalAlerts(a.Digests)
	a.NPS = nps.New(a.DB, a.MailOut, a.Clock, a.Log, i18n.Builtin().T, nps.Config{PublicURL: a.Config.publicURL()})
	if err := sendNPS(a.Queue, a.NPS); err != nil {
		return err
	}
	a.Quality = quality.NewService(a.DB, a.Tickets, a.Clock)
	if err := remindCoaching(a.Queue, a.Quality); err != nil {
		return err
	}
	a.Training = training.NewService(a.DB, trainingFacts(a.DB, a.Reports, a.Quality), a.Clock)
	if err := sweepTraining(a.Queue, a.Training); err != nil {
		return err
	}
	a.KB = kb.New(a.DB, a.Clock, search.Words)
	catalog, err := i18n.Load()
	if err != nil {
		return err
	}
	customerPortal, err := webportal.New(webportal.Deps{Log: a.Log, Portal: a.Portal, Tickets: a.Tickets, CSAT: a.CSAT,
		Blobs: blobs, Clock: a.Clock, Catalog: catalog,
		SecureCookies: a.Config.SecureCookies || strings.HasPrefix(a.Config.publicURL(), "https://")})
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.Web, err = web.New(web.Deps{Log: a.Log, Tickets: a.Tickets, People: a.People, Access: a.Access,
		Webhooks: a.Webhooks, Mail: a.Mail, MailOut: a.MailOut, SLA: a.SLA, Assign: a.Assign, Automations: a.Automate, Reports: a.Reports,
		Views: a.Views, Accounts: a.Accounts, AccountReports: a.AccountReports, Digests: a.Digests, NPS: a.NPS, KBLimit: a.kbLimit,
		CSAT:    a.CSAT,
		Quality: a.Quality, Tasks: teamtask.NewService(a.DB, a.Tickets, a.Clock), Training: a.Training, FullText: a.Search, Portal: customerPortal, KB: a.KB,
		Audit: a.Audit, Notifications: a.DB, Idempotency: a.DB, RateLimit: a.Limiter,
		Blobs: blobs, Bus: a.Bus, DB: a.DB, Clock: a.Clock, Catalog: catalog, Registry: reg,
		SecureCookies: a.Config.SecureCookies, BodyTimeout: a.Config.BodyTimeout})
	return err
}

// collectBlobs has the queue delete, every hour, the attachment files no
// row references (uploads refused after their files arrived, messages
// deleted with their ticket).
func collectBlobs(q *jobs.Queue, blobs *blob.Store, refs blob.Referencer, clock desk.Clock, log *slog.Logger) error {
	err := jobs.AddWorker(q, func(ctx context.Context, _ blob.CollectArgs) error {
		n, err := blobs.Collect(ctx, refs, clock.Now(), blob.Grace)
		if n > 0 {
			log.InfoContext(ctx, "collected unreferenced attachment files", slog.Int("files", n))
		}
		return err
	}, jobs.MaxAttempts(3))
	if err != nil {
		return err
	}
	return jobs.Every(q, blob.Grace, blob.CollectArgs{})
}

// nodeName names this process in the IMAP pollers' leases: the host and
// a random part, so that two processes on one host differ.
func nodeName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "/" + hex.EncodeToString(b[:])
}

// Close releases the database handles.
func (a *App) Close() {
	if a.Queue != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = a.Queue.Stop(ctx)
		cancel()
	}
	if a.jobsDB != nil {
		a.jobsDB.Close()
	}
	a.DB.Close()
}

// SystemContext returns ctx acting as the system (for CLI commands).
func SystemContext(ctx context.Context) context.Context {
	return desk.WithActor(ctx, desk.System)
}

// EnsureAdmin creates admin@localhost with a random password on an empty
// database and prints the password once to out.
func (a *App) EnsureAdmin(ctx context.Context, out io.Writer) error {
	return EnsureAdmin(ctx, a.DB, a.People, out)
}

// EnsureAdmin is App.EnsureAdmin for commands that open the store alone.
func EnsureAdmin(ctx context.Context, db *store.DB, ppl *people.Service, out io.Writer) error {
	n, err := db.CountAgents(ctx)
	if err != nil || n > 0 {
		return err
	}
	pw, err := auth.GeneratePassword()
	if err != nil {
		return err
	}
	email, name, role := "admin@localhost", "Administrator", auth.RoleAdmin
	if _, err := ppl.CreateAgent(SystemContext(ctx), people.AgentInput{Email: &email, Name: &name, Role: &role,
		Password: &pw}, auth.HashPassword); err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	fmt.Fprintf(out, "\nFirst start: created the admin account.\n  email:    %s\n  password: %s\n"+
		"This password is shown once. Sign in and keep it safe.\n\n", email, pw)
	return nil
}

// Serve runs the job queue, the notifier and the HTTP server on ln until ctx
// ends, then shuts the server down gracefully; Close stops the queue.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := a.Queue.Start(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		a.Notifier.Run(ctx)
	}()
	if a.Relay != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.Relay.Run(ctx)
		}()
	}
	if a.Shared != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.Shared.Run(ctx)
		}()
	}
	if a.Limiter != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.Limiter.Run(ctx, time.Second)
		}()
	}
	for _, l := range a.portalLimits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Run(ctx, time.Second)
		}()
	}
	go func() {
		defer wg.Done()
		a.Webhooks.Run(ctx)
	}()
	wg.Add(2)
	go func() {
		defer wg.Done()
		a.MailOut.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		a.Poller.Run(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Mail.Run(ctx)
		a.Assign.Run(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Automate.Run(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Accounts.Run(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Accounts.RunSuggestions(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.SLA.Run(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Reports.Run(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Indexer.Run(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.CSAT.Run(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Article views are counted in memory and written every few
		// seconds (and once more at shutdown): see kb.ViewCounter.
		a.KB.Views().Run(ctx, 5*time.Second, a.Log)
	}()
	if n, err := raiseOpenFiles(); err != nil {
		a.Log.Warn("open files limit", slog.Any("err", err))
	} else if n > 0 {
		a.Log.Debug("open files limit", slog.Uint64("limit", n))
	}
	perClient := a.Config.MaxConnsPerClient
	if perClient == 0 {
		perClient = DefaultMaxConnsPerClient
	}
	ln = limitPerClient(ln, perClient)
	srv := &http.Server{Handler: a.Web, ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: idleTimeout,
		MaxHeaderBytes: maxHeaderBytes, ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	srv.RegisterOnShutdown(a.Web.CloseStreams)
	errc := make(chan error, 3)
	go func() { errc <- srv.Serve(ln) }()
	var ops *http.Server
	if a.Config.OpsAddr != "" {
		oln, err := net.Listen("tcp", a.Config.OpsAddr)
		if err != nil {
			_ = srv.Close()
			return fmt.Errorf("listen on the operations address: %w", err)
		}
		a.Log.Info("operations address", slog.String("url", "http://"+oln.Addr().String()+"/metrics"))
		ops = &http.Server{Handler: a.Web.OpsHandler(), ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: idleTimeout,
			MaxHeaderBytes: maxHeaderBytes, ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
		go func() { errc <- ops.Serve(oln) }()
	}
	var smtpd *email.Receiver
	if a.Config.SMTPAddr != "" {
		sln, err := net.Listen("tcp", a.Config.SMTPAddr)
		if err != nil {
			_ = srv.Close()
			return fmt.Errorf("listen on the SMTP address: %w", err)
		}
		a.Log.Info("SMTP receiver", slog.String("addr", sln.Addr().String()))
		smtpd = a.Mail.NewReceiver("sahayak")
		go func() { errc <- smtpd.Serve(sln) }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shut, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	// Live-update streams never end by themselves; closing idle and active
	// connections after the grace period is expected.
	_ = srv.Shutdown(shut)
	if ops != nil {
		_ = ops.Shutdown(shut)
	}
	if smtpd != nil {
		_ = smtpd.Shutdown(shut)
	}
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// minLevel drops records below min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(a), min: h.min}
}

func (h minLevel) WithGroup(n string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(n), min: h.min}
}

// Sign-in links the portal mails, per minute: for one address, and asked
// from one client address.
const (
	portalLinksPerAddress = 5
	portalLinksPerClient  = 30
)

// publicURL is where customers reach the desk: PublicURL, else the listen
// address over plain HTTP (right for a desk tried on one machine).
func (c Config) publicURL() string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	return "http://" + c.Addr
}
