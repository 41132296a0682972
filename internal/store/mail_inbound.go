package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
)

var (
	_ email.Store = (*DB)(nil)
	_ email.Tx    = (*ticketTx)(nil)
)

const inboundColumns = `id, mailbox_id, dedupe_key, raw_sha256, size, source, envelope_from, state, outcome, ticket_id,
	message_id, warnings, error, auto_reply, received_at, processed_at FROM mail_inbound`

func scanInbound(ctx context.Context, q querier, where string, args ...any) ([]*email.Inbound, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+inboundColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("inbound mail: %w", err)
	}
	defer rows.Close()
	out := []*email.Inbound{}
	for rows.Next() {
		var in email.Inbound
		var tid, mid, processed sql.NullInt64
		var warnings string
		var received int64
		if err := rows.Scan(&in.ID, &in.MailboxID, &in.DedupeKey, &in.RawSHA256, &in.Size, &in.Source, &in.EnvelopeFrom,
			&in.State, &in.Outcome, &tid, &mid, &warnings, &in.Error, &in.AutoReply, &received, &processed); err != nil {
			return nil, fmt.Errorf("inbound mail: %w", err)
		}
		in.TicketID, in.MessageID = fromNullID(tid), fromNullID(mid)
		in.ReceivedAt, in.ProcessedAt = fromMicros(received), fromNullMicros(processed)
		if err := json.Unmarshal([]byte(warnings), &in.Warnings); err != nil || in.Warnings == nil {
			in.Warnings = []string{}
		}
		out = append(out, &in)
	}
	return out, rows.Err()
}

// ClaimInbound records a received message once per (mailbox, dedupe key)
// and reads back the stored row.
func (db *DB) ClaimInbound(ctx context.Context, in *email.Inbound) (bool, error) {
	var id int64
	claim := func(q querier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO mail_inbound (mailbox_id, dedupe_key, raw_sha256, size, source,
			envelope_from, state, received_at, raw) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (mailbox_id, dedupe_key) DO NOTHING RETURNING id`, in.MailboxID, in.DedupeKey, in.RawSHA256,
			in.Size, in.Source, in.EnvelopeFrom, email.StateReceived, micros(in.ReceivedAt), in.Raw).Scan(&id)
		if err == sql.ErrNoRows {
			return nil
		}
		return err
	}
	err := db.writeOne(ctx, claim)
	if err != nil {
		return false, fmt.Errorf("claim inbound mail: %w", err)
	}
	if id != 0 {
		in.ID, in.State = id, email.StateReceived
		in.Warnings = []string{}
		return true, nil
	}
	list, err := scanInbound(ctx, db.write, `WHERE mailbox_id = $1 AND dedupe_key = $2`, in.MailboxID, in.DedupeKey)
	got, err := one(list, err, desk.M("error.inbound_not_found", 0))
	if err != nil {
		return false, err
	}
	*in = *got
	return false, nil
}

// InboundMail returns one received message's record.
func (db *DB) InboundMail(ctx context.Context, id int64) (*email.Inbound, error) {
	list, err := scanInbound(ctx, db.read, `WHERE id = $1`, id)
	return one(list, err, desk.M("error.inbound_not_found", id))
}

// InboundRaw returns the raw message a record keeps (nil: in the blob store).
func (db *DB) InboundRaw(ctx context.Context, id int64) ([]byte, error) {
	var raw []byte
	if err := db.read.QueryRowContext(ctx, `SELECT raw FROM mail_inbound WHERE id = $1`, id).Scan(&raw); err != nil {
		return nil, notFound(err, desk.M("error.inbound_not_found", id))
	}
	return raw, nil
}

// PendingInbound lists messages received before a time and still not on a
// ticket, oldest first.
func (db *DB) PendingInbound(ctx context.Context, before time.Time, afterID int64, limit int) ([]*email.Inbound, error) {
	return scanInbound(ctx, db.read, `WHERE state = $1 AND id > $2 AND received_at < $3 ORDER BY id LIMIT $4`,
		email.StateReceived, afterID, micros(before), limit)
}

// InboundAfter lists a mailbox's received messages (every mailbox's for 0)
// after an id.
func (db *DB) InboundAfter(ctx context.Context, mailboxID, afterID int64, limit int) ([]*email.Inbound, error) {
	if mailboxID == 0 {
		return scanInbound(ctx, db.read, `WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	}
	return scanInbound(ctx, db.read, `WHERE mailbox_id = $1 AND id > $2 ORDER BY id LIMIT $3`, mailboxID, afterID, limit)
}

