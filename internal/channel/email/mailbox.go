// Package email owns the email channel: mailboxes (the addresses the desk
// receives and sends mail as), inbound mail — stored raw before it is read,
// parsed in any charset, threaded onto tickets and recorded once — and the
// Message-IDs by which replies find their ticket. It calls ticket.Service to
// change tickets and knows nothing of HTTP or SQL; the SMTP receiver, the
// inbound webhook, `sahayak mail inject` and the IMAP poller all hand raw
// messages to Service.Ingest.
package email

import (
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
)

// Mailbox is an address of the desk. Its passwords are never part of an API
// answer or a log line: only whether one is set.
type Mailbox struct {
	ID        int64  `json:"id"`
	Address   string `json:"address"`
	Name      string `json:"name"` // display name on outgoing mail
	TeamID    *int64 `json:"team_id"`
	Signature string `json:"signature"`
	Active    bool   `json:"active"`
	IMAP      Server `json:"imap"`
	SMTP      Server `json:"smtp"`
	// Version counts changes; the API sends it as the ETag.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CurrentVersion is the version the API sends as the ETag (If-Match compares with it).
func (m *Mailbox) CurrentVersion() int64 { return m.Version }

// Server is how a mailbox reaches an IMAP or SMTP server. An empty Host
// means none: no IMAP polling, or outbound mail kept in the outbox.
type Server struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"` // tls, starttls or none
	Username string `json:"username"`
	Password string `json:"-"`
	// PasswordSet tells whether a password is stored, without showing it.
	PasswordSet bool `json:"password_set"`
	// Folder is the IMAP folder polled (INBOX by default); unused for SMTP.
	Folder string `json:"folder,omitempty"`
}

// Connection security of a server.
const (
	SecurityTLS      = "tls"
	SecurityStartTLS = "starttls"
	SecurityNone     = "none"
)

// Securities lists the accepted values of Server.Security.
var Securities = []string{SecurityTLS, SecurityStartTLS, SecurityNone}

// Limits of a mailbox's settings.
const (
	MaxSignature = 4000
	maxHost      = 253
)

// Input creates or changes a mailbox. Nil fields stay unchanged; a nil
// password keeps the stored one and "" clears it.
type Input struct {
	Address   *string
	Name      *string
	TeamID    *int64 // 0 clears
	Signature *string
	Active    *bool
	IMAP      ServerInput
	SMTP      ServerInput
	// IfVersion, when not 0, applies the change only to that version.
	IfVersion int64
}

// ServerInput changes a Server.
type ServerInput struct {
	Host, Security, Username, Password, Folder *string
	Port                                       *int
}

func (in ServerInput) apply(errs desk.Fields, prefix string, s *Server) {
	if in.Host != nil {
		h := strings.ToLower(strings.TrimSpace(*in.Host))
		if len(h) > maxHost || strings.ContainsAny(h, " /\\@:\t\r\n\x00") {
			errs[prefix+".host"] = desk.M("invalid.mailbox_host")
		}
		s.Host = h
	}
	if in.Port != nil {
		if *in.Port < 0 || *in.Port > 65535 {
			errs[prefix+".port"] = desk.M("invalid.port")
		}
		s.Port = *in.Port
	}
	if in.Security != nil {
		v := strings.TrimSpace(*in.Security)
		if !contains(Securities, v) {
			errs[prefix+".security"] = desk.M("invalid.one_of", strings.Join(Securities, ", "))
		}
		s.Security = v
	}
	if in.Username != nil {
		if strings.ContainsAny(*in.Username, "\r\n\x00") || len(*in.Username) > 254 {
			errs[prefix+".username"] = desk.M("invalid.control_chars")
		}
		s.Username = strings.TrimSpace(*in.Username)
	}
	if in.Password != nil {
		if strings.ContainsAny(*in.Password, "\r\n\x00") || len(*in.Password) > 1000 {
			errs[prefix+".password"] = desk.M("invalid.control_chars")
		}
		s.Password = *in.Password
	}
	if in.Folder != nil {
		f := strings.TrimSpace(*in.Folder)
		if f == "" || strings.ContainsAny(f, "\r\n\x00") || len(f) > 200 {
			errs[prefix+".folder"] = desk.M("invalid.required")
		}
		s.Folder = f
	}
	s.PasswordSet = s.Password != ""
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// apply validates in onto m; teamExists answers whether a team id is real.
func (in Input) apply(m *Mailbox, creating bool, teamExists func(int64) bool) error {
	errs := desk.Fields{}
	if in.Address != nil || creating {
		var raw string
		if in.Address != nil {
			raw = *in.Address
		}
		a, err := people.NormalizeEmail(raw)
		if err != nil {
			errs["address"] = desk.M("invalid.email")
		}
		m.Address = a
	}
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			m.Name = ""
		} else if n, msg := people.CleanName(*in.Name, 200); msg.Key != "" {
			errs["name"] = msg
		} else {
			m.Name = n
		}
	}
	if in.TeamID != nil {
		switch {
		case *in.TeamID == 0:
			m.TeamID = nil
		case !teamExists(*in.TeamID):
			errs["team_id"] = desk.M("invalid.no_team")
		default:
			id := *in.TeamID
			m.TeamID = &id
		}
	}
	if in.Signature != nil {
		s := strings.ReplaceAll(strings.TrimSpace(*in.Signature), "\r\n", "\n")
		if len([]rune(s)) > MaxSignature {
			errs["signature"] = desk.M("invalid.too_long")
		} else if strings.ContainsRune(s, 0) {
			errs["signature"] = desk.M("invalid.control_chars")
		}
		m.Signature = s
	}
	if in.Active != nil {
		m.Active = *in.Active
	}
	in.IMAP.apply(errs, "imap", &m.IMAP)
	in.SMTP.apply(errs, "smtp", &m.SMTP)
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	return nil
}

// PortText is the port as a form shows it: empty when unset.
func (s Server) PortText() string {
	if s.Port == 0 {
		return ""
	}
	return strconv.Itoa(s.Port)
}
