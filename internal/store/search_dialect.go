package store

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/sahayak/sahayak/internal/search"
)

// The search index's differences (see dialect): SQLite keeps the words in
// an FTS5 table beside search_entries under the same rowid, PostgreSQL in a
// tsvector column of search_entries with a GIN index.

func (sqliteDialect) searchFrom() (string, string) {
	return "search_text s JOIN search_entries e ON e.id = s.rowid", "s.rowid"
}
func (sqliteDialect) searchMatch(arg string) string           { return "search_text MATCH " + arg }
func (sqliteDialect) searchQuery(must, not [][]string) string { return ftsQuery(must, not) }

func (sqliteDialect) searchArgs(args []any) []any { return args }

// FTS5's delete-all drops every segment at once; a DELETE would remove the
// words of each entry one by one (minutes at a million tickets).
func (sqliteDialect) clearSearch() []string {
	return []string{"INSERT INTO search_text (search_text) VALUES ('delete-all')", "DELETE FROM search_entries"}
}

// SQLite's FTS5 plans by itself; the join is by primary key.
func (sqliteDialect) analyzeSearch() []string { return nil }
func (sqliteDialect) deleteSearchText(where string) string {
	return "DELETE FROM search_text WHERE rowid IN (SELECT id FROM search_entries WHERE " + where + ")"
}

// SQLite runs statements in-process: two per entry cost less than building
// one big statement.
func (sqliteDialect) insertSearch(ctx context.Context, tx *txn, docs []search.Doc) error {
	for _, d := range docs {
		res, err := tx.ExecContext(ctx, `INSERT INTO search_entries (`+entryColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			string(d.Kind), d.ObjectID, nullIfZero(d.TicketID), nullIfZero(d.OrganizationID), d.Internal, micros(d.CreatedAt))
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO search_text (rowid, words) VALUES ($1, $2)`, id, strings.Join(d.Words, " ")); err != nil {
			return err
		}
	}
	return nil
}

func (postgresDialect) searchFrom() (string, string) { return "search_entries e", "e.id" }
func (postgresDialect) searchMatch(arg string) string {
	return "e.words @@ CAST(" + arg + " AS tsquery)"
}
func (postgresDialect) searchQuery(must, not [][]string) string { return tsQuery(must, not) }

// A search runs as an unnamed statement, planned for its own words: pgx
// prepares each statement once per connection, and after five runs
// PostgreSQL may keep a generic plan made without them, which cannot tell
// a word in every entry (walk the primary key) from one in none (ask the
// GIN index). Seen with a search by ranges of ids (tried and dropped, stop
// 19): a search that found nothing took 60 ms of the server's CPU.
func (postgresDialect) searchArgs(args []any) []any {
	return append([]any{pgx.QueryExecModeExec}, args...)
}
func (postgresDialect) clearSearch() []string          { return []string{"DELETE FROM search_entries"} }
func (postgresDialect) deleteSearchText(string) string { return "" }

// With statistics PostgreSQL walks the primary key backwards for a common
// word (the first 21 entries match) and the GIN index for a rare one;
// without them it reads every match of a common word and sorts. A bulk
// load leaves most new words in the GIN index's pending list, which every
// search then reads whole until autovacuum gets to it: a rare word took 36
// ms in the index at 100,000 tickets, 0.24 ms once the list was merged.
// The tickets' statistics too: after a bulk load (seed) PostgreSQL had none, took
// "status:open" for 83 tickets of 30,000 (7,579) and started from them.
func (postgresDialect) analyzeSearch() []string {
	return []string{"SELECT gin_clean_pending_list('search_entries_words'::regclass)", "ANALYZE search_entries",
		"ANALYZE tickets", "ANALYZE ticket_tags"}
}

// PostgreSQL: one statement per batch (each is a round trip), the columns
// as arrays.
func (postgresDialect) insertSearch(ctx context.Context, tx *txn, docs []search.Doc) error {
	for len(docs) > 0 {
		n := min(len(docs), 2000)
		kinds, words := make([]string, n), make([]string, n)
		objects, tickets, orgs, created := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		internal := make([]bool, n)
		for i, d := range docs[:n] {
			kinds[i], objects[i], tickets[i], orgs[i] = string(d.Kind), d.ObjectID, d.TicketID, d.OrganizationID
			internal[i], created[i], words[i] = d.Internal, micros(d.CreatedAt), tsVector(d.Words)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO search_entries (`+entryColumns+`, words)
			SELECT k, o, NULLIF(t, 0), NULLIF(g, 0), i, c, CAST(w AS tsvector)
			FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::boolean[], $6::bigint[], $7::text[])
				WITH ORDINALITY AS x(k, o, t, g, i, c, w, n) ORDER BY n`,
			kinds, objects, tickets, orgs, internal, created, words); err != nil {
			return err
		}
		docs = docs[n:]
	}
	return nil
}

// Suggestions (kb): articles with the marker word and any of the words,
// best first — FTS5's bm25 rank (lower is better), PostgreSQL's ts_rank.
func (sqliteDialect) suggestQuery(marker string, words []string) string {
	alts := make([][]string, len(words))
	for i, w := range words {
		alts[i] = []string{w}
	}
	return ftsQuery([][]string{{marker}}, nil) + " AND (" + strings.ReplaceAll(ftsQuery(alts, nil), " AND ", " OR ") + ")"
}
func (sqliteDialect) suggestRank(string) string { return "s.rank" }
func (postgresDialect) suggestQuery(marker string, words []string) string {
	alts := make([]string, len(words))
	for i, w := range words {
		alts[i] = lexeme(w)
	}
	return lexeme(marker) + " & (" + strings.Join(alts, " | ") + ")"
}
func (postgresDialect) suggestRank(arg string) string {
	return "ts_rank(e.words, CAST(" + arg + " AS tsquery)) DESC"
}