// SettleInbound finishes a message that changed no ticket, if it is not
// done already.
func (db *DB) SettleInbound(ctx context.Context, id int64, state, outcome, errText string, warnings []string, now time.Time) error {
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `UPDATE mail_inbound SET state = $2, outcome = $3, error = $4, warnings = $5,
			processed_at = $6 WHERE id = $1 AND state <> $7`, id, state, outcome, errText, marshal(nonNilStrings(warnings)),
			micros(now), email.StateDone)
		return err
	})
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// TicketByMessageIDs returns the ticket of the first of the ids recorded,
// preferring the mailbox's own record of an id.
func (db *DB) TicketByMessageIDs(ctx context.Context, mailboxID int64, ids []string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	// Only the ids are parameters: PostgreSQL refuses a parameter the
	// statement does not use (it cannot tell its type).
	args := make([]any, 0, len(ids))
	marks := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT rfc_message_id, ticket_id, mailbox_id FROM mail_message_ids
		WHERE rfc_message_id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("thread by message id: %w", err)
	}
	defer rows.Close()
	type hit struct{ ticket, mailbox int64 }
	found := map[string][]hit{}
	for rows.Next() {
		var id string
		var h hit
		if err := rows.Scan(&id, &h.ticket, &h.mailbox); err != nil {
			return 0, fmt.Errorf("thread by message id: %w", err)
		}
		found[id] = append(found[id], h)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, id := range ids {
		hits := found[id]
		for _, h := range hits {
			if h.mailbox == mailboxID {
				return h.ticket, nil
			}
		}
		if len(hits) > 0 {
			return hits[0].ticket, nil
		}
	}
	return 0, nil
}

// IsParticipant tells whether an address is a ticket's requester's or one
// of its contact followers'.
func (db *DB) IsParticipant(ctx context.Context, ticketID int64, address string) (bool, error) {
	var ok bool
	err := db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tickets t JOIN contact_emails e ON e.contact_id = t.requester_id
			WHERE t.id = $1 AND e.email = $2)
		OR EXISTS (SELECT 1 FROM ticket_contact_followers f JOIN contact_emails e ON e.contact_id = f.contact_id
			WHERE f.ticket_id = $1 AND e.email = $2)`, ticketID, strings.ToLower(address)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("ticket %d participant: %w", ticketID, err)
	}
	return ok, nil
}

// MailRecipients returns the addresses mail about a ticket goes to: the
// requester's, and its contact followers' (Cc).
func (db *DB) MailRecipients(ctx context.Context, ticketID int64) (to string, cc []string, err error) {
	if err := db.read.QueryRowContext(ctx, `SELECT c.email FROM tickets t JOIN contacts c ON c.id = t.requester_id
		WHERE t.id = $1`, ticketID).Scan(&to); err != nil {
		return "", nil, notFound(err, desk.M("error.ticket_not_found", ticketID))
	}
	rows, err := db.read.QueryContext(ctx, `SELECT c.email FROM ticket_contact_followers f JOIN contacts c ON c.id = f.contact_id
		WHERE f.ticket_id = $1 AND c.email <> '' ORDER BY f.created_at, c.id`, ticketID)
	if err != nil {
		return "", nil, fmt.Errorf("ticket %d followers: %w", ticketID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return "", nil, err
		}
		if e != to {
			cc = append(cc, e)
		}
	}
	return to, cc, rows.Err()
}

// ThreadMessageIDs returns the Message-IDs of a ticket's mail, oldest first
// (for the References of a reply).
func (db *DB) ThreadMessageIDs(ctx context.Context, ticketID int64) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT rfc_message_id FROM mail_message_ids WHERE ticket_id = $1
		ORDER BY created_at, rfc_message_id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("ticket %d message ids: %w", ticketID, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// TicketMailbox returns the mailbox a ticket's mail came by, nil for none.
func (db *DB) TicketMailbox(ctx context.Context, ticketID int64) (*int64, error) {
	var id sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT mailbox_id FROM tickets WHERE id = $1`, ticketID).Scan(&id)
	if err != nil {
		return nil, notFound(err, desk.M("error.ticket_not_found", ticketID))
	}
	return fromNullID(id), nil
}

