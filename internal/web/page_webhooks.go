package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/webhook"
)

// webhooksData is what the webhook admin pages receive.
type webhooksData struct {
	Webhooks   []*webhook.Webhook
	Kinds      []string // the event types one may subscribe to
	NewSecret  string   // shown once, after a create or a rotation
	SecretFor  int64
	Webhook    *webhook.Webhook // the one whose log is shown
	Deliveries []*webhook.Delivery
	Older      *string // cursor of the next page of the log
	Form       map[string]string
	Failed     string // "new" or the id of the refused row
	Errors     desk.Fields
}

// Value is the refused form's value for a field when it is the form being
// shown again, else def.
func (d webhooksData) Value(form, field, def string) string {
	if d.Failed == form {
		return d.Form[field]
	}
	return def
}

func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request) error {
	return s.showWebhooks(w, r, http.StatusOK, webhooksData{})
}

func (s *Server) showWebhooks(w http.ResponseWriter, r *http.Request, status int, d webhooksData) error {
	var err error
	if d.Webhooks, err = s.Webhooks.List(r.Context()); err != nil {
		return err
	}
	d.Kinds = event.Public
	return s.render(w, r, status, "admin_webhooks.html", page{Title: "admin.webhooks", Nav: "admin-webhooks", Data: d})
}

// webhookForm reads the create and edit forms: events are checkboxes, and
// a hidden events_present says the list was on the form (none checked is a
// choice, refused by the service).
func webhookForm(r *http.Request) webhook.Input {
	in := webhook.Input{URL: optional(r, "url"), Description: optional(r, "description")}
	if _, ok := r.PostForm["events_present"]; ok {
		kinds := r.PostForm["events"]
		in.Events = &kinds
	}
	if _, ok := r.PostForm["active_present"]; ok {
		active := r.PostFormValue("active") != ""
		in.Active = &active
	}
	in.RotateSecret = r.PostFormValue("rotate_secret") != ""
	in.IfVersion = formVersion(r)
	return in
}

// webhookDone shows the list again: with the secret when one was made, with
// the refused form when the service found the input wrong.
func (s *Server) webhookDone(w http.ResponseWriter, r *http.Request, h *webhook.Webhook, secret string, err error, failed string) error {
	switch desk.ErrorCode(err) {
	case "":
		if secret == "" {
			http.Redirect(w, r, "/admin/webhooks", http.StatusSeeOther)
			return nil
		}
		return s.showWebhooks(w, r, http.StatusOK, webhooksData{NewSecret: secret, SecretFor: h.ID})
	case desk.EINVALID, desk.ECONFLICT, desk.EUNPROCESSABLE, desk.ESTALE:
		form := map[string]string{}
		for k := range r.PostForm {
			form[k] = strings.Join(r.PostForm[k], ",")
		}
		errs := desk.ErrorFields(err)
		if len(errs) == 0 {
			errs = desk.Fields{"": desk.ErrorMsg(err)}
		}
		if desk.ErrorCode(err) == desk.ESTALE {
			failed = "" // changed meanwhile: show the current values with the reason
		}
		return s.showWebhooks(w, r, HTTPStatus(err), webhooksData{Form: form, Failed: failed, Errors: errs})
	}
	return err
}

func (s *Server) createWebhookPage(w http.ResponseWriter, r *http.Request) error {
	in := webhookForm(r)
	if in.Events == nil {
		in.Events = &[]string{}
	}
	h, secret, err := s.Webhooks.Create(r.Context(), in)
	return s.webhookDone(w, r, h, secret, err, "new")
}

func (s *Server) updateWebhookPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	h, secret, err := s.Webhooks.Update(r.Context(), id, webhookForm(r))
	return s.webhookDone(w, r, h, secret, err, strconv.FormatInt(id, 10))
}

func (s *Server) deleteWebhookPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.webhookDone(w, r, nil, "", s.Webhooks.Delete(r.Context(), id, formVersion(r)), strconv.FormatInt(id, 10))
}

// webhookPage shows one webhook's delivery log, newest first, with replay.
func (s *Server) webhookPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	limit, before, err := pageQuery(r, 100, 50)
	if err != nil {
		return err
	}
	d := webhooksData{}
	if d.Webhook, err = s.Webhooks.Get(r.Context(), id); err != nil {
		return err
	}
	if d.Deliveries, err = s.Webhooks.Deliveries(r.Context(), id, before, limit); err != nil {
		return err
	}
	if len(d.Deliveries) > 0 {
		d.Older = nextCursor(len(d.Deliveries), limit, d.Deliveries[len(d.Deliveries)-1].ID)
	}
	if e := r.URL.Query().Get("error"); e == "inactive" {
		d.Errors = desk.Fields{"": desk.M("error.webhook_inactive", id)}
	}
	return s.render(w, r, http.StatusOK, "admin_webhook.html", page{Title: "admin.deliveries", Nav: "admin-webhooks", Data: d})
}

func (s *Server) replayDeliveryPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	did, err := pathID(r, "delivery_id")
	if err != nil {
		return err
	}
	back := "/admin/webhooks/" + strconv.FormatInt(id, 10)
	err = s.Webhooks.Replay(r.Context(), id, did)
	switch desk.ErrorCode(err) {
	case "":
		back += "?replayed=" + strconv.FormatInt(did, 10)
	case desk.EUNPROCESSABLE:
		back += "?error=inactive"
	default:
		return err
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
