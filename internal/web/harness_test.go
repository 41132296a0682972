package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/sahayak/sahayak/internal/assign"
	"github.com/sahayak/sahayak/internal/automation"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

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
	"github.com/sahayak/sahayak/internal/nps"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/search"
	"github.com/sahayak/sahayak/internal/sla"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/teamtask"
	"github.com/sahayak/sahayak/internal/ticket"
	"github.com/sahayak/sahayak/internal/training"
	"github.com/sahayak/sahayak/internal/web"
	"github.com/sahayak/sahayak/internal/webhook"
)

// testDesk is the help desk every API test runs against: a migrated database of
// one backend, the services wired as internal/app wires them, a served
// web.Server, and a cast of agents in teams of every tier, each with an API
// token.
//
//	Tier 1 "Frontline": lead lena (team_lead), members ravi (agent)
//	Tier 2 "Specialists": lead tara (team_lead), members meera (agent)
//	Tier 3 "Engineering": lead uday (team_lead)
//	outside teams: sunil (supervisor), asha (account_executive), ada (admin)
type testDesk struct {
	t       *testing.T
	backend string
	DB      *store.DB
	Tickets *ticket.Service
	People  *people.Service
	Access  *access.Service
	Mail    *email.Service
	SLA     *sla.Service
	Reports *report.Service
	// Accounts keeps account health; tests run its consumer by hand.
	Accounts *account.Service
	Bus      *event.Bus
	Queue    *jobs.Queue // not started: tests see what was enqueued
	Server   *web.Server
	URL      string
	BlobDir  string // where attachments are stored
	MailOut  *email.Sender
	CSAT     *csat.Service

	Agents map[string]*people.Agent // by first name
	Tokens map[string]string        // API token by first name
	Teams  map[int]*people.Team     // by tier
}

// roleOf names the built-in role of each cast member.
var cast = []struct{ name, role string }{
	{"ada", auth.RoleAdmin},
	{"sunil", auth.RoleSupervisor},
	{"asha", auth.RoleAccountExecutive},
	{"lena", auth.RoleTeamLead},
	{"tara", auth.RoleTeamLead},
	{"uday", auth.RoleTeamLead},
	{"ravi", auth.RoleAgent},
	{"meera", auth.RoleAgent},
}

// someoneWithRole is one cast member per built-in role.
var someoneWithRole = map[string]string{
	auth.RoleAdmin: "ada", auth.RoleSupervisor: "sunil", auth.RoleAccountExecutive: "asha",
	auth.RoleTeamLead: "tara", auth.RoleAgent: "ravi",
}

// system is a context acting as Sahayak itself, for setting up fixtures.
func system() context.Context { return desk.WithActor(context.Background(), desk.System) }

// eachBackend runs fn in parallel subtests, one per backend, each with a
// fresh help desk.
func eachBackend(t *testing.T, fn func(t *testing.T, d *testDesk)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, newDesk(t, b, nil))
		})
	}
}

