package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/notify"
	"github.com/sahayak/sahayak/internal/people"
)

// CreateToken stores a token digest for an agent (a nil expiresAt never
// expires), and its audit entries (about the new token).
func (db *DB) CreateToken(ctx context.Context, agentID int64, name, digest string, now time.Time, expiresAt *time.Time, log ...audit.Entry) (*access.Token, error) {
	t := &access.Token{AgentID: agentID, Name: name, CreatedAt: now, ExpiresAt: expiresAt, Version: 1}
	err := db.inTx(ctx, func(tx *txn) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (agent_id, name, digest, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
			RETURNING id`, agentID, name, digest, micros(now), nullMicros(expiresAt)).Scan(&t.ID); err != nil {
			return err
		}
		for i := range log {
			log[i].TargetID = t.ID
		}
		return appendAudit(ctx, tx, log)
	})
	if err != nil {
		return nil, fmt.Errorf("create token: %w", err)
	}
	return t, nil
}

// execAudited runs one write statement and writes the audit entries in its
// transaction. With a missing message, a statement that changes no row is
// that ENOTFOUND error, and nothing is written.
func (db *DB) execAudited(ctx context.Context, log []audit.Entry, missing *desk.Msg, query string, args ...any) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if missing != nil {
			err = mustAffect(res, err, *missing)
		}
		if err != nil {
			return err
		}
		return appendAudit(ctx, tx, log)
	})
}

// tokenVoid is true of a token row t whose agent a has voided it since:
// deactivated, or changed the password with its tokens.
const tokenVoid = `(t.created_at < a.credentials_valid_from OR t.created_at < a.tokens_valid_from)`

// TokenAgent returns the active agent owning an unrevoked token digest,
// and the token's expiry (nil: never), which the caller compares with its
// clock.
func (db *DB) TokenAgent(ctx context.Context, digest string) (*people.Agent, *time.Time, error) {
	var id int64
	var exp sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT t.agent_id, t.expires_at FROM api_tokens t JOIN agents a ON a.id = t.agent_id
		WHERE t.digest = $1 AND t.revoked_at IS NULL AND a.active = TRUE AND NOT `+tokenVoid, digest).Scan(&id, &exp)
	if err != nil {
		return nil, nil, notFound(err, desk.M("error.no_token"))
	}
	a, err := db.Agent(ctx, id)
	return a, fromNullMicros(exp), err
}

// Tokens lists an agent's tokens; one voided by a deactivation or a
// password change shows as revoked then.
func (db *DB) Tokens(ctx context.Context, agentID int64) ([]*access.Token, error) {
	return db.queryTokens(ctx, `WHERE t.agent_id = $1 ORDER BY t.id`, agentID)
}

func (db *DB) queryTokens(ctx context.Context, where string, args ...any) ([]*access.Token, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT t.id, t.agent_id, t.name, t.created_at, t.expires_at,
		COALESCE(t.revoked_at, CASE WHEN t.created_at < a.credentials_valid_from THEN a.credentials_valid_from
			WHEN t.created_at < a.tokens_valid_from THEN a.tokens_valid_from END), t.version
		FROM api_tokens t JOIN agents a ON a.id = t.agent_id `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	defer rows.Close()
	out := []*access.Token{}
	for rows.Next() {
		var t access.Token
		var c int64
		var e, r sql.NullInt64
		if err := rows.Scan(&t.ID, &t.AgentID, &t.Name, &c, &e, &r, &t.Version); err != nil {
			return nil, fmt.Errorf("tokens: %w", err)
		}
		t.CreatedAt, t.ExpiresAt, t.RevokedAt = fromMicros(c), fromNullMicros(e), fromNullMicros(r)
		out = append(out, &t)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of an agent's tokens, if it is at ifVersion (0:
// any) — else ESTALE — and writes the audit entries in its transaction.
func (db *DB) RevokeToken(ctx context.Context, agentID, tokenID, ifVersion int64, now time.Time, log ...audit.Entry) error {
	missing := desk.M("error.token_not_found", tokenID)
	return db.inTx(ctx, func(tx *txn) error {
		if ifVersion != 0 {
			var current int64
			err := tx.QueryRowContext(ctx, `SELECT version FROM api_tokens WHERE id = $1 AND agent_id = $2`, tokenID, agentID).Scan(&current)
			if err != nil {
				return notFound(err, missing)
			}
			if err := desk.CheckVersion(ifVersion, current); err != nil {
				return err
			}
		}
		q := `UPDATE api_tokens SET revoked_at = $3, version = version + 1 WHERE id = $1 AND agent_id = $2 AND revoked_at IS NULL`
		args := []any{tokenID, agentID, micros(now)}
		if ifVersion != 0 {
			q, args = q+` AND version = $4`, append(args, ifVersion)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err := mustAffect(res, err, missing); err != nil {
			if ifVersion != 0 {
				// Revoked, or changed, since the version was read.
				var current int64
				if tx.QueryRowContext(ctx, `SELECT version FROM api_tokens WHERE id = $1`, tokenID).Scan(&current) == nil && current != ifVersion {
					return desk.Stale(current)
				}
			}
			return err
		}
		return appendAudit(ctx, tx, log)
	})
}

// CreateSession stores a session under the digest of its id.
func (db *DB) CreateSession(ctx context.Context, digest string, s access.Session, now time.Time, log ...audit.Entry) error {
	return db.execAudited(ctx, log, nil, `INSERT INTO sessions (digest, agent_id, csrf, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, digest, s.AgentID, s.CSRF, micros(now), micros(s.ExpiresAt))
}

// SessionByDigest returns an unexpired session.
func (db *DB) SessionByDigest(ctx context.Context, digest string, now time.Time) (*access.Session, error) {
	var s access.Session
	var exp int64
	// A session begun before the agent's password last changed, or before
	// the agent was last deactivated, has ended.
	err := db.read.QueryRowContext(ctx, `SELECT s.agent_id, s.csrf, s.expires_at FROM sessions s
		JOIN agents a ON a.id = s.agent_id
		WHERE s.digest = $1 AND s.expires_at > $2 AND s.created_at >= a.password_changed_at
			AND s.created_at >= a.credentials_valid_from`,
		digest, micros(now)).Scan(&s.AgentID, &s.CSRF, &exp)
	if err != nil {
		return nil, notFound(err, desk.M("error.no_session"))
	}
	s.ExpiresAt = fromMicros(exp)
	return &s, nil
}

// DeleteSession signs a browser out.
func (db *DB) DeleteSession(ctx context.Context, digest string, log ...audit.Entry) error {
	return db.execAudited(ctx, log, nil, `DELETE FROM sessions WHERE digest = $1`, digest)
}

// DeleteExpiredSessions removes sessions past their expiry.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	_, err := db.exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, micros(now))
	return err
}

