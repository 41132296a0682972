package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

var _ ticket.Store = (*DB)(nil)
var _ ticket.Tx = (*ticketTx)(nil)

const ticketColumns = `t.id, t.subject, t.status, t.status_category, t.priority, t.type, t.channel,
	t.requester_id, c.name, c.email, t.organization_id, t.assignee_id, t.team_id, t.tags, t.custom_fields,
	t.escalation_level, t.merged_into_id, t.created_at, t.updated_at, t.first_responded_at, t.solved_at, t.version
	FROM tickets t JOIN contacts c ON c.id = t.requester_id`

// ticketReadColumns adds the SLA state (package sla) to what reads
// return. Writes lock with ticketColumns: PostgreSQL cannot lock the
// nullable side of an outer join.
const ticketReadColumns = `s.policy_id, s.first_response_due_at, s.next_response_due_at, s.resolution_due_at,
	s.paused, s.breached, ` + ticketColumns + ` LEFT JOIN ticket_sla s ON s.ticket_id = t.id`

type scanner interface{ Scan(dest ...any) error }

// scanTicketSLA reads a row of ticketReadColumns.
func scanTicketSLA(row scanner) (*ticket.Ticket, error) {
	var policy, fr, nr, res sql.NullInt64
	var paused sql.NullBool
	var breached sql.NullString
	var t *ticket.Ticket
	_, err := scanTicketWith(row, func(rest ...any) []any {
		return append([]any{&policy, &fr, &nr, &res, &paused, &breached}, rest...)
	}, &t)
	if err != nil {
		return nil, err
	}
	if policy.Valid {
		t.SLA = &ticket.SLA{PolicyID: policy.Int64, FirstResponseDueAt: fromNullMicros(fr),
			NextResponseDueAt: fromNullMicros(nr), ResolutionDueAt: fromNullMicros(res), Paused: paused.Bool}
		if err := json.Unmarshal([]byte(breached.String), &t.SLA.Breached); err != nil || t.SLA.Breached == nil {
			t.SLA.Breached = []string{}
		}
	}
	return t, nil
}

func scanTicket(row scanner) (*ticket.Ticket, error) {
	var t *ticket.Ticket
	_, err := scanTicketWith(row, func(rest ...any) []any { return rest }, &t)
	return t, err
}

// scanTicketWith scans a ticket row with columns of its own before it
// (dest puts their destinations in front).
func scanTicketWith(row scanner, dest func(rest ...any) []any, out **ticket.Ticket) (*ticket.Ticket, error) {
	var t ticket.Ticket
	var org, assignee, team, merged, firstResp, solved sql.NullInt64
	var tags, fields string
	var created, updated int64
	err := row.Scan(dest(&t.ID, &t.Subject, &t.Status, &t.StatusCategory, &t.Priority, &t.Type, &t.Channel,
		&t.Requester.ID, &t.Requester.Name, &t.Requester.Email, &org, &assignee, &team, &tags, &fields,
		&t.EscalationLevel, &merged, &created, &updated, &firstResp, &solved, &t.Version)...)
	if err != nil {
		return nil, err
	}
	*out = &t
	t.OrganizationID, t.AssigneeID, t.TeamID, t.MergedIntoID = fromNullID(org), fromNullID(assignee), fromNullID(team), fromNullID(merged)
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	t.FirstRespondedAt, t.SolvedAt = fromNullMicros(firstResp), fromNullMicros(solved)
	if t.Tags, err = parseTags(tags); err != nil {
		return nil, fmt.Errorf("ticket %d tags: %w", t.ID, err)
	}
	if fields == "{}" {
		t.CustomFields = map[string]any{}
	} else if err := json.Unmarshal([]byte(fields), &t.CustomFields); err != nil {
		return nil, fmt.Errorf("ticket %d custom fields: %w", t.ID, err)
	}
	return &t, nil
}

// parseTags reads the tags column. Lists decode it for every row, so the
// common shapes (no tags; tags without escapes, which is every tag
// CleanTags lets through unless it holds a quote or backslash) skip the
// reflection of encoding/json.
func parseTags(s string) ([]string, error) {
	if s == "[]" {
		return []string{}, nil
	}
	if len(s) >= 4 && strings.HasPrefix(s, `["`) && strings.HasSuffix(s, `"]`) && !strings.ContainsRune(s, '\\') {
		parts := strings.Split(s[2:len(s)-2], `","`)
		ok := true
		for _, p := range parts {
			if strings.ContainsRune(p, '"') {
				ok = false
				break
			}
		}
		if ok {
			return parts, nil
		}
	}
	var tags []string
	err := json.Unmarshal([]byte(s), &tags)
	return tags, err
}

// Ticket returns one ticket.
func (db *DB) Ticket(ctx context.Context, id int64) (*ticket.Ticket, error) {
	t, err := scanTicketSLA(db.read.QueryRowContext(ctx, `SELECT `+ticketReadColumns+` WHERE t.id = $1`, id))
	if err != nil {
		return nil, notFound(err, desk.M("error.ticket_not_found", id))
	}
	return t, nil
}

// cursor is the position after the last row of a page: the sort key and id.
type cursor struct {
	key int64
	id  int64
}

func encodeCursor(c cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.key, 36) + "." + strconv.FormatInt(c.id, 36)))
}

