package store

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sahayak/sahayak/internal/search"
)

// dialect holds every difference between the two databases. No other code
// asks which database it runs on.
type dialect interface {
	name() string
	// forUpdate is appended to a SELECT that locks the row it reads. SQLite
	// needs none: its write transactions are serialized already.
	forUpdate() string
	// eventsAfter is the WHERE and ORDER BY of a durable consumer's read:
	// the events that come after the event with id $1 (0: from the start)
	// in the order consumers read them (the caller adds the LIMIT, see
	// limitOf). Its contract: once an
	// event has been returned, no event that commits later comes before it
	// in that order, so a consumer that resumes after the last event it
	// read never skips one.
	eventsAfter() string
	// eventsBefore compares the reading positions of the events with ids
	// a and b (SQL expressions, 0 for "before any event"): true when a
	// comes before b.
	eventsBefore(a, b string) string
	// lastEvent is a query for the id of the event read last in that order.
	lastEvent() string
	// insertWithTags turns the INSERT of a ticket (tags as a JSON array in
	// $11, the time in $14, answering the id) into one statement that also
	// adds the ticket's tag rows and the tags missing from the catalog; nil
	// where those are separate statements. On PostgreSQL each statement is
	// a round trip, and round trips are most of a create's cost.
	insertWithTags() func(insertTicket string) string
	// openTicket is one statement that writes any number of
	// ticket.Openings (its parameters are in DB.openTickets), "" where the
	// steps are separate statements in one transaction.
	openTicket() string
	isUnique(err error) bool
	isForeignKey(err error) bool
	constraint(err error) string
	// syncIdentity is a statement that moves a table's id generator past
	// ids inserted explicitly, "" where none is needed.
	syncIdentity(table string) string
	// databaseSize is a query for the bytes the database occupies.
	databaseSize() string
	// bulkPlaceholder is the n-th (from 1) parameter of a statement with
	// thousands of them. SQLite resolves each "$n" by a linear search of
	// the statement's names, which makes such statements quadratic; plain
	// "?" is positional.
	bulkPlaceholder(n int) string
	// secondaryIndexes lists (name, CREATE statement) of the indexes of
	// the tables named in $1 (comma-separated) that are not behind a
	// primary key or unique constraint.
	secondaryIndexes() string
	// plannerStats refreshes what the query planner knows of the tables'
	// sizes and spread. SQLite keeps no statistics until asked, and without
	// them plans some view counts by a status index that reads every
	// unsolved ticket, where the partial index of escalated ones holds a
	// handful (measured: 3 s against 0.1 ms at 300k tickets); sampling
	// (analysis_limit) keeps it to milliseconds at any size. PostgreSQL's
	// autovacuum does this by itself, but not at once after a bulk load.
	plannerStats() []string
	// boundedOrder is the ORDER BY of a bounded count (see countQuery),
	// given the list's order. PostgreSQL needs the order to walk an index
	// and stop at the bound: without it, it reads every matching entry
	// into a bitmap first (0.9 s for the open loads at a million tickets).
	// SQLite streams a plan without ORDER BY and stops at the bound; with
	// it, a scope's OR over three indexes is sorted whole first (1.2 s for
	// "all" at 300,000 tickets).
	boundedOrder(order string) string
	// solvedFrom is the FROM of a "recently solved" count (solvedCount):
	// SQLite is told to read tickets_solved_routing, whose entries alone
	// answer it (0.5 ms at a million tickets), as its sampled statistics
	// otherwise favour the status index and read the table (2–25 ms).
	solvedFrom() string
	// keptCountsTrigger is the statements that turn the kept counts'
	// trigger off and on again for a bulk load (LoadTickets then adds the
	// load's counts in one statement), "" where it stays on. On PostgreSQL
	// a million upserts of the same few rows in one transaction each leave
	// a row version that the next must step over (the 300,000-ticket load
	// took over 30 minutes instead of 6); SQLite updates them in place.
	keptCountsTrigger() (off, on string)
	// tableCount is a query for the number of tables in the database (in
	// the schema it works in, on PostgreSQL).
	tableCount() string

	// The search index (search_dialect.go). searchFrom is the FROM of a
	// search, with the entries as e, and the column that orders them;
	// searchMatch the condition that an entry matches the query text in
	// arg, which searchQuery makes from the phrases.
	searchFrom() (from, id string)
	searchMatch(arg string) string
	searchQuery(must, not [][]string) string
	// searchArgs are the arguments of a search statement as the driver
	// is to run it.
	searchArgs(args []any) []any
	// suggestQuery is the query text of a suggestion search: the marker
	// word and any of words; suggestRank orders its matches best first.
	suggestQuery(marker string, words []string) string
	suggestRank(arg string) string
	// deleteSearchText is a statement deleting the words of the entries
	// where holds, "" where they go with the entry.
	deleteSearchText(where string) string
	insertSearch(ctx context.Context, tx *txn, docs []search.Doc) error
	clearSearch() []string
	// analyzeSearch refreshes the planner's statistics after a rebuild (and,
	// on PostgreSQL, merges the GIN index's pending entries).
	analyzeSearch() []string
}

