package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/notify"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
	"github.com/sahayak/sahayak/internal/webhook"
)

// waitFor bounds every wait; passing runs take a fraction of it.
const waitFor = 20 * time.Second

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func ptr[T any](v T) *T { return &v }

// env is a help desk with a started job queue that retries within
// milliseconds, and the webhook service delivering from the events table.
type env struct {
	t        *testing.T
	db       *store.DB
	bus      *event.Bus
	tickets  *ticket.Service
	people   *people.Service
	hooks    *webhook.Service
	notifier *notify.Notifier
	sys      context.Context
	admin    context.Context
	adminID  int64
}

func newEnv(t *testing.T, b storetest.Backend, cfg webhook.Config) *env {
	db := storetest.Open(t, b)
	bus := event.NewBus()
	clock := desk.SystemClock{}
	ctx, cancel := context.WithCancel(context.Background())
	q := storetest.Queue(t, db, jobs.Config{Logger: quiet, PollInterval: 20 * time.Millisecond, MaxWorkers: 4,
		RetryBackoff: func(int) time.Duration { return 30 * time.Millisecond }})
	var err error
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 1000
	}
	cfg.Poll = 20 * time.Millisecond
	e := &env{t: t, db: db, bus: bus, tickets: ticket.NewService(db, db, bus, clock), people: people.NewService(db, clock),
		sys: desk.WithActor(context.Background(), desk.System)}
	if e.hooks, err = webhook.New(db, q, bus, clock, quiet, cfg); err != nil {
		t.Fatal(err)
	}
	if e.notifier, err = notify.New(db, q, bus, clock, quiet); err != nil {
		t.Fatal(err)
	}
	admin, err := e.people.CreateAgent(e.sys, people.AgentInput{Email: ptr("root@desk.test"), Name: ptr("Root"),
		Role: ptr(auth.RoleAdmin)}, auth.HashPassword)
	if err != nil {
		t.Fatal(err)
	}
	actor, err := access.NewService(db, clock).ActorFor(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	e.admin, e.adminID = desk.WithActor(context.Background(), actor), admin.ID
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); e.hooks.Run(ctx) }()
	go func() { defer wg.Done(); e.notifier.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return e
}

// receipt is one request the receiver got.
type receipt struct {
	header http.Header
	body   []byte
}

// receiver is a real HTTP server on 127.0.0.1 whose behaviour a test
// switches: down (connection refused), 503, or up.
type receiver struct {
	t    *testing.T
	addr string

	mu       sync.Mutex
	srv      *http.Server
	status   int            // what to answer while up
	got      []receipt      // every request, in arrival order
	firstOK  map[int64]bool // event ids answered 200 at least once
	failOnce map[int64]bool // event ids to answer 500 once after reading them (a lost answer)
	byID     map[int64]json.RawMessage
}

func newReceiver(t *testing.T) *receiver {
	// Take a free port and let it go: until start, connections are refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, addr: ln.Addr().String(), status: http.StatusOK, firstOK: map[int64]bool{},
		failOnce: map[int64]bool{}, byID: map[int64]json.RawMessage{}}
	ln.Close()
	t.Cleanup(r.stop)
	return r
}

func (r *receiver) url() string { return "http://" + r.addr + "/hooks/sahayak" }

func (r *receiver) start(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
	if r.srv != nil {
		return
	}
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve)}
	go r.srv.Serve(ln)
}

func (r *receiver) stop() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id, _ := strconv.ParseInt(req.Header.Get(webhook.EventIDHeader), 10, 64)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, receipt{header: req.Header.Clone(), body: body})
	status := r.status
	if status == http.StatusOK && r.failOnce[id] {
		delete(r.failOnce, id)
		status = http.StatusInternalServerError
	}
	if status == http.StatusOK {
		r.firstOK[id] = true
	}
	w.WriteHeader(status)
}

