package ticket

import (
	"context"
	"mime"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// Attachment limits.
const (
	MaxAttachment            = 25 << 20
	MaxAttachmentsPerMessage = 10
)

// CleanFilename keeps the base name of an uploaded file, safe to show and to
// put in a Content-Disposition header.
func CleanFilename(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	var b strings.Builder
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '"' || r == '/' {
			continue
		}
		b.WriteRune(r)
	}
	out := strings.TrimSpace(b.String())
	if out == "" || out == "." || !utf8.ValidString(out) {
		return "attachment"
	}
	if utf8.RuneCountInString(out) > 200 {
		out = string([]rune(out)[:200])
	}
	return out
}

// ContentType returns a declared type if it parses, else one from the
// file's extension, else application/octet-stream.
func ContentType(declared, filename string) string {
	if mt, _, err := mime.ParseMediaType(declared); err == nil && declared != "" {
		return mt
	}
	if t := mime.TypeByExtension(filepath.Ext(filename)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Attachment returns an attachment the actor may download, with the id of
// its ticket. Attachments on internal notes are for agents only.
func (s *Service) Attachment(ctx context.Context, id int64) (*Attachment, error) {
	a, err := actor(ctx, auth.TicketsRead)
	if err != nil {
		return nil, err
	}
	att, ticketID, internal, err := s.store.Attachment(ctx, id)
	if err != nil {
		return nil, err
	}
	if internal && a.Kind == desk.ActorContact {
		return nil, desk.E(desk.ENOTFOUND, "error.attachment_not_found", id)
	}
	if _, err := s.Get(ctx, ticketID); desk.ErrorCode(err) == desk.ENOTFOUND {
		return nil, desk.E(desk.ENOTFOUND, "error.attachment_not_found", id)
	} else if err != nil {
		return nil, err
	}
	return att, nil
}
