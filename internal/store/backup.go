package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The SQL side of `sahayak backup` and `restore`; package backup owns the
// archive. SQLite is copied whole by VACUUM INTO, which reads one snapshot
// (WAL: writers go on meanwhile) and writes a compact file. PostgreSQL is
// copied table by table with COPY inside one REPEATABLE READ transaction,
// so every table is read at the same instant, and loaded back with COPY in
// one transaction; no pg_dump of a matching version is needed.

// Table is one table of a PostgreSQL backup: its name, the columns in the
// order of its rows, and how many rows it had.
type Table struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	Rows    int64    `json:"rows"`
}

// notBackedUp are the tables a backup leaves out: the migrations' own
// bookkeeping, which the restore's migrations write, and River's state of
// running processes. River's jobs are kept.
var notBackedUp = []string{"goose_db_version", "river_migration", "river_leader", "river_client",
	"river_client_queue", "river_queue"}

// SchemaVersion is the migration the schema is at.
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	p, err := db.migrations()
	if err != nil {
		return 0, err
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// MigrateTo brings an empty database's schema up to version and no further,
// without the built-in rows: a restore loads the rows of a backup taken at
// that version, then Migrate takes it the rest of the way.
func (db *DB) MigrateTo(ctx context.Context, version int64) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("migrate to %d: %w", version, err)
	}
	return nil
}

// IsEmpty reports whether the database has no tables at all.
func (db *DB) IsEmpty(ctx context.Context) (bool, error) {
	var n int
	if err := db.write.QueryRowContext(ctx, db.dialect.tableCount()).Scan(&n); err != nil {
		return false, fmt.Errorf("count tables: %w", err)
	}
	return n == 0, nil
}

// DropEverything empties a PostgreSQL database for a forced restore: the
// schema it works in is dropped with all it holds and made anew.
func (db *DB) DropEverything(ctx context.Context) error {
	if db.SQLitePath != "" {
		return errors.New("drop everything: the SQLite file is replaced, not emptied")
	}
	var schema string
	if err := db.write.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("current schema: %w", err)
	}
	q := pgx.Identifier{schema}.Sanitize()
	if _, err := db.write.ExecContext(ctx, "DROP SCHEMA "+q+" CASCADE"); err != nil {
		return fmt.Errorf("drop schema %s: %w", schema, err)
	}
	if _, err := db.write.ExecContext(ctx, "CREATE SCHEMA "+q); err != nil {
		return fmt.Errorf("create schema %s: %w", schema, err)
	}
	return nil
}

// Check runs SQLite's quick integrity check (nothing on PostgreSQL).
func (db *DB) Check(ctx context.Context) error {
	if db.SQLitePath == "" {
		return nil
	}
	var res string
	if err := db.read.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&res); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	return nil
}

// AttachmentDigests lists the stored files the attachments refer to.
func (db *DB) AttachmentDigests(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT sha256 FROM attachments ORDER BY sha256`)
	if err != nil {
		return nil, fmt.Errorf("attachment digests: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("attachment digests: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// SnapshotSQLite writes a consistent copy of the SQLite database to path,
// which must not exist, with VACUUM INTO on a connection of its own (the
// readers are query-only, and the writer must not wait for a backup).
func (db *DB) SnapshotSQLite(ctx context.Context, path string) error {
	if db.SQLitePath == "" {
		return errors.New("snapshot: not an SQLite database")
	}
	h, err := sql.Open(SQLiteDriver, SQLiteDSN(db.SQLitePath, true))
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer h.Close()
	if _, err := h.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return nil
}

// ExportTables copies every table of a PostgreSQL database but those in
// notBackedUp, a referenced table before the tables that refer to it, all
// from one snapshot: each calls save with the table and a function that
// writes its rows (COPY's text format) to w. It answers the digests the
// snapshot's attachments refer to.
func (db *DB) ExportTables(ctx context.Context, save func(t Table, copyTo func(w io.Writer) (int64, error)) error) ([]string, error) {
	if db.SQLitePath != "" {
		return nil, errors.New("export: not a PostgreSQL database")
	}
	var digests []string
	err := db.rawPostgres(ctx, func(c *pgx.Conn) error {
		tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return fmt.Errorf("export: begin: %w", err)
		}
		defer func() { _ = tx.Rollback(ctx) }()
		tables, err := exportOrder(ctx, tx)
		if err != nil {
			return err
		}
		for _, t := range tables {
			q := "COPY " + pgx.Identifier{t.Name}.Sanitize() + " (" + quoteColumns(t.Columns) + ") TO STDOUT"
			err := save(t, func(w io.Writer) (int64, error) {
				tag, err := c.PgConn().CopyTo(ctx, w, q)
				if err != nil {
					return 0, fmt.Errorf("export %s: %w", t.Name, err)
				}
				return tag.RowsAffected(), nil
			})
			if err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT sha256 FROM attachments ORDER BY sha256`)
		if err != nil {
			return fmt.Errorf("export: attachment digests: %w", err)
		}
		if digests, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("export: attachment digests: %w", err)
		}
		return tx.Commit(ctx)
	})
	return digests, err
}

