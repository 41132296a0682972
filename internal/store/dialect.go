package store

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
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
}

type sqliteDialect struct{}

func (sqliteDialect) name() string      { return "sqlite" }
func (sqliteDialect) forUpdate() string { return "" }

// SQLite has one writer at a time: ids are taken and committed in one order.
func (sqliteDialect) orderEvents() string { return "" }
func (sqliteDialect) isUnique(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}
func (sqliteDialect) isForeignKey(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
func (sqliteDialect) constraint(err error) string {
	// "UNIQUE constraint failed: contact_emails.email"
	_, after, _ := strings.Cut(err.Error(), "failed: ")
	after, _, _ = strings.Cut(after, " ")
	return strings.TrimSuffix(after, ")")
}

type postgresDialect struct{}

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
