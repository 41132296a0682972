package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"strings"
)

// boundRows collects a table's rows for SQLite as values to bind, not as
// SQL text: a million-ticket load spent a third of its time parsing
// literals and freeing the parse trees. Each batch of rows is inserted by
// one call into C that binds and steps a prepared INSERT per row, so
// neither database/sql nor cgo is paid per value (bulk_mattn.go); without
// cgo the rows are bound to a prepared INSERT below database/sql
// (bulk_modernc.go).
type boundRows struct {
	insert string // INSERT INTO t (cols) VALUES (?, …)
	cols   int
	b      []byte
	rows   int
	finished
}

func newBoundRows(table string, cols ...string) rowSink {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	return &boundRows{insert: "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (" + marks + ")",
		cols: len(cols)}
}

func (s *boundRows) row() {
	if s.rows == bulkRows {
		s.flush()
	}
	s.rows++
}

func (s *boundRows) int(n int64) {
	s.b = append(s.b, 1)
	s.b = binary.LittleEndian.AppendUint64(s.b, uint64(n))
}

func (s *boundRows) null() { s.b = append(s.b, 0) }

func (s *boundRows) text(v string) {
	s.checkText(v)
	s.b = append(s.b, 2)
	s.b = binary.LittleEndian.AppendUint32(s.b, uint32(len(v)))
	s.b = append(s.b, v...)
}

func (s *boundRows) flush() {
	if s.rows > 0 {
		s.done = append(s.done, bulkStmt{sql: s.insert, rows: s.rows, cols: s.cols, data: s.b})
		s.b, s.rows = make([]byte, 0, cap(s.b)), 0
	}
}

func (s *boundRows) take(into []bulkStmt) []bulkStmt {
	s.flush()
	return s.hand(into)
}

// boundConn is the SQLite connection that bound rows are inserted on.
func boundConn(ctx context.Context, c sqlConn) (*sql.Conn, error) {
	conn, ok := c.(*sql.Conn)
	if !ok {
		return nil, fmt.Errorf("bulk insert: bound rows need an SQLite connection, not %T", c)
	}
	return conn, ctx.Err()
}
