package store

import (
	"context"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Attachment returns an attachment with its message's ticket and note flag.
func (db *DB) Attachment(ctx context.Context, id int64) (*ticket.Attachment, int64, bool, error) {
	var a ticket.Attachment
	var ticketID int64
	var internal bool
	err := db.read.QueryRowContext(ctx, `SELECT a.id, a.filename, a.content_type, a.size, a.sha256, m.ticket_id, m.internal
		FROM attachments a JOIN messages m ON m.id = a.message_id WHERE a.id = $1`, id).
		Scan(&a.ID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &ticketID, &internal)
	if err != nil {
		return nil, 0, false, notFound(err, desk.M("error.attachment_not_found", id))
	}
	return &a, ticketID, internal, nil
}
