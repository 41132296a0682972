package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/webhook"
)

// --- outbound webhooks

type webhookIn struct {
	URL          *string   `json:"url"`
	Description  *string   `json:"description"`
	Events       *[]string `json:"events"`
	Active       *bool     `json:"active"`
	RotateSecret bool      `json:"rotate_secret"`
}

func (in webhookIn) input() webhook.Input {
	return webhook.Input{URL: in.URL, Description: in.Description, Events: in.Events, Active: in.Active,
		RotateSecret: in.RotateSecret}
}

// webhookWithSecret is a webhook as created (or with its secret rotated):
// the one answer that shows the secret.
type webhookWithSecret struct {
	*webhook.Webhook
	Secret string `json:"secret"`
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Webhooks.List(r.Context())
	return respond(w, http.StatusOK, map[string]any{"webhooks": list}, err)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	h, err := withID(r, func(id int64) (*webhook.Webhook, error) { return s.Webhooks.Get(r.Context(), id) })
	return respond(w, http.StatusOK, h, err)
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhookIn
	if err := decode(r, &in); err != nil {
		return err
	}
	h, secret, err := s.Webhooks.Create(r.Context(), in.input())
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(h.ID, 10))
	return respond(w, http.StatusCreated, webhookWithSecret{h, secret}, nil)
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhookIn
	if err := decode(r, &in); err != nil {
		return err
	}
	var secret string
	h, err := withPrecondition(r, func(id, v int64) (h *webhook.Webhook, err error) {
		in := in.input()
		in.IfVersion = v
		h, secret, err = s.Webhooks.Update(r.Context(), id, in)
		return h, err
	})
	if err != nil || secret == "" {
		return respond(w, http.StatusOK, h, err)
	}
	return respond(w, http.StatusOK, webhookWithSecret{h, secret}, nil)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.Webhooks.Delete(r.Context(), id, v) })
	return noContent(w, err)
}

// pageQuery reads limit (1..max, default def) and an id cursor (the
// oldest id of the previous page).
func pageQuery(r *http.Request, max, def int) (limit int, before int64, err error) {
	q := r.URL.Query()
	limit = def
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > max {
			return 0, 0, desk.Invalid(desk.Fields{"limit": desk.M("invalid.range", max)})
		}
	}
	if v := q.Get("cursor"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before <= 0 {
			return 0, 0, desk.Invalid(desk.Fields{"cursor": desk.M("invalid.cursor")})
		}
	}
	return limit, before, nil
}

// nextCursor is the cursor of the page after one that ended at id, or nil
// when the page was not full (there is nothing after it).
func nextCursor(n, limit int, lastID int64) *string {
	if n < limit {
		return nil
	}
	c := strconv.FormatInt(lastID, 10)
	return &c
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	limit, before, err := pageQuery(r, 100, 50)
	if err != nil {
		return err
	}
	list, err := s.Webhooks.Deliveries(r.Context(), id, before, limit)
	return idPage(w, "deliveries", list, err, limit, func(d *webhook.Delivery) int64 { return d.ID })
}

// idPage answers a page of a list read newest first by id (see pageQuery).
func idPage[T any](w http.ResponseWriter, name string, list []T, err error, limit int, id func(T) int64) error {
	if err != nil {
		return err
	}
	var last int64
	if len(list) > 0 {
		last = id(list[len(list)-1])
	}
	return respond(w, http.StatusOK, map[string]any{name: list, "next_cursor": nextCursor(len(list), limit, last)}, nil)
}

func (s *Server) replayDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	did, err := pathID(r, "delivery_id")
	if err != nil {
		return err
	}
	if err := s.Webhooks.Replay(r.Context(), id, did); err != nil {
		return err
	}
	return respond(w, http.StatusAccepted, map[string]any{"queued": true, "webhook_id": id, "delivery_id": did}, nil)
}

// --- audit log

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	list, err := s.Audit.List(r.Context(), f)
	if err != nil {
		return err
	}
	var last int64
	if len(list) > 0 {
		last = list[len(list)-1].ID
	}
	return respond(w, http.StatusOK, map[string]any{"entries": list, "next_cursor": nextCursor(len(list), f.Limit, last)}, nil)
}

func auditFilter(r *http.Request) (audit.Filter, error) {
	var f audit.Filter
	var err error
	if f.Limit, f.BeforeID, err = pageQuery(r, audit.MaxPage, 50); err != nil {
		return f, err
	}
	q := r.URL.Query()
	errs := desk.Fields{}
	for k := range q {
		switch k {
		case "limit", "cursor", "actor_id", "actor_kind", "action", "since", "until":
		default:
			errs[k] = desk.M("invalid.unknown_field")
		}
	}
	if f.ActorID, err = queryID(r, "actor_id"); err != nil {
		return f, err
	}
	switch v := q.Get("actor_kind"); v {
	case "", desk.ActorAgent, desk.ActorSystem, "anonymous":
		f.ActorKind = v
	default:
		errs["actor_kind"] = desk.M("invalid.one_of", "agent, system, anonymous")
	}
	if v := q.Get("action"); v != "" {
		if len(v) > 60 || !actionLike(v) {
			errs["action"] = desk.M("invalid.audit_action")
		}
		f.Action = v
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				errs[p.name] = desk.M("invalid.timestamp")
				continue
			}
			*p.dst = &t
		}
	}
	if len(errs) > 0 {
		return f, desk.Invalid(errs)
	}
	return f, nil
}

// actionLike accepts the characters actions are made of: lower-case
// letters, digits, '_' and '.' (a trailing '.' asks for a prefix).
func actionLike(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
