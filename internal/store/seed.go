package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Bulk loading for scale tests. It bypasses the ticket service on purpose:
// a million tickets through the service would take minutes, while the rows
// written here are exactly what the service would write for a new ticket
// (the ticket, its tag rows, its first message and its ticket.created
// event). Ids are assigned here, in the transaction, so that one multi-row
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
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Rows per multi-row INSERT: large enough that statement overhead vanishes,
// small enough to stay under both databases' parameter limits (SQLite
// 32766, PostgreSQL 65535).
const bulkRows = 250

// batchInsert collects rows for one table and writes them bulkRows at a
// time through one prepared statement. Rows of its children (tables whose
// rows refer to this one's) are written only after the rows they refer to,
// and also only in full batches until finish, so that nearly every
// statement is the prepared one: an ad hoc statement of a few thousand
// parameters costs a parse each time.
type batchInsert struct {
	tx   *txn
	head string // INSERT INTO t (cols) VALUES
	cols int
	// placeholder is the dialect's n-th parameter.
	placeholder func(n int) string
	stmt        *sql.Stmt
	args        []any
	children    []*batchInsert
	isChild     bool
}

func (db *DB) newBatchInsert(ctx context.Context, tx *txn, table string, cols ...string) (*batchInsert, error) {
	b := &batchInsert{tx: tx, head: "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ", cols: len(cols),
		placeholder: db.dialect.bulkPlaceholder}
	stmt, err := tx.PrepareContext(ctx, b.sql(bulkRows))
	if err != nil {
		return nil, fmt.Errorf("prepare bulk insert into %s: %w", table, err)
	}
	b.stmt, b.args = stmt, make([]any, 0, bulkRows*len(cols))
	return b, nil
}

// child makes c's rows wait for this batch's.
func (b *batchInsert) child(c *batchInsert) {
	b.children = append(b.children, c)
	c.isChild = true
}

