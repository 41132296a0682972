// Command sahayak is the Sahayak help desk: one binary that serves the agent
// app and the API, migrates the database, manages admins and API tokens, and
// seeds demo or synthetic data.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/people"
)

const usage = `Usage: sahayak [command] [flags]

Commands:
  serve     serve the help desk (the default)
  migrate   bring the database schema up to date
  admin     admin create --email E --name N --role R   (password read from stdin)
  token     token create --email E [--name N] [--expires-in 90d]   (prints a new API token)
  seed      seed --demo | --tickets N
  mail      mail inject --mailbox ADDRESS [FILE...]   (a raw message from stdin, or each file)
            mail reparse [--mailbox ADDRESS]   (stored messages not on a ticket, again)
  report    report rebuild   (count every event into the report rollups again)
  search    search reindex [--keep]   (build the search index again, with a progress bar)
  load      load --url U [--url U2] --token T --scenario read|list|create|healthz [--check-events]
            (drive running servers; several --url are nodes of one desk)

Every command takes --data DIR (SAHAYAK_DATA_DIR, default ./sahayak-data) and
--database-url URL (SAHAYAK_DATABASE_URL; a postgres:// URL selects PostgreSQL).
serve also takes --addr (SAHAYAK_ADDR, default 127.0.0.1:8080), --database-conns N
(SAHAYAK_DATABASE_CONNS, default 16: the PostgreSQL pool of this node, or SQLite's readers) and --ops-addr
(SAHAYAK_OPS_ADDR, default off: where /metrics is served), --smtp-addr (SAHAYAK_SMTP_ADDR, default off: the
built-in SMTP receiver, e.g. 127.0.0.1:2525), --mail-max-size (bytes, default 25 MiB: 552 past it) and
--log-level (SAHAYAK_LOG_LEVEL, default info: one line per request; warn leaves those out).
Every command answers -h or --help with its flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sahayak:", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// envInt is env for a whole number; a value that is not one keeps def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// envDuration is env for a duration; a value that is not one keeps def.
func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

// commonFlags declares the flags every command shares.
func commonFlags(fs *flag.FlagSet, cfg *app.Config) {
	fs.StringVar(&cfg.DataDir, "data", env("SAHAYAK_DATA_DIR", "sahayak-data"), "data directory (SQLite file, attachments)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", env("SAHAYAK_DATABASE_URL", ""), "PostgreSQL URL; empty for embedded SQLite")
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprint(stdout, usage)
		return nil
	}
	err := runCommand(ctx, args, stdin, stdout, stderr)
	var help *helpRequested
	if errors.As(err, &help) {
		help.print(stdout)
		return nil
	}
	return err
}

// isHelp reports whether an argument asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

// helpRequested is what a command returns when asked for -h or --help: its
// usage goes to stdout and the command ends without error.
type helpRequested struct {
	fs *flag.FlagSet
}

// commandHelp says what each command does, above its flags in -h.
var commandHelp = map[string]string{
	"serve":          "Serve the help desk: the agent app and the API (the default command).",
	"migrate":        "Bring the database schema up to date.",
	"admin create":   "Create an agent (an admin unless --role says otherwise); the password is read from stdin.",
	"token create":   "Create an API token for an agent and print it once.",
	"seed":           "Fill the desk with demo data (--demo, English and Hindi) or N synthetic tickets (--tickets N).",
	"load":           "Drive running servers with a load scenario and report throughput and latency.",
	"backup":         "Write a backup archive of the database and attachments while the desk serves.",
	"restore":        "Restore a backup archive into an empty desk.",
	"mail inject":    "Take mail in without a mail server: each FILE (or stdin) is one message for the mailbox.",
	"mail reparse":   "Run stored messages through the parser again.",
	"report rebuild": "Count every event into the report rollups again, from the start (docs/METRICS.md).",
}

func (h *helpRequested) print(w io.Writer) {
	fmt.Fprintf(w, "Usage: sahayak %s [flags]\n\n", h.fs.Name())
	if about := commandHelp[h.fs.Name()]; about != "" {
		fmt.Fprintf(w, "%s\n\n", about)
	}
	fmt.Fprintln(w, "Flags:")
	h.fs.SetOutput(w)
	h.fs.PrintDefaults()
}

func (h *helpRequested) Error() string { return h.fs.Name() + ": help requested" }

// subcommand checks the word after admin or token: "create", or help.
func subcommand(name string, args []string) ([]string, error) {
	if len(args) > 0 && args[0] == "create" {
		return args[1:], nil
	}
	if len(args) == 0 || !isHelp(args[0]) {
		return nil, fmt.Errorf("%s: the only subcommand is create: sahayak %s create -h says how", name, name)
	}
	return []string{"-h"}, nil
}

func runCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	level := new(slog.LevelVar) // info, unless SAHAYAK_LOG_LEVEL or serve --log-level say otherwise
	if err := level.UnmarshalText([]byte(env("SAHAYAK_LOG_LEVEL", "info"))); err != nil {
		return fmt.Errorf("SAHAYAK_LOG_LEVEL must be debug, info, warn or error, got %q", os.Getenv("SAHAYAK_LOG_LEVEL"))
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, log, level)
	case "migrate":
		return migrate(ctx, args, stdout)
	case "admin":
		return admin(ctx, args, stdin, stdout, log)
	case "token":
		return token(ctx, args, stdout, log)
	case "seed":
		return seedCommand(ctx, args, stdout, log)
	case "load":
		return loadCommand(ctx, args, stdout)
	case "backup":
		return backupCommand(ctx, args, stdout, stderr)
	case "restore":
		return restoreCommand(ctx, args, stdout)
	case "mail":
		return mailCommand(ctx, args, stdin, stdout, log)
	case "report":
		return reportCommand(ctx, args, stdout, log)
	case "search":
		return searchCommand(ctx, args, stdout, stderr, log)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return &helpRequested{fs: fs}
	} else if err != nil {
		return fmt.Errorf("%s: %w (sahayak %s -h lists the flags)", fs.Name(), err, fs.Name())
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func serve(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger, level *slog.LevelVar) error {
	var cfg app.Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	fs.TextVar(level, "log-level", level, "least level logged: debug, info (a line per request), warn or error (SAHAYAK_LOG_LEVEL)")
	fs.StringVar(&cfg.Addr, "addr", env("SAHAYAK_ADDR", "127.0.0.1:8080"), "listen address")
	fs.StringVar(&cfg.PublicURL, "public-url", env("SAHAYAK_PUBLIC_URL", ""),
		"where customers reach the desk, for links in mail (default: http:// and --addr)")
	fs.StringVar(&cfg.OpsAddr, "ops-addr", env("SAHAYAK_OPS_ADDR", ""), "operations address for /metrics and /debug/pprof (empty: neither)")
	fs.StringVar(&cfg.SMTPAddr, "smtp-addr", env("SAHAYAK_SMTP_ADDR", ""), "address of the built-in SMTP receiver for the mailboxes (empty: none)")
	fs.Int64Var(&cfg.Mail.MaxSize, "mail-max-size", int64(envInt("SAHAYAK_MAIL_MAX_SIZE", 25<<20)), "largest inbound message in bytes")
	fs.IntVar(&cfg.MaxConnsPerClient, "max-conns-per-client", envInt("SAHAYAK_MAX_CONNS_PER_CLIENT", app.DefaultMaxConnsPerClient),
		"open connections one client address may hold (-1: no cap)")
	fs.DurationVar(&cfg.BodyTimeout, "body-timeout", envDuration("SAHAYAK_BODY_TIMEOUT", 30*time.Second),
		"how long a request body may take to arrive")
	fs.BoolVar(&cfg.SecureCookies, "secure-cookies", env("SAHAYAK_SECURE_COOKIES", "") == "true", "mark cookies Secure (serve behind TLS)")
	conns := env("SAHAYAK_DATABASE_CONNS", "0")
	fs.StringVar(&conns, "database-conns", conns, "database connections of this node (0: 16)")
	fs.IntVar(&cfg.APIRateLimit, "api-rate-limit", envInt("SAHAYAK_API_RATE_LIMIT", 6000), "API requests per token (or signed-in agent) per minute over all nodes; 0 for no limit")
	if err := parse(fs, args); err != nil {
		return err
	}
	var err error
	if cfg.DatabaseConns, err = strconv.Atoi(conns); err != nil || cfg.DatabaseConns < 0 {
		return fmt.Errorf("serve: --database-conns must be a number of connections, got %q", conns)
	}
	if os.Getenv("GOGC") == "" {
		// The live heap of a help desk is small and most garbage is per
		// request: collecting at 5× the live heap instead of 2× gave 10% more
		// reads per second on 2 cores (docs/PERFORMANCE.md). GOGC overrides.
		debug.SetGCPercent(400)
	}
	start := time.Now()
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.EnsureAdmin(ctx, stdout); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// Tests and scripts read this line to find the port when --addr ends in :0.
	fmt.Fprintf(stdout, "sahayak: serving on http://%s (%s, ready in %s)\n", ln.Addr(), a.DB.Dialect(),
		time.Since(start).Round(time.Millisecond))
	return a.Serve(ctx, ln)
}

func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	var cfg app.Config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := app.Migrate(ctx, cfg); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "sahayak: database is up to date")
	return nil
}

func admin(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, log *slog.Logger) error {
	args, err := subcommand("admin", args)
	if err != nil {
		return err
	}
	var cfg app.Config
	var email, name, role string
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	fs.StringVar(&email, "email", "", "email")
	fs.StringVar(&name, "name", "", "name")
	fs.StringVar(&role, "role", auth.RoleAdmin, "role")
	if err := parse(fs, args); err != nil {
		return err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("admin create: read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	ag, err := a.People.CreateAgent(app.SystemContext(ctx), people.AgentInput{Email: &email, Name: &name, Role: &role,
		Password: &password}, auth.HashPassword)
	if err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	fmt.Fprintf(stdout, "sahayak: created %s %s (id %d)\n", ag.Role, ag.Email, ag.ID)
	return nil
}

func token(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	args, err := subcommand("token", args)
	if err != nil {
		return err
	}
	var cfg app.Config
	var email, name, expiresIn string
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	fs.StringVar(&email, "email", "", "the agent's email")
	fs.StringVar(&name, "name", "cli", "a name to recognise the token by")
	fs.StringVar(&expiresIn, "expires-in", "", "lifetime: days (90d) or a Go duration (12h); empty never expires")
	if err := parse(fs, args); err != nil {
		return err
	}
	var expires *time.Time
	if expiresIn != "" {
		life, err := lifetime(expiresIn)
		if err != nil {
			return fmt.Errorf("token create: --expires-in: %w", err)
		}
		t := time.Now().Add(life)
		expires = &t
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	ag, err := a.DB.AgentByEmail(ctx, strings.TrimSpace(email))
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	secret, t, err := a.Access.CreateTokenUntil(ctx, ag.ID, name, expires)
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	if t.ExpiresAt != nil {
		fmt.Fprintf(stdout, "Expires %s.\n", t.ExpiresAt.Format(time.RFC3339))
	}
	fmt.Fprintf(stdout, "API token for %s (shown once):\n%s\n", ag.Email, secret)
	return nil
}

// lifetime reads "90d" as 90 days, and anything else as a Go duration.
func lifetime(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 1 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a lifetime like 90d or 12h", s)
	}
	return d, nil
}
