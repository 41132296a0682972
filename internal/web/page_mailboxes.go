package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
)

// mailboxesData is what the mailbox admin page receives.
type mailboxesData struct {
	Mailboxes  []*email.Mailbox
	Teams      []*people.Team
	Securities []string
	Form       map[string]string // values of the refused form
	Failed     string            // "new" or the id of the refused row
	Errors     desk.Fields
}

// Value is the refused form's value for a field when it is the form being
// shown again, else def.
func (d mailboxesData) Value(form, field, def string) string {
	if d.Failed == form {
		return d.Form[field]
	}
	return def
}

func (s *Server) mailboxesPage(w http.ResponseWriter, r *http.Request) error {
	return s.showMailboxes(w, r, http.StatusOK, mailboxesData{})
}

func (s *Server) showMailboxes(w http.ResponseWriter, r *http.Request, status int, d mailboxesData) error {
	ctx := r.Context()
	var err error
	if d.Mailboxes, err = s.Mail.List(ctx); err != nil {
		return err
	}
	if a, _ := desk.ActorFrom(ctx); a.Can(auth.TeamsRead) {
		if d.Teams, err = s.People.Teams(ctx); err != nil {
			return err
		}
	}
	d.Securities = email.Securities
	return s.render(w, r, status, "admin_mailboxes.html", page{Title: "admin.mailboxes", Nav: "admin-mailboxes", Data: d})
}

// mailboxForm reads the create and edit forms. An empty password field
// keeps the stored password; the clear boxes remove it.
func mailboxForm(r *http.Request) email.Input {
	in := email.Input{Address: optional(r, "address"), Name: optional(r, "name"), Signature: optional(r, "signature")}
	if v := optional(r, "team_id"); v != nil {
		id, _ := strconv.ParseInt(*v, 10, 64)
		in.TeamID = &id
	}
	if _, ok := r.PostForm["active_present"]; ok {
		active := r.PostFormValue("active") != ""
		in.Active = &active
	}
	if v, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64); err == nil {
		in.IfVersion = v
	}
	server := func(prefix string) email.ServerInput {
		si := email.ServerInput{Host: optional(r, prefix+"_host"), Security: optional(r, prefix+"_security"),
			Username: optional(r, prefix+"_username"), Folder: optional(r, prefix+"_folder")}
		if v := optional(r, prefix+"_port"); v != nil {
			port, err := strconv.Atoi(*v)
			if *v == "" {
				port, err = 0, nil
			}
			if err != nil {
				port = -1 // refused by the service with the field named
			}
			si.Port = &port
		}
		if p := r.PostFormValue(prefix + "_password"); p != "" {
			si.Password = &p
		} else if r.PostFormValue(prefix+"_password_clear") != "" {
			empty := ""
			si.Password = &empty
		}
		return si
	}
	in.IMAP, in.SMTP = server("imap"), server("smtp")
	return in
}

// mailboxDone redirects after a change, or shows the page again with the
// refused form (never with a password in it).
func (s *Server) mailboxDone(w http.ResponseWriter, r *http.Request, err error, failed string) error {
	switch desk.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/admin/mailboxes", http.StatusSeeOther)
		return nil
	case desk.EINVALID, desk.ECONFLICT, desk.EUNPROCESSABLE, desk.ESTALE:
		form := map[string]string{}
		for k := range r.PostForm {
			if !strings.HasSuffix(k, "_password") {
				form[k] = strings.Join(r.PostForm[k], ",")
			}
		}
		errs := desk.ErrorFields(err)
		if len(errs) == 0 {
			errs = desk.Fields{"": desk.ErrorMsg(err)}
		}
		if desk.ErrorCode(err) == desk.ESTALE {
			failed = "" // changed meanwhile: show the current values with the reason
		}
		return s.showMailboxes(w, r, HTTPStatus(err), mailboxesData{Form: form, Failed: failed, Errors: errs})
	}
	return err
}

func (s *Server) createMailboxPage(w http.ResponseWriter, r *http.Request) error {
	_, err := s.Mail.Create(r.Context(), mailboxForm(r))
	return s.mailboxDone(w, r, err, "new")
}

func (s *Server) updateMailboxPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, err = s.Mail.Update(r.Context(), id, mailboxForm(r))
	return s.mailboxDone(w, r, err, strconv.FormatInt(id, 10))
}

func (s *Server) deleteMailboxPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	return s.mailboxDone(w, r, s.Mail.Delete(r.Context(), id, v), strconv.FormatInt(id, 10))
}

// Blank and BlankSMTP are the empty server settings the new-mailbox form
// starts from.
func (mailboxesData) Blank() email.Server {
	return email.Server{Security: email.SecurityTLS, Folder: "INBOX"}
}

// BlankSMTP is Blank for the outbound server.
func (mailboxesData) BlankSMTP() email.Server { return email.Server{Security: email.SecurityStartTLS} }