func (r *receiver) received() []receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// waitUntil polls cond until it holds or the test's patience ends.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) deliveries(id int64) []*webhook.Delivery {
	e.t.Helper()
	list, err := e.db.Deliveries(context.Background(), id, 0, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// publicEvents returns the ids of every event a "*" webhook is sent.
func (e *env) publicEvents(after int64) []int64 {
	e.t.Helper()
	evs, err := e.db.EventsAfter(context.Background(), after, 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	out := []int64{}
	for _, ev := range evs {
		if slices.Contains(event.Public, ev.Kind) {
			out = append(out, ev.ID)
		}
	}
	return out
}

func TestEveryEventReachesAReceiverThatWasDownForAWhile(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := newEnv(t, b, webhook.Config{Timeout: 2 * time.Second})
		rcv := newReceiver(t)
		hook, secret, err := e.hooks.Create(e.admin, webhook.Input{URL: ptr(rcv.url()), Events: &[]string{"*"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(secret) < 40 || hook.Secret != secret {
			t.Fatalf("secret %q", secret)
		}
		from, _ := e.db.LastEventID(context.Background())

		// Down: the port refuses connections while the desk goes on working.
		for i := range 5 {
			tk, err := e.tickets.Create(e.sys, ticket.NewTicket{Subject: "Refund " + strconv.Itoa(i), Body: "Please",
				Requester: ticket.Person{Email: "asha" + strconv.Itoa(i) + "@customer.test"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.tickets.Update(e.sys, tk.ID, ticket.Patch{Priority: ptr("high")}); err != nil {
				t.Fatal(err)
			}
		}
		waitUntil(t, "refused attempts are logged", func() bool { return len(e.deliveries(hook.ID)) >= 10 })

		// Back but overloaded: 503 for a while.
		rcv.start(http.StatusServiceUnavailable)
		if _, err := e.people.CreateContact(e.sys, people.ContactInput{Name: ptr("Bala"), Emails: &[]string{"bala@other.test"}}); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "503 attempts are logged", func() bool {
			return slices.ContainsFunc(e.deliveries(hook.ID), func(d *webhook.Delivery) bool { return d.StatusCode == 503 })
		})

		// Up, but the first answer for some events is lost (500 after
		// reading them), so those arrive twice.
		seen := e.publicEvents(from)
		rcv.mu.Lock()
		rcv.failOnce[seen[0]], rcv.failOnce[seen[3]] = true, true
		rcv.mu.Unlock()
		rcv.start(http.StatusOK)
		// On PostgreSQL an event is read once older transactions have
		// ended, so what to expect is read again until the last one shows.
		var want []int64
		waitUntil(t, "every event is answered 200", func() bool {
			want = e.publicEvents(from)
			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			for _, id := range want {
				if !rcv.firstOK[id] {
					return false
				}
			}
			last, err := e.db.Event(context.Background(), want[len(want)-1])
			return err == nil && last.Kind == event.ContactCreated
		})

		first := map[int64][]byte{}
		for _, r := range rcv.received() {
			if err := webhook.Verify(secret, r.header.Get(webhook.SignatureHeader), r.body, time.Now(), 5*time.Minute); err != nil {
				t.Fatalf("signature: %v", err)
			}
			if webhook.Verify("whsec_wrong", r.header.Get(webhook.SignatureHeader), r.body, time.Now(), 5*time.Minute) == nil {
				t.Fatal("a wrong secret verifies")
			}
			var p webhook.Payload
			if err := json.Unmarshal(r.body, &p); err != nil {
				t.Fatal(err)
			}
			if strconv.FormatInt(p.ID, 10) != r.header.Get(webhook.EventIDHeader) || p.Type != r.header.Get(webhook.EventTypeHeader) {
				t.Fatalf("payload %d %s, headers %v", p.ID, p.Type, r.header)
			}
			if prev, dup := first[p.ID]; dup && string(prev) != string(r.body) {
				t.Fatalf("event %d sent twice with different bodies:\n%s\n%s", p.ID, prev, r.body)
			}
			first[p.ID] = r.body
		}
		got := []int64{}
		for id := range first {
			got = append(got, id)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("received events %v\nwant            %v", got, want)
		}
		var contact webhook.Payload
		_ = json.Unmarshal(first[want[len(want)-1]], &contact)
		if contact.Type != event.ContactCreated || contact.TicketID != nil || contact.Actor.Kind != desk.ActorSystem {
			t.Fatalf("last payload %s", first[want[len(want)-1]])
		}

		// The log shows refusals, 503s and successes, attempts counted per event.
		log := e.deliveries(hook.ID)
		var refused, unavailable, ok bool
		attempts := map[int64][]int{}
		for _, d := range slices.Backward(log) {
			refused = refused || (d.StatusCode == 0 && d.Error != "" && !d.OK)
			unavailable = unavailable || (d.StatusCode == 503 && !d.OK)
			ok = ok || (d.StatusCode == 200 && d.OK && d.Error == "")
			attempts[d.EventID] = append(attempts[d.EventID], d.Attempt)
		}
		if !refused || !unavailable || !ok {
			t.Fatalf("log lacks a refusal (%v), a 503 (%v) or a success (%v)", refused, unavailable, ok)
		}
		for id, a := range attempts {
			for i, n := range a {
				if n != i+1 {
					t.Fatalf("event %d attempts %v", id, a)
				}
			}
		}
		h, _ := e.hooks.Get(e.admin, hook.ID)
		if !h.Active || h.Failures != 0 || h.FailingSince != nil {
			t.Fatalf("after recovery: %+v", h)
		}
	})
}

func TestReplaySendsTheSameEventAgain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := newEnv(t, b, webhook.Config{})
		rcv := newReceiver(t)
		rcv.start(http.StatusOK)
		hook, _, err := e.hooks.Create(e.admin, webhook.Input{URL: ptr(rcv.url()), Events: &[]string{event.ContactCreated}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.people.CreateOrganization(e.sys, people.OrganizationInput{Name: ptr("Acme")}); err != nil {
			t.Fatal(err)
		}
		c, err := e.people.CreateContact(e.sys, people.ContactInput{Name: ptr("Bala"), Emails: &[]string{"bala@other.test"}})
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the contact is delivered", func() bool { return len(e.deliveries(hook.ID)) == 1 })
		d := e.deliveries(hook.ID)[0]
		if d.EventType != event.ContactCreated || d.Attempt != 1 || !d.OK {
			t.Fatalf("delivery %+v", d)
		}
		if err := e.hooks.Replay(e.admin, hook.ID, d.ID); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the replay is delivered", func() bool { return len(e.deliveries(hook.ID)) == 2 })
		r := e.deliveries(hook.ID)[0]
		if !r.Replay || r.Attempt != 2 || r.EventID != d.EventID || !r.OK {
			t.Fatalf("replay %+v", r)
		}
		got := rcv.received()
		if len(got) != 2 || string(got[0].body) != string(got[1].body) {
			t.Fatalf("receiver got %d requests", len(got))
		}
		var p struct{ Data people.Contact }
		_ = json.Unmarshal(got[0].body, &p)
		if p.Data.ID != c.ID {
			t.Fatalf("payload data %s", got[0].body)
		}
		if err := e.hooks.Replay(e.admin, hook.ID+1, d.ID); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Fatalf("replay through another webhook: %v", err)
		}
	})
}

func TestAWebhookThatKeepsFailingIsTurnedOffAndAdminsAreTold(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := newEnv(t, b, webhook.Config{DisableAfter: 3, DisableWindow: time.Millisecond})
		rcv := newReceiver(t)
		rcv.start(http.StatusInternalServerError)
		hook, _, err := e.hooks.Create(e.admin, webhook.Input{URL: ptr(rcv.url()), Events: &[]string{"*"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.people.CreateContact(e.sys, people.ContactInput{Name: ptr("Bala")}); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the webhook is turned off", func() bool {
			h, err := e.db.Webhook(context.Background(), hook.ID)
			return err == nil && !h.Active
		})
		h, _ := e.hooks.Get(e.admin, hook.ID)
		if h.DisabledReason != "failing" || h.Failures < 3 {
			t.Fatalf("disabled webhook %+v", h)
		}
		n := len(e.deliveries(hook.ID))
		entries, err := e.db.AuditEntries(context.Background(), audit.Filter{Action: audit.WebhookDisabled, Limit: 5})
		if err != nil || len(entries) != 1 || entries[0].ActorKind != desk.ActorSystem || entries[0].TargetID != hook.ID {
			t.Fatalf("audit %+v %v", entries, err)
		}
		// The admins hear of it through the notifier.
		waitUntil(t, "the admin is notified", func() bool {
			list, _ := e.db.Notifications(context.Background(), e.adminID, 10)
			return len(list) == 1 && list[0].Kind == notify.KindWebhookDisabled && list[0].Body == rcv.url()
		})
		// Nothing more is attempted while it is off...
		time.Sleep(200 * time.Millisecond)
		if got := len(e.deliveries(hook.ID)); got != n {
			t.Fatalf("%d attempts after disabling, want %d", got, n)
		}
		if err := e.hooks.Replay(e.admin, hook.ID, e.deliveries(hook.ID)[0].ID); desk.ErrorCode(err) != desk.EUNPROCESSABLE {
			t.Fatalf("replay on a disabled webhook: %v", err)
		}
		// ...until an admin turns it back on, which starts a new streak.
		rcv.start(http.StatusOK)
		on, _, err := e.hooks.Update(e.admin, hook.ID, webhook.Input{Active: ptr(true)})
		if err != nil || !on.Active || on.Failures != 0 || on.FailingSince != nil || on.DisabledReason != "" {
			t.Fatalf("re-enabled: %+v %v", on, err)
		}
		if _, err := e.people.CreateContact(e.sys, people.ContactInput{Name: ptr("Chitra")}); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "a new event is delivered", func() bool { return e.deliveries(hook.ID)[0].OK })
	})
}

func TestWebhookInputIsChecked(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		e := newEnv(t, b, webhook.Config{})
		for _, tc := range []struct {
			name   string
			in     webhook.Input
			fields []string
		}{
			{"no url or events", webhook.Input{}, []string{"url", "events"}},
			{"ftp", webhook.Input{URL: ptr("ftp://example.test/x"), Events: &[]string{"*"}}, []string{"url"}},
			{"relative", webhook.Input{URL: ptr("/hooks"), Events: &[]string{"*"}}, []string{"url"}},
			{"credentials", webhook.Input{URL: ptr("https://u:p@example.test/"), Events: &[]string{"*"}}, []string{"url"}},
			{"javascript", webhook.Input{URL: ptr("javascript:alert(1)"), Events: &[]string{"*"}}, []string{"url"}},
			{"unknown kind", webhook.Input{URL: ptr("https://example.test/"), Events: &[]string{"ticket.exploded"}}, []string{"events"}},
			{"presence is not an event", webhook.Input{URL: ptr("https://example.test/"), Events: &[]string{"notification.added"}}, []string{"events"}},
		} {
			_, _, err := e.hooks.Create(e.admin, tc.in)
			var de *desk.Error
			if !errors.As(err, &de) || de.Code != desk.EINVALID {
				t.Fatalf("%s: %v", tc.name, err)
			}
			for _, f := range tc.fields {
				if _, ok := de.Fields[f]; !ok {
					t.Errorf("%s: no message for %s in %v", tc.name, f, de.Fields)
				}
			}
		}
		if list, _ := e.hooks.List(e.admin); len(list) != 0 {
			t.Fatalf("refused input stored %d webhooks", len(list))
		}
		agentCtx := desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorAgent, ID: 99, Permissions: []string{auth.TicketsRead}})
		if _, err := e.hooks.List(agentCtx); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Fatalf("an agent lists webhooks: %v", err)
		}
	})
}
