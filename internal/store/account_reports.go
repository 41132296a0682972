package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sahayak/sahayak/internal/accountreport"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
)

var _ accountreport.Store = (*DB)(nil)

// ReportAccount is an organization with its owner's name and address.
func (db *DB) ReportAccount(ctx context.Context, orgID int64) (*accountreport.Account, error) {
	var a accountreport.Account
	var owner sql.NullInt64
	var name, mail, lang sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT o.id, o.name, o.owner_id, a.name, a.email, a.language
		FROM organizations o LEFT JOIN agents a ON a.id = o.owner_id AND a.active WHERE o.id = $1`, orgID).
		Scan(&a.OrganizationID, &a.Name, &owner, &name, &mail, &lang)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, desk.E(desk.ENOTFOUND, "error.organization_not_found", orgID)
	}
	if err != nil {
		return nil, fmt.Errorf("report account %d: %w", orgID, err)
	}
	a.OwnerID, a.OwnerName, a.OwnerEmail, a.OwnerLanguage = fromNullID(owner), name.String, mail.String, lang.String
	return &a, nil
}

// TopIssues counts the types and tags of an account's tickets created in
// [from, to), along report_tickets(org_id, created_at).
func (db *DB) TopIssues(ctx context.Context, orgID int64, from, to time.Time, limit int) ([]accountreport.Issue, []accountreport.Issue, error) {
	count := func(q string) ([]accountreport.Issue, error) {
		rows, err := db.read.QueryContext(ctx, q, orgID, micros(from), micros(to), limit)
		if err != nil {
			return nil, fmt.Errorf("top issues: %w", err)
		}
		defer rows.Close()
		out := []accountreport.Issue{}
		for rows.Next() {
			var i accountreport.Issue
			if err := rows.Scan(&i.Name, &i.Count); err != nil {
				return nil, fmt.Errorf("top issues: %w", err)
			}
			out = append(out, i)
		}
		return out, rows.Err()
	}
	types, err := count(`SELECT type, COUNT(*) FROM report_tickets
		WHERE org_id = $1 AND created_at >= $2 AND created_at < $3 AND type <> ''
		GROUP BY type ORDER BY COUNT(*) DESC, type LIMIT $4`)
	if err != nil {
		return nil, nil, err
	}
	tags, err := count(`SELECT g.tag, COUNT(*) FROM report_tickets r JOIN ticket_tags g ON g.ticket_id = r.ticket_id
		WHERE r.org_id = $1 AND r.created_at >= $2 AND r.created_at < $3
		GROUP BY g.tag ORDER BY COUNT(*) DESC, g.tag LIMIT $4`)
	return types, tags, err
}

// OpenItems returns an account's oldest open tickets (open as the report
// backlog counts them).
func (db *DB) OpenItems(ctx context.Context, orgID int64, limit int) ([]accountreport.OpenItem, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT t.id, t.subject, t.status, t.priority, r.created_at
		FROM report_tickets r JOIN tickets t ON t.id = r.ticket_id
		WHERE r.org_id = $1 AND r.is_open = TRUE ORDER BY r.created_at, r.ticket_id LIMIT $2`, orgID, limit)
	if err != nil {
		return nil, fmt.Errorf("open items: %w", err)
	}
	defer rows.Close()
	out := []accountreport.OpenItem{}
	for rows.Next() {
		var o accountreport.OpenItem
		var at int64
		if err := rows.Scan(&o.TicketID, &o.Subject, &o.Status, &o.Priority, &at); err != nil {
			return nil, fmt.Errorf("open items: %w", err)
		}
		o.CreatedAt = fromMicros(at)
		out = append(out, o)
	}
	return out, rows.Err()
}

// CheckinsHeld returns the check-ins held with an account in [from, to).
func (db *DB) CheckinsHeld(ctx context.Context, orgID int64, from, to time.Time) ([]accountreport.CheckinHeld, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, held_at, outcome FROM checkins
		WHERE organization_id = $1 AND held_at >= $2 AND held_at < $3 ORDER BY held_at, id`, orgID, micros(from), micros(to))
	if err != nil {
		return nil, fmt.Errorf("checkins held: %w", err)
	}
	defer rows.Close()
	out := []accountreport.CheckinHeld{}
	for rows.Next() {
		var c accountreport.CheckinHeld
		var at int64
		if err := rows.Scan(&c.ID, &at, &c.Outcome); err != nil {
			return nil, fmt.Errorf("checkins held: %w", err)
		}
		c.HeldAt = fromMicros(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ReportSchedule is an account's report schedule (off at version 0 when
// none was set).
func (db *DB) ReportSchedule(ctx context.Context, orgID int64) (*accountreport.Schedule, error) {
	s := &accountreport.Schedule{OrganizationID: orgID, Schedule: accountreport.Off}
	var contact sql.NullInt64
	var updated int64
	err := db.read.QueryRowContext(ctx, `SELECT schedule, contact_id, last_period, version, updated_at
		FROM account_report_schedules WHERE organization_id = $1`, orgID).
		Scan(&s.Schedule, &contact, &s.LastPeriod, &s.Version, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("report schedule %d: %w", orgID, err)
	}
	s.ContactID, s.UpdatedAt = fromNullID(contact), fromMicros(updated)
	return s, nil
}

// SaveReportSchedule writes a schedule at its version and bumps it.
func (db *DB) SaveReportSchedule(ctx context.Context, s *accountreport.Schedule) error {
	return db.inTx(ctx, func(tx *txn) error {
		var res sql.Result
		var err error
		if s.Version == 0 {
			res, err = tx.ExecContext(ctx, `INSERT INTO account_report_schedules (organization_id, schedule, contact_id,
				last_period, version, updated_at) VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (organization_id) DO NOTHING`,
				s.OrganizationID, s.Schedule, nullID(s.ContactID), s.LastPeriod, micros(s.UpdatedAt))
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE account_report_schedules SET schedule = $2, contact_id = $3,
				last_period = $4, version = version + 1, updated_at = $5 WHERE organization_id = $1 AND version = $6`,
				s.OrganizationID, s.Schedule, nullID(s.ContactID), s.LastPeriod, micros(s.UpdatedAt), s.Version)
		}
		if err != nil {
			return fmt.Errorf("save report schedule %d: %w", s.OrganizationID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var v int64
			if err := tx.QueryRowContext(ctx, `SELECT version FROM account_report_schedules WHERE organization_id = $1`,
				s.OrganizationID).Scan(&v); err != nil {
				return fmt.Errorf("save report schedule %d: %w", s.OrganizationID, err)
			}
			return desk.Stale(v)
		}
		s.Version++
		return nil
	})
}