// exportOrder lists the tables to back up with their columns, each after
// the tables its foreign keys point at.
func exportOrder(ctx context.Context, tx pgx.Tx) ([]Table, error) {
	rows, err := tx.Query(ctx, `SELECT c.table_name, c.column_name FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.is_generated = 'NEVER'
		AND c.table_name <> ALL ($1) ORDER BY c.table_name, c.ordinal_position`, notBackedUp)
	if err != nil {
		return nil, fmt.Errorf("export: columns: %w", err)
	}
	byName := map[string]*Table{}
	var names []string
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			rows.Close()
			return nil, fmt.Errorf("export: columns: %w", err)
		}
		if byName[table] == nil {
			byName[table] = &Table{Name: table}
			names = append(names, table)
		}
		byName[table].Columns = append(byName[table].Columns, column)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export: columns: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT DISTINCT cl.relname, rf.relname FROM pg_constraint co
		JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_class rf ON rf.oid = co.confrelid
		JOIN pg_namespace n ON n.oid = cl.relnamespace
		WHERE co.contype = 'f' AND n.nspname = current_schema() AND cl.relname <> rf.relname`)
	if err != nil {
		return nil, fmt.Errorf("export: foreign keys: %w", err)
	}
	refs := map[string][]string{}
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			rows.Close()
			return nil, fmt.Errorf("export: foreign keys: %w", err)
		}
		refs[from] = append(refs[from], to)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export: foreign keys: %w", err)
	}
	var order []Table
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("export: foreign keys form a cycle through %s", name)
		case 2:
			return nil
		}
		state[name] = 1
		for _, to := range refs[name] {
			if byName[to] != nil {
				if err := visit(to); err != nil {
					return err
				}
			}
		}
		state[name] = 2
		order = append(order, *byName[name])
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// ImportTables loads tables exported by ExportTables into this PostgreSQL
// database, migrated to the backup's version and otherwise empty, in one
// transaction: next yields each table and its rows, then io.EOF. Identity
// columns then continue after the highest value loaded.
func (db *DB) ImportTables(ctx context.Context, next func() (Table, io.Reader, error)) error {
	if db.SQLitePath != "" {
		return errors.New("import: not a PostgreSQL database")
	}
	return db.rawPostgres(ctx, func(c *pgx.Conn) error {
		tx, err := c.Begin(ctx)
		if err != nil {
			return fmt.Errorf("import: begin: %w", err)
		}
		defer func() { _ = tx.Rollback(ctx) }()
		var loaded []string
		var countsOn string
		for {
			t, r, err := next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			if slices.Contains(notBackedUp, t.Name) {
				return fmt.Errorf("import: table %s is not restored from a backup", t.Name)
			}
			// A migration may seed rows (the built-in opportunity rules):
			// the backup's rows replace them.
			if _, err := tx.Exec(ctx, "DELETE FROM "+pgx.Identifier{t.Name}.Sanitize()); err != nil {
				return fmt.Errorf("import %s: clear: %w", t.Name, err)
			}
			if t.Name == "tickets" {
				// The backup's ticket_counts are its tickets' counts: the
				// trigger would count each restored ticket again (and, in
				// one transaction, step over a row version per ticket).
				if countsOn, err = keptCountsOff(ctx, tx); err != nil {
					return err
				}
			}
			q := "COPY " + pgx.Identifier{t.Name}.Sanitize() + " (" + quoteColumns(t.Columns) + ") FROM STDIN"
			if _, err := c.PgConn().CopyFrom(ctx, r, q); err != nil {
				return fmt.Errorf("import %s: %w", t.Name, err)
			}
			loaded = append(loaded, t.Name)
		}
		for _, name := range loaded {
			if err := continueIdentities(ctx, tx, name); err != nil {
				return err
			}
		}
		if countsOn != "" {
			if _, err := tx.Exec(ctx, countsOn); err != nil {
				return fmt.Errorf("import tickets: kept counts on: %w", err)
			}
		}
		if slices.Contains(loaded, "events") {
			// Events keep the transaction ids of the database they were
			// written in, which mean nothing here: on another cluster they
			// may lie above every new transaction, and readers would put new
			// events before the restored ones (and skip them, being behind
			// a restored cursor) or never reach the restored ones. Position 0
			// puts them all before anything written from now on, in id
			// order, as the migration that added the column did.
			if _, err := tx.Exec(ctx, `UPDATE events SET xact = 0 WHERE xact <> 0`); err != nil {
				return fmt.Errorf("import events: positions: %w", err)
			}
		}
		return tx.Commit(ctx)
	})
}

// keptCountsOff turns the kept counts' trigger off for the rest of the
// import's transaction, where the schema has it (migration 00062), and
// returns the statement that turns it on again ("" where there is none).
func keptCountsOff(ctx context.Context, tx pgx.Tx) (string, error) {
	var has bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'ticket_counts_change'
		AND tgrelid = 'tickets'::regclass)`).Scan(&has); err != nil {
		return "", fmt.Errorf("import tickets: kept counts: %w", err)
	}
	if !has {
		return "", nil
	}
	off, on := postgresDialect{}.keptCountsTrigger()
	if _, err := tx.Exec(ctx, off); err != nil {
		return "", fmt.Errorf("import tickets: kept counts off: %w", err)
	}
	return on, nil
}

