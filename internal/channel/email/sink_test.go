package email_test

import (
	"context"

	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/store"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// sink is a real SMTP server on loopback (go-smtp) standing in for a
// mailbox's relay: it checks the login, keeps what it is handed, and can
// be told to refuse (451 or 550) or be stopped (connection refused).
type sink struct {
	t        *testing.T
	srv      *smtp.Server
	host     string
	port     int
	user     string
	password string

	mu     sync.Mutex
	mails  []sunk
	refuse int // SMTP code to answer DATA with, 0 to accept
	logins int
	// refuseRcpt is a recipient refused with 550 at RCPT ("" for none).
	refuseRcpt string
}

type sunk struct {
	from string
	to   []string
	raw  []byte
}

// newSink starts a sink; with tlsMode "tls" it speaks TLS from the first
// byte, with "starttls" it offers STARTTLS (and requires it before AUTH).
func newSink(t testing.TB, tlsMode string, cfg *tls.Config) *sink {
	s := &sink{user: "relay-user", password: "relay-secret-pw"}
	srv := smtp.NewServer(sinkBackend{s})
	srv.Domain = "relay.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 32 << 20
	srv.MaxRecipients = 50
	srv.AllowInsecureAuth = tlsMode == "none"
	var ln net.Listener
	var err error
	switch tlsMode {
	case "tls":
		ln, err = tls.Listen("tcp", "127.0.0.1:0", cfg)
	default:
		srv.TLSConfig = cfg
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	s.srv = srv
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s.host = host
	s.port, _ = strconv.Atoi(port)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *sink) setRefuse(code int) {
	s.mu.Lock()
	s.refuse = code
	s.mu.Unlock()
}

func (s *sink) received() []sunk {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunk(nil), s.mails...)
}

type sinkBackend struct{ s *sink }

func (b sinkBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: b.s}, nil }

type sinkSession struct {
	s    *sink
	from string
	to   []string
	auth bool
}

func (ss *sinkSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *sinkSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.user || password != ss.s.password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		ss.auth = true
		ss.s.mu.Lock()
		ss.s.logins++
		ss.s.mu.Unlock()
		return nil
	}), nil
}

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.auth {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	refused := to == ss.s.refuseRcpt
	ss.s.mu.Unlock()
	if refused {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	switch ss.s.refuse {
	case 0:
	case 451:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	default:
		return &smtp.SMTPError{Code: ss.s.refuse, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relaying denied"}
	}
	ss.s.mails = append(ss.s.mails, sunk{from: ss.from, to: ss.to, raw: bytes.Clone(raw)})
	return nil
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }

// selfSigned returns a server certificate for 127.0.0.1 and a client
// configuration that trusts it (and nothing else).
func selfSigned(t testing.TB) (server, client *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "mailout", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// addMailbox stores a mailbox as the mailbox service would.
func addMailbox(t testing.TB, db *store.DB, mb *email.Mailbox) *email.Mailbox {
	t.Helper()
	ctx := desk.WithActor(context.Background(), desk.System)
	if mb.IMAP.Folder == "" {
		mb.IMAP.Folder = "INBOX"
	}
	if mb.IMAP.Security == "" {
		mb.IMAP.Security = email.SecurityTLS
	}
	if mb.SMTP.Security == "" {
		mb.SMTP.Security = email.SecurityStartTLS
	}
	mb.Active = true
	now := time.Now().UTC()
	mb.CreatedAt, mb.UpdatedAt = now, now
	if err := db.CreateMailbox(ctx, mb, audit.New(ctx, now, audit.MailboxCreated, "mailbox", 0, nil)); err != nil {
		t.Fatal(err)
	}
	got, err := db.Mailbox(ctx, mb.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}