// RecordLogin stores the outcome of a password check: failures count up and
// lock the account until lockedUntil; a success resets the count.
func (db *DB) RecordLogin(ctx context.Context, agentID int64, failed int, lockedUntil time.Time, log ...audit.Entry) error {
	return db.execAudited(ctx, log, nil, `UPDATE agents SET failed_logins = $2, locked_until = $3 WHERE id = $1`,
		agentID, failed, micros(lockedUntil))
}

// CountAgents returns how many agents exist (first start creates the admin).
func (db *DB) CountAgents(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM agents`).Scan(&n)
	return n, err
}

// AddNotification stores a notification once per (agent, event, kind); it
// reports whether the row is new, which makes the notify job idempotent.
func (db *DB) AddNotification(ctx context.Context, n *notify.Notification) (bool, error) {
	res, err := db.exec(ctx, `INSERT INTO notifications (agent_id, kind, ticket_id, event_id, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agent_id, event_id, kind) DO NOTHING`,
		n.AgentID, n.Kind, n.TicketID, n.EventID, n.Body, micros(n.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("add notification: %w", err)
	}
	k, err := res.RowsAffected()
	return k == 1, err
}

// Notifications lists an agent's newest notifications.
func (db *DB) Notifications(ctx context.Context, agentID int64, limit int) ([]*notify.Notification, error) {
	return db.NotificationsPage(ctx, agentID, 0, time.Time{}, limit)
}

// NotificationsPage lists an agent's notifications newest first, below
// beforeID when it is not 0 and created since since, in keyset order on
// (agent_id, id).
func (db *DB) NotificationsPage(ctx context.Context, agentID, beforeID int64, since time.Time, limit int) ([]*notify.Notification, error) {
	if beforeID <= 0 {
		beforeID = math.MaxInt64
	}
	rows, err := db.read.QueryContext(ctx, `SELECT n.id, n.agent_id, n.kind, COALESCE(n.ticket_id, 0), n.event_id, n.body, n.read_at,
		n.created_at, COALESCE(e.actor_kind, ''), COALESCE(e.actor_id, 0)
		FROM notifications n LEFT JOIN events e ON e.id = n.event_id
		WHERE n.agent_id = $1 AND n.id < $2 AND n.created_at >= $3 ORDER BY n.id DESC LIMIT $4`,
		agentID, beforeID, micros(since), limit)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	defer rows.Close()
	out := []*notify.Notification{}
	for rows.Next() {
		var n notify.Notification
		var r sql.NullInt64
		var c int64
		if err := rows.Scan(&n.ID, &n.AgentID, &n.Kind, &n.TicketID, &n.EventID, &n.Body, &r, &c, &n.ActorKind, &n.ActorID); err != nil {
			return nil, fmt.Errorf("notifications: %w", err)
		}
		n.ReadAt, n.CreatedAt = fromNullMicros(r), fromMicros(c)
		out = append(out, &n)
	}
	return out, rows.Err()
}

// MarkNotificationsRead marks all of an agent's notifications read.
func (db *DB) MarkNotificationsRead(ctx context.Context, agentID int64, now time.Time) error {
	_, err := db.exec(ctx, `UPDATE notifications SET read_at = $2 WHERE agent_id = $1 AND read_at IS NULL`, agentID, micros(now))
	return err
}

var _ access.Store = (*DB)(nil)

// AgentsWith returns the ids of the active agents whose role holds the
// permission (admins hold every permission).
func (db *DB) AgentsWith(ctx context.Context, permission string) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT a.id, r.permissions FROM agents a JOIN roles r ON r.id = a.role_id
		WHERE a.active = TRUE ORDER BY a.id`)
	if err != nil {
		return nil, fmt.Errorf("agents with %s: %w", permission, err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		var perms string
		if err := rows.Scan(&id, &perms); err != nil {
			return nil, fmt.Errorf("agents with %s: %w", permission, err)
		}
		var list []string
		if err := json.Unmarshal([]byte(perms), &list); err != nil {
			return nil, fmt.Errorf("agent %d permissions: %w", id, err)
		}
		if slices.Contains(list, permission) {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}
