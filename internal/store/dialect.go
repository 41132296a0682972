package store

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// dialect holds every difference between the two databases. No other code
// asks which database it runs on.
type dialect interface {
	name() string
	// forUpdate is appended to a SELECT that locks the row it reads. SQLite
	// needs none: its write transactions are serialized already.
	forUpdate() string
	// orderEvents is run before a transaction appends events. It makes
	// transactions take event ids in the order they commit, so that a
	// durable consumer reading "events after my cursor" never passes an id
	// whose transaction has yet to commit. "" when nothing is needed.
	orderEvents() string
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
}

type sqliteDialect struct{}

func (sqliteDialect) name() string      { return "sqlite" }
func (sqliteDialect) forUpdate() string { return "" }

// SQLite has one writer at a time: ids are taken and committed in one order.
func (sqliteDialect) orderEvents() string { return "" }
func (sqliteDialect) isUnique(err error) bool {
	var e sqlite3.Error
	return errors.As(err, &e) && (e.ExtendedCode == sqlite3.ErrConstraintUnique || e.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}
func (sqliteDialect) isForeignKey(err error) bool {
	var e sqlite3.Error
	return errors.As(err, &e) && e.ExtendedCode == sqlite3.ErrConstraintForeignKey
}
func (sqliteDialect) constraint(err error) string {
	// "UNIQUE constraint failed: contact_emails.email", or with several
	// columns "UNIQUE constraint failed: t.a, t.b".
	_, after, ok := strings.Cut(err.Error(), "constraint failed: ")
	if !ok {
		return ""
	}
	return after
}

func (sqliteDialect) syncIdentity(string) string { return "" }
func (sqliteDialect) bulkPlaceholder(int) string { return "?" }
func (sqliteDialect) secondaryIndexes() string {
	return `SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN (SELECT value FROM json_each('["' || replace($1, ',', '","') || '"]')) ORDER BY name`
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
func (postgresDialect) databaseSize() string { return "SELECT pg_database_size(current_database())" }

func (postgresDialect) name() string      { return "postgres" }
func (postgresDialect) forUpdate() string { return " FOR UPDATE" }

// eventsLockKey names the transaction-scoped advisory lock that event
// writers queue on. It is held from the first event insert to commit, which
// is the tail of a change: the ticket row is already written.
const eventsLockKey = 0x5361686179616b // "Sahayak"

func (postgresDialect) orderEvents() string {
	return "SELECT pg_advisory_xact_lock(" + strconv.Itoa(eventsLockKey) + ")"
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
