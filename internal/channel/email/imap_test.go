package email_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// imapBox is go-imap's in-memory server on loopback with one user.
type imapBox struct {
	host     string
	port     int
	user     *imapmemserver.User
	username string
	password string
}

// newIMAPServer serves on loopback: mode "tls" (TLS from the first
// byte), "starttls" or "none"; idle says whether it offers IDLE (IMAP4rev2)
// or only IMAP4rev1, so the poller falls back to polling.
func newIMAPServer(t testing.TB, mode string, idle bool, cfg *tls.Config) *imapBox {
	b := &imapBox{username: "desk", password: "imap-secret-pw"}
	mem := imapmemserver.New()
	b.user = imapmemserver.NewUser(b.username, b.password)
	if err := b.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(b.user)
	caps := imap.CapSet{imap.CapIMAP4rev1: {}}
	if idle {
		caps[imap.CapIMAP4rev2] = struct{}{}
	}
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         caps,
		InsecureAuth: mode == "none",
		Logger:       discardLogger{},
	}
	var ln net.Listener
	var err error
	if mode == "tls" {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", cfg)
	} else {
		if mode == "starttls" {
			opts.TLSConfig = cfg
		}
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := imapserver.New(opts)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	b.host = host
	b.port, _ = strconv.Atoi(port)
	return b
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

func (b *imapBox) deliver(t testing.TB, raw string) {
	t.Helper()
	raw = strings.ReplaceAll(raw, "\n", "\r\n")
	if _, err := b.user.Append("INBOX", bytes.NewReader([]byte(raw)), &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (b *imapBox) unseen(t testing.TB) int {
	t.Helper()
	st, err := b.user.Status("INBOX", &imap.StatusOptions{NumUnseen: true, NumMessages: true})
	if err != nil {
		t.Fatal(err)
	}
	return int(*st.NumUnseen)
}

func (b *imapBox) server(security string) email.Server {
	return email.Server{Host: b.host, Port: b.port, Security: security, Username: b.username, Password: b.password, Folder: "INBOX"}
}

func testMail(n int) string {
	return fmt.Sprintf("From: Priya <priya@customer.test>\nTo: support@desk.test\nSubject: Question %d\nMessage-ID: <q%d@customer.test>\nDate: Sun, 29 Nov 2026 04:00:00 +0000\n\nBody %d\n", n, n, n)
}

// recorder is an ingester that counts what it is handed by Message-ID,
// fails on request, and notices two calls at once for one mailbox.
type recorder struct {
	mu       sync.Mutex
	got      map[string]int
	by       map[string]string // message id -> poller owner
	inFlight atomic.Int32
	overlap  atomic.Bool
	fail     func(id string) bool
}

func newRecorder() *recorder { return &recorder{got: map[string]int{}, by: map[string]string{}} }

func (r *recorder) ingest(owner string) email.Ingester {
	return func(ctx context.Context, mb *email.Mailbox, raw []byte) error {
		if r.inFlight.Add(1) > 1 {
			r.overlap.Store(true)
		}
		defer r.inFlight.Add(-1)
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			return err
		}
		id := m.Header.Get("Message-Id")
		if r.fail != nil && r.fail(id) {
			return errors.New("refused by test")
		}
		time.Sleep(2 * time.Millisecond) // a commit takes time; widen any race
		r.mu.Lock()
		r.got[id]++
		r.by[id] = owner
		r.mu.Unlock()
		return nil
	}
}

func (r *recorder) count() (distinct, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.got {
		distinct++
		total += n
	}
	return
}

func imapMailbox(t *testing.T, db *store.DB, srv email.Server) *email.Mailbox {
	t.Helper()
	return addMailbox(t, db, &email.Mailbox{Address: "support@desk.test", IMAP: srv})
}

// A poll hands every unseen message to ingest and flags it \Seen only
// after ingest returned; a message ingest refuses stays unseen, with the
// trouble on the mailbox's status, and is taken on the next poll.
func TestIMAPPollFlagsOnlyAfterIngest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		srvTLS, cliTLS := selfSigned(t)
		for _, mode := range []string{email.SecurityTLS, email.SecurityStartTLS} {
			t.Run(mode, func(t *testing.T) {
				db := storetest.Open(t, b)
				box := newIMAPServer(t, mode, true, srvTLS)
				mb := imapMailbox(t, db, box.server(mode))
				for i := 1; i <= 3; i++ {
					box.deliver(t, testMail(i))
				}
				rec := newRecorder()
				rec.fail = func(id string) bool { return id == "<q2@customer.test>" }
				p := email.NewPoller(db, rec.ingest("n1"), desk.SystemClock{}, quiet, "n1", email.PollerConfig{TLS: cliTLS})
				ctx := context.Background()
				if held, err := p.PollOnce(ctx, mb.ID); !held || err == nil {
					t.Fatalf("poll with a refused message: held %v err %v", held, err)
				}
				if d, _ := rec.count(); d != 1 || box.unseen(t) != 2 {
					t.Fatalf("after a refused message: %d ingested, %d unseen", d, box.unseen(t))
				}
				st, _ := db.IMAPStatus(ctx, mb.ID)
				if st.Status != email.IMAPError || !strings.Contains(st.Detail, "refused by test") {
					t.Errorf("status %+v", st)
				}
				rec.fail = nil
				if _, err := p.PollOnce(ctx, mb.ID); err != nil {
					t.Fatal(err)
				}
				if d, total := rec.count(); d != 3 || total != 3 || box.unseen(t) != 0 {
					t.Errorf("ingested %d (%d calls), unseen %d", d, total, box.unseen(t))
				}
				if st, _ := db.IMAPStatus(ctx, mb.ID); st.Status != email.IMAPOK || st.CheckedAt == nil || st.LeaseOwner != "" {
					t.Errorf("status %+v", st)
				}
			})
		}
	})
}

