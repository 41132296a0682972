package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sahayak/sahayak/internal/channel/email"
)

// ticketMailbox is the SQL expression, over tickets t, of the mailbox a
// ticket's mail goes out from (NULL: none): the one its mail came in by.
const ticketMailbox = `t.mailbox_id`

// threadMessageIDs returns the Message-IDs of a ticket's mail before the
// message, oldest first, and the latest inbound one (what a reply answers;
// else the latest of all).
func (db *DB) threadMessageIDs(ctx context.Context, ticketID, beforeMessageID int64) ([]string, string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT rfc_message_id, direction FROM mail_message_ids
		WHERE ticket_id = $1 AND (message_id IS NULL OR message_id < $2) ORDER BY created_at, rfc_message_id`,
		ticketID, beforeMessageID)
	if err != nil {
		return nil, "", fmt.Errorf("ticket %d thread: %w", ticketID, err)
	}
	defer rows.Close()
	var ids []string
	var lastIn string
	for rows.Next() {
		var id, dir string
		if err := rows.Scan(&id, &dir); err != nil {
			return nil, "", fmt.Errorf("ticket %d thread: %w", ticketID, err)
		}
		ids = append(ids, id)
		if dir == "in" {
			lastIn = id
		}
	}
	if lastIn == "" && len(ids) > 0 {
		lastIn = ids[len(ids)-1]
	}
	return ids, lastIn, rows.Err()
}

// ticketCc is who follows the conversation besides the requester.
func (db *DB) ticketCc(ctx context.Context, ticketID int64, requester string) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT c.email FROM ticket_contact_followers f JOIN contacts c ON c.id = f.contact_id
		WHERE f.ticket_id = $1 AND c.email <> '' AND c.email <> $2 ORDER BY f.created_at, c.id`, ticketID, requester)
	if err != nil {
		return nil, fmt.Errorf("ticket %d followers: %w", ticketID, err)
	}
	defer rows.Close()
	var cc []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, err
		}
		cc = append(cc, e)
	}
	return cc, rows.Err()
}

// recordOutboundMessageID puts the mail's Message-ID beside those received,
// so that a customer's answer to it finds the ticket.
func recordOutboundMessageID(ctx context.Context, tx *txn, o *email.Outbound) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO mail_message_ids (mailbox_id, rfc_message_id, ticket_id, message_id,
		direction, created_at) VALUES ($1, $2, $3, $4, 'out', $5) ON CONFLICT (mailbox_id, rfc_message_id) DO NOTHING`,
		o.MailboxID, o.RFCMessageID, o.TicketID, sql.NullInt64{Int64: o.MessageID, Valid: o.MessageID != 0}, micros(o.CreatedAt)); err != nil {
		return fmt.Errorf("record message id of mail %d: %w", o.ID, err)
	}
	return nil
}
