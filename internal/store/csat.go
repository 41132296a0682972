package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/csat"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

// SurveyCandidates picks the solved tickets among ids without a survey,
// with their requester and the mailbox a survey would come from: the
// ticket's own, else the desk's first active one.
func (db *DB) SurveyCandidates(ctx context.Context, ids []int64) ([]csat.Candidate, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT t.id, t.subject, c.id, c.name, c.email, c.language, t.assignee_id, t.team_id,
		COALESCE((SELECT b.id FROM mailboxes b WHERE b.id = `+ticketMailbox+` AND b.active),
			(SELECT b.id FROM mailboxes b WHERE b.active ORDER BY b.id LIMIT 1), 0)
		FROM tickets t JOIN contacts c ON c.id = t.requester_id
		WHERE t.id IN (`+idList(ids)+`) AND t.status_category = 'solved' AND t.merged_into_id IS NULL
		AND NOT EXISTS (SELECT 1 FROM csat_surveys s WHERE s.ticket_id = t.id) ORDER BY t.id`)
	if err != nil {
		return nil, fmt.Errorf("survey candidates: %w", err)
	}
	defer rows.Close()
	var out []csat.Candidate
	for rows.Next() {
		var c csat.Candidate
		var agent, team sql.NullInt64
		if err := rows.Scan(&c.TicketID, &c.Subject, &c.ContactID, &c.ContactName, &c.ContactEmail, &c.Language,
			&agent, &team, &c.MailboxID); err != nil {
			return nil, fmt.Errorf("survey candidates: %w", err)
		}
		c.AgentID, c.TeamID = fromNullID(agent), fromNullID(team)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CreateSurvey inserts a survey and its mail in one transaction, unless the
// ticket has one: then it answers false and fills sv with that one.
func (db *DB) CreateSurvey(ctx context.Context, sv *csat.Survey, mail *email.Outbound) (bool, error) {
	created := false
	err := db.inTx(ctx, func(tx *txn) error {
		created = false
		err := tx.QueryRowContext(ctx, `INSERT INTO csat_surveys (ticket_id, contact_id, agent_id, team_id, token_digest,
			language, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
			ON CONFLICT (ticket_id) DO NOTHING RETURNING id`, sv.TicketID, sv.ContactID, nullID(sv.AgentID),
			nullID(sv.TeamID), sv.TokenDigest, sv.Language, micros(sv.ExpiresAt), micros(sv.CreatedAt)).Scan(&sv.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("insert survey of ticket %d: %w", sv.TicketID, err)
		}
		created = true
		if mail == nil {
			return nil
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO mail_outbound (ticket_id, mailbox_id, rfc_message_id, sender,
			recipients, subject, status, raw, created_at, updated_at, purpose, mail_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) RETURNING id`, mail.TicketID, mail.MailboxID,
			mail.RFCMessageID, mail.Sender, marshal(mail.Recipients), mail.Subject, mail.Status, mail.Raw,
			micros(mail.CreatedAt), mail.Purpose, mail.Key).Scan(&mail.ID); err != nil {
			return fmt.Errorf("queue survey mail of ticket %d: %w", sv.TicketID, err)
		}
		// A reply to the survey mail lands on its ticket.
		if err := recordOutboundMessageID(ctx, tx, mail); err != nil {
			return err
		}
		sv.OutboundID = &mail.ID
		_, err = tx.ExecContext(ctx, `UPDATE csat_surveys SET outbound_id = $2 WHERE id = $1`, sv.ID, mail.ID)
		return err
	})
	if err != nil || created {
		return created, err
	}
	existing, err := db.TicketSurvey(ctx, sv.TicketID)
	if err != nil {
		return false, err
	}
	*sv = *existing
	return false, nil
}

const surveyColumns = `s.id, s.ticket_id, s.contact_id, s.agent_id, s.team_id, s.token_digest, s.language, s.outbound_id,
	s.rating, s.comment, s.answered_at, s.changeable_until, s.expires_at, s.created_at, s.updated_at, t.subject`

func (db *DB) survey(ctx context.Context, where string, arg any) (*csat.Survey, error) {
	var sv csat.Survey
	var agent, team, outbound, rating, answered, until sql.NullInt64
	var expires, created, updated int64
	err := db.read.QueryRowContext(ctx, `SELECT `+surveyColumns+` FROM csat_surveys s JOIN tickets t ON t.id = s.ticket_id
		WHERE `+where, arg).Scan(&sv.ID, &sv.TicketID, &sv.ContactID, &agent, &team, &sv.TokenDigest, &sv.Language,
		&outbound, &rating, &sv.Comment, &answered, &until, &expires, &created, &updated, &sv.Subject)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, desk.E(desk.ENOTFOUND, "csat.not_found")
	}
	if err != nil {
		return nil, fmt.Errorf("survey: %w", err)
	}
	sv.AgentID, sv.TeamID, sv.OutboundID = fromNullID(agent), fromNullID(team), fromNullID(outbound)
	if rating.Valid {
		r := int(rating.Int64)
		sv.Rating = &r
	}
	sv.AnsweredAt, sv.ChangeableUntil = fromNullMicros(answered), fromNullMicros(until)
	sv.ExpiresAt, sv.CreatedAt, sv.UpdatedAt = fromMicros(expires), fromMicros(created), fromMicros(updated)
	return &sv, nil
}

// SurveyByToken finds a survey by its link token's digest.
func (db *DB) SurveyByToken(ctx context.Context, digest string) (*csat.Survey, error) {
	return db.survey(ctx, `s.token_digest = $1`, digest)
}

// TicketSurvey is a ticket's survey.
func (db *DB) TicketSurvey(ctx context.Context, ticketID int64) (*csat.Survey, error) {
	return db.survey(ctx, `s.ticket_id = $1`, ticketID)
}

// AnswerSurvey writes an answer and its event in one transaction, if no
// other answer came in since the survey was read (ESTALE).
func (db *DB) AnswerSurvey(ctx context.Context, sv *csat.Survey, prevUpdated time.Time, ev event.Event) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE csat_surveys SET rating = $2, comment = $3, answered_at = $4,
			changeable_until = $5, updated_at = $6 WHERE id = $1 AND updated_at = $7`, sv.ID, *sv.Rating, sv.Comment,
			nullMicros(sv.AnsweredAt), nullMicros(sv.ChangeableUntil), micros(sv.UpdatedAt), micros(prevUpdated))
		if err != nil {
			return fmt.Errorf("answer survey %d: %w", sv.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return desk.E(desk.ECONFLICT, "csat.changed")
		}
		return db.appendEvents(ctx, tx, []event.Event{ev})
	})
}