func decodeCursor(s string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		k, i, ok := strings.Cut(string(b), ".")
		var c cursor
		c.key, err = strconv.ParseInt(k, 36, 64)
		if err == nil && ok {
			if c.id, err = strconv.ParseInt(i, 36, 64); err == nil {
				return c, nil
			}
		}
	}
	return cursor{}, desk.Invalid(desk.Fields{"cursor": desk.M("invalid.cursor")})
}

// Tickets returns a page of tickets in keyset order: a page costs the same
// at a thousand tickets as at a million, because nothing is counted and no
// rows are skipped.
func (db *DB) Tickets(ctx context.Context, f ticket.Filter) (*ticket.Page, error) {
	if assignedInScope(f) {
		f.Scope = nil
	}
	scoped := f
	scoped.Scope = nil // added below, as a condition or as branches
	where, args, order, err := ticketWhere(scoped)
	if err != nil {
		return nil, err
	}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	q := `SELECT ` + ticketReadColumns
	if branches := scopeBranches(f); branches != nil {
		// The scope is an OR of routing columns: read each branch's first
		// page by its own ordered index and keep the newest of them, so a
		// page costs a few short index walks instead of sorting every
		// ticket in scope (90 ms at 100,000 tickets, seconds at a million).
		// The other conditions repeat in each branch with the same
		// arguments.
		where = append(where, "t.id IN ("+db.scopeUnion(f, branches, where, order, limitOf(f.Limit+1))+")")
	} else if f.Scope != nil {
		where = append(where, scopeCondition(f.Scope, arg))
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + order + " LIMIT " + limitOf(f.Limit+1)
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	defer rows.Close()
	page := &ticket.Page{Tickets: make([]*ticket.Ticket, 0, f.Limit)}
	for rows.Next() {
		t, err := scanTicketSLA(rows)
		if err != nil {
			return nil, fmt.Errorf("list tickets: %w", err)
		}
		page.Tickets = append(page.Tickets, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	if len(page.Tickets) > f.Limit {
		page.Tickets = page.Tickets[:f.Limit]
		last := page.Tickets[f.Limit-1]
		key := micros(last.UpdatedAt)
		if f.Sort == "due" && last.SLA != nil {
			key = micros(last.SLA.NextDue())
		}
		page.NextCursor = encodeCursor(cursor{key: key, id: last.ID})
	}
	return page, nil
}

// ticketWhere is the WHERE terms, their arguments and the ORDER BY of a
// ticket filter, for a page of tickets (Tickets) and a bounded count
// (CountTickets). Only allow-listed columns are spliced in; values are
// arguments.
func ticketWhere(f ticket.Filter) (where []string, args []any, order string, err error) {
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	anyOf := func(col string, vals []string) string { return anyOf(col, vals, arg) }
	statuses, priorities, tags := f.Statuses, f.Priorities, f.Tags
	if f.Status != nil {
		statuses = append(slices.Clip(statuses), *f.Status)
	}
	if f.Priority != nil {
		priorities = append(slices.Clip(priorities), *f.Priority)
	}
	if f.Tag != nil {
		tags = append(slices.Clip(tags), *f.Tag)
	}
	if len(statuses) > 0 {
		where = append(where, statusCondition(statuses, arg))
	}
	if len(f.Categories) > 0 {
		where = append(where, anyOf("t.status_category", f.Categories))
	}
	if len(priorities) > 0 {
		where = append(where, anyOf("t.priority", priorities))
	}
	if f.Open {
		where = append(where, "t.status_category IN ('new', 'open', 'pending', 'on_hold')")
	}
	if f.AssigneeID != nil {
		if *f.AssigneeID == 0 {
			where = append(where, "t.assignee_id IS NULL")
		} else {
			where = append(where, "t.assignee_id = "+arg(*f.AssigneeID))
		}
	}
	if f.TeamID != nil {
		if *f.TeamID == 0 {
			where = append(where, "t.team_id IS NULL")
		} else {
			where = append(where, "t.team_id = "+arg(*f.TeamID))
		}
	}
	if f.TeamIDs != nil {
		where = append(where, "t.team_id IN ("+idList(f.TeamIDs)+")")
	}
	if f.OrganizationID != nil {
		where = append(where, "t.organization_id = "+arg(*f.OrganizationID))
	}
	if f.RequesterID != nil {
		where = append(where, "t.requester_id = "+arg(*f.RequesterID))
	}
	if f.RequesterEmail != nil {
		where = append(where, "t.requester_id = (SELECT contact_id FROM contact_emails WHERE email = "+arg(strings.ToLower(*f.RequesterEmail))+")")
	}
	if len(tags) > 0 {
		where = append(where, "EXISTS (SELECT 1 FROM ticket_tags tt WHERE tt.ticket_id = t.id AND "+anyOf("tt.tag", tags)+")")
	}
	if f.UpdatedSince != nil {
		where = append(where, "t.updated_at >= "+arg(micros(*f.UpdatedSince)))
	}
	if f.Escalated != nil {
		if *f.Escalated {
			where = append(where, "t.escalation_level > 0")
		} else {
			where = append(where, "t.escalation_level = 0")
		}
	}
	if f.Scope != nil {
		where = append(where, scopeCondition(f.Scope, arg))
	}
	if f.SLA != nil {
		switch *f.SLA {
		case "breached":
			where = append(where, "s.breached <> '[]'")
		case "running":
			where = append(where, "s.due_at IS NOT NULL")
		case "paused":
			where = append(where, "s.paused = TRUE AND s.resolved = FALSE AND s.policy_id IS NOT NULL")
		default:
			return nil, nil, "", desk.Invalid(desk.Fields{"sla": desk.M("invalid.one_of", "breached, running, paused")})
		}
	}
	if f.DueBefore != nil {
		where = append(where, "s.due_at < "+arg(micros(*f.DueBefore)))
	}
	if f.SolvedSince != nil {
		// A ticket is updated when solved, so the time also bounds the
		// walk of the status index by update time.
		since := arg(micros(*f.SolvedSince))
		where = append(where, "t.updated_at >= "+since, "t.solved_at >= "+since)
	}
	order = "t.updated_at DESC, t.id DESC"
	switch f.Sort {
	case "due":
		// Nearest due first; tickets without a running due time have no
		// place in this order and are left out.
		order = "s.due_at, t.id"
		where = append(where, "s.due_at IS NOT NULL")
	case "created":
		order = "t.id DESC"
	case "oldest":
		order = "t.id ASC"
	case "", "updated":
	default:
		return nil, nil, "", desk.Invalid(desk.Fields{"sort": desk.M("invalid.sort")})
	}
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, nil, "", err
		}
		switch f.Sort {
		case "created":
			where = append(where, "t.id < "+arg(c.id))
		case "oldest":
			where = append(where, "t.id > "+arg(c.id))
		case "due":
			k := arg(c.key)
			where = append(where, "(s.due_at > "+k+" OR (s.due_at = "+k+" AND t.id > "+arg(c.id)+"))")
		default:
			k := arg(c.key)
			where = append(where, "(t.updated_at < "+k+" OR (t.updated_at = "+k+" AND t.id < "+arg(c.id)+"))")
		}
	}
	return where, args, order, nil
}

// CountTickets counts the tickets of a filter, but at most atMost. A
// filter of status categories, team, assignee, escalation and an agent's
// scope is read from the kept counts (keptCountQuery); any other reads the
// rows the filter's index gives until it has atMost, so a view of a million
// tickets costs what one of atMost does ("999+"). Sort and cursor play no
// part.
func (db *DB) CountTickets(ctx context.Context, f ticket.Filter, atMost int) (int, error) {
	q, args, kept := keptCountQuery(f)
	if !kept {
		var err error
		if q, args, err = db.countQuery(f, atMost); err != nil {
			return 0, err
		}
	}
	var n int
	if err := db.read.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count tickets: %w", err)
	}
	return min(n, atMost), nil
}

