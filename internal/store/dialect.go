package store

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// dialect holds every difference between the two databases. No other code
// asks which database it runs on.
type dialect interface {
	name() string
	// forUpdate is appended to a SELECT that locks the row it reads. SQLite
	// needs none: its write transactions are serialized already.
	forUpdate() string
	// eventsAfter is the WHERE, ORDER BY and LIMIT of a durable consumer's
	// read: at most $2 events that come after the event with id $1 (0: from
	// the start) in the order consumers read them. Its contract: once an
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
	// tableCount is a query for the number of tables in the database (in
	// the schema it works in, on PostgreSQL).
	tableCount() string
}

type sqliteDialect struct{}

func (sqliteDialect) name() string      { return "sqlite" }
func (sqliteDialect) forUpdate() string { return "" }

// SQLite has one writer at a time: ids are taken and committed in one order,
// so a consumer reads by id.
func (sqliteDialect) eventsAfter() string             { return "WHERE id > $1 ORDER BY id LIMIT $2" }
func (sqliteDialect) eventsBefore(a, b string) string { return a + " < " + b }

// SQLite runs statements in-process: three statements cost what one does.
func (sqliteDialect) insertWithTags() func(string) string { return nil }
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

func (sqliteDialect) syncIdentity(string) string { return "" }
func (sqliteDialect) bulkPlaceholder(int) string { return "?" }
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
		" AND xact < (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint) ORDER BY xact, id LIMIT $2"
}
func (postgresDialect) eventsBefore(a, b string) string {
	return postgresEventPosition(a) + " < " + postgresEventPosition(b)
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
