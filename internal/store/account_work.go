package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

var (
	_ account.FeedbackStore    = (*DB)(nil)
	_ account.OpportunityStore = (*DB)(nil)
	_ account.RuleStore        = (*DB)(nil)
)

// insertSystemMail queues the desk's own mail (no message, maybe no
// ticket) in tx and sets its ID.
func insertSystemMail(ctx context.Context, tx *txn, m *email.Outbound) error {
	return tx.QueryRowContext(ctx, `INSERT INTO mail_outbound (ticket_id, mailbox_id, rfc_message_id, sender,
		recipients, subject, status, raw, created_at, updated_at, purpose, mail_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) RETURNING id`,
		sql.NullInt64{Int64: m.TicketID, Valid: m.TicketID != 0}, m.MailboxID, m.RFCMessageID, m.Sender,
		marshal(m.Recipients), m.Subject, m.Status, m.Raw, micros(m.CreatedAt), m.Purpose, m.Key).Scan(&m.ID)
}

// --- feedback

// SaveFeedback inserts feedback and appends its event with feedback_id.
func (db *DB) SaveFeedback(ctx context.Context, f *account.Feedback, ev event.Event) error {
	return db.inTx(ctx, func(tx *txn) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO feedback (organization_id, kind, category, body, ticket_id,
			message_id, checkin_id, agent_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			f.OrganizationID, f.Kind, f.Category, f.Body, nullID(f.TicketID), nullID(f.MessageID), nullID(f.CheckinID),
			nullID(f.AgentID), micros(f.CreatedAt)).Scan(&f.ID); err != nil {
			return fmt.Errorf("insert feedback: %w", err)
		}
		f.Version = 1
		ev.Data = event.WithFields(ev.Data, event.Field{Name: "feedback_id", Value: f.ID})
		return db.appendEvents(ctx, tx, []event.Event{ev})
	})
}

const feedbackColumns = `f.id, f.organization_id, o.name, f.kind, f.category, f.body, f.ticket_id, f.message_id,
	f.checkin_id, f.agent_id, f.created_at, f.version FROM feedback f JOIN organizations o ON o.id = f.organization_id `

func (db *DB) scanFeedback(ctx context.Context, where string, args ...any) ([]*account.Feedback, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+feedbackColumns+where, args...)
	if err != nil {
		return nil, fmt.Errorf("feedback: %w", err)
	}
	defer rows.Close()
	out := []*account.Feedback{}
	for rows.Next() {
		var f account.Feedback
		var tid, mid, cid, aid sql.NullInt64
		var at int64
		if err := rows.Scan(&f.ID, &f.OrganizationID, &f.OrganizationName, &f.Kind, &f.Category, &f.Body, &tid, &mid,
			&cid, &aid, &at, &f.Version); err != nil {
			return nil, fmt.Errorf("feedback: %w", err)
		}
		f.TicketID, f.MessageID, f.CheckinID, f.AgentID = fromNullID(tid), fromNullID(mid), fromNullID(cid), fromNullID(aid)
		f.CreatedAt = fromMicros(at)
		out = append(out, &f)
	}
	return out, rows.Err()
}

// Feedback returns one item of feedback.
func (db *DB) Feedback(ctx context.Context, id int64) (*account.Feedback, error) {
	list, err := db.scanFeedback(ctx, `WHERE f.id = $1`, id)
	return one(list, err, desk.M("account.error.feedback_not_found", id))
}

// FeedbackList returns feedback newest first (by id) by account, owner,
// kind, category and time.
func (db *DB) FeedbackList(ctx context.Context, f account.FeedbackFilter) ([]*account.Feedback, error) {
	var cond []string
	var args []any
	if f.OrganizationID != nil {
		cond = append(cond, "f.organization_id = "+bind(&args, *f.OrganizationID))
	}
	if f.OwnerID != nil {
		cond = append(cond, "o.owner_id = "+bind(&args, *f.OwnerID))
	}
	if f.Kind != "" {
		cond = append(cond, "f.kind = "+bind(&args, f.Kind))
	}
	if f.Category != "" {
		cond = append(cond, "f.category = "+bind(&args, f.Category))
	}
	if f.From != nil {
		cond = append(cond, "f.created_at >= "+bind(&args, micros(*f.From)))
	}
	if f.To != nil {
		cond = append(cond, "f.created_at < "+bind(&args, micros(*f.To)))
	}
	if f.BeforeID > 0 {
		cond = append(cond, "f.id < "+bind(&args, f.BeforeID))
	}
	where := ""
	if len(cond) > 0 {
		where = "WHERE " + strings.Join(cond, " AND ")
	}
	return db.scanFeedback(ctx, where+" ORDER BY f.id DESC LIMIT "+bind(&args, f.Limit), args...)
}