func (b *batchInsert) sql(rows int) string {
	var sb strings.Builder
	sb.WriteString(b.head)
	n := 1
	for r := range rows {
		if r > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for c := range b.cols {
			if c > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(b.placeholder(n))
			n++
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

func (b *batchInsert) add(ctx context.Context, vals ...any) error {
	b.args = append(b.args, vals...)
	if !b.isChild && len(b.args) >= bulkRows*b.cols {
		return b.flushFull(ctx)
	}
	return nil
}

// flushFull writes every full batch held, then the children's.
func (b *batchInsert) flushFull(ctx context.Context) error {
	per := bulkRows * b.cols
	n := 0
	for ; len(b.args)-n >= per; n += per {
		if _, err := b.stmt.ExecContext(ctx, b.args[n:n+per]...); err != nil {
			return fmt.Errorf("bulk insert: %w", err)
		}
	}
	b.args = b.args[:copy(b.args, b.args[n:])]
	for _, c := range b.children {
		if err := c.flushFull(ctx); err != nil {
			return err
		}
	}
	return nil
}

// finish writes every row held, then the children's.
func (b *batchInsert) finish(ctx context.Context) error {
	if err := b.flushFull(ctx); err != nil {
		return err
	}
	if len(b.args) > 0 {
		if _, err := b.tx.ExecContext(ctx, b.sql(len(b.args)/b.cols), b.args...); err != nil {
			return fmt.Errorf("bulk insert: %w", err)
		}
		b.args = b.args[:0]
	}
	for _, c := range b.children {
		if err := c.finish(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (b *batchInsert) close() { b.stmt.Close() }

// nextID returns the id after the highest of a table, read inside the
// loading transaction.
func nextID(ctx context.Context, tx *txn, table string) (int64, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM `+table).Scan(&id); err != nil {
		return 0, fmt.Errorf("next %s id: %w", table, err)
	}
	return id, nil
}

// syncIDs moves PostgreSQL's identity sequences past the ids assigned here,
// so that ordinary inserts continue after them.
func (db *DB) syncIDs(ctx context.Context, tx *txn, tables ...string) error {
	for _, t := range tables {
		if q := db.dialect.syncIdentity(t); q != "" {
			if _, err := tx.ExecContext(ctx, q); err != nil {
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
		id, err := nextID(ctx, tx, "contacts")
		if err != nil {
			return err
		}
		contacts, err := db.newBatchInsert(ctx, tx, "contacts", "id", "name", "email", "phone", "language",
			"organization_id", "created_at", "updated_at")
		if err != nil {
			return err
		}
		defer contacts.close()
		emails, err := db.newBatchInsert(ctx, tx, "contact_emails", "email", "contact_id", "position")
		if err != nil {
			return err
		}
		defer emails.close()
		contacts.child(emails)
		for _, c := range cs {
			c.ID = id
			id++
			email := c.Email()
			if err := contacts.add(ctx, c.ID, c.Name, email, c.Phone, c.Language, nullID(c.OrganizationID),
				micros(c.CreatedAt), micros(c.UpdatedAt)); err != nil {
				return err
			}
			if email != "" {
				if err := emails.add(ctx, email, c.ID, 0); err != nil {
					return err
				}
			}
		}
		if err := contacts.finish(ctx); err != nil {
			return err
		}
		return db.syncIDs(ctx, tx, "contacts")
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
// system or an agent). next fills the batch it is given (reusing its
// memory) and returns it, empty when there are no more; expected is how
// many tickets next will give, as a hint. It returns the first ticket id;
// the others follow in order.
func (db *DB) LoadTickets(ctx context.Context, actor desk.Actor, expected int, next func([]BulkTicket) []BulkTicket) (int64, error) {
	var first int64
	err := db.inTx(ctx, func(tx *txn) error {
		var err error
		if first, err = nextID(ctx, tx, "tickets"); err != nil {
			return err
		}
		var indexes []string
		if expected >= rebuildIndexesFrom && int64(expected) >= first {
			if indexes, err = db.dropIndexes(ctx, tx, "tickets", "ticket_tags", "messages", "events"); err != nil {
				return err
			}
		}
		if err := db.loadTickets(ctx, tx, actor, first, next); err != nil {
			return err
		}
		for _, ddl := range indexes {
			if _, err := tx.ExecContext(ctx, ddl); err != nil {
				return fmt.Errorf("rebuild index: %w", err)
			}
		}
		return db.syncIDs(ctx, tx, "tickets", "messages", "events")
	})
	if err != nil {
		return 0, fmt.Errorf("load tickets: %w", err)
	}
	return first, nil
}

// dropIndexes drops the secondary indexes of the tables (not those behind
// primary keys and unique constraints) and returns the statements that
// create them again, exactly as the migrations made them.
func (db *DB) dropIndexes(ctx context.Context, tx *txn, tables ...string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, db.dialect.secondaryIndexes(), strings.Join(tables, ","))
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
		if _, err := tx.ExecContext(ctx, `DROP INDEX `+n); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", n, err)
		}
	}
	return ddl, nil
}

func (db *DB) loadTickets(ctx context.Context, tx *txn, actor desk.Actor, first int64, next func([]BulkTicket) []BulkTicket) error {
	msgID, err := nextID(ctx, tx, "messages")
	if err != nil {
		return err
	}
	evID, err := nextID(ctx, tx, "events")
	if err != nil {
		return err
	}
	tickets, err := db.newBatchInsert(ctx, tx, "tickets", "id", "subject", "status", "status_category", "priority",
		"type", "channel", "requester_id", "organization_id", "assignee_id", "team_id", "tags", "custom_fields",
		"escalation_level", "created_at", "updated_at", "first_responded_at", "solved_at")
	if err != nil {
		return err
	}
	defer tickets.close()
	tags, err := db.newBatchInsert(ctx, tx, "ticket_tags", "ticket_id", "tag")
	if err != nil {
		return err
	}
	defer tags.close()
	tickets.child(tags)
	messages, err := db.newBatchInsert(ctx, tx, "messages", "id", "ticket_id", "author_kind", "author_id",
		"internal", "body_text", "body_html", "created_at")
	if err != nil {
		return err
	}
	defer messages.close()
	tickets.child(messages)
	events, err := db.newBatchInsert(ctx, tx, "events", "id", "ticket_id", "kind", "actor_kind", "actor_id",
		"data", "created_at")
	if err != nil {
		return err
	}
	defer events.close()
	var data []byte
	id := first
	var batch []BulkTicket
	for {
		if batch = next(batch[:0]); len(batch) == 0 {
			break
		}
		for i := range batch {
			t := &batch[i]
			created, updated := micros(t.CreatedAt), micros(t.UpdatedAt)
			var solved, responded sql.NullInt64
			if t.StatusCategory == ticket.CategorySolved || t.StatusCategory == ticket.CategoryClosed {
				solved = sql.NullInt64{Int64: updated, Valid: true}
			}
			if t.StatusCategory != ticket.CategoryNew {
				// Anything past new has had an agent's answer.
				responded = sql.NullInt64{Int64: updated, Valid: true}
			}
			if err := tickets.add(ctx, id, t.Subject, t.Status, t.StatusCategory, t.Priority, t.Type, t.Channel,
				t.RequesterID, zeroNull(t.OrganizationID), zeroNull(t.AssigneeID), zeroNull(t.TeamID),
				tagsJSON(t.Tags), "{}", 0, created, updated, responded, solved); err != nil {
				return err
			}
			for _, tag := range t.Tags {
				if err := tags.add(ctx, id, tag); err != nil {
					return err
				}
			}
			if err := messages.add(ctx, msgID, id, desk.ActorContact, t.RequesterID, false, t.Body, "", created); err != nil {
				return err
			}
			data = createdEventData(data[:0], t, msgID)
			if err := events.add(ctx, evID, id, event.TicketCreated, actor.Kind, actor.ID, string(data), created); err != nil {
				return err
			}
			id, msgID, evID = id+1, msgID+1, evID+1
		}
	}
	if err := tickets.finish(ctx); err != nil {
		return err
	}
	return events.finish(ctx)
}

func zeroNull(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// tagsJSON renders clean tags (no quotes or backslashes need escaping
// beyond what json.Marshal does) as the tickets.tags column.
func tagsJSON(tags []string) string {
	if len(tags) == 0 {
		return "[]"
	}
	return marshal(tags)
}

// createdEventData is the data of a ticket.created event as the ticket
// service writes it, built without a map for speed.
func createdEventData(b []byte, t *BulkTicket, messageID int64) []byte {
	subject, _ := json.Marshal(t.Subject)
	status, _ := json.Marshal(t.Status)
	b = append(b, `{"assignee_id":`...)
	b = appendNullID(b, t.AssigneeID)
	b = append(b, `,"channel":"`...)
	b = append(b, t.Channel...)
	b = append(b, `","message_id":`...)
	b = strconv.AppendInt(b, messageID, 10)
	b = append(b, `,"priority":"`...)
	b = append(b, t.Priority...)
	b = append(b, `","requester_id":`...)
	b = strconv.AppendInt(b, t.RequesterID, 10)
	b = append(b, `,"status":`...)
	b = append(b, status...)
	b = append(b, `,"subject":`...)
	b = append(b, subject...)
	b = append(b, `,"team_id":`...)
	b = appendNullID(b, t.TeamID)
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
		if _, err := db.write.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
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
