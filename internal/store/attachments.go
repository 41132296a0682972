package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/ticket"
)

var _ blob.Referencer = (*DB)(nil)

// Attachment returns an attachment with its message's ticket and note flag.
func (db *DB) Attachment(ctx context.Context, id int64) (*ticket.Attachment, int64, bool, error) {
	var a ticket.Attachment
	var ticketID int64
	var internal bool
	err := db.read.QueryRowContext(ctx, `SELECT a.id, a.filename, a.content_type, a.size, a.sha256, a.content_id, a.inline,
		m.ticket_id, m.internal
		FROM attachments a JOIN messages m ON m.id = a.message_id WHERE a.id = $1`, id).
		Scan(&a.ID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &a.ContentID, &a.Inline, &ticketID, &internal)
	if err != nil {
		return nil, 0, false, notFound(err, desk.M("error.attachment_not_found", id))
	}
	return &a, ticketID, internal, nil
}

// ReferencedBlobs returns which of the digests an attachment row, the
// record of a received mail message (its raw bytes), or a knowledge base
// image refers to.
func (db *DB) ReferencedBlobs(ctx context.Context, digests []string) (map[string]bool, error) {
	out := make(map[string]bool, len(digests))
	if len(digests) == 0 {
		return out, nil
	}
	args := make([]any, len(digests))
	marks := make([]string, len(digests))
	for i, d := range digests {
		args[i], marks[i] = d, "$"+strconv.Itoa(i+1)
	}
	in := strings.Join(marks, ", ")
	rows, err := db.read.QueryContext(ctx, `SELECT sha256 FROM attachments WHERE sha256 IN (`+in+`)
		UNION SELECT raw_sha256 FROM mail_inbound WHERE raw_sha256 IN (`+in+`)
		UNION SELECT sha256 FROM kb_images WHERE sha256 IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("referenced blobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("referenced blobs: %w", err)
		}
		out[d] = true
	}
	return out, rows.Err()
}
