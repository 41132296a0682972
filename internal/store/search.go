package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/search"
)

var _ search.Store = (*DB)(nil)

// Search runs a search, newest entry first (FTS5 and the GIN index both
// give matches by id, so a page costs the same however many match; a
// relevance order would have to score every match). Entries of tickets and
// messages are limited through their ticket, by the same conditions as the
// ticket list (statusCondition, scopeCondition).
func (db *DB) Search(ctx context.Context, q search.Query) ([]search.Hit, error) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	from, id := db.dialect.searchFrom()
	where := []string{db.dialect.searchMatch(arg(db.dialect.searchQuery(q.Must, q.Not)))}
	kinds := make([]string, len(q.Kinds))
	for i, k := range q.Kinds {
		kinds[i] = arg(string(k))
	}
	where = append(where, "e.kind IN ("+strings.Join(kinds, ", ")+")")
	if !q.Internal {
		where = append(where, "e.internal = FALSE")
	}
	if len(q.Statuses) > 0 {
		where = append(where, statusCondition(q.Statuses, arg))
	}
	if len(q.Tags) > 0 {
		tags := make([]string, len(q.Tags))
		for i, t := range q.Tags {
			tags[i] = arg(t)
		}
		where = append(where, "EXISTS (SELECT 1 FROM ticket_tags tt WHERE tt.ticket_id = t.id AND tt.tag IN ("+strings.Join(tags, ", ")+"))")
	}
	if q.AssigneeID != nil {
		where = append(where, idCondition("t.assignee_id", *q.AssigneeID, arg))
	}
	if q.TeamID != nil {
		where = append(where, idCondition("t.team_id", *q.TeamID, arg))
	}
	if q.FromEmail != nil {
		where = append(where, "t.requester_id = (SELECT contact_id FROM contact_emails WHERE email = "+arg(*q.FromEmail)+")")
	}
	if q.OrganizationID != nil {
		where = append(where, "(CASE WHEN e.ticket_id IS NULL THEN e.organization_id ELSE t.organization_id END) = "+arg(*q.OrganizationID))
	}
	if q.From != nil {
		where = append(where, "e.created_at >= "+arg(micros(*q.From)))
	}
	if q.To != nil {
		where = append(where, "e.created_at <= "+arg(micros(*q.To)))
	}
	if q.Scope != nil {
		cond := scopeCondition(q.Scope, arg)
		if q.Scope.RequesterID == 0 {
			cond = "(e.ticket_id IS NULL OR " + cond + ")"
		}
		where = append(where, cond)
	}
	if q.Before > 0 {
		where = append(where, id+" < "+arg(q.Before))
	}
	query := `SELECT e.id, e.kind, e.object_id, COALESCE(e.ticket_id, 0), e.created_at FROM ` + from +
		` LEFT JOIN tickets t ON t.id = e.ticket_id WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + id + ` DESC LIMIT ` + arg(q.Limit+1)
	rows, err := db.read.QueryContext(ctx, query, db.dialect.searchArgs(args)...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var hits []search.Hit
	for rows.Next() {
		var h search.Hit
		var kind string
		var created int64
		if err := rows.Scan(&h.EntryID, &kind, &h.ObjectID, &h.TicketID, &created); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		h.Kind, h.CreatedAt = search.Kind(kind), fromMicros(created)
		hits = append(hits, h)
	}
	return hits, rows.Err()
}

// idCondition is "col = $n", or "col IS NULL" for 0 (unassigned, no team).
func idCondition(col string, id int64, arg func(any) string) string {
	if id == 0 {
		return col + " IS NULL"
	}
	return col + " = " + arg(id)
}

// SearchDocs reads the entries refs stand for.
func (db *DB) SearchDocs(ctx context.Context, refs []search.Ref) ([]search.Doc, error) {
	by := refsByKind(refs)
	var out []search.Doc
	if ids := by[search.KindTicket]; len(ids) > 0 {
		tickets, err := db.searchTickets(ctx, ids)
		if err != nil {
			return nil, err
		}
		msgs, err := db.searchMessages(ctx, "m.ticket_id", ids)
		if err != nil {
			return nil, err
		}
		// Each ticket, then its thread: entries of one ticket sit together.
		for _, t := range tickets {
			out = append(out, t)
			for len(msgs) > 0 && msgs[0].TicketID == t.ObjectID {
				out, msgs = append(out, msgs[0]), msgs[1:]
			}
		}
	}
	if ids := by[search.KindContact]; len(ids) > 0 {
		docs, err := db.searchContacts(ctx, ids)
		if err != nil {
			return nil, err
		}
		out = append(out, docs...)
	}
	if ids := by[search.KindOrganization]; len(ids) > 0 {
		docs, err := db.searchOrganizations(ctx, ids)
		if err != nil {
			return nil, err
		}
		out = append(out, docs...)
	}
	if ids := by[search.KindArticle]; len(ids) > 0 {
		docs, err := db.searchArticles(ctx, ids)
		if err != nil {
			return nil, err
		}
		out = append(out, docs...)
	}
	return out, nil
}

func refsByKind(refs []search.Ref) map[search.Kind][]int64 {
	by := map[search.Kind][]int64{}
	for _, r := range refs {
		by[r.Kind] = append(by[r.Kind], r.ID)
	}
	return by
}

// searchTickets reads tickets as entries, by id.
func (db *DB) searchTickets(ctx context.Context, ids []int64) ([]search.Doc, error) {
	return db.searchRows(ctx, `SELECT id, id, COALESCE(organization_id, 0), FALSE, created_at, subject, subject
		FROM tickets WHERE id IN (`+idList(ids)+`) ORDER BY id`, search.KindTicket)
}

// searchMessages reads messages as entries, by ticket or by id, in ticket
// then message order.
func (db *DB) searchMessages(ctx context.Context, col string, ids []int64) ([]search.Doc, error) {
	return db.searchRows(ctx, `SELECT m.id, m.ticket_id, 0, m.internal, m.created_at, '', m.body_text
		FROM messages m WHERE `+col+` IN (`+idList(ids)+`) ORDER BY m.ticket_id, m.id`, search.KindMessage)
}

// searchContacts reads contacts as entries: name, every address, phone.
func (db *DB) searchContacts(ctx context.Context, ids []int64) ([]search.Doc, error) {
	docs, err := db.searchRows(ctx, `SELECT id, 0, COALESCE(organization_id, 0), FALSE, created_at, name, name || ' ' || phone
		FROM contacts WHERE id IN (`+idList(ids)+`) ORDER BY id`, search.KindContact)
	if err != nil {
		return nil, err
	}
	return docs, db.searchMore(ctx, docs, `SELECT contact_id, email FROM contact_emails
		WHERE contact_id IN (`+idList(ids)+`) ORDER BY contact_id, position, email`)
}

// searchOrganizations reads organizations as entries: name, domains, notes.
func (db *DB) searchOrganizations(ctx context.Context, ids []int64) ([]search.Doc, error) {
	docs, err := db.searchRows(ctx, `SELECT id, 0, id, FALSE, created_at, name, name || ' ' || notes
		FROM organizations WHERE id IN (`+idList(ids)+`) ORDER BY id`, search.KindOrganization)
	if err != nil {
		return nil, err
	}
	return docs, db.searchMore(ctx, docs, `SELECT organization_id, domain FROM organization_domains
		WHERE organization_id IN (`+idList(ids)+`) ORDER BY organization_id, domain`)
}

// searchRows scans (object id, ticket id, organization id, internal,
// created_at, title, text) rows into entries of the kind.
func (db *DB) searchRows(ctx context.Context, q string, kind search.Kind) ([]search.Doc, error) {
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", kind, err)
	}
	defer rows.Close()
	var out []search.Doc
	for rows.Next() {
		d := search.Doc{Kind: kind}
		var created int64
		if err := rows.Scan(&d.ObjectID, &d.TicketID, &d.OrganizationID, &d.Internal, &created, &d.Title, &d.Text); err != nil {
			return nil, fmt.Errorf("search %s: %w", kind, err)
		}
		d.CreatedAt = fromMicros(created)
		out = append(out, d)
	}
	return out, rows.Err()
}

// searchMore appends the text of (object id, text) rows to the entries'.
func (db *DB) searchMore(ctx context.Context, docs []search.Doc, q string) error {
	at := map[int64]int{}
	for i, d := range docs {
		at[d.ObjectID] = i
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("search text: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var text string
		if err := rows.Scan(&id, &text); err != nil {
			return fmt.Errorf("search text: %w", err)
		}
		if i, ok := at[id]; ok {
			docs[i].Text += " " + text
		}
	}
	return rows.Err()
}

// SearchTexts fills each hit's title (a ticket's subject, a contact's or
// organization's name) and the text its snippet is cut from.
func (db *DB) SearchTexts(ctx context.Context, hits []search.Hit) error {
	var tickets, messages, contacts, orgs, articles []int64
	for _, h := range hits {
		switch h.Kind {
		case search.KindTicket:
			tickets = append(tickets, h.ObjectID)
		case search.KindMessage:
			messages = append(messages, h.ObjectID)
			tickets = append(tickets, h.TicketID)
		case search.KindContact:
			contacts = append(contacts, h.ObjectID)
		case search.KindOrganization:
			orgs = append(orgs, h.ObjectID)
		case search.KindArticle:
			articles = append(articles, h.ObjectID)
		}
	}
	texts := map[search.Ref]search.Doc{}
	load := func(kind search.Kind, ids []int64, read func(context.Context, []int64) ([]search.Doc, error)) error {
		if len(ids) == 0 {
			return nil
		}
		docs, err := read(ctx, ids)
		for _, d := range docs {
			texts[search.Ref{Kind: kind, ID: d.ObjectID}] = d
		}
		return err
	}
	byID := func(ctx context.Context, ids []int64) ([]search.Doc, error) {
		return db.searchMessages(ctx, "m.id", ids)
	}
	for _, err := range []error{load(search.KindTicket, slices.Compact(slices.Sorted(slices.Values(tickets))), db.searchTickets),
		load(search.KindMessage, messages, byID), load(search.KindContact, contacts, db.searchContacts),
		load(search.KindOrganization, orgs, db.searchOrganizations), load(search.KindArticle, articles, db.searchArticles)} {
		if err != nil {
			return err
		}
	}
	for i, h := range hits {
		d := texts[search.Ref{Kind: h.Kind, ID: h.ObjectID}]
		hits[i].Text = d.Text
		switch h.Kind {
		case search.KindMessage:
			hits[i].Title = texts[search.Ref{Kind: search.KindTicket, ID: h.TicketID}].Title
		default:
			hits[i].Title = d.Title
		}
	}
	return nil
}

// ReplaceSearch removes the entries of refs and writes docs, in one
// transaction: a batch of events or of a reindex costs one commit. On
// SQLite a big batch (a reindex's) is written on the writer's connection
// with bound rows (see boundRows), not through database/sql row by row:
// that halved the CPU of a rebuild.
func (db *DB) ReplaceSearch(ctx context.Context, gone []search.Ref, docs []search.Doc) error {
	by := refsByKind(gone)
	var conds []string
	var args []any
	for _, kind := range slices.Sorted(maps.Keys(by)) {
		if kind == search.KindTicket {
			conds = append(conds, "ticket_id IN ("+idList(by[kind])+")")
			continue
		}
		args = append(args, string(kind))
		conds = append(conds, "(kind = $"+strconv.Itoa(len(args))+" AND object_id IN ("+idList(by[kind])+"))")
	}
	replace := func(c sqlConn, insert func(context.Context, sqlConn, []search.Doc) error) error {
		if len(conds) > 0 {
			where := strings.Join(conds, " OR ")
			if del := db.dialect.deleteSearchText(where); del != "" {
				if _, err := c.ExecContext(ctx, del, args...); err != nil {
					return fmt.Errorf("search: delete words: %w", err)
				}
			}
			if _, err := c.ExecContext(ctx, `DELETE FROM search_entries WHERE `+where, args...); err != nil {
				return fmt.Errorf("search: delete entries: %w", err)
			}
		}
		if err := insert(ctx, c, docs); err != nil {
			return fmt.Errorf("search: insert: %w", err)
		}
		return nil
	}
	if db.SQLitePath != "" && len(docs) >= bulkRows {
		return db.bulkSQLite(ctx, false, func(c sqlConn) error { return replace(c, insertSearchBound) })
	}
	return db.inTx(ctx, func(tx *txn) error {
		return replace(tx, func(ctx context.Context, _ sqlConn, docs []search.Doc) error {
			return db.dialect.insertSearch(ctx, tx, docs)
		})
	})
}

// insertSearchBound writes entries on SQLite as bound rows, with ids
// assigned here (the writer's transaction holds the table).
func insertSearchBound(ctx context.Context, c sqlConn, docs []search.Doc) error {
	id, err := nextID(ctx, c, "search_entries")
	if err != nil {
		return err
	}
	entries := newBoundRows("search_entries", "id", "kind", "object_id", "ticket_id", "organization_id", "internal", "created_at")
	words := newBoundRows("search_text", "rowid", "words")
	for _, d := range docs {
		entries.row()
		entries.int(id)
		entries.text(string(d.Kind))
		entries.int(d.ObjectID)
		optionalID(entries, d.TicketID)
		optionalID(entries, d.OrganizationID)
		internal := int64(0)
		if d.Internal {
			internal = 1
		}
		entries.int(internal)
		entries.int(micros(d.CreatedAt))
		words.row()
		words.int(id)
		words.text(strings.Join(d.Words, " "))
		id++
	}
	if err := errors.Join(entries.failed(), words.failed()); err != nil {
		return err
	}
	return execAll(ctx, c, words.take(entries.take(nil)))
}

// ClearSearch empties the index.
func (db *DB) ClearSearch(ctx context.Context) error {
	return db.inTx(ctx, func(tx *txn) error {
		for _, q := range db.dialect.clearSearch() {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("search: clear: %w", err)
			}
		}
		return nil
	})
}

// AnalyzeSearch refreshes the statistics the planner reads for searches.
func (db *DB) AnalyzeSearch(ctx context.Context) error {
	for _, q := range db.dialect.analyzeSearch() {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("search: analyze: %w", err)
		}
	}
	return nil
}

// searchTables are the tables things of each kind are read from.
var searchTables = map[search.Kind]string{search.KindTicket: "tickets", search.KindContact: "contacts",
	search.KindOrganization: "organizations", search.KindMessage: "messages", search.KindArticle: "kb_articles"}

// SearchIDs returns ids of the kind's things after afterID, in order.
func (db *DB) SearchIDs(ctx context.Context, kind search.Kind, afterID int64, limit int) ([]int64, error) {
	table, ok := searchTables[kind]
	if !ok {
		return nil, fmt.Errorf("search: no table for kind %q", kind)
	}
	ids, err := db.ids(ctx, `SELECT id FROM `+table+` WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("search ids: %w", err)
	}
	return ids, nil
}