// newDesk builds a help desk on a fresh database of backend b. passwords,
// when given, sets sign-in passwords for some cast members (hashing is slow
// on purpose, so only tests that sign in pay for it).
func newDesk(t testing.TB, b storetest.Backend, passwords map[string]string) *testDesk {
	t.Helper()
	db := storetest.Open(t, b)
	clock := desk.SystemClock{}
	bus := event.NewBus()
	d := &testDesk{backend: b.Name, DB: db, Bus: bus, BlobDir: t.TempDir(),
		Tickets: ticket.NewService(db, db, bus, clock),
		People:  people.NewService(db, clock),
		Access:  access.NewService(db, clock),
		Agents:  map[string]*people.Agent{}, Tokens: map[string]string{}, Teams: map[int]*people.Team{},
	}
	d.t, _ = t.(*testing.T) // nil in a benchmark, which calls no helper that needs it
	// As in internal/app: API tokens resolve through the cache, so every
	// scenario below also proves that changes to people reach it at once.
	d.Access.CacheTokens(d.People.Version, time.Minute)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d.Queue = storetest.Queue(t, db, jobs.Config{Logger: log})
	hooks, err := webhook.New(db, d.Queue, bus, clock, log, webhook.Config{})
	if err != nil {
		t.Fatal(err)
	}
	d.SLA = sla.New(db, d.Tickets, bus, clock, log, sla.Config{})
	d.Tickets.KeepSLA(d.SLA)
	d.Reports = report.New(db, d.SLA, bus, clock, log)
	d.Accounts = account.New(db, bus, clock, log)
	d.Mail = email.New(db, d.Tickets, blob.New(d.BlobDir), clock, log, email.Config{})
	if d.MailOut, err = email.NewSender(db, blob.New(d.BlobDir), d.Queue, bus, clock, log, email.SenderConfig{}); err != nil {
		t.Fatal(err)
	}
	d.Accounts.SendMail(account.Mail{Sender: d.MailOut, T: i18n.Builtin().T, PublicURL: "https://help.desk.test"})
	d.CSAT = csat.New(db, d.MailOut, bus, clock, log, i18n.Builtin().T, csat.Config{PublicURL: "https://help.desk.test"})
	qualitySvc := quality.NewService(db, d.Tickets, clock)
	srv, err := web.New(web.Deps{Log: log, Tickets: d.Tickets, People: d.People, Access: d.Access,
		Webhooks: hooks, Mail: d.Mail, MailOut: d.MailOut, SLA: d.SLA, Assign: assign.NewService(db, d.Tickets, bus, clock, log, assign.Config{}),
		CSAT:        d.CSAT,
		Automations: automation.NewService(db, d.Tickets, hooks, bus, clock, log), Audit: audit.NewRecorder(db, clock),
		Accounts:       d.Accounts,
		AccountReports: accountreport.New(db, d.Reports, d.MailOut, clock, log, i18n.Builtin().T, "https://help.desk.test"),
		Digests:        digest.New(db, d.Reports, d.Access, d.MailOut, clock, log, i18n.Builtin().T, "https://help.desk.test"),
		NPS:            nps.New(db, d.MailOut, clock, log, i18n.Builtin().T, nps.Config{PublicURL: "https://help.desk.test"}),
		Quality:        qualitySvc,
		Tasks:          teamtask.NewService(db, d.Tickets, clock),
		Training: training.NewService(db, training.FactSources{KPIs: training.ReportKPIs(d.Reports), QA: db.QAScores,
			Coaching: training.QualityCoaching(qualitySvc)}, clock),
		Notifications: db, Idempotency: db, Blobs: blob.New(d.BlobDir), Reports: d.Reports, FullText: search.NewService(db),
		Bus: bus, DB: db, Clock: clock, LoginLimit: 1000})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	d.Server = srv
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	t.Cleanup(srv.CloseStreams)
	d.URL = hs.URL

	ctx := system()
	for _, c := range cast {
		email, name, role := c.name+"@desk.test", strings.ToUpper(c.name[:1])+c.name[1:], c.role
		in := people.AgentInput{Email: &email, Name: &name, Role: &role}
		if pw, ok := passwords[c.name]; ok {
			in.Password = &pw
		}
		a, err := d.People.CreateAgent(ctx, in, auth.HashPassword)
		if err != nil {
			t.Fatalf("create agent %s: %v", c.name, err)
		}
		d.Agents[c.name] = a
		secret, _, err := d.Access.CreateToken(ctx, a.ID, "tests")
		if err != nil {
			t.Fatalf("token for %s: %v", c.name, err)
		}
		d.Tokens[c.name] = secret
	}
	for tier, tm := range map[int]struct {
		name, lead string
		members    []string
	}{
		1: {"Frontline", "lena", []string{"ravi"}},
		2: {"Specialists", "tara", []string{"meera"}},
		3: {"Engineering", "uday", nil},
	} {
		ids := []int64{}
		for _, m := range tm.members {
			ids = append(ids, d.Agents[m].ID)
		}
		name, tr, lead := tm.name, tier, d.Agents[tm.lead].ID
		team, err := d.People.CreateTeam(ctx, people.TeamInput{Name: &name, Tier: &tr, LeadID: &lead, MemberIDs: &ids})
		if err != nil {
			t.Fatalf("create team %s: %v", name, err)
		}
		d.Teams[tier] = team
	}
	return d
}

// id formats an id for a path.
func id(n int64) string { return strconv.FormatInt(n, 10) }

// response is a decoded answer.
type response struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   any
}

// get returns the value at a dotted path ("requester.email",
// "tickets.0.id", "error.fields.subject"); "#" as the last element gives a
// list's length.
func (r response) get(path string) any {
	return lookup(r.JSON, path)
}