// TicketSource returns a ticket's organization.
func (db *DB) TicketSource(ctx context.Context, ticketID int64) (account.Source, error) {
	var org sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT organization_id FROM tickets WHERE id = $1`, ticketID).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) {
		return account.Source{}, desk.E(desk.ENOTFOUND, "error.ticket_not_found", ticketID)
	}
	return account.Source{OrganizationID: org.Int64, TicketID: ticketID}, err
}

// MessageSource returns a message's ticket and its organization.
func (db *DB) MessageSource(ctx context.Context, messageID int64) (account.Source, error) {
	var s account.Source
	var org sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT m.ticket_id, t.organization_id FROM messages m
		JOIN tickets t ON t.id = m.ticket_id WHERE m.id = $1`, messageID).Scan(&s.TicketID, &org)
	if errors.Is(err, sql.ErrNoRows) {
		return s, desk.E(desk.ENOTFOUND, "account.invalid.no_message", messageID)
	}
	s.OrganizationID = org.Int64
	return s, err
}

// --- opportunities

func money(m *account.Money) sql.NullInt64 {
	if m == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*m), Valid: true}
}

func nullText(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// CreateOpportunity inserts an opportunity and appends its event with
// opportunity_id.
func (db *DB) CreateOpportunity(ctx context.Context, o *account.Opportunity, ev event.Event) error {
	return db.inTx(ctx, func(tx *txn) error {
		if err := insertOpportunity(ctx, tx, o); err != nil {
			return err
		}
		ev.Data = event.WithFields(ev.Data, event.Field{Name: "opportunity_id", Value: o.ID})
		return db.appendEvents(ctx, tx, []event.Event{ev})
	})
}

// insertOpportunity inserts o unless its evidence key is taken (then o.ID
// stays 0).
func insertOpportunity(ctx context.Context, tx *txn, o *account.Opportunity) error {
	err := tx.QueryRowContext(ctx, `INSERT INTO opportunities (organization_id, title, kind, stage, value_minor, currency,
		source, ticket_id, message_id, checkin_id, rule_id, evidence, evidence_key, sales_email, notes, agent_id,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
		ON CONFLICT (evidence_key) DO NOTHING RETURNING id`,
		o.OrganizationID, o.Title, o.Kind, o.Stage, money(o.Value), o.Currency, o.Source, nullID(o.TicketID),
		nullID(o.MessageID), nullID(o.CheckinID), nullID(o.RuleID), o.Evidence, nullText(o.EvidenceKey), o.SalesEmail,
		o.Notes, nullID(o.AgentID), micros(o.CreatedAt)).Scan(&o.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("insert opportunity: %w", err)
	}
	o.Version = 1
	return nil
}

// SaveOpportunity writes an opportunity still at o.Version, its hand-off
// mail and event, and the events, in one transaction.
func (db *DB) SaveOpportunity(ctx context.Context, o *account.Opportunity, h *account.HandOff, evs []event.Event) error {
	return db.inTx(ctx, func(tx *txn) error {
		if h != nil {
			o.OutboundID = nil
			if h.Mail != nil {
				if err := insertSystemMail(ctx, tx, h.Mail); err != nil {
					return fmt.Errorf("queue hand-off mail: %w", err)
				}
				id := h.Mail.ID
				o.OutboundID = &id
				h.Event.Data = event.WithFields(h.Event.Data, event.Field{Name: "outbound_id", Value: id})
			}
			evs = append(evs, h.Event)
		}
		res, err := tx.ExecContext(ctx, `UPDATE opportunities SET title = $2, kind = $3, stage = $4, value_minor = $5,
			currency = $6, sales_email = $7, notes = $8, outbound_id = $9, handed_off_at = $10, closed_at = $11,
			updated_at = $12, version = version + 1 WHERE id = $1 AND version = $13`,
			o.ID, o.Title, o.Kind, o.Stage, money(o.Value), o.Currency, o.SalesEmail, o.Notes, nullID(o.OutboundID),
			nullMicros(o.HandedOffAt), nullMicros(o.ClosedAt), micros(o.UpdatedAt), o.Version)
		err = versioned(ctx, tx, res, err, "opportunities", o.ID, desk.M("account.error.opportunity_not_found", o.ID))
		if err := bumped(&o.Version, err); err != nil {
			return err
		}
		return db.appendEvents(ctx, tx, evs)
	})
}

const opportunityColumns = `p.id, p.organization_id, o.name, o.owner_id, p.title, p.kind, p.stage, p.value_minor,
	p.currency, p.source, p.ticket_id, p.message_id, p.checkin_id, p.rule_id, p.evidence, p.sales_email, p.notes,
	p.agent_id, p.outbound_id, p.handed_off_at, p.closed_at, p.created_at, p.updated_at, p.version
	FROM opportunities p JOIN organizations o ON o.id = p.organization_id `

func (db *DB) scanOpportunities(ctx context.Context, where string, args ...any) ([]*account.Opportunity, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+opportunityColumns+where, args...)
	if err != nil {
		return nil, fmt.Errorf("opportunities: %w", err)
	}
	defer rows.Close()
	out := []*account.Opportunity{}
	for rows.Next() {
		var o account.Opportunity
		var owner, value, tid, mid, cid, rid, aid, oid, handed, closed sql.NullInt64
		var created, updated int64
		if err := rows.Scan(&o.ID, &o.OrganizationID, &o.OrganizationName, &owner, &o.Title, &o.Kind, &o.Stage, &value,
			&o.Currency, &o.Source, &tid, &mid, &cid, &rid, &o.Evidence, &o.SalesEmail, &o.Notes, &aid, &oid, &handed,
			&closed, &created, &updated, &o.Version); err != nil {
			return nil, fmt.Errorf("opportunities: %w", err)
		}
		o.OwnerID, o.TicketID, o.MessageID, o.CheckinID = fromNullID(owner), fromNullID(tid), fromNullID(mid), fromNullID(cid)
		o.RuleID, o.AgentID, o.OutboundID = fromNullID(rid), fromNullID(aid), fromNullID(oid)
		o.HandedOffAt, o.ClosedAt = fromNullMicros(handed), fromNullMicros(closed)
		o.CreatedAt, o.UpdatedAt = fromMicros(created), fromMicros(updated)
		if value.Valid {
			m := account.Money(value.Int64)
			o.Value = &m
		}
		out = append(out, &o)
	}
	return out, rows.Err()
}

