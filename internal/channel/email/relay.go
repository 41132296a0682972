package email

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// DKIM is a mailbox's signing key. Key never leaves the server.
type DKIM struct {
	MailboxID int64     `json:"mailbox_id"`
	Domain    string    `json:"domain"`
	Selector  string    `json:"selector"`
	Key       string    `json:"-"`
	UpdatedAt time.Time `json:"updated_at"`
}

func serverAddr(s *Server) string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// RelayError is a relay's refusal or failure; Permanent ones (a 5xx
// answer) are not retried.
type RelayError struct {
	Permanent bool
	Reason    string
}

func (e *RelayError) Error() string { return e.Reason }

// relayError turns what go-smtp and the network say into a RelayError
// whose reason never holds a credential (the server's text is kept: it is
// the server's, and tells the admin what to fix).
func relayError(stage string, err error) *RelayError {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return &RelayError{Permanent: se.Code >= 500, Reason: CleanHeaderText(fmt.Sprintf("%s: %d %s", stage, se.Code, se.Message), 400)}
	}
	var re *RelayError
	if errors.As(err, &re) {
		return re
	}
	return &RelayError{Reason: CleanHeaderText(stage+": "+err.Error(), 400)}
}

// dialSMTP connects, secures and authenticates a client to the relay.
func dialSMTP(ctx context.Context, s *Server, tlsConfig *tls.Config, timeout time.Duration) (*smtp.Client, error) {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", serverAddr(s))
	if err != nil {
		return nil, relayError("connect", err)
	}
	// The deadline covers the greeting, TLS and the login; commands after
	// them are bounded by the client's own timeouts, so that a session can
	// be reused.
	conn.SetDeadline(time.Now().Add(timeout))
	cfg := tlsFor(tlsConfig, s.Host)
	var c *smtp.Client
	switch s.Security {
	case SecurityTLS:
		c = smtp.NewClient(tls.Client(conn, cfg))
	case SecurityStartTLS:
		if c, err = smtp.NewClientStartTLS(conn, cfg); err != nil {
			conn.Close()
			return nil, relayError("starttls", err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout, c.SubmissionTimeout = timeout, timeout
	if err := c.Hello("localhost"); err != nil {
		c.Close()
		return nil, relayError("hello", err)
	}
	if s.Username != "" {
		if s.Security == SecurityNone && !isLoopback(s.Host) {
			c.Close()
			return nil, &RelayError{Permanent: true, Reason: "auth: refusing to send a password without TLS"}
		}
		if err := c.Auth(sasl.NewPlainClient("", s.Username, s.Password)); err != nil {
			c.Close()
			return nil, relayError("auth", err)
		}
	}
	conn.SetDeadline(time.Time{})
	return c, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func tlsFor(base *tls.Config, host string) *tls.Config {
	var cfg *tls.Config
	if base != nil {
		cfg = base.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	cfg.MinVersion = tls.VersionTLS12
	return cfg
}

// relayPool keeps SMTP sessions open between mails to the same relay
// with the same login, so that a busy desk does not pay a connection, a TLS
// handshake and a login per mail. A session idle longer than relayIdle is
// closed when next looked at; one that fails is never reused.
type relayPool struct {
	mu   sync.Mutex
	idle map[string][]pooledClient
}

type pooledClient struct {
	c    *smtp.Client
	used time.Time
}

const (
	relayIdle    = 20 * time.Second
	relayMaxIdle = 8 // sessions kept per relay and login
)

func poolKey(s *Server) string {
	h := sha256.Sum256([]byte(s.Host + "\x00" + strconv.Itoa(s.Port) + "\x00" + s.Security + "\x00" + s.Username + "\x00" + s.Password))
	return hex.EncodeToString(h[:])
}

func (p *relayPool) get(key string) *smtp.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.idle[key]
	for len(list) > 0 {
		pc := list[len(list)-1]
		list = list[:len(list)-1]
		if time.Since(pc.used) < relayIdle {
			p.idle[key] = list
			return pc.c
		}
		pc.c.Close()
	}
	delete(p.idle, key)
	return nil
}

func (p *relayPool) put(key string, c *smtp.Client) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idle == nil {
		p.idle = map[string][]pooledClient{}
	}
	if len(p.idle[key]) >= relayMaxIdle {
		c.Quit()
		return
	}
	p.idle[key] = append(p.idle[key], pooledClient{c: c, used: time.Now()})
}

// closeAll ends every idle session.
func (p *relayPool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, list := range p.idle {
		for _, pc := range list {
			pc.c.Quit()
		}
	}
	p.idle = nil
}

// send hands one mail to the relay, on an idle session if one answers RSET,
// else on a new one.
func (p *relayPool) send(ctx context.Context, s *Server, tlsConfig *tls.Config, timeout time.Duration, from string, to []string, raw []byte) error {
	key := poolKey(s)
	c := p.get(key)
	if c != nil && c.Reset() != nil {
		c.Close()
		c = nil
	}
	if c == nil {
		var err error
		if c, err = dialSMTP(ctx, s, tlsConfig, timeout); err != nil {
			return err
		}
	}
	if err := c.SendMail(from, to, bytes.NewReader(raw)); err != nil {
		c.Close()
		return relayError("send", err)
	}
	p.put(key, c)
	return nil
}

// probeSMTP is the "test connection" action: connect, secure, authenticate
// and quit, sending nothing.
func probeSMTP(ctx context.Context, s *Server, tlsConfig *tls.Config, timeout time.Duration) error {
	c, err := dialSMTP(ctx, s, tlsConfig, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Noop(); err != nil {
		return relayError("noop", err)
	}
	return c.Quit()
}

// parseDKIMKey reads a PEM private key (PKCS#1 or PKCS#8 RSA, or Ed25519).
func parseDKIMKey(pemText string) (crypto.Signer, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, errors.New("unsupported key type")
}

// signDKIM prepends a DKIM-Signature when the mailbox has a key.
func signDKIM(s *DKIM, raw []byte) ([]byte, error) {
	if s == nil || s.Key == "" || s.Domain == "" || s.Selector == "" {
		return raw, nil
	}
	key, err := parseDKIMKey(s.Key)
	if err != nil {
		return nil, fmt.Errorf("dkim key: %w", err)
	}
	var out bytes.Buffer
	opts := &dkim.SignOptions{Domain: s.Domain, Selector: s.Selector, Signer: key,
		HeaderKeys: []string{"From", "To", "Cc", "Subject", "Date", "Message-Id", "In-Reply-To", "References", "Mime-Version", "Content-Type"}}
	if err := dkim.Sign(&out, bytes.NewReader(raw), opts); err != nil {
		return nil, fmt.Errorf("dkim sign: %w", err)
	}
	return out.Bytes(), nil
}
