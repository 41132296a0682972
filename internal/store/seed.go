package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/jsonenc"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Bulk loading for scale tests. It bypasses the ticket service on purpose:
// a million tickets through the service would take minutes, while the rows
// written here are exactly what the service would write for a new ticket
// (the ticket, its tag rows, its first message and its ticket.created
// event, and for a ticket past new the agent's reply and the solve that
// brought it where it is, so that reports have histories to count). Ids are assigned here, in the transaction, so that one multi-row
// INSERT per table and batch suffices; loading is meant for a quiet
// database (the seed command), not beside live traffic.

// BulkTicket is one ticket to load. Tags must be clean (see
// ticket.CleanTags) and already in the tag catalog; 0 means "none" for the
// organization, assignee and team.
type BulkTicket struct {
	Subject        string
	Status         string
	StatusCategory string
	Priority       string
	Type           string
	Channel        string
	RequesterID    int64
	OrganizationID int64
	AssigneeID     int64
	TeamID         int64
	Tags           []string
	Body           string
	// Thread is what was written after the first message and the agent's
	// first reply, oldest first: the requester and the assignee in turn
	// (only the requester while the ticket is new), spread evenly up to
	// its last change. Each is a message and its message.added event.
	Thread    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Rows per INSERT statement. Values are written into the statement text as
// literals (see insertText), so there is no parameter limit to respect;
// a thousand rows make the per-statement cost vanish while the text stays
// a few hundred KB.
const bulkRows = 1000

// sqlConn is what a load runs its statements on: a transaction, or on
// SQLite the writer's connection, held for the whole load.
type sqlConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// rowSink receives a table's rows, value by value, and hands them over as
// statements. insertText writes SQL literals (PostgreSQL); boundRows keeps
// the values to bind (SQLite).
type rowSink interface {
	row() // starts a row
	int(n int64)
	null()
	text(v string)
	take(into []bulkStmt) []bulkStmt // the finished statements
	failed() error
}

// optionalID writes an optional reference: 0 is NULL.
func optionalID(s rowSink, n int64) {
	if n == 0 {
		s.null()
		return
	}
	s.int(n)
}

// finished is what both sinks keep alike: the statements made so far and
// the first value refused.
type finished struct {
	done []bulkStmt
	err  error
}

func (f *finished) failed() error { return f.err }

// checkText refuses NUL, which PostgreSQL cannot store, so that a load
// means the same on both databases.
func (f *finished) checkText(v string) {
	if f.err == nil && strings.IndexByte(v, 0) >= 0 {
		f.err = desk.E(desk.EINVALID, "error.validation")
	}
}

// hand appends the statements made so far to into.
func (f *finished) hand(into []bulkStmt) []bulkStmt {
	into = append(into, f.done...)
	f.done = f.done[:0]
	return into
}

// bulkStmt is one statement of a load: SQL with its values as literals, or
// an INSERT with placeholders and the rows of values to bind to it.
type bulkStmt struct {
	sql        string
	rows, cols int
	data       []byte // bound rows (see boundRows); nil for literal SQL
}

// insertText builds multi-row INSERT statements with the values written as
// SQL literals: tickets on PostgreSQL, contacts (a few thousand) on both
// databases. Binding the values through database/sql
// costs more than the server's parsing of them (each bound value is
// converted and copied by database/sql and again by the driver), and the
// text can be built on another goroutine than the one that runs it. Only
// the loader's own values go in: numbers, NULL and strings quoted by
// doubling single quotes, which is the whole of escaping with
// standard_conforming_strings (on by default since 9.1). A string with a
// NUL byte cannot be written as a literal and is refused.
type insertText struct {
	head    string // INSERT INTO t (cols) VALUES (
	b       []byte
	rows    int
	started bool // a value of the current row is written
	finished
}

func newInsertText(table string, cols ...string) rowSink {
	return &insertText{head: "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ("}
}

// row starts a row.
func (s *insertText) row() {
	if s.rows == bulkRows {
		s.flush()
	}
	if s.rows == 0 {
		s.b = append(s.b[:0], s.head...)
	} else {
		s.b = append(s.b, "),("...)
	}
	s.rows++
	s.started = false
}

func (s *insertText) sep() {
	if s.started {
		s.b = append(s.b, ',')
	}
	s.started = true
}

func (s *insertText) int(n int64) {
	s.sep()
	s.b = strconv.AppendInt(s.b, n, 10)
}

func (s *insertText) null() {
	s.sep()
	s.b = append(s.b, "NULL"...)
}

func (s *insertText) text(v string) {
	s.sep()
	s.checkText(v)
	s.b = append(s.b, '\'')
	for {
		i := strings.IndexByte(v, '\'')
		if i < 0 {
			break
		}
		s.b = append(s.b, v[:i+1]...)
		s.b = append(s.b, '\'')
		v = v[i+1:]
	}
	s.b = append(s.b, v...)
	s.b = append(s.b, '\'')
}

// flush ends the statement being built, if any.
func (s *insertText) flush() {
	if s.rows > 0 {
		s.b = append(s.b, ')')
		s.done = append(s.done, bulkStmt{sql: string(s.b)})
		s.rows = 0
	}
}

// take returns the finished statements, ending the current one.
func (s *insertText) take(into []bulkStmt) []bulkStmt {
	s.flush()
	return s.hand(into)
}

// execAll runs the statements in order.
func execAll(ctx context.Context, c sqlConn, stmts []bulkStmt) error {
	for _, s := range stmts {
		if s.data != nil {
			if err := insertBound(ctx, c, s); err != nil {
				return err
			}
			continue
		}
		if _, err := c.ExecContext(ctx, s.sql); err != nil {
			return fmt.Errorf("bulk insert: %w", err)
		}
	}
	return nil
}

// nextID returns the id after the highest of a table, read inside the
// loading transaction.
func nextID(ctx context.Context, c sqlConn, table string) (int64, error) {
	var id int64
	if err := c.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM `+table).Scan(&id); err != nil {
		return 0, fmt.Errorf("next %s id: %w", table, err)
	}
	return id, nil
}

// syncIDs moves PostgreSQL's identity sequences past the ids assigned here,
// so that ordinary inserts continue after them.
func (db *DB) syncIDs(ctx context.Context, c sqlConn, tables ...string) error {
	for _, t := range tables {
		if q := db.dialect.syncIdentity(t); q != "" {
			if _, err := c.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("sync %s ids: %w", t, err)
			}
		}
	}
	return nil
}

// BulkInsertContacts loads contacts with their primary email in one
// transaction and sets their IDs.
func (db *DB) BulkInsertContacts(ctx context.Context, cs []*people.Contact) error {
	return db.inTx(ctx, func(tx *txn) error {
		// The raw transaction: statements with literals must not enter
		// the statement cache.
		c := tx.Tx
		id, err := nextID(ctx, c, "contacts")
		if err != nil {
			return err
		}
		contacts := newInsertText("contacts", "id", "name", "email", "phone", "language", "organization_id",
			"created_at", "updated_at")
		emails := newInsertText("contact_emails", "email", "contact_id", "position")
		for _, ct := range cs {
			ct.ID = id
			id++
			email := ct.Email()
			contacts.row()
			contacts.int(ct.ID)
			contacts.text(ct.Name)
			contacts.text(email)
			contacts.text(ct.Phone)
			contacts.text(ct.Language)
			if ct.OrganizationID != nil {
				contacts.int(*ct.OrganizationID)
			} else {
				contacts.null()
			}
			contacts.int(micros(ct.CreatedAt))
			contacts.int(micros(ct.UpdatedAt))
			if email != "" {
				emails.row()
				emails.text(email)
				emails.int(ct.ID)
				emails.int(0)
			}
		}
		if err := errors.Join(contacts.failed(), emails.failed()); err != nil {
			return err
		}
		if err := execAll(ctx, c, emails.take(contacts.take(nil))); err != nil {
			return err
		}
		return db.syncIDs(ctx, c, "contacts")
	})
}

// rebuildIndexesFrom is the size of a load above which the secondary
// indexes of the loaded tables are dropped first and built again at the
// end (when the load is also at least as big as what is there already):
// building an index by sorting is several times cheaper than a million
// scattered inserts into nine indexes.
const rebuildIndexesFrom = 50000

// LoadTickets loads tickets in one transaction, each with its tag rows,
// the requester's first message and a ticket.created event by actor (the
// system or an agent), and the history that brought it to its status (see
// ticketText.add). next fills the batch it is given (reusing its
// memory) and returns it, empty when there are no more; it is called on a
// goroutine of its own, so that the next batch is made while the last one
// is written. expected is how many tickets next will give, as a hint. It
// returns the first ticket id; the others follow in order.
func (db *DB) LoadTickets(ctx context.Context, actor desk.Actor, expected int, next func([]BulkTicket) []BulkTicket) (int64, error) {
	var first int64
	big := expected >= rebuildIndexesFrom
	load := func(c sqlConn) error {
		var err error
		if first, err = nextID(ctx, c, "tickets"); err != nil {
			return err
		}
		var indexes []string
		if big && int64(expected) >= first {
			if indexes, err = db.dropIndexes(ctx, c, "tickets", "ticket_tags", "messages", "events"); err != nil {
				return err
			}
		}
		// SQLite binds the rows' values; PostgreSQL reads them as
		// literals in multi-row INSERTs.
		sink := newInsertText
		if db.SQLitePath != "" {
			sink = newBoundRows
		}
		off, on := db.dialect.keptCountsTrigger()
		if off != "" {
			if _, err := c.ExecContext(ctx, off); err != nil {
				return fmt.Errorf("kept counts off: %w", err)
			}
		}
		if err := loadTickets(ctx, c, actor, first, next, sink); err != nil {
			return err
		}
		if off != "" {
			if _, err := c.ExecContext(ctx, keptCountsOfLoad, first); err != nil {
				return fmt.Errorf("kept counts of the load: %w", err)
			}
			if _, err := c.ExecContext(ctx, on); err != nil {
				return fmt.Errorf("kept counts on: %w", err)
			}
		}
		for _, ddl := range indexes {
			if _, err := c.ExecContext(ctx, ddl); err != nil {
				return fmt.Errorf("rebuild index: %w", err)
			}
		}
		return db.syncIDs(ctx, c, "tickets", "messages", "events")
	}
	var err error
	if db.SQLitePath != "" {
		err = db.bulkSQLite(ctx, big, load)
	} else {
		// The raw transaction: statements with literals must not enter
		// the statement cache.
		err = db.inTx(ctx, func(tx *txn) error { return load(tx.Tx) })
	}
	if err != nil {
		return 0, fmt.Errorf("load tickets: %w", err)
	}
	if big {
		if err := db.RefreshPlannerStats(ctx); err != nil {
			return 0, err
		}
	}
	return first, nil
}

// keptCountsOfLoad adds the loaded tickets (ids from $1) to the kept
// counts (ticket_counts), where the trigger was off for the load.
const keptCountsOfLoad = `INSERT INTO ticket_counts (category, team_id, assignee_id, escalated, shard, n)
	SELECT status_category, COALESCE(team_id, 0), COALESCE(assignee_id, 0),
		CASE WHEN escalation_level > 0 THEN 1 ELSE 0 END, 0, count(*)
	FROM tickets WHERE id >= $1 GROUP BY 1, 2, 3, 4
	ON CONFLICT (category, team_id, assignee_id, escalated, shard) DO UPDATE SET n = ticket_counts.n + excluded.n`

// bulkSQLite runs fn in a transaction on the writer's connection, taken
// from the pool for the whole load (group commit and every other write wait
// for it), with settings for bulk loading: a large page cache, sorting on
// worker threads for the index builds, and no foreign key checks (the
// loader's rows refer to rows it has just written or that the catalog
// holds). A big load into a database without tickets also leaves WAL for a
// rollback journal and does not sync: every page is then written once,
// into the database file, instead of into the WAL and again at the
// checkpoint, and nearly nothing is journaled because new pages need no
// undo. A failed load still rolls back. The usual settings come back at
// the end.
func (db *DB) bulkSQLite(ctx context.Context, big bool, fn func(sqlConn) error) (err error) {
	conn, err := db.write.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("writer connection: %w", err)
	}
	defer conn.Close()
	quiet := context.WithoutCancel(ctx)
	var restore []string
	defer func() {
		for _, q := range restore {
			if _, rerr := conn.ExecContext(quiet, q); rerr != nil {
				err = errors.Join(err, fmt.Errorf("restore %s: %w", q, rerr))
			}
		}
	}()
	set := func(pragma, value, usual string) error {
		if _, err := conn.ExecContext(ctx, "PRAGMA "+pragma+" = "+value); err != nil {
			return fmt.Errorf("%s: %w", pragma, err)
		}
		restore = append(restore, "PRAGMA "+pragma+" = "+usual)
		return nil
	}
	if err := set("foreign_keys", "OFF", "ON"); err != nil {
		return err
	}
	if err := set("cache_size", "-262144", "-65536"); err != nil {
		return err
	}
	if err := set("threads", "2", "0"); err != nil {
		return err
	}
	var hasTickets bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tickets)`).Scan(&hasTickets); err != nil {
		return fmt.Errorf("any tickets: %w", err)
	}
	if big && !hasTickets {
		// Leaving WAL needs the only open connection to the file: the
		// idle readers close for the moment. When another connection
		// holds the file open, SQLite says busy at once and the load
		// goes on in WAL, only slower.
		readers := db.read.DB.Stats().MaxOpenConnections
		db.read.DB.SetMaxIdleConns(0)
		defer db.read.DB.SetMaxIdleConns(readers)
		var mode string
		_ = conn.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&mode)
		if mode == "delete" {
			restore = append(restore, "PRAGMA journal_mode = WAL")
			if err := set("synchronous", "OFF", "NORMAL"); err != nil {
				return err
			}
		}
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin: %w", db.mapErr(err))
	}
	if err := fn(conn); err != nil {
		_, _ = conn.ExecContext(quiet, "ROLLBACK")
		return db.mapErr(err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = conn.ExecContext(quiet, "ROLLBACK")
		return fmt.Errorf("commit: %w", db.mapErr(err))
	}
	return nil
}

