package web

import (
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
