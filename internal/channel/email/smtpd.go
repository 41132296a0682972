package email

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sahayak/sahayak/internal/desk"
)

// Receiver is the built-in SMTP server: it accepts mail for the addresses
// of active mailboxes (and their plus-addresses), answers 550 for any
// other recipient and 552 past the size limit, and answers 250 only once
// the message is stored and on its ticket — otherwise 451, so that the
// sending MTA tries again (which ingest makes safe).
type Receiver struct {
	svc *Service
	srv *smtp.Server
}

// NewReceiver returns an SMTP receiver for the service's mailboxes; domain
// is the name it greets with.
func (s *Service) NewReceiver(domain string) *Receiver {
	r := &Receiver{svc: s}
	srv := smtp.NewServer(backend{r})
	srv.Domain = domain
	srv.MaxMessageBytes = s.cfg.MaxSize
	srv.MaxRecipients = 50
	srv.ReadTimeout = 2 * time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxLineLength = 4000 // some clients fold nothing
	srv.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)
	r.srv = srv
	return r
}

// Serve accepts connections on ln until Close.
func (r *Receiver) Serve(ln net.Listener) error {
	err := r.srv.Serve(ln)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting and waits (until ctx ends) for sessions to end.
func (r *Receiver) Shutdown(ctx context.Context) error { return r.srv.Shutdown(ctx) }

type backend struct{ r *Receiver }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{r: b.r}, nil
}

type session struct {
	r          *Receiver
	from       string
	mailboxes  []int64
	recipients []string
}

func (s *session) Reset() {
	s.from, s.mailboxes, s.recipients = "", nil, nil
}

func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

var (
	errNoMailbox = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here"}
	errTryLater  = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Could not store the message, try again later"}
	errTooLarge  = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too large"}
)

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	addr := strings.ToLower(strings.Trim(strings.TrimSpace(to), "<>"))
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return errNoMailbox
	}
	base, _, _ := strings.Cut(local, "+")
	m, err := s.r.svc.boxes.byAddress(context.Background(), base+"@"+domain)
	if desk.ErrorCode(err) == desk.ENOTFOUND || err == nil && !m.Active {
		return errNoMailbox
	}
	if err != nil {
		return errTryLater
	}
	if !containsID(s.mailboxes, m.ID) {
		s.mailboxes = append(s.mailboxes, m.ID)
	}
	s.recipients = append(s.recipients, addr)
	return nil
}

func containsID(list []int64, id int64) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if errors.Is(err, smtp.ErrDataTooLarge) {
		return errTooLarge
	}
	if err != nil {
		return errTryLater
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, id := range s.mailboxes {
		_, err := s.r.svc.Ingest(ctx, id, bytes.NewReader(data), Source{Kind: "smtp", EnvelopeFrom: s.from,
			Recipients: s.recipients})
		switch desk.ErrorCode(err) {
		case "":
		case desk.ETOOLARGE:
			return errTooLarge
		default:
			s.r.svc.log.Error("smtp: ingest", slog.Int64("mailbox_id", id), slog.String("error", err.Error()))
			return errTryLater
		}
	}
	return nil
}
