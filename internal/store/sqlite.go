package store

// SQLiteDriver is the database/sql driver name of the data file: SQLite with
// "$n" placeholders meaning the n-th argument and the settings of SQLiteDSN
// plus those the DSN has no key for on every connection. Open SQLiteDSN with
// it. Which SQLite it is depends on the build: compiled from C
// (mattn/go-sqlite3) when cgo is on, the default; translated to Go
// (modernc.org/sqlite) with CGO_ENABLED=0 or the purego tag. SQLiteBuild
// names the one in this binary.
const SQLiteDriver = "sahayak-sqlite"

// SQLite extended result codes of the constraint violations the dialect
// maps to errors; both drivers report them.
const (
	sqliteConstraintForeignKey = 787  // SQLITE_CONSTRAINT_FOREIGNKEY
	sqliteConstraintPrimaryKey = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
	sqliteConstraintUnique     = 2067 // SQLITE_CONSTRAINT_UNIQUE
)

// SQLiteDSN is the connection string of the data file for SQLiteDriver: WAL
// so that readers never block the writer, the file memory-mapped so that
// every connection reads the operating system's one copy of a page (a list
// page costs half as much as through each connection's own page cache),
// NORMAL sync (durable at checkpoints, safe against corruption), a generous
// busy timeout for the job queue's own connection, and immediate
// transactions on the writer so that a transaction never has to upgrade its
// lock half-way. Both drivers read these keys; sqliteDSNSettings adds each
// driver's own.
func SQLiteDSN(path string, writer bool) string {
	dsn := "file:" + path + "?_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=1" +
		sqliteDSNSettings
	if writer {
		return dsn + "&_txlock=immediate"
	}
	return dsn + "&_query_only=1"
}