// FinishInbound marks a received message done with its ticket, in the
// ticket change's transaction; false when it was done already.
func (x *ticketTx) FinishInbound(ctx context.Context, id int64, outcome string, ticketID, messageID int64, warnings []string,
	autoReply string, now time.Time) (bool, error) {
	res, err := x.tx.ExecContext(ctx, `UPDATE mail_inbound SET state = $2, outcome = $3, ticket_id = $4, message_id = $5,
		warnings = $6, error = '', processed_at = $7, auto_reply = $8 WHERE id = $1 AND state <> $2`, id, email.StateDone,
		outcome, ticketID, messageID, marshal(nonNilStrings(warnings)), micros(now), autoReply)
	if err != nil {
		return false, fmt.Errorf("finish inbound mail %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecordInbound inserts, in the ticket change's transaction, the record of
// a message not recorded before, finished with its ticket; 0 when the
// mailbox has a record of the message already (the caller rolls back).
func (x *ticketTx) RecordInbound(ctx context.Context, in *email.Inbound, outcome string, ticketID, messageID int64,
	warnings []string, autoReply string, now time.Time) (int64, error) {
	var id int64
	err := x.tx.QueryRowContext(ctx, `INSERT INTO mail_inbound (mailbox_id, dedupe_key, raw_sha256, size, source,
		envelope_from, state, received_at, raw, outcome, ticket_id, message_id, warnings, processed_at, auto_reply)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (mailbox_id, dedupe_key) DO NOTHING RETURNING id`, in.MailboxID, in.DedupeKey, in.RawSHA256,
		in.Size, in.Source, in.EnvelopeFrom, email.StateDone, micros(in.ReceivedAt), in.Raw, outcome, ticketID,
		messageID, marshal(nonNilStrings(warnings)), micros(now), autoReply).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("record inbound mail: %w", err)
	}
	return id, nil
}

// AddMessageIDs records Message-IDs of a ticket's mail; one already
// recorded for the mailbox is kept as it is.
func (x *ticketTx) AddMessageIDs(ctx context.Context, ids []email.MessageIDRecord, now time.Time) error {
	for _, r := range ids {
		var msg sql.NullInt64
		if r.Message != 0 {
			msg = sql.NullInt64{Int64: r.Message, Valid: true}
		}
		if _, err := x.tx.ExecContext(ctx, `INSERT INTO mail_message_ids (mailbox_id, rfc_message_id, ticket_id, message_id,
			direction, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (mailbox_id, rfc_message_id) DO NOTHING`,
			r.MailboxID, r.MessageID, r.TicketID, msg, r.Direction, micros(now)); err != nil {
			return fmt.Errorf("record message id: %w", err)
		}
	}
	return nil
}

// SetTicketMailbox ties a ticket to the mailbox its mail came by.
func (x *ticketTx) SetTicketMailbox(ctx context.Context, ticketID, mailboxID int64) error {
	_, err := x.tx.ExecContext(ctx, `UPDATE tickets SET mailbox_id = $2 WHERE id = $1`, ticketID, mailboxID)
	return err
}

// AddContactFollowers makes contacts followers of a ticket's conversation.
func (x *ticketTx) AddContactFollowers(ctx context.Context, ticketID int64, contactIDs []int64, now time.Time) error {
	for _, c := range contactIDs {
		if _, err := x.tx.ExecContext(ctx, `INSERT INTO ticket_contact_followers (ticket_id, contact_id, created_at)
			VALUES ($1, $2, $3) ON CONFLICT (ticket_id, contact_id) DO NOTHING`, ticketID, c, micros(now)); err != nil {
			return fmt.Errorf("add contact follower: %w", err)
		}
	}
	return nil
}