// Opportunity returns one opportunity.
func (db *DB) Opportunity(ctx context.Context, id int64) (*account.Opportunity, error) {
	list, err := db.scanOpportunities(ctx, `WHERE p.id = $1`, id)
	return one(list, err, desk.M("account.error.opportunity_not_found", id))
}

// Opportunities lists opportunities newest first by account, owner and stage.
func (db *DB) Opportunities(ctx context.Context, f account.OpportunityFilter) ([]*account.Opportunity, error) {
	var cond []string
	var args []any
	if f.OrganizationID != nil {
		cond = append(cond, "p.organization_id = "+bind(&args, *f.OrganizationID))
	}
	if f.OwnerID != nil {
		cond = append(cond, "o.owner_id = "+bind(&args, *f.OwnerID))
	}
	if f.Stage != "" {
		cond = append(cond, "p.stage = "+bind(&args, f.Stage))
	}
	if f.BeforeID > 0 {
		cond = append(cond, "p.id < "+bind(&args, f.BeforeID))
	}
	where := ""
	if len(cond) > 0 {
		where = "WHERE " + strings.Join(cond, " AND ")
	}
	return db.scanOpportunities(ctx, where+" ORDER BY p.id DESC LIMIT "+bind(&args, f.Limit), args...)
}

// SystemMailbox returns the first active mailbox (0 when none).
func (db *DB) SystemMailbox(ctx context.Context) (int64, error) {
	var id int64
	err := db.read.QueryRowContext(ctx, `SELECT id FROM mailboxes WHERE active ORDER BY id LIMIT 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// AccountSetting returns a setting of the accounts work ("" when unset).
func (db *DB) AccountSetting(ctx context.Context, name string) (string, error) {
	var v string
	err := db.read.QueryRowContext(ctx, `SELECT value FROM account_settings WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SaveAccountSetting sets a setting of the accounts work.
func (db *DB) SaveAccountSetting(ctx context.Context, name, value string) error {
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO account_settings (name, value) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
		return err
	})
}

// --- rules

const ruleColumns = `id, name, kind, keywords, tags, active, created_at, updated_at, version FROM opportunity_rules `