// dropIndexes drops the secondary indexes of the tables (not those behind
// primary keys and unique constraints) and returns the statements that
// create them again, exactly as the migrations made them.
func (db *DB) dropIndexes(ctx context.Context, c sqlConn, tables ...string) ([]string, error) {
	rows, err := c.QueryContext(ctx, db.dialect.secondaryIndexes(), strings.Join(tables, ","))
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	defer rows.Close()
	var names, ddl []string
	for rows.Next() {
		var name, create string
		if err := rows.Scan(&name, &create); err != nil {
			return nil, fmt.Errorf("list indexes: %w", err)
		}
		names, ddl = append(names, name), append(ddl, create)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	rows.Close()
	for _, n := range names {
		// Names come from the catalog, not from users.
		if _, err := c.ExecContext(ctx, `DROP INDEX `+n); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", n, err)
		}
	}
	return ddl, nil
}

// loadChunk is the statements for one batch of tickets, in the order they
// must run (tickets before the rows that refer to them).
type loadChunk struct {
	stmts []bulkStmt
	err   error
}

// loadTickets writes the tickets next gives: one goroutine calls next and
// writes the statements, this one runs them.
func loadTickets(ctx context.Context, c sqlConn, actor desk.Actor, first int64, next func([]BulkTicket) []BulkTicket,
	sink func(table string, cols ...string) rowSink) error {
	msgID, err := nextID(ctx, c, "messages")
	if err != nil {
		return err
	}
	evID, err := nextID(ctx, c, "events")
	if err != nil {
		return err
	}
	chunks := make(chan loadChunk, 2)
	stop := make(chan struct{})
	go func() {
		defer close(chunks)
		b := ticketText{
			tickets: sink("tickets", "id", "subject", "status", "status_category", "priority", "type",
				"channel", "requester_id", "organization_id", "assignee_id", "team_id", "tags", "created_at",
				"updated_at", "first_responded_at", "solved_at"),
			tags:     sink("ticket_tags", "ticket_id", "tag"),
			messages: sink("messages", "id", "ticket_id", "author_kind", "author_id", "body_text", "created_at", "organization_id"),
			events:   sink("events", "id", "ticket_id", "kind", "actor_kind", "actor_id", "data", "created_at"),
			actor:    actor,
		}
		id := first
		var batch []BulkTicket
		for {
			if batch = next(batch[:0]); len(batch) == 0 {
				return
			}
			for i := range batch {
				msgs, evs := b.add(&batch[i], id, msgID, evID)
				id, msgID, evID = id+1, msgID+msgs, evID+evs
			}
			chunk := loadChunk{err: errors.Join(b.tickets.failed(), b.tags.failed(), b.messages.failed(), b.events.failed())}
			chunk.stmts = b.events.take(b.messages.take(b.tags.take(b.tickets.take(nil))))
			select {
			case chunks <- chunk:
			case <-stop:
				return
			}
			if chunk.err != nil {
				return
			}
		}
	}()
	defer func() {
		close(stop)
		for range chunks { // let the goroutine end
		}
	}()
	for chunk := range chunks {
		if chunk.err != nil {
			return chunk.err
		}
		if err := execAll(ctx, c, chunk.stmts); err != nil {
			return err
		}
	}
	return nil
}

