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
	"github.com/sahayak/sahayak/internal/ticket"
)

var (
	_ email.OutboundStore = (*DB)(nil)
	_ email.IMAPStore     = (*DB)(nil)
)

// ReplyDraft gathers what the mail of a public agent reply is made of.
func (db *DB) ReplyDraft(ctx context.Context, messageID int64) (*email.Draft, error) {
	d := &email.Draft{MessageID: messageID}
	var mailboxID sql.NullInt64
	var requester sql.NullString
	var internal bool
	var authorKind string
	err := db.read.QueryRowContext(ctx, `SELECT m.ticket_id, m.author_kind, m.internal, COALESCE(a.name, ''),
		m.body_text, m.body_html, t.subject, c.email, `+ticketMailbox+`
		FROM messages m JOIN tickets t ON t.id = m.ticket_id
		LEFT JOIN agents a ON m.author_kind = 'agent' AND a.id = m.author_id
		LEFT JOIN contacts c ON c.id = t.requester_id
		WHERE m.id = $1`, messageID).Scan(&d.TicketID, &authorKind, &internal, &d.AuthorName, &d.Body, &d.BodyHTML,
		&d.Subject, &requester, &mailboxID)
	if err != nil {
		return nil, notFound(err, desk.M("error.message_not_found", messageID))
	}
	d.Automatic = authorKind == desk.ActorSystem
	if internal || (authorKind != desk.ActorAgent && !d.Automatic) || !mailboxID.Valid || !requester.Valid || requester.String == "" {
		return nil, desk.E(desk.ENOTFOUND, "error.message_not_found", messageID)
	}
	d.To = []string{requester.String}
	rows, err := db.read.QueryContext(ctx, `SELECT id, filename, content_type, size, sha256, content_id, inline FROM attachments
		WHERE message_id = $1 ORDER BY id`, messageID)
	if err != nil {
		return nil, fmt.Errorf("reply %d attachments: %w", messageID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a ticket.Attachment
		if err := rows.Scan(&a.ID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &a.ContentID, &a.Inline); err != nil {
			return nil, fmt.Errorf("reply %d attachments: %w", messageID, err)
		}
		d.Attachments = append(d.Attachments, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reply %d attachments: %w", messageID, err)
	}
	rows.Close()
	// The customer's message this reply answers: their latest before it.
	var prev ticket.Message
	var created int64
	err = db.read.QueryRowContext(ctx, `SELECT m.id, COALESCE(c.name, ''), m.body_text, m.created_at FROM messages m
		LEFT JOIN contacts c ON c.id = m.author_id WHERE m.ticket_id = $1 AND m.author_kind = 'contact' AND m.id < $2
		AND m.internal = FALSE ORDER BY m.id DESC LIMIT 1`, d.TicketID, messageID).Scan(&prev.ID, &prev.AuthorName,
		&prev.BodyText, &created)
	switch {
	case err == nil:
		prev.CreatedAt = fromMicros(created)
		d.Previous = &prev
	case err != sql.ErrNoRows:
		return nil, fmt.Errorf("reply %d previous message: %w", messageID, err)
	}
	if d.Thread, d.InReplyTo, err = db.threadMessageIDs(ctx, d.TicketID, messageID); err != nil {
		return nil, err
	}
	if d.Cc, err = db.ticketCc(ctx, d.TicketID, requester.String); err != nil {
		return nil, err
	}
	return d, nil
}

const outboundColumns = `id, COALESCE(message_id, 0), COALESCE(ticket_id, 0), mailbox_id, rfc_message_id, sender,
	recipients, subject, status, reason, relay, attempts, created_at, updated_at, sent_at, purpose, COALESCE(batch, 0)`

func scanOutbound(ctx context.Context, q querier, withRaw bool, where string, args ...any) ([]*email.Outbound, error) {
	cols := outboundColumns
	if withRaw {
		cols += ", raw"
	}
	rows, err := q.QueryContext(ctx, `SELECT `+cols+` FROM mail_outbound `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("outbound mail: %w", err)
	}
	defer rows.Close()
	out := []*email.Outbound{}
	for rows.Next() {
		var o email.Outbound
		var rcpts string
		var c, u int64
		var sent sql.NullInt64
		dest := []any{&o.ID, &o.MessageID, &o.TicketID, &o.MailboxID, &o.RFCMessageID, &o.Sender, &rcpts, &o.Subject,
			&o.Status, &o.Reason, &o.Relay, &o.Attempts, &c, &u, &sent, &o.Purpose, &o.Batch}
		if withRaw {
			dest = append(dest, &o.Raw)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("outbound mail: %w", err)
		}
		o.Recipients = []string{}
		if rcpts != "" {
			if err := json.Unmarshal([]byte(rcpts), &o.Recipients); err != nil {
				return nil, fmt.Errorf("outbound mail %d recipients: %w", o.ID, err)
			}
		}
		o.CreatedAt, o.UpdatedAt, o.SentAt = fromMicros(c), fromMicros(u), fromNullMicros(sent)
		out = append(out, &o)
	}
	return out, rows.Err()
}

// ReplyMails picks the public replies of agents and automations on tickets
// that have a mailbox, each with why the ticket's latest mail before it
// was a machine's ("" for a person's): what the
// sender needs to queue its mail.
func (db *DB) ReplyMails(ctx context.Context, messageIDs []int64) ([]email.ReplyMail, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT m.id, m.ticket_id, mb.id, mb.address, t.subject, c.email, m.author_kind,
		COALESCE((SELECT i.auto_reply FROM mail_inbound i WHERE i.ticket_id = m.ticket_id AND i.state = 'done'
			AND i.message_id < m.id ORDER BY i.id DESC LIMIT 1), '')
		FROM messages m JOIN tickets t ON t.id = m.ticket_id
		JOIN mailboxes mb ON mb.id = `+ticketMailbox+`
		JOIN contacts c ON c.id = t.requester_id
		WHERE m.id IN (`+idList(messageIDs)+`) AND m.internal = FALSE AND m.author_kind IN ('agent', 'system')
		ORDER BY m.id`)
	if err != nil {
		return nil, fmt.Errorf("reply mails: %w", err)
	}
	defer rows.Close()
	var out []email.ReplyMail
	for rows.Next() {
		var r email.ReplyMail
		if err := rows.Scan(&r.MessageID, &r.TicketID, &r.MailboxID, &r.MailboxAddress, &r.Subject, &r.To,
			&r.AuthorKind, &r.AutoReply); err != nil {
			return nil, fmt.Errorf("reply mails: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// QueueOutbound inserts, in one transaction, each mail whose message has
// none yet (setting its ID; a mail already there is read back: its ID,
// state, Message-ID and batch, with no count), records its
// Message-ID for threading, counts it for each recipient in the loop
// window, and puts the inserted mails of one group number (Batch) in one
// batch, returning the highest count of each inserted mail's recipients.
func (db *DB) QueueOutbound(ctx context.Context, mails []*email.Outbound, window time.Time) (map[int64]int, error) {
	counts := map[int64]int{}
	groups := make([]int64, len(mails))
	for i, o := range mails {
		groups[i] = o.Batch
	}
	err := db.inTx(ctx, func(tx *txn) error {
		clear(counts)
		batches := map[int64][]int64{} // group number → its inserted mails
		inserted := make([]bool, len(mails))
		for i, o := range mails {
			o.ID, o.Batch = 0, 0
			err := tx.QueryRowContext(ctx, `INSERT INTO mail_outbound (message_id, ticket_id, mailbox_id, rfc_message_id,
				sender, recipients, subject, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
				ON CONFLICT (message_id) DO NOTHING RETURNING id`, o.MessageID, o.TicketID, o.MailboxID, o.RFCMessageID,
				o.Sender, marshal(o.Recipients), o.Subject, o.Status, micros(o.CreatedAt)).Scan(&o.ID)
			if err == sql.ErrNoRows {
				// Queued by an earlier run of the batch, which may have died
				// before enqueueing its job: the caller enqueues it again
				// (the job is unique) if it is still queued.
				if err := tx.QueryRowContext(ctx, `SELECT id, status, rfc_message_id, COALESCE(batch, 0) FROM mail_outbound
					WHERE message_id = $1`, o.MessageID).Scan(&o.ID, &o.Status, &o.RFCMessageID, &o.Batch); err != nil {
					return fmt.Errorf("queued mail of message %d: %w", o.MessageID, err)
				}
				continue
			}
			if err != nil {
				return fmt.Errorf("queue mail of message %d: %w", o.MessageID, err)
			}
			if err := recordOutboundMessageID(ctx, tx, o); err != nil {
				return err
			}
			for _, rcpt := range o.Recipients {
				var n int
				if err := tx.QueryRowContext(ctx, `INSERT INTO mail_sender_counts (address, window_start, n) VALUES ($1, $2, 1)
					ON CONFLICT (address, window_start) DO UPDATE SET n = mail_sender_counts.n + 1 RETURNING n`,
					strings.ToLower(rcpt), micros(window)).Scan(&n); err != nil {
					return fmt.Errorf("count mail for %s: %w", rcpt, err)
				}
				counts[o.ID] = max(counts[o.ID], n)
			}
			if groups[i] != 0 {
				inserted[i] = true
				batches[groups[i]] = append(batches[groups[i]], o.ID)
			}
		}
		// A batch is named by its first mail; each mail is put in one
		// batch, here, once.
		for _, ids := range batches {
			if _, err := tx.ExecContext(ctx, `UPDATE mail_outbound SET batch = $1 WHERE id IN (`+idList(ids)+`)`,
				ids[0]); err != nil {
				return fmt.Errorf("batch queued mail: %w", err)
			}
		}
		for i, o := range mails {
			if inserted[i] {
				o.Batch = batches[groups[i]][0]
			}
		}
		return nil
	})
	return counts, err
}

// OutboundBatch returns the queued mails of a batch, by id, with their raw
// text.
func (db *DB) OutboundBatch(ctx context.Context, batch int64) ([]*email.Outbound, error) {
	return scanOutbound(ctx, db.read, true, `WHERE batch = $1 AND status = $2 ORDER BY id`, batch, email.DeliveryQueued)
}

// SaveOutbounds writes the state of several outgoing mails in one
// transaction.
func (db *DB) SaveOutbounds(ctx context.Context, list []*email.Outbound) error {
	return db.inTx(ctx, func(tx *txn) error {
		for _, o := range list {
			res, err := tx.ExecContext(ctx, saveOutbound, outboundState(o)...)
			if err := mustAffect(res, err, desk.M("mailsend.not_found", o.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Outbound returns one outgoing mail with its raw text.
func (db *DB) Outbound(ctx context.Context, id int64) (*email.Outbound, error) {
	list, err := scanOutbound(ctx, db.read, true, `WHERE id = $1`, id)
	return one(list, err, desk.M("mailsend.not_found", id))
}

// OutboundByMessageID finds the mail the desk sent with a Message-ID.
func (db *DB) OutboundByMessageID(ctx context.Context, rfcMessageID string) (*email.Outbound, error) {
	list, err := scanOutbound(ctx, db.read, false, `WHERE rfc_message_id = $1`, rfcMessageID)
	return one(list, err, desk.M("mailsend.not_found", 0))
}

// SaveOutbound writes the state of an outgoing mail.
func (db *DB) SaveOutbound(ctx context.Context, o *email.Outbound) error {
	res, err := db.exec(ctx, saveOutbound, outboundState(o)...)
	return mustAffect(res, err, desk.M("mailsend.not_found", o.ID))
}

const saveOutbound = `UPDATE mail_outbound SET status = $2, reason = $3, relay = $4, attempts = $5, raw = $6,
	recipients = $7, updated_at = $8, sent_at = $9 WHERE id = $1`

func outboundState(o *email.Outbound) []any {
	return []any{o.ID, o.Status, o.Reason, o.Relay, o.Attempts, o.Raw, marshal(o.Recipients), micros(o.UpdatedAt),
		nullMicros(o.SentAt)}
}

// OutboundList lists outgoing mail newest first.
func (db *DB) OutboundList(ctx context.Context, beforeID int64, limit int) ([]*email.Outbound, error) {
	if beforeID > 0 {
		return scanOutbound(ctx, db.read, false, `WHERE id < $1 ORDER BY id DESC LIMIT $2`, beforeID, limit)
	}
	return scanOutbound(ctx, db.read, false, `ORDER BY id DESC LIMIT $1`, limit)
}

// MessageDeliveries returns the delivery state of a ticket's mailed
// messages by message id.
func (db *DB) MessageDeliveries(ctx context.Context, ticketID int64) (map[int64]*ticket.Delivery, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT o.message_id, o.status, o.reason FROM mail_outbound o
		JOIN messages m ON m.id = o.message_id WHERE m.ticket_id = $1`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("ticket %d deliveries: %w", ticketID, err)
	}
	defer rows.Close()
	out := map[int64]*ticket.Delivery{}
	for rows.Next() {
		var id int64
		var d ticket.Delivery
		if err := rows.Scan(&id, &d.Status, &d.Reason); err != nil {
			return nil, fmt.Errorf("ticket %d deliveries: %w", ticketID, err)
		}
		out[id] = &d
	}
	return out, rows.Err()
}

// MailboxDKIM returns a mailbox's DKIM key.
func (db *DB) MailboxDKIM(ctx context.Context, mailboxID int64) (*email.DKIM, error) {
	var d email.DKIM
	var u int64
	err := db.read.QueryRowContext(ctx, `SELECT mailbox_id, domain, selector, private_key, updated_at FROM mailbox_dkim
		WHERE mailbox_id = $1`, mailboxID).Scan(&d.MailboxID, &d.Domain, &d.Selector, &d.Key, &u)
	if err != nil {
		return nil, notFound(err, desk.M("mailsend.no_dkim", mailboxID))
	}
	d.UpdatedAt = fromMicros(u)
	return &d, nil
}

// PutMailboxDKIM sets a mailbox's DKIM key.
func (db *DB) PutMailboxDKIM(ctx context.Context, d *email.DKIM) error {
	_, err := db.exec(ctx, `INSERT INTO mailbox_dkim (mailbox_id, domain, selector, private_key, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (mailbox_id) DO UPDATE SET domain = excluded.domain,
		selector = excluded.selector, private_key = excluded.private_key, updated_at = excluded.updated_at`,
		d.MailboxID, d.Domain, d.Selector, d.Key, micros(d.UpdatedAt))
	if err != nil {
		return fmt.Errorf("mailbox %d dkim: %w", d.MailboxID, err)
	}
	return nil
}

// DeleteMailboxDKIM stops signing a mailbox's mail.
func (db *DB) DeleteMailboxDKIM(ctx context.Context, mailboxID int64) error {
	if _, err := db.exec(ctx, `DELETE FROM mailbox_dkim WHERE mailbox_id = $1`, mailboxID); err != nil {
		return fmt.Errorf("mailbox %d dkim: %w", mailboxID, err)
	}
	return nil
}

// CountMail adds one to an address's count in a window and returns the
// count; every node adds to the same row.
func (db *DB) CountMail(ctx context.Context, address string, window time.Time) (int, error) {
	var n int
	err := db.writeOne(ctx, func(q querier) error {
		return q.QueryRowContext(ctx, `INSERT INTO mail_sender_counts (address, window_start, n) VALUES ($1, $2, 1)
			ON CONFLICT (address, window_start) DO UPDATE SET n = mail_sender_counts.n + 1 RETURNING n`,
			strings.ToLower(address), micros(window)).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count mail for %s: %w", address, err)
	}
	return n, nil
}

// PurgeMailCounts deletes the counts of windows that began before t.
func (db *DB) PurgeMailCounts(ctx context.Context, before time.Time) error {
	if _, err := db.exec(ctx, `DELETE FROM mail_sender_counts WHERE window_start < $1`, micros(before)); err != nil {
		return fmt.Errorf("purge mail counts: %w", err)
	}
	return nil
}

// AcquireIMAPLease takes a mailbox's poller lease when it is free or the
// owner's already. One statement decides, so two nodes asking at once
// cannot both win: the row's write lock (PostgreSQL) or the single writer
// (SQLite) orders them, and the loser's WHERE no longer matches.
func (db *DB) AcquireIMAPLease(ctx context.Context, mailboxID int64, owner string, now, until time.Time) (bool, error) {
	var got bool
	err := db.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO mailbox_imap_state (mailbox_id) SELECT id FROM mailboxes
			WHERE id = $1 ON CONFLICT (mailbox_id) DO NOTHING`, mailboxID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE mailbox_imap_state SET lease_owner = $2, lease_until = $3
			WHERE mailbox_id = $1 AND (lease_owner = $2 OR lease_owner = '' OR lease_until < $4)`,
			mailboxID, owner, micros(until), micros(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		got = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("mailbox %d lease: %w", mailboxID, err)
	}
	return got, nil
}

// ReleaseIMAPLease gives up the owner's lease.
func (db *DB) ReleaseIMAPLease(ctx context.Context, mailboxID int64, owner string) error {
	if _, err := db.exec(ctx, `UPDATE mailbox_imap_state SET lease_owner = '', lease_until = 0
		WHERE mailbox_id = $1 AND lease_owner = $2`, mailboxID, owner); err != nil {
		return fmt.Errorf("mailbox %d lease: %w", mailboxID, err)
	}
	return nil
}

// SetIMAPStatus records what a poll of the mailbox found.
func (db *DB) SetIMAPStatus(ctx context.Context, mailboxID int64, status, detail string, at time.Time) error {
	if _, err := db.exec(ctx, `INSERT INTO mailbox_imap_state (mailbox_id, status, detail, checked_at)
		SELECT id, $2, $3, $4 FROM mailboxes WHERE id = $1 ON CONFLICT (mailbox_id) DO UPDATE SET
		status = excluded.status, detail = excluded.detail, checked_at = excluded.checked_at`,
		mailboxID, status, detail, micros(at)); err != nil {
		return fmt.Errorf("mailbox %d imap status: %w", mailboxID, err)
	}
	return nil
}

// IMAPStatus returns what the last poll of a mailbox found ("pending"
// before the first).
func (db *DB) IMAPStatus(ctx context.Context, mailboxID int64) (*email.IMAPStatus, error) {
	s := email.IMAPStatus{MailboxID: mailboxID, Status: email.IMAPPending}
	var checked sql.NullInt64
	var until int64
	err := db.read.QueryRowContext(ctx, `SELECT status, detail, checked_at, lease_owner, lease_until
		FROM mailbox_imap_state WHERE mailbox_id = $1`, mailboxID).Scan(&s.Status, &s.Detail, &checked, &s.LeaseOwner, &until)
	if err != nil && err != sql.ErrNoRows {
		return nil, fmt.Errorf("mailbox %d imap status: %w", mailboxID, err)
	}
	s.CheckedAt = fromNullMicros(checked)
	if until < micros(time.Now()) {
		s.LeaseOwner = ""
	}
	return &s, nil
}
