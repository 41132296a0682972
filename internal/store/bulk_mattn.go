//go:build cgo && !purego

package store

/*
#include <string.h>

// SQLite is compiled into the binary by mattn/go-sqlite3 (see qpsg.go for
// why these are weak declarations).
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
extern int sqlite3_prepare_v2(sqlite3*, const char*, int, sqlite3_stmt**, const char**) __attribute__((weak));
extern int sqlite3_bind_int64(sqlite3_stmt*, int, long long) __attribute__((weak));
extern int sqlite3_bind_text(sqlite3_stmt*, int, const char*, int, void(*)(void*)) __attribute__((weak));
extern int sqlite3_bind_null(sqlite3_stmt*, int) __attribute__((weak));
extern int sqlite3_step(sqlite3_stmt*) __attribute__((weak));
extern int sqlite3_reset(sqlite3_stmt*) __attribute__((weak));
extern int sqlite3_finalize(sqlite3_stmt*) __attribute__((weak));
extern int sqlite3_extended_errcode(sqlite3*) __attribute__((weak));
extern const char *sqlite3_errmsg(sqlite3*) __attribute__((weak));

enum { SAHAYAK_MISUSE = 21, SAHAYAK_DONE = 101 };

// sahayak_insert_rows runs the INSERT sql once per row of buf, binding the
// row's values in order: a tag byte, then nothing (0, NULL), 8 bytes of
// little-endian integer (1) or a 4-byte little-endian length and the text
// (2). The text is bound without copying: buf outlives every step. It
// answers 0 or SQLite's extended result code, with its message in msg.
static int sahayak_insert_rows(sqlite3 *db, const char *sql, int sql_len, const unsigned char *buf,
		long long len, int rows, int cols, char *msg, int msg_len) {
	sqlite3_stmt *st = 0;
	int rc = sqlite3_prepare_v2(db, sql, sql_len, &st, 0);
	const unsigned char *p = buf, *end = buf + len;
	for (int r = 0; rc == 0 && r < rows; r++) {
		for (int c = 1; rc == 0 && c <= cols; c++) {
			if (p >= end) {
				rc = SAHAYAK_MISUSE;
				break;
			}
			switch (*p++) {
			case 0:
				rc = sqlite3_bind_null(st, c);
				break;
			case 1: {
				long long v;
				if (end - p < 8) { rc = SAHAYAK_MISUSE; break; }
				memcpy(&v, p, 8);
				p += 8;
				rc = sqlite3_bind_int64(st, c, v);
				break;
			}
			case 2: {
				unsigned int n;
				if (end - p < 4) { rc = SAHAYAK_MISUSE; break; }
				memcpy(&n, p, 4);
				p += 4;
				if ((unsigned long long)(end - p) < n) { rc = SAHAYAK_MISUSE; break; }
				rc = sqlite3_bind_text(st, c, (const char *)p, (int)n, (void (*)(void *))0);
				p += n;
				break;
			}
			default:
				rc = SAHAYAK_MISUSE;
			}
		}
		if (rc == 0) {
			rc = sqlite3_step(st);
			rc = rc == SAHAYAK_DONE ? sqlite3_reset(st) : sqlite3_extended_errcode(db);
		}
	}
	if (rc == 0 && p != end) rc = SAHAYAK_MISUSE;
	if (rc != 0 && rc != SAHAYAK_MISUSE) {
		strncpy(msg, sqlite3_errmsg(db), msg_len - 1);
		msg[msg_len - 1] = 0;
	}
	sqlite3_finalize(st);
	return rc;
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// insertBound runs a batch of bound rows on the SQLite connection c holds.
func insertBound(ctx context.Context, c sqlConn, s bulkStmt) error {
	conn, err := boundConn(ctx, c)
	if err != nil {
		return err
	}
	return conn.Raw(func(dc any) error {
		db, err := sqliteHandle(dc)
		if err != nil {
			return err
		}
		var msg [256]C.char
		q := unsafe.StringData(s.sql)
		rc := C.sahayak_insert_rows(db, (*C.char)(unsafe.Pointer(q)), C.int(len(s.sql)),
			(*C.uchar)(unsafe.Pointer(unsafe.SliceData(s.data))), C.longlong(len(s.data)), C.int(s.rows), C.int(s.cols),
			&msg[0], C.int(len(msg)))
		if rc == 0 {
			return nil
		}
		if rc == C.SAHAYAK_MISUSE {
			return errors.New("bulk insert: malformed rows")
		}
		// The driver's own error type, so that the dialect recognises
		// constraint violations as it does for every other statement.
		return fmt.Errorf("bulk insert: %w: %s", sqlite3.Error{Code: sqlite3.ErrNo(rc & 0xff),
			ExtendedCode: sqlite3.ErrNoExtended(rc)}, C.GoString(&msg[0]))
	})
}

// sqliteHandle is the sqlite3 pointer inside a connection of SQLiteDriver.
// mattn/go-sqlite3 does not export it; the field is read by reflection, and
// TestBoundRows fails if a new version of the driver renames it.
func sqliteHandle(dc any) (*C.sqlite3, error) {
	c, ok := dc.(*sqliteConn)
	if !ok {
		return nil, fmt.Errorf("bulk insert: connection is %T, not SQLiteDriver's", dc)
	}
	f := reflect.ValueOf(c.SQLiteConn).Elem().FieldByName("db")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return nil, errors.New("bulk insert: no sqlite3 handle in mattn/go-sqlite3's connection")
	}
	return (*C.sqlite3)(f.UnsafePointer()), nil
}
