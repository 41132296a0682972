package portal

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Body limits: a URL-encoded form, a text part of a multipart form, and a
// whole multipart form (every file at its limit plus the text).
const (
	maxForm      = 4 << 20
	maxTextPart  = 1 << 20
	maxMultipart = ticket.MaxAttachmentsPerMessage*ticket.MaxAttachment + maxForm
)

type multipartKey struct{}

// firstPart reads a multipart form's first part, which must be the csrf
// field (forms put it first), so that no file is read for a request that
// fails the check. The request returned carries the reader, past that part.
func firstPart(w http.ResponseWriter, r *http.Request) (*http.Request, string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxMultipart)
	mr, err := r.MultipartReader()
	if err != nil {
		return r, "", err
	}
	part, err := mr.NextPart()
	if err != nil {
		return r, "", err
	}
	if part.FormName() != "csrf" || part.FileName() != "" {
		return r, "", errors.New("csrf is not the first part")
	}
	v, err := io.ReadAll(io.LimitReader(part, 256))
	if err != nil {
		return r, "", err
	}
	return r.WithContext(context.WithValue(r.Context(), multipartKey{}, mr)), string(v), nil
}

// form is a posted form with files: its text fields, and the files
// received into the blob store's temporary area (not kept yet).
type form struct {
	Values  map[string]string
	uploads []*blob.Upload
	Files   []ticket.Attachment
}

// Keep keeps the received files in the blob store.
func (f *form) Keep() error {
	for _, u := range f.uploads {
		if err := u.Keep(); err != nil {
			return err
		}
	}
	return nil
}

// Discard drops the received files.
func (f *form) Discard() {
	for _, u := range f.uploads {
		u.Discard()
	}
}

// readForm reads a multipart form (or a URL-encoded one, without files):
// text fields and any number of "files" parts up to the attachment limits,
// each file streamed to a temporary file as it arrives.
func (h *Handler) readForm(r *http.Request) (f *form, err error) {
	f = &form{Values: map[string]string{}}
	mr, ok := r.Context().Value(multipartKey{}).(*multipart.Reader)
	if !ok {
		if err := r.ParseForm(); err != nil {
			return nil, desk.E(desk.EINVALID, "portal.bad_form")
		}
		for k, vs := range r.PostForm {
			if len(vs) > 0 {
				f.Values[k] = vs[0]
			}
		}
		return f, nil
	}
	defer func() {
		if err != nil {
			f.Discard()
		}
	}()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return f, tooLarge(err, desk.E(desk.EINVALID, "portal.bad_form"))
		}
		if part.FileName() == "" {
			v, err := io.ReadAll(io.LimitReader(part, maxTextPart+1))
			if err != nil {
				return f, tooLarge(err, desk.E(desk.EINVALID, "portal.bad_form"))
			}
			if len(v) > maxTextPart {
				return f, desk.E(desk.ETOOLARGE, "portal.too_large")
			}
			if s := string(v); utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
				f.Values[part.FormName()] = s
			} else {
				// PostgreSQL cannot store NUL or invalid UTF-8.
				return f, desk.E(desk.EINVALID, "portal.bad_form")
			}
			continue
		}
		if part.FormName() != "files" {
			return f, desk.E(desk.EINVALID, "portal.bad_form")
		}
		if len(f.uploads) == ticket.MaxAttachmentsPerMessage {
			return f, desk.Invalid(desk.Fields{"files": desk.M("invalid.files_max", ticket.MaxAttachmentsPerMessage)})
		}
		u, err := h.Blobs.Receive(part, ticket.MaxAttachment)
		if err != nil {
			return f, tooLarge(err, err)
		}
		f.uploads = append(f.uploads, u)
		name := ticket.CleanFilename(part.FileName())
		f.Files = append(f.Files, ticket.Attachment{Filename: name,
			ContentType: ticket.ContentType(part.Header.Get("Content-Type"), name), Size: u.Size, SHA256: u.Digest})
	}
}

// tooLarge maps a body over its limit to ETOOLARGE, else answers other.
func tooLarge(err, other error) error {
	if desk.ErrorCode(err) == desk.ETOOLARGE {
		return err
	}
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		return desk.E(desk.ETOOLARGE, "portal.too_large")
	}
	return other
}