// A wrong password gives the mailbox a clear status; neither the status,
// the API's view of the mailbox nor any log line holds the password.
func TestIMAPWrongPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		srvTLS, cliTLS := selfSigned(t)
		db := storetest.Open(t, b)
		box := newIMAPServer(t, "tls", true, srvTLS)
		srv := box.server(email.SecurityTLS)
		srv.Password = "wrong-pw-7f3a"
		mb := imapMailbox(t, db, srv)
		var logs bytes.Buffer
		var mu sync.Mutex
		log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
		p := email.NewPoller(db, newRecorder().ingest("n1"), desk.SystemClock{}, log, "n1", email.PollerConfig{TLS: cliTLS})
		if _, err := p.PollOnce(context.Background(), mb.ID); err == nil {
			t.Fatal("a wrong password polled")
		}
		st, err := db.IMAPStatus(context.Background(), mb.ID)
		if err != nil || st.Status != email.IMAPAuthFailed {
			t.Fatalf("status %+v %v", st, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if strings.Contains(logs.String(), "wrong-pw-7f3a") || strings.Contains(st.Detail, "wrong-pw-7f3a") {
			t.Errorf("password leaked: %s / %s", logs.String(), st.Detail)
		}
		got, _ := db.Mailbox(context.Background(), mb.ID)
		if j := fmt.Sprintf("%s", mustJSON(t, got)); strings.Contains(j, "wrong-pw-7f3a") {
			t.Errorf("mailbox JSON holds the password: %s", j)
		}
	})
}

