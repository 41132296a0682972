package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/ticket"
)

// maxMultipart bounds a message with attachments: every file at its limit
// plus room for the text fields.
const maxMultipart = ticket.MaxAttachmentsPerMessage*ticket.MaxAttachment + MaxJSONBody

// readMultipartMessage streams a multipart/form-data message to ticket id:
// text fields body, body_html and internal, and any number of "files"
// parts, each received into a temporary file as it arrives (never held in
// memory whole). Nothing is stored before the actor may post to the ticket:
// the ticket's scope and state and the permission are checked before the
// body is read, and again for the message's kind once it is known; only
// then are the files kept. A refused message leaves no file behind.
func (s *Server) readMultipartMessage(r *http.Request, id int64) (in ticket.NewMessage, err error) {
	if err := s.Tickets.CheckMessage(r.Context(), id, nil); err != nil {
		return in, err
	}
	mr, err := multipartReader(r)
	if err != nil {
		return in, desk.E(desk.EINVALID, "error.multipart")
	}
	var uploads []*blob.Upload
	defer func() {
		if err != nil {
			for _, u := range uploads {
				u.Discard()
			}
		}
	}()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return in, desk.E(desk.ETOOLARGE, "error.message_too_large")
			}
			return in, desk.E(desk.EINVALID, "error.multipart")
		}
		if part.FileName() == "" {
			v, err := io.ReadAll(io.LimitReader(part, MaxJSONBody+1))
			if err != nil || len(v) > MaxJSONBody {
				return in, desk.E(desk.ETOOLARGE, "error.part_too_large", part.FormName())
			}
			if !cleanText(string(v)) {
				// As in JSON bodies: PostgreSQL cannot store NUL.
				return in, desk.E(desk.EINVALID, "error.form_unclean")
			}
			switch part.FormName() {
			case "body":
				in.Body = string(v)
			case "body_html":
				in.BodyHTML = string(v)
			case "internal":
				in.Internal, _ = strconv.ParseBool(string(v))
			case "status":
				in.Status = string(v)
			case "csrf":
			case "files":
				// A form's file input with no file chosen sends an empty
				// part without a file name.
				if len(v) > 0 {
					return in, desk.Invalid(desk.Fields{"files": desk.M("invalid.files_field")})
				}
			default:
				return in, desk.Invalid(desk.Fields{part.FormName(): desk.M("invalid.unknown_field")})
			}
			continue
		}
		if part.FormName() != "files" {
			return in, desk.Invalid(desk.Fields{part.FormName(): desk.M("invalid.files_field")})
		}
		if len(uploads) == ticket.MaxAttachmentsPerMessage {
			return in, desk.Invalid(desk.Fields{"files": desk.M("invalid.files_max", ticket.MaxAttachmentsPerMessage)})
		}
		u, err := s.Blobs.Receive(part, ticket.MaxAttachment)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return in, desk.E(desk.ETOOLARGE, "error.message_too_large")
			}
			return in, err
		}
		uploads = append(uploads, u)
		name := ticket.CleanFilename(part.FileName())
		in.Attachments = append(in.Attachments, ticket.Attachment{Filename: name,
			ContentType: ticket.ContentType(part.Header.Get("Content-Type"), name), Size: u.Size, SHA256: u.Digest})
	}
	if len(uploads) == 0 {
		return in, nil
	}
	// The kind is known now; the ticket may have changed while the files
	// arrived. A message refused after this leaves files no row references,
	// which the collector deletes (see blob.Collect).
	if err := s.Tickets.CheckMessage(r.Context(), id, &in); err != nil {
		return in, err
	}
	for _, u := range uploads {
		if err := u.Keep(); err != nil {
			return in, err
		}
	}
	return in, nil
}

// downloadAttachment serves a stored file. Only images are shown inline; all
// else downloads, and a sandbox CSP keeps an uploaded page from running.
func (s *Server) downloadAttachment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.Tickets.Attachment(r.Context(), id)
	if err != nil {
		return err
	}
	f, err := s.Blobs.Open(a.SHA256)
	if err != nil {
		return err
	}
	defer f.Close()
	disposition := "attachment"
	if strings.HasPrefix(a.ContentType, "image/") && a.ContentType != "image/svg+xml" {
		disposition = "inline"
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": a.Filename}))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, max-age=3600")
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}