type sqliteDialect struct{}

func (sqliteDialect) name() string      { return "sqlite" }
func (sqliteDialect) forUpdate() string { return "" }

// SQLite has one writer at a time: ids are taken and committed in one order,
// so a consumer reads by id.
func (sqliteDialect) eventsAfter() string             { return "WHERE id > $1 ORDER BY id" }
func (sqliteDialect) eventsBefore(a, b string) string { return a + " < " + b }

// SQLite runs statements in-process: three statements cost what one does.
func (sqliteDialect) insertWithTags() func(string) string { return nil }
func (sqliteDialect) openTicket() string                  { return "" }
func (sqliteDialect) lastEvent() string {
	return "SELECT COALESCE(MAX(id), 0) FROM events"
}
func (sqliteDialect) isUnique(err error) bool {
	code, ok := sqliteErrorCode(err)
	return ok && (code == sqliteConstraintUnique || code == sqliteConstraintPrimaryKey)
}
func (sqliteDialect) isForeignKey(err error) bool {
	code, ok := sqliteErrorCode(err)
	return ok && code == sqliteConstraintForeignKey
}
func (sqliteDialect) constraint(err error) string {
	// "UNIQUE constraint failed: contact_emails.email", or with several
	// columns "UNIQUE constraint failed: t.a, t.b"; the pure-Go driver
	// says "constraint failed: " before it and " (2067)" after it.
	msg := err.Error()
	i := strings.LastIndex(msg, "constraint failed: ")
	if i < 0 {
		return ""
	}
	msg = msg[i+len("constraint failed: "):]
	if j := strings.LastIndex(msg, " ("); j >= 0 && strings.HasSuffix(msg, ")") {
		msg = msg[:j]
	}
	return msg
}

func (sqliteDialect) syncIdentity(string) string          { return "" }
func (sqliteDialect) bulkPlaceholder(int) string          { return "?" }
func (sqliteDialect) boundedOrder(string) string          { return "" }
func (sqliteDialect) solvedFrom() string                  { return "tickets t INDEXED BY tickets_solved_routing" }
func (postgresDialect) solvedFrom() string                { return "tickets t" }
func (sqliteDialect) keptCountsTrigger() (string, string) { return "", "" }
func (postgresDialect) keptCountsTrigger() (string, string) {
	return "ALTER TABLE tickets DISABLE TRIGGER ticket_counts_change", "ALTER TABLE tickets ENABLE TRIGGER ticket_counts_change"
}

func (postgresDialect) boundedOrder(order string) string { return " ORDER BY " + order }

func (sqliteDialect) plannerStats() []string {
	return []string{`PRAGMA analysis_limit = 400`, `PRAGMA optimize = 0x10002`}
}

func (postgresDialect) plannerStats() []string { return []string{`ANALYZE tickets, ticket_tags`} }

func (sqliteDialect) secondaryIndexes() string {
	return `SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN (SELECT value FROM json_each('["' || replace($1, ',', '","') || '"]')) ORDER BY name`
}
func (sqliteDialect) tableCount() string {
	return "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
}
func (sqliteDialect) databaseSize() string {
	return "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
}

