package web

import (
	"net/http"

	"github.com/sahayak/sahayak/internal/channel/email"
)

// --- outbound mail: the outbox, the relay test, DKIM, IMAP status

// outboxMail is one outgoing mail with its readable form.
type outboxMail struct {
	*email.Outbound
	Mail *email.MailView `json:"mail"`
}

func (s *Server) listOutbox(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := pageQuery(r, 100, 50)
	if err != nil {
		return err
	}
	list, err := s.MailOut.Outbox(r.Context(), before, limit)
	if err != nil {
		return err
	}
	var last int64
	if len(list) > 0 {
		last = list[len(list)-1].ID
	}
	return respond(w, http.StatusOK, map[string]any{"outbox": list, "next_cursor": nextCursor(len(list), limit, last)}, nil)
}

func (s *Server) getOutboxMail(w http.ResponseWriter, r *http.Request) error {
	m, err := withID(r, func(id int64) (*outboxMail, error) { return s.outboxMail(r, id) })
	return respond(w, http.StatusOK, m, err)
}

func (s *Server) outboxMail(r *http.Request, id int64) (*outboxMail, error) {
	o, err := s.MailOut.OutboxMail(r.Context(), id)
	if err != nil {
		return nil, err
	}
	m := &outboxMail{Outbound: o}
	if len(o.Raw) > 0 {
		m.Mail, _ = email.ReadMail(o.Raw)
	}
	return m, nil
}

func (s *Server) testMailboxSMTP(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.MailOut.TestSMTP(r.Context(), id); err != nil {
		return err
	}
	return respond(w, http.StatusOK, map[string]any{"ok": true}, nil)
}

func (s *Server) mailboxIMAPStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := withID(r, func(id int64) (*email.IMAPStatus, error) { return s.MailOut.IMAPStatus(r.Context(), id) })
	return respond(w, http.StatusOK, st, err)
}

func (s *Server) getMailboxDKIM(w http.ResponseWriter, r *http.Request) error {
	d, err := withID(r, func(id int64) (*email.DKIMView, error) { return s.MailOut.DKIM(r.Context(), id) })
	return respond(w, http.StatusOK, d, err)
}

type dkimIn struct {
	Domain     string `json:"domain"`
	Selector   string `json:"selector"`
	PrivateKey string `json:"private_key"`
}

func (s *Server) putMailboxDKIM(w http.ResponseWriter, r *http.Request) error {
	var in dkimIn
	if err := decode(r, &in); err != nil {
		return err
	}
	d, err := withID(r, func(id int64) (*email.DKIMView, error) {
		return s.MailOut.SetDKIM(r.Context(), id, email.DKIMInput{Domain: in.Domain, Selector: in.Selector, PrivateKey: in.PrivateKey})
	})
	return respond(w, http.StatusOK, d, err)
}

func (s *Server) deleteMailboxDKIM(w http.ResponseWriter, r *http.Request) error {
	_, err := withID(r, func(id int64) (any, error) { return nil, s.MailOut.DeleteDKIM(r.Context(), id) })
	return noContent(w, err)
}