func (db *DB) scanRules(ctx context.Context, where string, args ...any) ([]*account.Rule, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+ruleColumns+where, args...)
	if err != nil {
		return nil, fmt.Errorf("opportunity rules: %w", err)
	}
	defer rows.Close()
	out := []*account.Rule{}
	for rows.Next() {
		var r account.Rule
		var kw, tags string
		var created, updated int64
		if err := rows.Scan(&r.ID, &r.Name, &r.Kind, &kw, &tags, &r.Active, &created, &updated, &r.Version); err != nil {
			return nil, fmt.Errorf("opportunity rules: %w", err)
		}
		if json.Unmarshal([]byte(kw), &r.Keywords) != nil || json.Unmarshal([]byte(tags), &r.Tags) != nil {
			return nil, fmt.Errorf("opportunity rule %d: bad JSON", r.ID)
		}
		r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// OpportunityRules lists the opportunity rules in id order.
func (db *DB) OpportunityRules(ctx context.Context, activeOnly bool) ([]*account.Rule, error) {
	if activeOnly {
		return db.scanRules(ctx, `WHERE active ORDER BY id`)
	}
	return db.scanRules(ctx, `ORDER BY id`)
}

// OpportunityRule returns one opportunity rule.
func (db *DB) OpportunityRule(ctx context.Context, id int64) (*account.Rule, error) {
	list, err := db.scanRules(ctx, `WHERE id = $1`, id)
	return one(list, err, desk.M("account.error.rule_not_found", id))
}

// CreateOpportunityRule inserts a rule.
func (db *DB) CreateOpportunityRule(ctx context.Context, r *account.Rule) error {
	return db.inTx(ctx, func(tx *txn) error {
		r.Version = 1
		return tx.QueryRowContext(ctx, `INSERT INTO opportunity_rules (name, kind, keywords, tags, active, created_at,
			updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, r.Name, r.Kind, marshal(r.Keywords),
			marshal(r.Tags), r.Active, micros(r.CreatedAt)).Scan(&r.ID)
	})
}

// SaveOpportunityRule writes a rule still at r.Version and bumps it.
func (db *DB) SaveOpportunityRule(ctx context.Context, r *account.Rule) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE opportunity_rules SET name = $2, kind = $3, keywords = $4, tags = $5,
			active = $6, updated_at = $7, version = version + 1 WHERE id = $1 AND version = $8`, r.ID, r.Name, r.Kind,
			marshal(r.Keywords), marshal(r.Tags), r.Active, micros(r.UpdatedAt), r.Version)
		err = versioned(ctx, tx, res, err, "opportunity_rules", r.ID, desk.M("account.error.rule_not_found", r.ID))
		return bumped(&r.Version, err)
	})
}

// DeleteOpportunityRule removes a rule.
func (db *DB) DeleteOpportunityRule(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM opportunity_rules WHERE id = $1`, id)
		return mustAffect(res, err, desk.M("account.error.rule_not_found", id))
	})
}

// SaidTexts returns the messages of ids on tickets of an account.
func (db *DB) SaidTexts(ctx context.Context, ids []int64) (map[int64]account.SaidText, error) {
	out := map[int64]account.SaidText{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT m.id, m.ticket_id, t.organization_id, m.body_text FROM messages m
		JOIN tickets t ON t.id = m.ticket_id WHERE t.organization_id IS NOT NULL AND m.id IN (`+idList(ids)+`)`)
	if err != nil {
		return nil, fmt.Errorf("said texts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s account.SaidText
		if err := rows.Scan(&s.MessageID, &s.TicketID, &s.OrganizationID, &s.Body); err != nil {
			return nil, fmt.Errorf("said texts: %w", err)
		}
		out[s.MessageID] = s
	}
	return out, rows.Err()
}

// ApplySuggestions inserts the suggestions whose evidence is new with
// their events and moves the consumer's cursor, in one transaction; the
// cursor's row is locked first, so of two nodes reading the same batch
// the second writes nothing.
func (db *DB) ApplySuggestions(ctx context.Context, consumer string, from, last int64, opps []*account.Opportunity,
	ev func(*account.Opportunity) event.Event) error {
	return db.inTx(ctx, func(tx *txn) error {
		var at int64
		if _, err := tx.ExecContext(ctx, `INSERT INTO event_cursors (consumer, event_id) VALUES ($1, 0)
			ON CONFLICT (consumer) DO NOTHING`, consumer); err != nil {
			return fmt.Errorf("opportunity cursor: %w", err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT event_id FROM event_cursors WHERE consumer = $1`+db.dialect.forUpdate(),
			consumer).Scan(&at); err != nil {
			return fmt.Errorf("opportunity cursor: %w", err)
		}
		if at != from {
			return nil // another node handled this batch
		}
		var evs []event.Event
		for _, o := range opps {
			if err := insertOpportunity(ctx, tx, o); err != nil {
				return err
			}
			if o.ID != 0 {
				evs = append(evs, ev(o)) // built now that o has its id
			}
		}
		if err := db.appendEvents(ctx, tx, evs); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE event_cursors SET event_id = $2 WHERE consumer = $1`, consumer, last)
		return err
	})
}