type postgresDialect struct{}

func (postgresDialect) syncIdentity(table string) string {
	return "SELECT setval(pg_get_serial_sequence('" + table + "', 'id'), (SELECT MAX(id) FROM " + table + "))"
}
func (postgresDialect) bulkPlaceholder(n int) string { return "$" + strconv.Itoa(n) }
func (postgresDialect) secondaryIndexes() string {
	return `SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema()
		AND i.tablename = ANY (string_to_array($1, ','))
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) ORDER BY i.indexname`
}
func (postgresDialect) tableCount() string {
	return "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
}
func (postgresDialect) databaseSize() string { return "SELECT pg_database_size(current_database())" }

func (postgresDialect) name() string      { return "postgres" }
func (postgresDialect) forUpdate() string { return " FOR UPDATE" }

// On PostgreSQL concurrent writers take event ids in one order and commit in
// another: a reader by id could pass id 7 while the transaction holding id 6
// is still open, and never see 6. So each event records its transaction
// (column xact, migration 00008) and consumers read in (xact, id) order, and
// only events whose transaction is below the xmin of the reading statement's
// snapshot: every such transaction has ended, and every transaction still
// running or yet to write has an xact at or above that xmin, so whatever
// commits later sorts after everything returned. Writers wait for nothing;
// a transaction left open holds back readers (not writers) until it ends.
//
// A position is (xact of the event, id); an id with no event (0, or one
// that never committed) stands for (0, id), and events written before
// migration 00008 have xact 0, in the id order they committed in.
func postgresEventPosition(id string) string {
	return "(COALESCE((SELECT e.xact FROM events e WHERE e.id = " + id + "), 0), " + id + ")"
}

func (postgresDialect) eventsAfter() string {
	// The xmin is read once (an InitPlan), so the index on (xact, id) serves
	// both bounds.
	return "WHERE (xact, id) > " + postgresEventPosition("$1") +
		" AND xact < (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint) ORDER BY xact, id"
}
func (postgresDialect) eventsBefore(a, b string) string {
	return postgresEventPosition(a) + " < " + postgresEventPosition(b)
}

