package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/ticket"
)

// foldQuoted splits a customer's message into what they wrote and the
// quoted history and signature, which the thread folds away (the whole
// original stays one click away). Zero when there is nothing to fold.
func foldQuoted(m *ticket.Message) email.Split {
	if m.AuthorKind != desk.ActorContact {
		return email.Split{}
	}
	sp := email.SplitReply(m.BodyText)
	if sp.Quoted == "" && sp.Signature == "" {
		return email.Split{}
	}
	return sp
}

// outboxData is what the outbox pages receive.
type outboxData struct {
	Mails []*email.Outbound
	Older *string
	Mail  *outboxMail // the one being read
}

func (s *Server) outboxPage(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := pageQuery(r, 100, 50)
	if err != nil {
		return err
	}
	d := outboxData{}
	if d.Mails, err = s.MailOut.Outbox(r.Context(), before, limit); err != nil {
		return err
	}
	if len(d.Mails) > 0 {
		d.Older = nextCursor(len(d.Mails), limit, d.Mails[len(d.Mails)-1].ID)
	}
	return s.render(w, r, http.StatusOK, "admin_outbox.html", page{Title: "outbox.title", Nav: "admin-outbox", Data: d})
}

func (s *Server) outboxMailPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d := outboxData{}
	if d.Mail, err = s.outboxMail(r, id); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_outbox_mail.html", page{Title: "outbox.mail", Nav: "admin-outbox", Data: d})
}

// outboxMailHTML serves a mail's HTML part as it was sent, for the frame of
// the outbox page: sandboxed (no script, an origin of its own), with only
// its own inline styles and data: images, framed by the desk's pages only.
func (s *Server) outboxMailHTML(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	m, err := s.outboxMail(r, id)
	if err != nil {
		return err
	}
	if m.Mail == nil || m.Mail.HTML == "" {
		return desk.E(desk.ENOTFOUND, "error.mail_html_not_found", id)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Cache-Control", "private, no-store")
	_, err = io.WriteString(w, m.Mail.HTML)
	return err
}

// smtpTestData is the outcome of the "test connection" action.
type smtpTestData struct {
	Mailbox *email.Mailbox
	Failed  bool
	Message desk.Msg // what went wrong, in the agent's language
}

func (s *Server) testSMTPPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d := smtpTestData{}
	if d.Mailbox, err = s.Mail.Get(r.Context(), id); err != nil {
		return err
	}
	err = s.MailOut.TestSMTP(r.Context(), id)
	var de *desk.Error
	switch {
	case err == nil:
	case desk.ErrorCode(err) == desk.EUNPROCESSABLE && errors.As(err, &de):
		d.Failed, d.Message = true, de.Msg
	default:
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_smtp_test.html", page{Title: "mailsend.test", Nav: "admin-mailboxes", Data: d})
}