// countQuery is CountTickets' statement.
func (db *DB) countQuery(f ticket.Filter, atMost int) (string, []any, error) {
	f.Sort, f.Cursor = "", ""
	if assignedInScope(f) {
		f.Scope = nil
	}
	if solvedCount(f) {
		return db.solvedCountQuery(f, atMost)
	}
	where, args, order, err := ticketWhere(f)
	if err != nil {
		return "", nil, err
	}
	from := `tickets t`
	if f.SLA != nil || f.DueBefore != nil {
		from += ` LEFT JOIN ticket_sla s ON s.ticket_id = t.id`
	}
	q := `SELECT count(*) FROM (SELECT 1 FROM ` + from
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, atMost)
	q += db.dialect.boundedOrder(order) + " LIMIT $" + strconv.Itoa(len(args)) + ") x"
	return q, args, nil
}

// anyOf is "col = $n" for one value and "col IN ($n, …)" for several.
func anyOf(col string, vals []string, arg func(any) string) string {
	if len(vals) == 1 {
		return col + " = " + arg(vals[0])
	}
	ps := make([]string, len(vals))
	for i, v := range vals {
		ps[i] = arg(v)
	}
	return col + " IN (" + strings.Join(ps, ", ") + ")"
}

// statusCondition selects tickets (as t) by status names or categories.
func statusCondition(statuses []string, arg func(any) string) string {
	var cats, names []string
	for _, v := range statuses {
		if slices.Contains(ticket.Categories, v) {
			cats = append(cats, v)
		} else {
			names = append(names, v)
		}
	}
	switch {
	case len(names) == 0:
		return anyOf("t.status_category", cats, arg)
	case len(cats) == 0:
		return anyOf("t.status", names, arg)
	}
	return "(" + anyOf("t.status_category", cats, arg) + " OR " + anyOf("t.status", names, arg) + ")"
}

// scopeCondition limits tickets (as t) to a scope: a customer's own, or an
// agent's (assigned to them, of their teams, of no team). Ticket lists and
// searches share it.
func scopeCondition(s *ticket.Scope, arg func(any) string) string {
	if s.RequesterID != 0 && s.OrganizationID != 0 {
		return "(t.requester_id = " + arg(s.RequesterID) + " OR t.organization_id = " + arg(s.OrganizationID) + ")"
	}
	if s.RequesterID != 0 {
		return "t.requester_id = " + arg(s.RequesterID)
	}
	cond := "t.assignee_id = " + arg(s.AgentID)
	if !s.Accounts || len(s.TeamIDs) > 0 {
		cond += " OR t.team_id IS NULL"
	}
	if len(s.AccountIDs) > 0 {
		cond += " OR t.organization_id IN (" + idList(s.AccountIDs) + ")"
	}
	if len(s.TeamIDs) > 0 {
		cond += " OR t.team_id IN (" + idList(s.TeamIDs) + ")"
	}
	return "(" + cond + ")"
}