// openTicket writes tickets, each with its requester when new, tags, first
// message and events, in one statement: openings are rows of arrays
// (DB.openTickets lists the parameters). Run on its own it is one round trip
// and one transaction for any number of creates. Ids are drawn from the
// sequences up front, so that every row written can be told apart by its
// opening's position. Creates for one new email make one contact (named by
// the first). Event data is text built as event.WithFields builds it, so the
// stored and the published bytes agree; a new contact's contact.created comes
// just before its first ticket's events.
func (postgresDialect) openTicket() string {
	return `WITH i AS MATERIALIZED (
		SELECT u.*, nextval(pg_get_serial_sequence('tickets', 'id')) AS tid,
			nextval(pg_get_serial_sequence('messages', 'id')) AS mid
		FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::text[],
			$9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::bigint[], $16::bigint[],
			$17::text[], $18::text[], $19::int[], $20::text[], $21::text[], $22::text[])
		WITH ORDINALITY AS u(email, name, domain, now, actor_kind, actor_id, contact_json, contact_json_end,
			subject, status, category, priority, type, channel, assignee, team, tags, custom, escalation,
			author_kind, body, html, ord)
	), found AS MATERIALIZED (
		SELECT e.email, c.id, c.name, c.organization_id FROM contact_emails e JOIN contacts c ON c.id = e.contact_id
		WHERE e.email IN (SELECT email FROM i)
	), missing AS MATERIALIZED (
		SELECT f.*, nextval(pg_get_serial_sequence('contacts', 'id')) AS cid,
			(SELECT organization_id FROM organization_domains d WHERE d.domain = f.domain) AS org
		FROM (SELECT DISTINCT ON (email) email, name, domain, now, ord FROM i
			WHERE email NOT IN (SELECT email FROM found) ORDER BY email, ord) f
	), new_contacts AS (
		INSERT INTO contacts (id, name, email, phone, language, organization_id, created_at, updated_at)
		SELECT cid, name, email, '', 'en', org, now, now FROM missing
	), new_emails AS (
		INSERT INTO contact_emails (email, contact_id, position) SELECT email, cid, 0 FROM missing
	), c AS (
		SELECT email, id, name, organization_id, 0::bigint AS created_by FROM found
		UNION ALL SELECT email, cid, name, org, ord FROM missing
	), t AS (
		INSERT INTO tickets (id, subject, status, status_category, priority, type, channel, requester_id,
			organization_id, assignee_id, team_id, tags, custom_fields, escalation_level, created_at, updated_at)
		SELECT i.tid, i.subject, i.status, i.category, i.priority, i.type, i.channel, c.id, c.organization_id,
			i.assignee, i.team, i.tags, i.custom, i.escalation, i.now, i.now
		FROM i JOIN c ON c.email = i.email
	), catalog AS (
		INSERT INTO tags (name, created_at)
		SELECT DISTINCT ON (tag) tag, i.now FROM i, json_array_elements_text(i.tags::json) AS tag ORDER BY tag
		ON CONFLICT (name) DO NOTHING
	), tag_rows AS (
		INSERT INTO ticket_tags (ticket_id, tag) SELECT DISTINCT i.tid, tag FROM i, json_array_elements_text(i.tags::json) AS tag
	), m AS (
		INSERT INTO messages (id, ticket_id, author_kind, author_id, internal, body_text, body_html, created_at, organization_id)
		SELECT i.mid, i.tid, i.author_kind, c.id, FALSE, i.body, i.html, i.now, c.organization_id FROM i JOIN c ON c.email = i.email
	), e AS MATERIALIZED (
		SELECT x.*, nextval(pg_get_serial_sequence('events', 'id')) AS eid FROM (
			SELECT i.ord, 0::bigint AS k, NULL::bigint AS ticket_id, 'contact.created' AS kind, i.actor_kind, i.actor_id,
				'{"id":' || f.cid || i.contact_json || COALESCE(f.org::text, 'null') || i.contact_json_end AS data, i.now
			FROM i JOIN missing f ON f.ord = i.ord
			UNION ALL
			SELECT i.ord, v.k, i.tid, v.kind, i.actor_kind, i.actor_id,
				CASE WHEN v.first THEN v.data || '"requester_id":' || c.id || ',"message_id":' || i.mid || '}' ELSE v.data END,
				i.now
			FROM unnest($23::bigint[], $24::text[], $25::text[], $26::bool[]) WITH ORDINALITY AS v(owner, kind, data, first, k)
			JOIN i ON i.ord = v.owner JOIN c ON c.email = i.email
			ORDER BY 1, 2
		) x
	), ev AS (
		INSERT INTO events (id, ticket_id, kind, actor_kind, actor_id, data, created_at)
		SELECT eid, ticket_id, kind, actor_kind, actor_id, data, now FROM e
	)
	SELECT i.ord, i.tid, i.mid, c.id, c.name, c.organization_id, c.created_by = i.ord,
		(SELECT string_agg(e.eid::text, ',' ORDER BY e.eid) FROM e WHERE e.ord = i.ord)
	FROM i JOIN c ON c.email = i.email ORDER BY i.ord`
}

func (postgresDialect) insertWithTags() func(string) string {
	return func(insertTicket string) string {
		return `WITH t AS (` + insertTicket + `),
		catalog AS (INSERT INTO tags (name, created_at) SELECT value, $14 FROM json_array_elements_text($11::text::json)
			ON CONFLICT (name) DO NOTHING),
		rows AS (INSERT INTO ticket_tags (ticket_id, tag) SELECT t.id, value FROM t, json_array_elements_text($11::text::json))
		SELECT id FROM t`
	}
}

func (postgresDialect) lastEvent() string {
	return "SELECT COALESCE((SELECT id FROM events ORDER BY xact DESC, id DESC LIMIT 1), 0)"
}
func (postgresDialect) isUnique(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}
func (postgresDialect) isForeignKey(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23503"
}
func (postgresDialect) constraint(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.TableName + "." + strings.TrimPrefix(e.ConstraintName, e.TableName+"_")
	}
	return ""
}