func lookup(v any, path string) any {
	if path == "" {
		return v
	}
	for _, key := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[key]
		case []any:
			if key == "#" {
				return len(x)
			}
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// str returns the value at path as a string ("" when absent).
func (r response) str(path string) string {
	v := r.get(path)
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// id returns the number at path as an id.
func (r response) id(path string) int64 {
	f, _ := r.get(path).(float64)
	return int64(f)
}

// errorCode is the code of the JSON error shape.
func (r response) errorCode() string { return r.str("error.code") }

// call sends a request as the named cast member ("" for nobody). body may
// be nil, a string or []byte (sent as is), or anything else (sent as JSON).
func (d *testDesk) call(method, path, as string, body any) response {
	d.t.Helper()
	h := http.Header{}
	if as != "" {
		h.Set("Authorization", "Bearer "+d.Tokens[as])
	}
	return d.send(method, path, h, body)
}

func (d *testDesk) send(method, path string, h http.Header, body any) response {
	d.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			d.t.Fatalf("marshal body: %v", err)
		}
		raw = j
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, d.URL+path, rd)
	if err != nil {
		d.t.Fatalf("request %s %s: %v", method, path, err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		d.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		d.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	checkContract(d.t, req, raw, res, got)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: got}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(got) > 0 {
		if err := json.Unmarshal(got, &out.JSON); err != nil {
			d.t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, path, err, got)
		}
	}
	return out
}

// noRedirects lets tests see redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// mustCall sends a request and fails the test unless the status is want.
func (d *testDesk) mustCall(want int, method, path, as string, body any) response {
	d.t.Helper()
	r := d.call(method, path, as, body)
	if r.Status != want {
		d.t.Fatalf("%s %s as %s: status %d, want %d\n%s", method, path, as, r.Status, want, r.Raw)
	}
	return r
}

// mustCreateTicket opens a ticket through the API as the named cast member;
// extra fields are merged into a minimal valid body.
func (d *testDesk) mustCreateTicket(as string, extra map[string]any) response {
	d.t.Helper()
	body := map[string]any{"subject": "Printer on fire", "body": "It smokes.",
		"requester": map[string]any{"email": "kavya@customer.test", "name": "Kavya"}}
	for k, v := range extra {
		body[k] = v
	}
	return d.mustCall(http.StatusCreated, "POST", "/api/v1/tickets", as, body)
}

// ticket reads a ticket as the admin.
func (d *testDesk) ticket(ticketID int64) response {
	d.t.Helper()
	return d.mustCall(http.StatusOK, "GET", "/api/v1/tickets/"+id(ticketID), "ada", nil)
}

// check is one expectation on a JSON answer: the value at Path must print
// as Want (numbers print without a fraction: 3, not 3.0).
type check struct {
	Path string
	Want any
}

func assertChecks(t *testing.T, r response, checks []check) {
	t.Helper()
	for _, c := range checks {
		got := r.get(c.Path)
		if !sameValue(got, c.Want) {
			t.Errorf("%s = %v, want %v\n%s", c.Path, got, c.Want, r.Raw)
		}
	}
}

func sameValue(got, want any) bool {
	if want == nil {
		return got == nil
	}
	if got == nil {
		return false
	}
	return fmt.Sprint(got) == fmt.Sprint(want)
}

// scenario is one request and what must come of it, read like the spec.
type scenario struct {
	name       string
	method     string
	path       string
	as         string // cast member; "" for no credentials
	body       any
	wantStatus int
	wantCode   string  // error code of the JSON error shape
	want       []check // fields of the answer
	// after re-reads state, e.g. to prove that nothing was half-written.
	after func(t *testing.T, d *testDesk)
}

// run plays the scenarios in order (they may build on each other).
func (d *testDesk) run(scenarios []scenario) {
	d.t.Helper()
	for _, sc := range scenarios {
		d.t.Run(sc.name, func(t *testing.T) {
			dd := *d
			dd.t = t
			r := dd.call(sc.method, sc.path, sc.as, sc.body)
			if r.Status != sc.wantStatus {
				t.Fatalf("%s %s: status %d, want %d\n%s", sc.method, sc.path, r.Status, sc.wantStatus, r.Raw)
			}
			if sc.wantCode != "" && r.errorCode() != sc.wantCode {
				t.Errorf("error code %q, want %q\n%s", r.errorCode(), sc.wantCode, r.Raw)
			}
			if r.Status >= 400 && r.errorCode() == "" {
				t.Errorf("an error without the JSON error shape:\n%s", r.Raw)
			}
			assertChecks(t, r, sc.want)
			if sc.after != nil {
				sc.after(t, &dd)
			}
		})
	}
}

// isStream tells the routes that answer with a Server-Sent Events stream,
// which never ends by itself: tests that walk every route must not wait for
// their body.
func isStream(path string) bool {
	return path == "/events" || strings.HasSuffix(path, "/stream")
}