// assignedInScope reports whether a list keeps only tickets assigned to
// the agent whose scope it is: every agent's scope holds what is assigned
// to them (scopeCondition), so the scope adds nothing there, and as
// branches it would cost a walk of the whole unrouted (team_id NULL)
// backlog looking for the agent's tickets that are not there — 260 ms for
// "mine" at a million tickets.
func assignedInScope(f ticket.Filter) bool {
	s := f.Scope
	return s != nil && s.RequesterID == 0 && s.AgentID != 0 && f.AssigneeID != nil && *f.AssigneeID == s.AgentID
}

// maxScopeBranches bounds the branches of a scoped list; an agent in more
// teams than this gets the plain OR (their scope is most of the desk, where
// walking the time index and filtering is as quick).
const maxScopeBranches = 12

// scopeBranches is the scope of an agent's list as conditions (assigned to
// them, no team, each of their teams, an account executive's accounts) that an index (routing column,
// updated_at, id) returns in list order; nil when the list is not scoped by
// agent or its order is not the index's (nearest due first orders by the SLA
// table).
func scopeBranches(f ticket.Filter) []string {
	s := f.Scope
	if s == nil || s.RequesterID != 0 || f.Sort == "due" || len(s.TeamIDs)+2 > maxScopeBranches {
		return nil
	}
	branches := []string{"t.assignee_id = " + strconv.FormatInt(s.AgentID, 10)}
	if !s.Accounts || len(s.TeamIDs) > 0 {
		branches = append(branches, "t.team_id IS NULL")
	}
	for _, id := range s.TeamIDs {
		branches = append(branches, "t.team_id = "+strconv.FormatInt(id, 10))
	}
	if len(s.AccountIDs) > 0 {
		// An account executive's accounts (scopeCondition's same rule).
		branches = append(branches, "t.organization_id IN ("+idList(s.AccountIDs)+")")
	}
	return branches
}

// scopeUnion is the ids of the first page of each branch of a scoped list,
// with the list's other conditions and order; limit is the page's limit
// argument. A ticket in two branches comes twice; the caller's IN drops the
// second. Ids are integers spliced in by scopeBranches, never user text.
func (db *DB) scopeUnion(f ticket.Filter, branches, where []string, order, limit string) string {
	from := `tickets t`
	if f.SLA != nil || f.DueBefore != nil {
		from += ` LEFT JOIN ticket_sla s ON s.ticket_id = t.id`
	}
	parts := make([]string, len(branches))
	for i, b := range branches {
		cond := strings.Join(append([]string{b}, where...), " AND ")
		parts[i] = "SELECT id FROM (SELECT t.id FROM " + from + " WHERE " + cond +
			" ORDER BY " + order + " LIMIT " + limit + ") b" + strconv.Itoa(i)
	}
	return strings.Join(parts, " UNION ALL ")
}