// ReportContact is a contact with the account it belongs to.
func (db *DB) ReportContact(ctx context.Context, id int64) (*accountreport.Contact, error) {
	var c accountreport.Contact
	var org sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT id, organization_id, name, email, language FROM contacts WHERE id = $1`, id).
		Scan(&c.ID, &org, &c.Name, &c.Email, &c.Language)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, desk.E(desk.ENOTFOUND, "error.contact_not_found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("report contact %d: %w", id, err)
	}
	c.OrganizationID = fromNullID(org)
	return &c, nil
}

// DueReportSchedules returns the schedules of a kind not yet mailed for a
// period, in organization order.
func (db *DB) DueReportSchedules(ctx context.Context, kind, period string, afterOrg int64, limit int) ([]accountreport.Schedule, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT organization_id, schedule, contact_id, last_period, version, updated_at
		FROM account_report_schedules WHERE schedule = $1 AND last_period < $2 AND organization_id > $3
		ORDER BY organization_id LIMIT $4`, kind, period, afterOrg, limit)
	if err != nil {
		return nil, fmt.Errorf("due report schedules: %w", err)
	}
	defer rows.Close()
	var out []accountreport.Schedule
	for rows.Next() {
		var s accountreport.Schedule
		var contact sql.NullInt64
		var updated int64
		if err := rows.Scan(&s.OrganizationID, &s.Schedule, &contact, &s.LastPeriod, &s.Version, &updated); err != nil {
			return nil, fmt.Errorf("due report schedules: %w", err)
		}
		s.ContactID, s.UpdatedAt = fromNullID(contact), fromMicros(updated)
		out = append(out, s)
	}
	return out, rows.Err()
}

// MarkReportSent moves a schedule's last period from prev to period and
// queues its mails, in one transaction; false when it had moved already.
func (db *DB) MarkReportSent(ctx context.Context, orgID int64, prev, period string, mails []*email.Outbound) (bool, error) {
	return moveAndQueue(ctx, db, mails, `UPDATE account_report_schedules SET last_period = $3
		WHERE organization_id = $1 AND last_period = $2`, orgID, prev, period)
}

// moveAndQueue runs a compare-and-set update of a schedule's last period
// and, when it moved, stores the period's mails in the same transaction:
// of two nodes mailing the same period, the second finds it moved and
// stores nothing.
func moveAndQueue(ctx context.Context, db *DB, mails []*email.Outbound, update string, args ...any) (bool, error) {
	moved := false
	err := db.inTx(ctx, func(tx *txn) error {
		moved = false
		res, err := tx.ExecContext(ctx, update, args...)
		if err != nil {
			return fmt.Errorf("mark mailed %v: %w", args[0], err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		moved = true
		for _, m := range mails {
			if err := queueSystemMail(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	return moved, err
}

// queueSystemMail stores a mail of the desk's own, unless a mail with its
// key was stored before (then m.ID stays 0).
func queueSystemMail(ctx context.Context, tx *txn, m *email.Outbound) error {
	err := tx.QueryRowContext(ctx, `INSERT INTO mail_outbound (ticket_id, mailbox_id, rfc_message_id, sender,
		recipients, subject, status, raw, created_at, updated_at, purpose, mail_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) ON CONFLICT (mail_key) DO NOTHING RETURNING id`,
		sql.NullInt64{Int64: m.TicketID, Valid: m.TicketID != 0}, m.MailboxID, m.RFCMessageID, m.Sender,
		marshal(m.Recipients), m.Subject, m.Status, m.Raw, micros(m.CreatedAt), m.Purpose, m.Key).Scan(&m.ID)
	if errors.Is(err, sql.ErrNoRows) {
		m.ID = 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("queue mail %s: %w", m.Key, err)
	}
	return nil
}

// DefaultMailboxID is the desk's first active mailbox, 0 when none.
func (db *DB) DefaultMailboxID(ctx context.Context) (int64, error) {
	var id int64
	err := db.read.QueryRowContext(ctx, `SELECT id FROM mailboxes WHERE active ORDER BY id LIMIT 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("default mailbox: %w", err)
	}
	return id, nil
}
