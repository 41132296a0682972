package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/portal"
)

var _ portal.Store = (*DB)(nil)

const portalCustomerColumns = `c.id, c.name, c.email, c.language, c.organization_id, COALESCE(o.portal_shares_tickets, FALSE)`

func (db *DB) portalCustomer(ctx context.Context, query string, arg any) (*portal.Customer, error) {
	var c portal.Customer
	var org sql.NullInt64
	err := db.read.QueryRowContext(ctx, query, arg).Scan(&c.ContactID, &c.Name, &c.Email, &c.Language, &org, &c.SharesTickets)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, desk.E(desk.ENOTFOUND, "error.contact_not_found", arg)
	}
	if err != nil {
		return nil, fmt.Errorf("portal customer: %w", err)
	}
	c.OrganizationID = fromNullID(org)
	return &c, nil
}

// PortalContact is the contact one of whose addresses is addr (already
// normalized).
func (db *DB) PortalContact(ctx context.Context, addr string) (*portal.Customer, error) {
	return db.portalCustomer(ctx, `SELECT `+portalCustomerColumns+` FROM contact_emails e
		JOIN contacts c ON c.id = e.contact_id LEFT JOIN organizations o ON o.id = c.organization_id
		WHERE e.email = $1`, addr)
}

// PortalCustomer is a contact by id, with its organization's sharing.
func (db *DB) PortalCustomer(ctx context.Context, contactID int64) (*portal.Customer, error) {
	return db.portalCustomer(ctx, `SELECT `+portalCustomerColumns+` FROM contacts c
		LEFT JOIN organizations o ON o.id = c.organization_id WHERE c.id = $1`, contactID)
}

// PortalMailbox is the desk's first active mailbox, 0 when none.
func (db *DB) PortalMailbox(ctx context.Context) (int64, error) {
	var id int64
	err := db.read.QueryRowContext(ctx, `SELECT id FROM mailboxes WHERE active ORDER BY id LIMIT 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("portal mailbox: %w", err)
	}
	return id, nil
}

// CreatePortalLink inserts a sign-in link and, when not nil, its mail in
// one transaction.
func (db *DB) CreatePortalLink(ctx context.Context, l *portal.Link, mail *email.Outbound) error {
	return db.inTx(ctx, func(tx *txn) error {
		if mail != nil {
			if err := tx.QueryRowContext(ctx, `INSERT INTO mail_outbound (ticket_id, mailbox_id, rfc_message_id, sender,
				recipients, subject, status, raw, created_at, updated_at, purpose, mail_key)
				VALUES (NULL, $1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10) RETURNING id`, mail.MailboxID,
				mail.RFCMessageID, mail.Sender, marshal(mail.Recipients), mail.Subject, mail.Status, mail.Raw,
				micros(mail.CreatedAt), mail.Purpose, mail.Key).Scan(&mail.ID); err != nil {
				return fmt.Errorf("queue sign-in mail: %w", err)
			}
			l.OutboundID = &mail.ID
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO portal_links (token_digest, contact_id, email, outbound_id,
			created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, l.TokenDigest, l.ContactID, l.Email,
			nullID(l.OutboundID), micros(l.CreatedAt), micros(l.ExpiresAt)).Scan(&l.ID); err != nil {
			return fmt.Errorf("insert sign-in link: %w", err)
		}
		return nil
	})
}

// PortalLink is a sign-in link by its token's digest.
func (db *DB) PortalLink(ctx context.Context, digest string) (*portal.Link, error) {
	var l portal.Link
	var outbound, used sql.NullInt64
	var created, expires int64
	err := db.read.QueryRowContext(ctx, `SELECT id, contact_id, email, token_digest, outbound_id, created_at, expires_at,
		used_at FROM portal_links WHERE token_digest = $1`, digest).Scan(&l.ID, &l.ContactID, &l.Email, &l.TokenDigest,
		&outbound, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, desk.E(desk.ENOTFOUND, "portal.link_unknown")
	}
	if err != nil {
		return nil, fmt.Errorf("portal link: %w", err)
	}
	l.OutboundID, l.UsedAt = fromNullID(outbound), fromNullMicros(used)
	l.CreatedAt, l.ExpiresAt = fromMicros(created), fromMicros(expires)
	return &l, nil
}

// UsePortalLink marks a link used and opens a session in one transaction,
// if the link is unused and unexpired at s.CreatedAt: the UPDATE's
// condition lets exactly one of two racing uses win.
func (db *DB) UsePortalLink(ctx context.Context, digest string, s *portal.Session) (bool, error) {
	used := false
	err := db.inTx(ctx, func(tx *txn) error {
		used = false
		res, err := tx.ExecContext(ctx, `UPDATE portal_links SET used_at = $2
			WHERE token_digest = $1 AND used_at IS NULL AND expires_at > $2 AND contact_id = $3`,
			digest, micros(s.CreatedAt), s.ContactID)
		if err != nil {
			return fmt.Errorf("use sign-in link: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO portal_sessions (digest, contact_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4)`, s.Digest, s.ContactID, micros(s.CreatedAt), micros(s.ExpiresAt)); err != nil {
			return fmt.Errorf("open portal session: %w", err)
		}
		used = true
		return nil
	})
	return used, err
}

// PortalSessionCustomer is the customer of the session with digest that
// is open at now, read with the session in one query: the portal asks on
// every request.
func (db *DB) PortalSessionCustomer(ctx context.Context, digest string, now time.Time) (*portal.Customer, error) {
	var c portal.Customer
	var org sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT `+portalCustomerColumns+` FROM portal_sessions s
		JOIN contacts c ON c.id = s.contact_id LEFT JOIN organizations o ON o.id = c.organization_id
		WHERE s.digest = $1 AND s.expires_at > $2`, digest, micros(now)).Scan(&c.ContactID, &c.Name, &c.Email,
		&c.Language, &org, &c.SharesTickets)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, desk.E(desk.ENOTFOUND, "portal.sign_in")
	}
	if err != nil {
		return nil, fmt.Errorf("portal session: %w", err)
	}
	c.OrganizationID = fromNullID(org)
	return &c, nil
}

// DeletePortalSession ends a portal session.
func (db *DB) DeletePortalSession(ctx context.Context, digest string) error {
	return db.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM portal_sessions WHERE digest = $1`, digest); err != nil {
			return fmt.Errorf("end portal session: %w", err)
		}
		return nil
	})
}

// PurgePortalState deletes portal sessions that expired before now and
// sign-in links that expired before linksBefore (kept a while after, so
// that a late click is told "expired" or "used", not "unknown").
func (db *DB) PurgePortalState(ctx context.Context, now, linksBefore time.Time) error {
	return db.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM portal_sessions WHERE expires_at < $1`, micros(now)); err != nil {
			return fmt.Errorf("purge portal sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM portal_links WHERE expires_at < $1`, micros(linksBefore)); err != nil {
			return fmt.Errorf("purge sign-in links: %w", err)
		}
		return nil
	})
}
