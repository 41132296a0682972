package portal

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/csat"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/ticket"
)

// ticketData is a ticket's page on the portal.
type ticketData struct {
	Ticket   *ticket.Ticket
	Messages []*ticket.Message
	Created  bool
	Replied  bool
	Reply    string
	Errors   []string
	Survey   surveyView
}

// surveyView is where the ticket's satisfaction survey stands for the
// customer looking at it.
type surveyView struct {
	Status  string // csat.Status*
	Rating  int    // the answer, 0 for none
	Comment string
	Open    bool // the viewer may answer (or change the answer) now
	Until   *time.Time
	Thanks  bool
	Errors  []string
}

func (h *Handler) ticketPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := ticketData{Created: q.Get("created") == "1", Replied: q.Get("replied") == "1"}
	d.Survey.Thanks = q.Get("rated") == "1"
	return h.showTicket(w, r, http.StatusOK, id, d)
}

func (h *Handler) showTicket(w http.ResponseWriter, r *http.Request, status int, id int64, d ticketData) error {
	ctx := r.Context()
	// One read of the ticket for the page and its thread. A customer's
	// thread holds public messages only (the service leaves internal notes
	// out for contacts); the check below keeps it so.
	t, msgs, err := h.Tickets.Thread(ctx, id)
	if err != nil {
		return err
	}
	d.Ticket = t
	for _, m := range msgs {
		if m.Internal {
			continue
		}
		// Inline images point at the portal's downloads, not the API's.
		m.BodyHTML = strings.ReplaceAll(m.BodyHTML, `"/api/v1/attachments/`, `"/portal/attachments/`)
		d.Messages = append(d.Messages, m)
	}
	if err := h.survey(r, d.Ticket, &d.Survey); err != nil {
		return err
	}
	return h.render(w, r, status, "ticket.html", page{Title: "portal.ticket_title", Back: "/portal/tickets", Data: d})
}

func (h *Handler) survey(r *http.Request, t *ticket.Ticket, v *surveyView) error {
	v.Status = csat.StatusNone
	if h.CSAT == nil {
		return nil
	}
	sv, err := h.CSAT.ForTicket(r.Context(), t.ID)
	if err != nil || sv == nil {
		return err
	}
	now := h.Clock.Now()
	v.Status = sv.Status(now)
	if sv.Rating != nil {
		v.Rating = *sv.Rating
	}
	if v.Comment == "" {
		v.Comment = sv.Comment
	}
	// Only the requester answers; a colleague sees where it stands.
	v.Open = sv.Open(now) && sv.ContactID == customerFrom(r.Context()).ContactID
	v.Until = sv.ChangeableUntil
	return nil
}

// reply adds the customer's public reply, with any files; a reply to a
// pending, on-hold or solved ticket reopens it (the service's rule).
func (h *Handler) reply(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		return err
	}
	// Nothing of the body is read for a ticket the customer may not
	// answer (not theirs, closed, merged).
	if err := h.Tickets.CheckMessage(ctx, id, nil); err != nil {
		return err
	}
	f, err := h.readForm(r)
	if err != nil {
		return err
	}
	in := ticket.NewMessage{Body: f.Values["body"], Attachments: f.Files}
	if err := h.Tickets.CheckMessage(ctx, id, &in); err != nil {
		f.Discard()
		if desk.ErrorCode(err) == desk.EINVALID {
			d := ticketData{Reply: in.Body}
			for _, m := range desk.ErrorFields(err) {
				d.Errors = append(d.Errors, h.tr(r, m.Key, m.Args...))
			}
			return h.showTicket(w, r, http.StatusBadRequest, id, d)
		}
		return err
	}
	if err := f.Keep(); err != nil {
		f.Discard()
		return err
	}
	if _, err := h.Tickets.AddMessage(ctx, id, in); err != nil {
		return err
	}
	http.Redirect(w, r, "/portal/tickets/"+strconv.FormatInt(id, 10)+"?replied=1#latest", http.StatusSeeOther)
	return nil
}

// answerSurvey records the requester's satisfaction answer from the
// ticket page.
func (h *Handler) answerSurvey(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := h.Tickets.Get(ctx, id); err != nil {
		return err
	}
	if h.CSAT == nil {
		return desk.E(desk.ENOTFOUND, "csat.not_found")
	}
	rating, _ := strconv.Atoi(r.PostFormValue("rating"))
	comment := r.PostFormValue("comment")
	_, err = h.CSAT.AnswerTicket(ctx, id, customerFrom(ctx).ContactID, rating, comment)
	switch desk.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/portal/tickets/"+strconv.FormatInt(id, 10)+"?rated=1#survey", http.StatusSeeOther)
		return nil
	case desk.EINVALID, desk.EUNPROCESSABLE, desk.ESTALE, desk.ECONFLICT:
		d := ticketData{}
		d.Survey.Comment = comment
		if fs := desk.ErrorFields(err); len(fs) > 0 {
			for _, m := range fs {
				d.Survey.Errors = append(d.Survey.Errors, h.tr(r, m.Key, m.Args...))
			}
		} else {
			m := desk.ErrorMsg(err)
			d.Survey.Errors = append(d.Survey.Errors, h.tr(r, m.Key, m.Args...))
		}
		return h.showTicket(w, r, web4xx(err), id, d)
	}
	return err
}

func web4xx(err error) int {
	if desk.ErrorCode(err) == desk.EINVALID {
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

// download serves a file of a message the customer may see. Only images
// are shown inline; a sandbox CSP keeps an uploaded page from running.
func (h *Handler) download(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := h.Tickets.Attachment(r.Context(), id)
	if err != nil {
		return err
	}
	f, err := h.Blobs.Open(a.SHA256)
	if err != nil {
		return err
	}
	defer f.Close()
	disposition := "attachment"
	if strings.HasPrefix(a.ContentType, "image/") && a.ContentType != "image/svg+xml" {
		disposition = "inline"
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ContentType)
	hd.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": a.Filename}))
	hd.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	hd.Set("Cache-Control", "private, max-age=3600")
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}