// Two nodes poll one mailbox: the lease lets only one work it at a time,
// so every message is ingested exactly once and never by both at once —
// with IDLE and with plain polling. When the holder stops, the other takes
// over and picks up what arrives next.
func TestIMAPTwoPollersNeverRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		for _, idle := range []bool{true, false} {
			t.Run("idle="+strconv.FormatBool(idle), func(t *testing.T) {
				db := storetest.Open(t, b)
				box := newIMAPServer(t, "none", idle, nil)
				srv := box.server(email.SecurityNone)
				mb := imapMailbox(t, db, srv)
				rec := newRecorder()
				cfg := email.PollerConfig{Interval: 30 * time.Millisecond, Lease: 600 * time.Millisecond}
				ctxA, stopA := context.WithCancel(context.Background())
				ctxB, stopB := context.WithCancel(context.Background())
				defer stopB()
				a := email.NewPoller(db, rec.ingest("a"), desk.SystemClock{}, quiet, "a", cfg)
				bb := email.NewPoller(db, rec.ingest("b"), desk.SystemClock{}, quiet, "b", cfg)
				var wg sync.WaitGroup
				wg.Add(2)
				doneA := make(chan struct{})
				go func() { defer wg.Done(); defer close(doneA); a.Run(ctxA) }()
				go func() { defer wg.Done(); bb.Run(ctxB) }()
				const n = 30
				for i := 1; i <= n; i++ {
					box.deliver(t, testMail(i))
					if i%5 == 0 {
						time.Sleep(40 * time.Millisecond)
					}
				}
				waitCount(t, rec, n)
				// Stop whichever holds it; the other takes over.
				st, _ := db.IMAPStatus(context.Background(), mb.ID)
				if st.LeaseOwner == "a" {
					stopA()
					<-doneA
				} else {
					stopB()
				}
				for i := n + 1; i <= n+5; i++ {
					box.deliver(t, testMail(i))
				}
				waitCount(t, rec, n+5)
				// The last message is flagged just after its ingest returned:
				// give the poller that moment before stopping it.
				for deadline := time.Now().Add(waitFor); box.unseen(t) != 0 && time.Now().Before(deadline); {
					time.Sleep(10 * time.Millisecond)
				}
				stopA()
				stopB()
				wg.Wait()
				d, total := rec.count()
				if d != n+5 || total != n+5 {
					t.Errorf("%d distinct messages in %d ingests, want %d each", d, total, n+5)
				}
				if rec.overlap.Load() {
					t.Error("two pollers ingested from the mailbox at once")
				}
				if box.unseen(t) != 0 {
					t.Errorf("%d unseen", box.unseen(t))
				}
				_ = mb
			})
		}
	})
}

func waitCount(t *testing.T, rec *recorder, n int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		if d, _ := rec.count(); d >= n {
			return
		}
		if time.Now().After(deadline) {
			d, total := rec.count()
			t.Fatalf("ingested %d (%d calls), want %d", d, total, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The lease itself: taken once, refused to another owner until it
// expires, renewed by its owner, released.
func TestIMAPLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		db := storetest.Open(t, b)
		mb := imapMailbox(t, db, email.Server{Host: "imap.example", Port: 993, Security: email.SecurityTLS})
		ctx := context.Background()
		t0 := time.Date(2026, 11, 29, 4, 0, 0, 0, time.UTC)
		try := func(owner string, at time.Time) bool {
			ok, err := db.AcquireIMAPLease(ctx, mb.ID, owner, at, at.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !try("a", t0) || try("b", t0.Add(time.Second)) || !try("a", t0.Add(30*time.Second)) {
			t.Fatal("take, refuse, renew")
		}
		if try("b", t0.Add(80*time.Second)) || !try("b", t0.Add(91*time.Second)) || try("a", t0.Add(92*time.Second)) {
			t.Fatal("expiry hands over to b")
		}
		if err := db.ReleaseIMAPLease(ctx, mb.ID, "b"); err != nil || !try("a", t0.Add(93*time.Second)) {
			t.Fatal("release")
		}
		// Many nodes at once: exactly one wins.
		var wins atomic.Int32
		var wg sync.WaitGroup
		at := t0.Add(time.Hour)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				ok, err := db.AcquireIMAPLease(ctx, mb.ID, "n"+strconv.Itoa(i), at, at.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			}(i)
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d nodes took the lease at once", wins.Load())
		}
	})
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