// ticketText writes the rows of loaded tickets.
type ticketText struct {
	tickets, tags, messages, events rowSink
	actor                           desk.Actor
	scratch                         []byte
}

// add writes a ticket and its history: the requester's message and
// ticket.created; past new, an agent's public reply (its first response)
// a third of the way to its last change; solved or closed, the status change
// at its last change. It returns how many messages and events it wrote.
func (b *ticketText) add(t *BulkTicket, id, msgID, evID int64) (msgs, evs int64) {
	created, updated := micros(t.CreatedAt), micros(t.UpdatedAt)
	replied := created + (updated-created)/3
	tk := b.tickets
	tk.row()
	tk.int(id)
	tk.text(t.Subject)
	tk.text(t.Status)
	tk.text(t.StatusCategory)
	tk.text(t.Priority)
	tk.text(t.Type)
	tk.text(t.Channel)
	tk.int(t.RequesterID)
	optionalID(tk, t.OrganizationID)
	optionalID(tk, t.AssigneeID)
	optionalID(tk, t.TeamID)
	b.scratch = appendTagsJSON(b.scratch[:0], t.Tags)
	tk.text(string(b.scratch))
	tk.int(created)
	tk.int(updated)
	// Anything past new has had an agent's answer; solved and closed
	// tickets were solved at their last change.
	if t.StatusCategory != ticket.CategoryNew {
		tk.int(replied)
	} else {
		tk.null()
	}
	if t.StatusCategory == ticket.CategorySolved || t.StatusCategory == ticket.CategoryClosed {
		tk.int(updated)
	} else {
		tk.null()
	}
	for _, tag := range t.Tags {
		b.tags.row()
		b.tags.int(id)
		b.tags.text(tag)
	}
	m := b.messages
	m.row()
	m.int(msgID)
	m.int(id)
	m.text(desk.ActorContact)
	m.int(t.RequesterID)
	m.text(t.Body)
	m.int(created)
	optionalID(m, t.OrganizationID)
	e := b.events
	e.row()
	e.int(evID)
	e.int(id)
	e.text(event.TicketCreated)
	e.text(b.actor.Kind)
	e.int(b.actor.ID)
	b.scratch = createdEventData(b.scratch[:0], t, msgID)
	e.text(string(b.scratch))
	e.int(created)
	msgs, evs = 1, 1
	customer := desk.Actor{Kind: desk.ActorContact, ID: t.RequesterID}
	author := desk.Actor{Kind: desk.ActorAgent, ID: t.AssigneeID}
	if t.AssigneeID == 0 {
		author = b.actor
	}
	threadFrom := created
	if t.StatusCategory != ticket.CategoryNew {
		b.message(msgID+1, evID+1, id, t.OrganizationID, author, "Thank you, we are on it.", replied)
		msgs, evs, threadFrom = 2, 2, replied
	}
	for i, body := range t.Thread {
		from := customer
		if i%2 == 1 && t.StatusCategory != ticket.CategoryNew {
			from = author
		}
		at := threadFrom + (updated-threadFrom)*int64(i+1)/int64(len(t.Thread)+1)
		b.message(msgID+msgs, evID+evs, id, t.OrganizationID, from, body, at)
		msgs, evs = msgs+1, evs+1
	}
	if t.StatusCategory == ticket.CategorySolved || t.StatusCategory == ticket.CategoryClosed {
		b.scratch = append(b.scratch[:0], `{"field":"status","old":"open","new":`...)
		b.scratch = jsonenc.String(b.scratch, t.Status)
		b.scratch = append(b.scratch, '}')
		b.event(evID+evs, id, author, event.FieldChanged, string(b.scratch), updated)
		evs++
	}
	return msgs, evs
}

