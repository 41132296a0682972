package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
)

var _ email.MailboxStore = (*DB)(nil)

const mailboxColumns = `id, address, name, team_id, signature, active, imap_host, imap_port, imap_security,
	imap_username, imap_password, imap_folder, smtp_host, smtp_port, smtp_security, smtp_username, smtp_password,
	version, created_at, updated_at FROM mailboxes`

func scanMailboxes(ctx context.Context, q querier, where string, args ...any) ([]*email.Mailbox, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+mailboxColumns+` `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("mailboxes: %w", err)
	}
	defer rows.Close()
	out := []*email.Mailbox{}
	for rows.Next() {
		var m email.Mailbox
		var team sql.NullInt64
		var c, u int64
		if err := rows.Scan(&m.ID, &m.Address, &m.Name, &team, &m.Signature, &m.Active, &m.IMAP.Host, &m.IMAP.Port,
			&m.IMAP.Security, &m.IMAP.Username, &m.IMAP.Password, &m.IMAP.Folder, &m.SMTP.Host, &m.SMTP.Port,
			&m.SMTP.Security, &m.SMTP.Username, &m.SMTP.Password, &m.Version, &c, &u); err != nil {
			return nil, fmt.Errorf("mailboxes: %w", err)
		}
		m.TeamID, m.CreatedAt, m.UpdatedAt = fromNullID(team), fromMicros(c), fromMicros(u)
		m.IMAP.PasswordSet, m.SMTP.PasswordSet = m.IMAP.Password != "", m.SMTP.Password != ""
		out = append(out, &m)
	}
	return out, rows.Err()
}

// Mailboxes lists every mailbox by id.
func (db *DB) Mailboxes(ctx context.Context) ([]*email.Mailbox, error) {
	return scanMailboxes(ctx, db.read, `ORDER BY id`)
}

// Mailbox returns one mailbox.
func (db *DB) Mailbox(ctx context.Context, id int64) (*email.Mailbox, error) {
	list, err := scanMailboxes(ctx, db.read, `WHERE id = $1`, id)
	return one(list, err, desk.M("error.mailbox_not_found", id))
}

// MailboxByAddress returns the mailbox with the address.
func (db *DB) MailboxByAddress(ctx context.Context, address string) (*email.Mailbox, error) {
	list, err := scanMailboxes(ctx, db.read, `WHERE address = $1`, strings.ToLower(address))
	return one(list, err, desk.M("error.mailbox_address_not_found", address))
}

// CreateMailbox inserts a mailbox and its audit entry.
func (db *DB) CreateMailbox(ctx context.Context, m *email.Mailbox, log audit.Entry) error {
	return db.inTx(ctx, func(tx *txn) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO mailboxes (address, name, team_id, signature, active, imap_host,
			imap_port, imap_security, imap_username, imap_password, imap_folder, smtp_host, smtp_port, smtp_security,
			smtp_username, smtp_password, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $17, $18) RETURNING id`,
			m.Address, m.Name, nullID(m.TeamID), m.Signature, m.Active, m.IMAP.Host, m.IMAP.Port, m.IMAP.Security,
			m.IMAP.Username, m.IMAP.Password, m.IMAP.Folder, m.SMTP.Host, m.SMTP.Port, m.SMTP.Security,
			m.SMTP.Username, m.SMTP.Password, micros(m.CreatedAt), micros(m.UpdatedAt)).Scan(&m.ID); err != nil {
			if db.dialect.isUnique(err) {
				return desk.Invalid(desk.Fields{"address": desk.M("invalid.mailbox_taken")})
			}
			return fmt.Errorf("insert mailbox: %w", err)
		}
		m.Version = 1
		log.TargetID = m.ID
		return appendAudit(ctx, tx, []audit.Entry{log})
	})
}

// UpdateMailbox writes a mailbox still at m.Version and its audit entry.
func (db *DB) UpdateMailbox(ctx context.Context, m *email.Mailbox, log audit.Entry) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE mailboxes SET address = $2, name = $3, team_id = $4, signature = $5,
			active = $6, imap_host = $7, imap_port = $8, imap_security = $9, imap_username = $10, imap_password = $11,
			imap_folder = $12, smtp_host = $13, smtp_port = $14, smtp_security = $15, smtp_username = $16,
			smtp_password = $17, updated_at = $18, version = version + 1 WHERE id = $1 AND version = $19`,
			m.ID, m.Address, m.Name, nullID(m.TeamID), m.Signature, m.Active, m.IMAP.Host, m.IMAP.Port, m.IMAP.Security,
			m.IMAP.Username, m.IMAP.Password, m.IMAP.Folder, m.SMTP.Host, m.SMTP.Port, m.SMTP.Security,
			m.SMTP.Username, m.SMTP.Password, micros(m.UpdatedAt), m.Version)
		if err != nil && db.dialect.isUnique(err) {
			return desk.Invalid(desk.Fields{"address": desk.M("invalid.mailbox_taken")})
		}
		if err := bumped(&m.Version, versioned(ctx, tx, res, err, "mailboxes", m.ID,
			desk.M("error.mailbox_not_found", m.ID))); err != nil {
			return err
		}
		return appendAudit(ctx, tx, []audit.Entry{log})
	})
}

// DeleteMailbox removes a mailbox at ifVersion (0: any) and writes its
// audit entry.
func (db *DB) DeleteMailbox(ctx context.Context, id, ifVersion int64, log audit.Entry) error {
	return db.inTx(ctx, func(tx *txn) error {
		q, args := withVersion(`DELETE FROM mailboxes WHERE id = $1`, id, ifVersion)
		res, err := tx.ExecContext(ctx, q, args...)
		if err := versioned(ctx, tx, res, err, "mailboxes", id, desk.M("error.mailbox_not_found", id)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, []audit.Entry{log})
	})
}
