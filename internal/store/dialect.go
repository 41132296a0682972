package store

import (
	"errors"
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
	isUnique(err error) bool
	isForeignKey(err error) bool
	constraint(err error) string
}

type sqliteDialect struct{}

func (sqliteDialect) name() string      { return "sqlite" }
func (sqliteDialect) forUpdate() string { return "" }
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
