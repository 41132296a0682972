package web

import (
	"mime"
	"net/http"
	"time"

	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
)

// --- mailboxes

type serverIn struct {
	Host     *string `json:"host"`
	Port     *int    `json:"port"`
	Security *string `json:"security"`
	Username *string `json:"username"`
	Password *string `json:"password"` // write-only: answers say password_set
	Folder   *string `json:"folder"`
}

func (in *serverIn) input() email.ServerInput {
	if in == nil {
		return email.ServerInput{}
	}
	return email.ServerInput{Host: in.Host, Port: in.Port, Security: in.Security, Username: in.Username,
		Password: in.Password, Folder: in.Folder}
}

type mailboxIn struct {
	Address   *string   `json:"address"`
	Name      *string   `json:"name"`
	TeamID    *int64    `json:"team_id"` // 0 or null clears
	Signature *string   `json:"signature"`
	Active    *bool     `json:"active"`
	IMAP      *serverIn `json:"imap"`
	SMTP      *serverIn `json:"smtp"`
}

func (in mailboxIn) input() email.Input {
	return email.Input{Address: in.Address, Name: in.Name, TeamID: in.TeamID, Signature: in.Signature,
		Active: in.Active, IMAP: in.IMAP.input(), SMTP: in.SMTP.input()}
}

func (s *Server) listMailboxes(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Mail.List(r.Context())
	return listWhole(w, r, "mailboxes", list, err, func(m *email.Mailbox) string { return idKey(m.ID) },
		func(m *email.Mailbox) time.Time { return m.UpdatedAt }, nil)
}

func (s *Server) getMailbox(w http.ResponseWriter, r *http.Request) error {
	m, err := withID(r, func(id int64) (*email.Mailbox, error) { return s.Mail.Get(r.Context(), id) })
	return respond(w, http.StatusOK, m, err)
}

func (s *Server) createMailbox(w http.ResponseWriter, r *http.Request) error {
	var in mailboxIn
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := s.Mail.Create(r.Context(), in.input())
	if err == nil {
		locate(w, "/api/v1/mailboxes/", m.ID)
	}
	return respond(w, http.StatusCreated, m, err)
}

func (s *Server) updateMailbox(w http.ResponseWriter, r *http.Request) error {
	var in mailboxIn
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := withPrecondition(r, func(id, v int64) (*email.Mailbox, error) {
		in := in.input()
		in.IfVersion = v
		return s.Mail.Update(r.Context(), id, in)
	})
	return respond(w, http.StatusOK, m, err)
}

func (s *Server) deleteMailbox(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.Mail.Delete(r.Context(), id, v) })
	return noContent(w, err)
}

// inboundMail takes a raw RFC 5322 message (Content-Type message/rfc822)
// into a mailbox, as the SMTP receiver would. It answers what became of it;
// sending the same message again is safe (it is recorded once).
func (s *Server) inboundMail(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "message/rfc822" {
		return desk.E(desk.EMEDIATYPE, "error.media_type", r.Header.Get("Content-Type"))
	}
	if _, err := s.Mail.Get(r.Context(), id); err != nil {
		return err
	}
	res, err := s.Mail.Ingest(r.Context(), id, r.Body, email.Source{Kind: "api"})
	return respond(w, http.StatusOK, res, err)
}