// SearchCount counts the kind's things.
func (db *DB) SearchCount(ctx context.Context, kind search.Kind) (int64, error) {
	table, ok := searchTables[kind]
	if !ok {
		return 0, fmt.Errorf("search: no table for kind %q", kind)
	}
	var n int64
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("search count: %w", err)
	}
	return n, nil
}

// entryColumns are the columns both databases write of an entry.
const entryColumns = `kind, object_id, ticket_id, organization_id, internal, created_at`

// nullIfZero is an id for a nullable column: 0 is NULL.
func nullIfZero(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// ftsQuery is a search as an FTS5 expression: each phrase quoted (a quote
// inside doubled, though words never hold one), all of Must, none of Not.
func ftsQuery(must, not [][]string) string {
	phrase := func(p []string) string {
		return `"` + strings.ReplaceAll(strings.Join(p, " "), `"`, `""`) + `"`
	}
	parts := make([]string, len(must))
	for i, p := range must {
		parts[i] = phrase(p)
	}
	q := strings.Join(parts, " AND ")
	for _, p := range not {
		q += " NOT " + phrase(p)
	}
	return q
}

// tsQuery is a search as a PostgreSQL tsquery: each word a quoted lexeme,
// phrases with <->, all of Must, none of Not.
func tsQuery(must, not [][]string) string {
	phrase := func(p []string) string {
		ws := make([]string, len(p))
		for i, w := range p {
			ws[i] = lexeme(w)
		}
		return "(" + strings.Join(ws, " <-> ") + ")"
	}
	parts := make([]string, 0, len(must)+len(not))
	for _, p := range must {
		parts = append(parts, phrase(p))
	}
	for _, p := range not {
		parts = append(parts, "!"+phrase(p))
	}
	return strings.Join(parts, " & ")
}

// lexeme quotes a word for tsvector and tsquery text.
func lexeme(w string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(w, `\`, `\\`), "'", "''") + "'"
}

// tsVector is the words as tsvector text: each distinct word once with its
// positions, counted from 1 as PostgreSQL's parser would.
func tsVector(words []string) string {
	at := map[string][]int{}
	var order []string
	for i, w := range words {
		if _, ok := at[w]; !ok {
			order = append(order, w)
		}
		at[w] = append(at[w], i+1)
	}
	var b strings.Builder
	for i, w := range order {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(lexeme(w))
		for j, p := range at[w][:min(len(at[w]), 256)] { // PostgreSQL keeps 256 positions of a word
			if j == 0 {
				b.WriteByte(':')
			} else {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(min(p, 16383)))
		}
	}
	return b.String()
}

// ServerPIDs returns the process ids of PostgreSQL's backends serving the
// current database (none on SQLite): a benchmark on a database of its own
// reads their CPU time from /proc, which a busy machine disturbs far less
// than the wall clock.
func (db *DB) ServerPIDs(ctx context.Context) ([]int64, error) {
	if db.SQLitePath != "" {
		return nil, nil
	}
	ids, err := db.ids(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' ORDER BY pid`)
	if err != nil {
		return nil, fmt.Errorf("server pids: %w", err)
	}
	return ids, nil
}
