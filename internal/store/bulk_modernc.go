//go:build !cgo || purego

package store

import (
	"context"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
)

// insertBound runs a batch of bound rows on the SQLite connection c holds:
// the INSERT is prepared once on the driver's connection and executed per
// row there, below database/sql, which would otherwise convert and check
// every value again. The portable counterpart of the cgo build's one call
// into C (bulk_mattn.go).
func insertBound(ctx context.Context, c sqlConn, s bulkStmt) error {
	conn, err := boundConn(ctx, c)
	if err != nil {
		return err
	}
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("bulk insert: connection is %T, not SQLiteDriver's", dc)
		}
		st, err := pc.PrepareContext(ctx, s.sql)
		if err != nil {
			return fmt.Errorf("bulk insert: %w", err)
		}
		defer st.Close()
		exec, ok := st.(driver.StmtExecContext)
		if !ok {
			return fmt.Errorf("bulk insert: statement is %T", st)
		}
		args := make([]driver.NamedValue, s.cols)
		p := s.data
		for range s.rows {
			if p, err = decodeRow(p, args); err != nil {
				return err
			}
			if _, err := exec.ExecContext(ctx, args); err != nil {
				return fmt.Errorf("bulk insert: %w", err)
			}
		}
		if len(p) != 0 {
			return errMalformedRows
		}
		return nil
	})
}

var errMalformedRows = errors.New("bulk insert: malformed rows")

// decodeRow reads one row of boundRows' encoding into args and returns the
// rest of the buffer.
func decodeRow(p []byte, args []driver.NamedValue) ([]byte, error) {
	for i := range args {
		if len(p) == 0 {
			return nil, errMalformedRows
		}
		args[i] = driver.NamedValue{Ordinal: i + 1}
		tag := p[0]
		p = p[1:]
		switch tag {
		case 0:
		case 1:
			if len(p) < 8 {
				return nil, errMalformedRows
			}
			args[i].Value = int64(binary.LittleEndian.Uint64(p))
			p = p[8:]
		case 2:
			if len(p) < 4 {
				return nil, errMalformedRows
			}
			n := binary.LittleEndian.Uint32(p)
			p = p[4:]
			if uint64(len(p)) < uint64(n) {
				return nil, errMalformedRows
			}
			args[i].Value = string(p[:n])
			p = p[n:]
		default:
			return nil, errMalformedRows
		}
	}
	return p, nil
}
