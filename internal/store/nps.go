package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/nps"
)

var _ nps.Store = (*DB)(nil)

// CreateCampaign inserts a draft campaign.
func (db *DB) CreateCampaign(ctx context.Context, c *nps.Campaign) error {
	return db.inTx(ctx, func(tx *txn) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO nps_campaigns (name, question, organization_ids, segment_tier,
			segment_industry, segment_owner_id, status, created_by, created_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) RETURNING id`, c.Name, c.Question, marshal(c.OrganizationIDs),
			c.Segment.Tier, c.Segment.Industry, nullID(c.Segment.OwnerID), c.Status, nullID(c.CreatedBy),
			micros(c.CreatedAt)).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("insert campaign: %w", err)
		}
		return nil
	})
}

const campaignColumns = `c.id, c.name, c.question, c.organization_ids, c.segment_tier, c.segment_industry,
	c.segment_owner_id, c.status, c.created_by, c.created_at, c.sent_at, c.version,
	(SELECT COUNT(*) FROM nps_responses r WHERE r.campaign_id = c.id),
	(SELECT COUNT(*) FROM nps_responses r WHERE r.campaign_id = c.id AND r.sent_at IS NOT NULL),
	(SELECT COUNT(*) FROM nps_responses r WHERE r.campaign_id = c.id AND r.score IS NOT NULL)`

func scanCampaigns(rows *sql.Rows) ([]*nps.Campaign, error) {
	defer rows.Close()
	out := []*nps.Campaign{}
	for rows.Next() {
		var c nps.Campaign
		var ids string
		var owner, by, sent sql.NullInt64
		var created int64
		if err := rows.Scan(&c.ID, &c.Name, &c.Question, &ids, &c.Segment.Tier, &c.Segment.Industry, &owner, &c.Status,
			&by, &created, &sent, &c.Version, &c.Recipients, &c.Sent, &c.Answers); err != nil {
			return nil, fmt.Errorf("campaigns: %w", err)
		}
		if err := json.Unmarshal([]byte(ids), &c.OrganizationIDs); err != nil {
			return nil, fmt.Errorf("campaign %d accounts: %w", c.ID, err)
		}
		c.Segment.OwnerID, c.CreatedBy = fromNullID(owner), fromNullID(by)
		c.CreatedAt, c.SentAt = fromMicros(created), fromNullMicros(sent)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// Campaign reads a campaign with its counts.
func (db *DB) Campaign(ctx context.Context, id int64) (*nps.Campaign, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+campaignColumns+` FROM nps_campaigns c WHERE c.id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: %w", id, err)
	}
	list, err := scanCampaigns(rows)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, desk.E(desk.ENOTFOUND, "nps.error.no_campaign", id)
	}
	return list[0], nil
}