// message writes a public message of the thread (with its ticket's
// organization) and its message.added event.
func (b *ticketText) message(msgID, evID, ticketID, orgID int64, author desk.Actor, body string, at int64) {
	m := b.messages
	m.row()
	m.int(msgID)
	m.int(ticketID)
	m.text(author.Kind)
	m.int(author.ID)
	m.text(body)
	m.int(at)
	optionalID(m, orgID)
	b.scratch = append(b.scratch[:0], `{"author_id":`...)
	b.scratch = strconv.AppendInt(b.scratch, author.ID, 10)
	b.scratch = append(b.scratch, `,"author_kind":`...)
	b.scratch = jsonenc.String(b.scratch, author.Kind)
	b.scratch = append(b.scratch, `,"internal":false,"message_id":`...)
	b.scratch = strconv.AppendInt(b.scratch, msgID, 10)
	b.scratch = append(b.scratch, '}')
	b.event(evID, ticketID, author, event.MessageAdded, string(b.scratch), at)
}

// event writes one event row.
func (b *ticketText) event(evID, ticketID int64, actor desk.Actor, kind, data string, at int64) {
	e := b.events
	e.row()
	e.int(evID)
	e.int(ticketID)
	e.text(kind)
	e.text(actor.Kind)
	e.int(actor.ID)
	e.text(data)
	e.int(at)
}