// continueIdentities moves the sequences of a table's identity and serial
// columns past the highest value in them.
func continueIdentities(ctx context.Context, tx pgx.Tx, table string) error {
	rows, err := tx.Query(ctx, `SELECT column_name, pg_get_serial_sequence(quote_ident(table_name), column_name)
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1
		AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL`, table)
	if err != nil {
		return fmt.Errorf("import %s: identities: %w", table, err)
	}
	type seq struct{ column, name string }
	seqs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (seq, error) {
		var s seq
		return s, r.Scan(&s.column, &s.name)
	})
	if err != nil {
		return fmt.Errorf("import %s: identities: %w", table, err)
	}
	for _, s := range seqs {
		// The column name comes from the catalog, quoted.
		q := `SELECT setval($1, m) FROM (SELECT max(` + pgx.Identifier{s.column}.Sanitize() + `) AS m FROM ` +
			pgx.Identifier{table}.Sanitize() + `) x WHERE m IS NOT NULL`
		if _, err := tx.Exec(ctx, q, s.name); err != nil {
			return fmt.Errorf("import %s: continue %s: %w", table, s.column, err)
		}
	}
	return nil
}

func quoteColumns(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = pgx.Identifier{c}.Sanitize()
	}
	return strings.Join(q, ", ")
}

// rawPostgres runs fn on one pgx connection of the pool, for COPY.
func (db *DB) rawPostgres(ctx context.Context, fn func(c *pgx.Conn) error) error {
	conn, err := db.write.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connection: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("connection is %T, not pgx's", dc)
		}
		return fn(sc.Conn())
	})
}