// Campaigns reads the newest campaigns.
func (db *DB) Campaigns(ctx context.Context, limit int) ([]*nps.Campaign, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+campaignColumns+` FROM nps_campaigns c ORDER BY c.id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	return scanCampaigns(rows)
}

// MissingOrganizations returns the ids that name no organization.
func (db *DB) MissingOrganizations(ctx context.Context, ids []int64) ([]int64, error) {
	found := map[int64]bool{}
	err := inChunks(len(ids), func(i, j int) error {
		in, args := idMarks(ids[i:j])
		rows, err := db.read.QueryContext(ctx, `SELECT id FROM organizations WHERE id IN (`+in+`)`, args...)
		if err != nil {
			return fmt.Errorf("organizations: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			found[id] = true
		}
		return rows.Err()
	})
	var out []int64
	for _, id := range ids {
		if !found[id] {
			out = append(out, id)
		}
	}
	return out, err
}

// StartCampaign adds the campaign's surveys and marks it sending, in one
// transaction, at its version.
func (db *DB) StartCampaign(ctx context.Context, c *nps.Campaign, now time.Time, max int) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE nps_campaigns SET status = $3, sent_at = $4, version = version + 1
			WHERE id = $1 AND version = $2 AND status = 'draft'`, c.ID, c.Version, nps.StatusSending, micros(now))
		if err != nil {
			return fmt.Errorf("start campaign %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var v int64
			if err := tx.QueryRowContext(ctx, `SELECT version FROM nps_campaigns WHERE id = $1`, c.ID).Scan(&v); err != nil {
				return fmt.Errorf("start campaign %d: %w", c.ID, err)
			}
			return desk.Stale(v)
		}
		args := []any{c.ID, micros(now)}
		var where string
		if len(c.OrganizationIDs) > 0 {
			where = `o.id IN (` + inList(&args, c.OrganizationIDs) + `)`
		} else {
			where = `TRUE`
			if c.Segment.Tier != "" {
				where += ` AND o.tier = ` + bind(&args, c.Segment.Tier)
			}
			if c.Segment.Industry != "" {
				where += ` AND o.industry = ` + bind(&args, c.Segment.Industry)
			}
			if c.Segment.OwnerID != nil {
				where += ` AND o.owner_id = ` + bind(&args, *c.Segment.OwnerID)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO nps_responses (campaign_id, contact_id, organization_id, language,
			created_at, updated_at)
			SELECT $1, k.id, o.id, k.language, $2, $2 FROM organizations o JOIN contacts k ON k.organization_id = o.id
			WHERE `+where+` AND k.email <> '' ORDER BY k.id LIMIT `+bind(&args, max)+`
			ON CONFLICT (campaign_id, contact_id) DO NOTHING`, args...)
		if err != nil {
			return fmt.Errorf("campaign %d recipients: %w", c.ID, err)
		}
		return nil
	})
}

// UnsentResponses returns surveys whose mail is not queued yet.
func (db *DB) UnsentResponses(ctx context.Context, limit int) ([]nps.Recipient, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT r.id, r.campaign_id, r.contact_id, k.name, k.email, r.language,
		c.question, r.organization_id, o.name
		FROM nps_responses r JOIN contacts k ON k.id = r.contact_id JOIN nps_campaigns c ON c.id = r.campaign_id
		JOIN organizations o ON o.id = r.organization_id
		WHERE r.sent_at IS NULL ORDER BY r.id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("unsent surveys: %w", err)
	}
	defer rows.Close()
	var out []nps.Recipient
	for rows.Next() {
		var rc nps.Recipient
		if err := rows.Scan(&rc.ResponseID, &rc.CampaignID, &rc.ContactID, &rc.ContactName, &rc.ContactEmail, &rc.Language,
			&rc.Question, &rc.OrganizationID, &rc.Organization); err != nil {
			return nil, fmt.Errorf("unsent surveys: %w", err)
		}
		out = append(out, rc)
	}
	return out, rows.Err()
}

// MarkResponseSent gives a survey its token and stores its mail, once.
func (db *DB) MarkResponseSent(ctx context.Context, id int64, digest string, now, expires time.Time, mail *email.Outbound) (bool, error) {
	sent := false
	err := db.inTx(ctx, func(tx *txn) error {
		sent = false
		res, err := tx.ExecContext(ctx, `UPDATE nps_responses SET token_digest = $2, sent_at = $3, expires_at = $4,
			updated_at = $3 WHERE id = $1 AND sent_at IS NULL`, id, digest, micros(now), micros(expires))
		if err != nil {
			return fmt.Errorf("mark survey %d sent: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		sent = true
		if mail == nil {
			return nil
		}
		if err := queueSystemMail(ctx, tx, mail); err != nil {
			return err
		}
		if mail.ID != 0 {
			_, err = tx.ExecContext(ctx, `UPDATE nps_responses SET outbound_id = $2 WHERE id = $1`, id, mail.ID)
		}
		return err
	})
	return sent, err
}

// ResponseByToken finds a survey by its link's digest.
func (db *DB) ResponseByToken(ctx context.Context, digest string) (*nps.Response, error) {
	var r nps.Response
	var score, sent, answered, until, expires sql.NullInt64
	var updated int64
	err := db.read.QueryRowContext(ctx, `SELECT r.id, r.campaign_id, r.contact_id, r.organization_id, r.language, r.score,
		r.reason, r.sent_at, r.answered_at, r.changeable_until, r.expires_at, r.updated_at, c.question, o.name
		FROM nps_responses r JOIN nps_campaigns c ON c.id = r.campaign_id JOIN organizations o ON o.id = r.organization_id
		WHERE r.token_digest = $1`, digest).Scan(&r.ID, &r.CampaignID, &r.ContactID, &r.OrganizationID, &r.Language,
		&score, &r.Reason, &sent, &answered, &until, &expires, &updated, &r.Question, &r.Organization)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, desk.E(desk.ENOTFOUND, "nps.not_found")
	}
	if err != nil {
		return nil, fmt.Errorf("nps survey: %w", err)
	}
	if score.Valid {
		s := int(score.Int64)
		r.Score = &s
	}
	r.SentAt, r.AnsweredAt, r.ChangeableUntil = fromNullMicros(sent), fromNullMicros(answered), fromNullMicros(until)
	r.ExpiresAt, r.UpdatedAt = fromNullMicros(expires), fromMicros(updated)
	return &r, nil
}

// AnswerResponse writes an answer and its event, if no other answer came
// in since the survey was read.
func (db *DB) AnswerResponse(ctx context.Context, r *nps.Response, prevUpdated time.Time, ev event.Event) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE nps_responses SET score = $2, reason = $3, answered_at = $4,
			changeable_until = $5, updated_at = $6 WHERE id = $1 AND updated_at = $7`, r.ID, *r.Score, r.Reason,
			nullMicros(r.AnsweredAt), nullMicros(r.ChangeableUntil), micros(r.UpdatedAt), micros(prevUpdated))
		if err != nil {
			return fmt.Errorf("answer nps survey %d: %w", r.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return desk.E(desk.ECONFLICT, "nps.changed")
		}
		return db.appendEvents(ctx, tx, []event.Event{ev})
	})
}

// ScoreCounts counts answers by score in groups (allow-listed).
func (db *DB) ScoreCounts(ctx context.Context, q nps.ScoreQuery) ([]nps.ScoreRow, error) {
	var key, name string
	switch q.GroupBy {
	case "campaign":
		key, name = "CAST(c.id AS TEXT)", "c.name"
	case "tier":
		key, name = "o.tier", "o.tier"
	case "industry":
		key, name = "o.industry", "o.industry"
	default:
		key, name = "CAST(o.id AS TEXT)", "o.name"
	}
	args := []any{}
	where := "r.score IS NOT NULL"
	if q.CampaignID != nil {
		where += " AND r.campaign_id = " + bind(&args, *q.CampaignID)
	}
	if q.OrganizationID != nil {
		where += " AND r.organization_id = " + bind(&args, *q.OrganizationID)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+key+`, `+name+`, r.score, COUNT(*)
		FROM nps_responses r JOIN organizations o ON o.id = r.organization_id JOIN nps_campaigns c ON c.id = r.campaign_id
		WHERE `+where+` GROUP BY `+key+`, `+name+`, r.score ORDER BY `+name+`, `+key+`, r.score`, args...)
	if err != nil {
		return nil, fmt.Errorf("nps scores: %w", err)
	}
	defer rows.Close()
	var out []nps.ScoreRow
	for rows.Next() {
		var r nps.ScoreRow
		if err := rows.Scan(&r.Key, &r.Name, &r.Score, &r.N); err != nil {
			return nil, fmt.Errorf("nps scores: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