// appendTagsJSON renders tags as the tickets.tags column does.
func appendTagsJSON(b []byte, tags []string) []byte {
	b = append(b, '[')
	for i, tag := range tags {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.String(b, tag)
	}
	return append(b, ']')
}

// createdEventData is the data of a ticket.created event as the ticket
// service writes it (encoding/json of a map: keys in order), built without
// a map for speed.
func createdEventData(b []byte, t *BulkTicket, messageID int64) []byte {
	b = append(b, `{"assignee_id":`...)
	b = appendNullID(b, t.AssigneeID)
	b = append(b, `,"channel":`...)
	b = jsonenc.String(b, t.Channel)
	b = append(b, `,"message_id":`...)
	b = strconv.AppendInt(b, messageID, 10)
	b = append(b, `,"priority":`...)
	b = jsonenc.String(b, t.Priority)
	b = append(b, `,"requester_id":`...)
	b = strconv.AppendInt(b, t.RequesterID, 10)
	b = append(b, `,"status":`...)
	b = jsonenc.String(b, t.Status)
	b = append(b, `,"subject":`...)
	b = jsonenc.String(b, t.Subject)
	b = append(b, `,"tags":`...)
	b = appendTagsJSON(b, t.Tags)
	b = append(b, `,"team_id":`...)
	b = appendNullID(b, t.TeamID)
	b = append(b, `,"type":`...)
	b = jsonenc.String(b, t.Type)
	return append(b, '}')
}

func appendNullID(b []byte, id int64) []byte {
	if id == 0 {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, id, 10)
}

// DatabaseSize returns the bytes the database occupies: the SQLite file
// (after a WAL checkpoint), or PostgreSQL's current database.
func (db *DB) DatabaseSize(ctx context.Context) (int64, error) {
	if db.SQLitePath != "" {
		// Read, not Exec: the checkpoint answers a row, and a cached
		// statement executed with Exec stays active until its next use,
		// keeping the writer's transaction open (see pool.ExecContext).
		var busy, logPages, done int64
		if err := db.write.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logPages, &done); err != nil {
			return 0, fmt.Errorf("checkpoint: %w", err)
		}
	}
	var n int64
	if err := db.read.QueryRowContext(ctx, db.dialect.databaseSize()).Scan(&n); err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	return n, nil
}

// HasTeam reports whether a team with the name exists (the demo seed looks
// for its own teams before it writes anything).
func (db *DB) HasTeam(ctx context.Context, name string) (bool, error) {
	var ok bool
	if err := db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM teams WHERE name = $1)`, name).Scan(&ok); err != nil {
		return false, fmt.Errorf("team %q: %w", name, err)
	}
	return ok, nil
}
