package portal

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/ticket"
)

// listData is the "my tickets" page.
type listData struct {
	Tickets []*ticket.Ticket
	Next    string // the next page's cursor
	Shared  bool   // the organization's tickets are listed too
	Me      int64
}

func (h *Handler) ticketList(w http.ResponseWriter, r *http.Request) error {
	c := customerFrom(r.Context())
	pg, err := h.Tickets.List(r.Context(), ticket.Filter{Limit: 25, Cursor: r.URL.Query().Get("cursor")})
	if desk.ErrorCode(err) == desk.EINVALID {
		// A mangled cursor starts the list again.
		pg, err = h.Tickets.List(r.Context(), ticket.Filter{Limit: 25})
	}
	if err != nil {
		return err
	}
	d := listData{Tickets: pg.Tickets, Next: pg.NextCursor, Shared: c.Actor().OrganizationID != 0, Me: c.ContactID}
	return h.render(w, r, http.StatusOK, "tickets.html", page{Title: "portal.my_tickets", Data: d})
}

// newTicketData is the new-ticket form.
type newTicketData struct {
	Subject, Body string
	Fields        []ticket.Field
	Values        map[string]any
	Errors        map[string]string // by field: subject, body, files, custom_fields.<key>, "" for the form
}

func (h *Handler) newTicketPage(w http.ResponseWriter, r *http.Request) error {
	fields, err := h.Tickets.PortalFormFields(r.Context())
	if err != nil {
		return err
	}
	d := newTicketData{Fields: fields, Values: map[string]any{}}
	return h.render(w, r, http.StatusOK, "ticket_new.html", page{Title: "portal.new_ticket", Back: "/portal/tickets", Data: d})
}

// createTicket opens a ticket for the signed-in customer on the portal
// channel, with the fields the portal shows and any files.
func (h *Handler) createTicket(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c := customerFrom(ctx)
	fields, err := h.Tickets.PortalFormFields(ctx)
	if err != nil {
		return err
	}
	f, err := h.readForm(r)
	if err != nil {
		return err
	}
	d := newTicketData{Subject: f.Values["subject"], Body: f.Values["body"], Fields: fields, Errors: map[string]string{}}
	var values map[string]any
	values, d.Values = customValues(f.Values, fields, d.Errors, func(key string) string { return h.tr(r, key) })
	if _, msg := ticket.CleanSubject(d.Subject); msg.Key != "" {
		d.Errors["subject"] = h.tr(r, msg.Key, msg.Args...)
	}
	if _, _, msg := ticket.Body(d.Body, ""); msg.Key != "" {
		d.Errors["body"] = h.tr(r, msg.Key, msg.Args...)
	}
	var t *ticket.Ticket
	if len(d.Errors) == 0 {
		if err = f.Keep(); err != nil {
			f.Discard()
			return err
		}
		// A ticket refused now leaves files no row references, which the
		// blob collector deletes.
		t, err = h.Tickets.Create(ctx, ticket.NewTicket{Subject: d.Subject, Body: d.Body, Channel: ticket.ChannelPortal,
			Requester: ticket.Person{Email: c.Email, Name: c.Name}, CustomFields: values, Attachments: f.Files})
		if desk.ErrorCode(err) == desk.EINVALID {
			for k, m := range desk.ErrorFields(err) {
				d.Errors[k] = h.tr(r, m.Key, m.Args...)
			}
		} else if err != nil {
			return err
		}
	} else {
		f.Discard()
	}
	if len(d.Errors) > 0 {
		return h.render(w, r, http.StatusBadRequest, "ticket_new.html",
			page{Title: "portal.new_ticket", Back: "/portal/tickets", Data: d})
	}
	http.Redirect(w, r, "/portal/tickets/"+strconv.FormatInt(t.ID, 10)+"?created=1", http.StatusSeeOther)
	return nil
}

// customValues reads the custom fields a form showed (cf_<key>): what to
// send to the service, and what to show again in the form.
func customValues(form map[string]string, defs []ticket.Field, errs map[string]string, tr func(string) string) (map[string]any, map[string]any) {
	send, shown := map[string]any{}, map[string]any{}
	for _, f := range defs {
		raw := strings.TrimSpace(form["cf_"+f.Key])
		switch {
		case f.Kind == ticket.FieldCheckbox:
			send[f.Key], shown[f.Key] = raw != "", raw != ""
		case raw == "":
		case f.Kind == ticket.FieldNumber:
			shown[f.Key] = raw
			n, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				errs["custom_fields."+f.Key] = tr("invalid.number")
				continue
			}
			send[f.Key] = n
		default:
			send[f.Key], shown[f.Key] = raw, raw
		}
	}
	return send, shown
}