// idList renders ids for an IN list; they are integers, never user text.
func idList(ids []int64) string {
	if len(ids) == 0 {
		return "NULL"
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

const messageColumns = `m.id, m.ticket_id, m.author_kind, m.author_id,
	COALESCE(a.name, c.name, ''), m.internal, m.body_text, m.body_html, m.created_at
	FROM messages m
	LEFT JOIN agents a ON m.author_kind = 'agent' AND a.id = m.author_id
	LEFT JOIN contacts c ON m.author_kind = 'contact' AND c.id = m.author_id`

// Messages returns a ticket's thread, oldest first.
func (db *DB) Messages(ctx context.Context, ticketID int64, withInternal bool) ([]*ticket.Message, error) {
	return db.queryMessages(ctx, ticketID, withInternal, nil, nil, ` ORDER BY m.created_at, m.id`)
}

// queryMessages reads messages of a ticket (on conditions cond with args
// numbered after the ticket's $1, in order, which ends the query) with
// their attachments.
func (db *DB) queryMessages(ctx context.Context, ticketID int64, withInternal bool, cond []string, args []any, order string) ([]*ticket.Message, error) {
	q := `SELECT ` + messageColumns + ` WHERE m.ticket_id = $1`
	if !withInternal {
		q += ` AND m.internal = FALSE`
	}
	for _, c := range cond {
		q += ` AND ` + c
	}
	rows, err := db.read.QueryContext(ctx, q+order, append([]any{ticketID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("ticket %d messages: %w", ticketID, err)
	}
	defer rows.Close()
	var out []*ticket.Message
	byID := map[int64]*ticket.Message{}
	for rows.Next() {
		var m ticket.Message
		var created int64
		if err := rows.Scan(&m.ID, &m.TicketID, &m.AuthorKind, &m.AuthorID, &m.AuthorName, &m.Internal,
			&m.BodyText, &m.BodyHTML, &created); err != nil {
			return nil, fmt.Errorf("ticket %d messages: %w", ticketID, err)
		}
		m.CreatedAt = fromMicros(created)
		m.Attachments = []ticket.Attachment{}
		out = append(out, &m)
		byID[m.ID] = &m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ticket %d messages: %w", ticketID, err)
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	// Only the attachments of the messages read (ids in their range).
	lo, hi := idRange(out, func(m *ticket.Message) int64 { return m.ID })
	arows, err := db.read.QueryContext(ctx, `SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.sha256,
		a.content_id, a.inline FROM attachments a JOIN messages m ON m.id = a.message_id
		WHERE m.ticket_id = $1 AND m.id BETWEEN $2 AND $3 ORDER BY a.id`, ticketID, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("ticket %d attachments: %w", ticketID, err)
	}
	defer arows.Close()
	for arows.Next() {
		var a ticket.Attachment
		var mid int64
		if err := arows.Scan(&a.ID, &mid, &a.Filename, &a.ContentType, &a.Size, &a.SHA256,
			&a.ContentID, &a.Inline); err != nil {
			return nil, fmt.Errorf("ticket %d attachments: %w", ticketID, err)
		}
		if m := byID[mid]; m != nil {
			m.Attachments = append(m.Attachments, a)
		}
	}
	if err := arows.Err(); err != nil {
		return nil, fmt.Errorf("ticket %d attachments: %w", ticketID, err)
	}
	// Replies sent as mail carry their delivery state.
	deliveries, err := db.MessageDeliveries(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	for id, d := range deliveries {
		if m := byID[id]; m != nil {
			m.Delivery = d
		}
	}
	return out, nil
}

// TicketEvents returns a ticket's history, oldest first.
func (db *DB) TicketEvents(ctx context.Context, ticketID int64) ([]event.Event, error) {
	return db.queryEvents(ctx, `WHERE ticket_id = $1 ORDER BY id`, ticketID)
}

// Links returns the links from and to a ticket, as seen from it.
func (db *DB) Links(ctx context.Context, ticketID int64) ([]ticket.Link, error) {
	return db.queryLinks(ctx, ticketID, `WHERE ticket_id = $1 OR other_id = $1 ORDER BY created_at`, ticketID)
}

func (db *DB) queryLinks(ctx context.Context, ticketID int64, where string, args ...any) ([]ticket.Link, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT ticket_id, other_id, kind FROM ticket_links `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("ticket %d links: %w", ticketID, err)
	}
	defer rows.Close()
	out := []ticket.Link{}
	for rows.Next() {
		var l ticket.Link
		if err := rows.Scan(&l.TicketID, &l.OtherID, &l.Kind); err != nil {
			return nil, fmt.Errorf("ticket %d links: %w", ticketID, err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Followers returns the ids of the agents following a ticket.
func (db *DB) Followers(ctx context.Context, ticketID int64) ([]int64, error) {
	return db.ids(ctx, `SELECT agent_id FROM ticket_followers WHERE ticket_id = $1 ORDER BY agent_id`, ticketID)
}

func (db *DB) ids(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Statuses returns the statuses in workflow order.
func (db *DB) Statuses(ctx context.Context) ([]ticket.Status, error) {
	return db.queryStatuses(ctx, `ORDER BY position, name`)
}

func (db *DB) queryStatuses(ctx context.Context, where string, args ...any) ([]ticket.Status, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT name, category, builtin, position FROM statuses `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("statuses: %w", err)
	}
	defer rows.Close()
	var out []ticket.Status
	for rows.Next() {
		var s ticket.Status
		if err := rows.Scan(&s.Name, &s.Category, &s.Builtin, &s.Position); err != nil {
			return nil, fmt.Errorf("statuses: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Fields returns the custom field definitions in display order.
func (db *DB) Fields(ctx context.Context) ([]ticket.Field, error) {
	return db.queryFields(ctx, `ORDER BY position, id`)
}

func (db *DB) queryFields(ctx context.Context, where string, args ...any) ([]ticket.Field, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, key, label, kind, options, required, position, created_at, updated_at,
		version, portal FROM fields `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("fields: %w", err)
	}
	defer rows.Close()
	out := []ticket.Field{}
	for rows.Next() {
		var f ticket.Field
		var opts string
		var c, u int64
		if err := rows.Scan(&f.ID, &f.Key, &f.Label, &f.Kind, &opts, &f.Required, &f.Position, &c, &u, &f.Version, &f.Portal); err != nil {
			return nil, fmt.Errorf("fields: %w", err)
		}
		if err := json.Unmarshal([]byte(opts), &f.Options); err != nil {
			return nil, fmt.Errorf("field %s options: %w", f.Key, err)
		}
		f.CreatedAt, f.UpdatedAt = fromMicros(c), fromMicros(u)
		out = append(out, f)
	}
	return out, rows.Err()
}

// Tags returns the tag catalog.
func (db *DB) Tags(ctx context.Context) ([]string, error) {
	return db.queryTags(ctx, `ORDER BY name`)
}

func (db *DB) queryTags(ctx context.Context, where string, args ...any) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT name FROM tags `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("tags: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// InTx runs fn in one write transaction.
func (db *DB) InTx(ctx context.Context, fn func(ticket.Tx) error) error {
	return db.inTx(ctx, func(tx *txn) error { return fn(&ticketTx{db: db, tx: tx}) })
}

type ticketTx struct {
	db *DB
	tx *txn
	// locked holds the stored tags and organization of the tickets this
	// transaction locked, so that SaveTicket need not read them again (a
	// round trip per change) to know whether the tag rows must be
	// rewritten or the ticket's messages moved to another account.
	locked map[int64]storedTicket
}

// fromPtr is an optional id's value, 0 for none.
func fromPtr(id *int64) int64 {
	if id == nil {
		return 0
	}
	return *id
}

// storedTicket is what SaveTicket compares a ticket with.
type storedTicket struct {
	tags string
	org  int64 // 0: none
}

func (x *ticketTx) TicketForUpdate(ctx context.Context, id int64) (*ticket.Ticket, error) {
	t, err := scanTicket(x.tx.QueryRowContext(ctx, `SELECT `+ticketColumns+` WHERE t.id = $1`+x.db.dialect.forUpdate(), id))
	if err != nil {
		return nil, notFound(err, desk.M("error.ticket_not_found", id))
	}
	if x.locked == nil {
		x.locked = map[int64]storedTicket{}
	}
	x.locked[t.ID] = storedTicket{tags: marshal(t.Tags), org: fromPtr(t.OrganizationID)}
	return t, nil
}

func marshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("store: marshal: " + err.Error()) // only plain values reach here
	}
	return string(b)
}

func (x *ticketTx) InsertTicket(ctx context.Context, t *ticket.Ticket) error {
	if t.Tags == nil {
		t.Tags = []string{}
	}
	if t.CustomFields == nil {
		t.CustomFields = map[string]any{}
	}
	withTags := x.db.dialect.insertWithTags()
	if withTags == nil && len(t.Tags) > 0 {
		if err := x.EnsureTags(ctx, t.Tags, t.CreatedAt); err != nil {
			return err
		}
	}
	q := `INSERT INTO tickets (subject, status, status_category, priority, type, channel,
		requester_id, organization_id, assignee_id, team_id, tags, custom_fields, escalation_level, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`
	if withTags != nil && len(t.Tags) > 0 {
		q = withTags(q)
	}
	err := x.tx.QueryRowContext(ctx, q,
		t.Subject, t.Status, t.StatusCategory, t.Priority, t.Type, t.Channel, t.Requester.ID, nullID(t.OrganizationID),
		nullID(t.AssigneeID), nullID(t.TeamID), marshal(t.Tags), marshal(t.CustomFields), t.EscalationLevel,
		micros(t.CreatedAt), micros(t.UpdatedAt)).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("insert ticket: %w", err)
	}
	t.Version = 1
	if withTags != nil {
		return nil
	}
	return x.insertTags(ctx, t.ID, t.Tags)
}

func (x *ticketTx) insertTags(ctx context.Context, id int64, tags []string) error {
	for _, tag := range tags {
		if _, err := x.tx.ExecContext(ctx, `INSERT INTO ticket_tags (ticket_id, tag) VALUES ($1, $2)`, id, tag); err != nil {
			return fmt.Errorf("ticket %d tag %q: %w", id, tag, err)
		}
	}
	return nil
}

// SaveTicket writes the ticket if it still has the version t was read at,
// and bumps it; the row lock of TicketForUpdate makes a mismatch impossible
// for a ticket read in the same transaction, the WHERE keeps it true anyway.
func (x *ticketTx) SaveTicket(ctx context.Context, t *ticket.Ticket) error {
	old, locked := x.locked[t.ID]
	if !locked {
		var org sql.NullInt64
		if err := x.tx.QueryRowContext(ctx, `SELECT tags, organization_id FROM tickets WHERE id = $1`, t.ID).Scan(&old.tags, &org); err != nil {
			return notFound(err, desk.M("error.ticket_not_found", t.ID))
		}
		old.org = org.Int64
	}
	res, err := x.tx.ExecContext(ctx, `UPDATE tickets SET subject = $2, status = $3, status_category = $4, priority = $5,
		type = $6, organization_id = $7, assignee_id = $8, team_id = $9, tags = $10, custom_fields = $11,
		escalation_level = $12, merged_into_id = $13, updated_at = $14, first_responded_at = $15, solved_at = $16,
		version = version + 1 WHERE id = $1 AND version = $17`,
		t.ID, t.Subject, t.Status, t.StatusCategory, t.Priority, t.Type, nullID(t.OrganizationID), nullID(t.AssigneeID),
		nullID(t.TeamID), marshal(t.Tags), marshal(t.CustomFields), t.EscalationLevel, nullID(t.MergedIntoID),
		micros(t.UpdatedAt), nullMicros(t.FirstRespondedAt), nullMicros(t.SolvedAt), t.Version)
	if err := bumped(&t.Version, versioned(ctx, x.tx, res, err, "tickets", t.ID, desk.M("error.ticket_not_found", t.ID))); err != nil {
		return fmt.Errorf("save ticket %d: %w", t.ID, err)
	}
	if old.org != fromPtr(t.OrganizationID) {
		if err := x.moveToAccount(ctx, t.ID, t.OrganizationID); err != nil {
			return err
		}
	}
	if locked {
		x.locked[t.ID] = storedTicket{tags: marshal(t.Tags), org: fromPtr(t.OrganizationID)}
	}
	if old.tags == marshal(t.Tags) {
		return nil
	}
	if _, err := x.tx.ExecContext(ctx, `DELETE FROM ticket_tags WHERE ticket_id = $1`, t.ID); err != nil {
		return fmt.Errorf("ticket %d tags: %w", t.ID, err)
	}
	return x.insertTags(ctx, t.ID, t.Tags)
}

// moveToAccount gives a ticket's messages and timeline events the ticket's
// new organization (the account timeline reads them by organization).
func (x *ticketTx) moveToAccount(ctx context.Context, ticketID int64, orgID *int64) error {
	if _, err := x.tx.ExecContext(ctx, `UPDATE messages SET organization_id = $2 WHERE ticket_id = $1`,
		ticketID, nullID(orgID)); err != nil {
		return fmt.Errorf("ticket %d messages to organization: %w", ticketID, err)
	}
	if _, err := x.tx.ExecContext(ctx, `UPDATE events SET organization_id = $2 WHERE ticket_id = $1 AND kind IN (`+
		timelineEventKinds+`)`, ticketID, nullID(orgID)); err != nil {
		return fmt.Errorf("ticket %d events to organization: %w", ticketID, err)
	}
	return nil
}

func (x *ticketTx) InsertMessage(ctx context.Context, m *ticket.Message) error {
	err := x.tx.QueryRowContext(ctx, `INSERT INTO messages (ticket_id, author_kind, author_id, internal, body_text, body_html,
		created_at, organization_id) VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT organization_id FROM tickets WHERE id = $1))
		RETURNING id`,
		m.TicketID, m.AuthorKind, m.AuthorID, m.Internal, m.BodyText, m.BodyHTML, micros(m.CreatedAt)).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	return x.insertAttachments(ctx, m)
}

// insertAttachments writes the rows of a written message's attachments.
func (x *ticketTx) insertAttachments(ctx context.Context, m *ticket.Message) error {
	for i := range m.Attachments {
		a := &m.Attachments[i]
		if err := x.tx.QueryRowContext(ctx, `INSERT INTO attachments (message_id, filename, content_type, size, sha256,
			content_id, inline) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, m.ID, a.Filename, a.ContentType, a.Size,
			a.SHA256, a.ContentID, a.Inline).Scan(&a.ID); err != nil {
			return fmt.Errorf("insert attachment: %w", err)
		}
	}
	if m.Attachments == nil {
		m.Attachments = []ticket.Attachment{}
	}
	// A mail's inline images are shown from their attachments, whose ids
	// are known only now.
	if linked := ticket.LinkInline(m.BodyHTML, m.Attachments); linked != m.BodyHTML {
		if _, err := x.tx.ExecContext(ctx, `UPDATE messages SET body_html = $1 WHERE id = $2`, linked, m.ID); err != nil {
			return fmt.Errorf("link inline images: %w", err)
		}
		m.BodyHTML = linked
	}
	return nil
}

func (x *ticketTx) AppendEvents(ctx context.Context, evs []event.Event) error {
	return x.db.appendEvents(ctx, x.tx, evs)
}

// appendEvents inserts events inside a write transaction. Concurrent writers
// do not wait for each other: how a consumer still reads them without a gap
// is in dialect.eventsAfter.
func (db *DB) appendEvents(ctx context.Context, q querier, evs []event.Event) error {
	// At most 1,000 rows a statement (6,000 parameters; PostgreSQL takes
	// 65,535).
	for len(evs) > 1000 {
		if err := db.appendEvents(ctx, q, evs[:1000]); err != nil {
			return err
		}
		evs = evs[1000:]
	}
	if len(evs) == 0 {
		return nil
	}
	// One statement for all of them: a change's events cost one round
	// trip, not one each. Both databases number the rows of a multi-row
	// VALUES in order; RETURNING need not give them back in order, so the
	// ids are sorted before they are handed out.
	var sb strings.Builder
	// The events on an account's timeline carry their ticket's
	// organization (see moveToAccount).
	sb.WriteString(`INSERT INTO events (ticket_id, kind, actor_kind, actor_id, data, created_at, organization_id) VALUES `)
	args := make([]any, 0, 6*len(evs))
	for i := range evs {
		e := &evs[i]
		data := string(e.Data)
		if data == "" {
			data = "{}"
		}
		var tid sql.NullInt64
		if e.TicketID != 0 {
			tid = sql.NullInt64{Int64: e.TicketID, Valid: true}
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		n := len(args)
		org := "NULL"
		if tid.Valid && (e.Kind == event.Escalated || e.Kind == event.SLABreached) {
			org = fmt.Sprintf("(SELECT organization_id FROM tickets WHERE id = $%d)", n+1)
		}
		fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, %s)", n+1, n+2, n+3, n+4, n+5, n+6, org)
		args = append(args, tid, e.Kind, e.ActorKind, e.ActorID, data, micros(e.CreatedAt))
	}
	sb.WriteString(" RETURNING id")
	rows, err := q.QueryContext(ctx, sb.String(), args...)
	if err != nil {
		return fmt.Errorf("append events %s: %w", evs[0].Kind, err)
	}
	defer rows.Close()
	ids := make([]int64, 0, len(evs))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("append events: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("append events %s: %w", evs[0].Kind, err)
	}
	if len(ids) != len(evs) {
		return fmt.Errorf("append events: %d ids for %d events", len(ids), len(evs))
	}
	slices.Sort(ids)
	for i := range evs {
		evs[i].ID = ids[i]
	}
	return nil
}

func (x *ticketTx) EnsureContact(ctx context.Context, email, name string, now time.Time) (*people.Contact, error) {
	c, _, err := x.ensureContact(ctx, email, name, now)
	return c, err
}

// ensureContact is EnsureContact that also tells whether it created the
// contact.
func (x *ticketTx) ensureContact(ctx context.Context, email, name string, now time.Time) (*people.Contact, bool, error) {
	c, err := contactByEmail(ctx, x.tx, email)
	if err == nil {
		return c, false, nil
	}
	if desk.ErrorCode(err) != desk.ENOTFOUND {
		return nil, false, err
	}
	c = &people.Contact{Name: name, Emails: []string{email}, Language: "en", CreatedAt: now, UpdatedAt: now}
	var org sql.NullInt64
	err = x.tx.QueryRowContext(ctx, `SELECT organization_id FROM organization_domains WHERE domain = $1`,
		people.EmailDomain(email)).Scan(&org)
	if err != nil && err != sql.ErrNoRows {
		return nil, false, fmt.Errorf("organization for %s: %w", email, err)
	}
	c.OrganizationID = fromNullID(org)
	if err := insertContact(ctx, x.tx, c); err != nil {
		return nil, false, err
	}
	return c, true, nil
}

func (x *ticketTx) MoveMessages(ctx context.Context, from, to int64) error {
	if _, err := x.tx.ExecContext(ctx, `UPDATE messages SET ticket_id = $2,
		organization_id = (SELECT organization_id FROM tickets WHERE id = $2) WHERE ticket_id = $1`, from, to); err != nil {
		return fmt.Errorf("move messages %d to %d: %w", from, to, err)
	}
	return nil
}

func (x *ticketTx) InsertLink(ctx context.Context, l ticket.Link, now time.Time) error {
	_, err := x.tx.ExecContext(ctx, `INSERT INTO ticket_links (ticket_id, other_id, kind, created_at) VALUES ($1, $2, $3, $4)`,
		l.TicketID, l.OtherID, l.Kind, micros(now))
	if x.db.dialect.isUnique(err) {
		return desk.E(desk.ECONFLICT, "error.already_linked", l.TicketID, l.OtherID)
	}
	return err
}

func (x *ticketTx) AddFollower(ctx context.Context, ticketID, agentID int64) error {
	_, err := x.tx.ExecContext(ctx, `INSERT INTO ticket_followers (ticket_id, agent_id) VALUES ($1, $2)
		ON CONFLICT DO NOTHING`, ticketID, agentID)
	return err
}

func (x *ticketTx) EnsureTags(ctx context.Context, tags []string, now time.Time) error {
	for _, t := range tags {
		if _, err := x.tx.ExecContext(ctx, `INSERT INTO tags (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
			t, micros(now)); err != nil {
			return fmt.Errorf("tag %q: %w", t, err)
		}
	}
	return nil
}

func (x *ticketTx) DeleteTag(ctx context.Context, name string) error {
	var used bool
	if err := x.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ticket_tags WHERE tag = $1)`, name).Scan(&used); err != nil {
		return fmt.Errorf("tag %q: %w", name, err)
	}
	if used {
		return desk.E(desk.ECONFLICT, "error.tag_in_use", name)
	}
	res, err := x.tx.ExecContext(ctx, `DELETE FROM tags WHERE name = $1`, name)
	return mustAffect(res, err, desk.M("error.tag_not_found", name))
}

func (x *ticketTx) InsertStatus(ctx context.Context, s ticket.Status) error {
	_, err := x.tx.ExecContext(ctx, `INSERT INTO statuses (name, category, builtin, position)
		VALUES ($1, $2, FALSE, (SELECT COALESCE(MAX(position), 0) + 1 FROM statuses WHERE category = $2))`, s.Name, s.Category)
	return err
}

func (x *ticketTx) InsertField(ctx context.Context, f *ticket.Field) error {
	f.Version = 1
	return x.tx.QueryRowContext(ctx, `INSERT INTO fields (key, label, kind, options, required, position, created_at, updated_at, portal)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, f.Key, f.Label, f.Kind, marshal(f.Options), f.Required,
		f.Position, micros(f.CreatedAt), micros(f.UpdatedAt), f.Portal).Scan(&f.ID)
}

func (x *ticketTx) UpdateField(ctx context.Context, f *ticket.Field) error {
	res, err := x.tx.ExecContext(ctx, `UPDATE fields SET label = $2, options = $3, required = $4, position = $5, updated_at = $6,
		version = version + 1, portal = $8 WHERE id = $1 AND version = $7`, f.ID, f.Label, marshal(f.Options), f.Required,
		f.Position, micros(f.UpdatedAt), f.Version, f.Portal)
	return bumped(&f.Version, versioned(ctx, x.tx, res, err, "fields", f.ID, desk.M("error.field_not_found", f.ID)))
}

func (x *ticketTx) DeleteField(ctx context.Context, id, ifVersion int64) error {
	q, args := withVersion(`DELETE FROM fields WHERE id = $1`, id, ifVersion)
	res, err := x.tx.ExecContext(ctx, q, args...)
	return versioned(ctx, x.tx, res, err, "fields", id, desk.M("error.field_not_found", id))
}

// mustAffect turns "no row changed" into a not-found error.
func mustAffect(res sql.Result, err error, m desk.Msg) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return &desk.Error{Code: desk.ENOTFOUND, Msg: m}
	}
	return nil
}

// withVersion adds "AND version = $2" to a statement on the row $1 when the
// caller expects a version (ifVersion 0 expects none).
func withVersion(q string, id, ifVersion int64) (string, []any) {
	if ifVersion == 0 {
		return q, []any{id}
	}
	return q + ` AND version = $2`, []any{id, ifVersion}
}

// versioned turns "no row changed" by a statement on table's row id that
// also compared its version into ENOTFOUND (no such row) or ESTALE with the
// row's current version. table is a literal of this package.
func versioned(ctx context.Context, q querier, res sql.Result, err error, table string, id int64, missing desk.Msg) error {
	err = mustAffect(res, err, missing)
	if desk.ErrorCode(err) != desk.ENOTFOUND {
		return err
	}
	var current int64
	if qerr := q.QueryRowContext(ctx, `SELECT version FROM `+table+` WHERE id = $1`, id).Scan(&current); qerr == nil {
		return desk.Stale(current)
	} else if qerr != sql.ErrNoRows {
		return fmt.Errorf("%s %d version: %w", table, id, qerr)
	}
	return err
}

// bumped counts a successful versioned write in the written value's version.
func bumped(version *int64, err error) error {
	if err == nil {
		*version++
	}
	return err
}
