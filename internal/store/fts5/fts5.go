//go:build cgo && !purego && !sqlite_fts5 && !fts5

// Package fts5 adds SQLite's full-text search (FTS5) to the cgo SQLite
// driver, which compiles it only under the build tag sqlite_fts5.
// Register adds FTS5 to every SQLite connection opened after.
// fts5.c is the FTS5 part of the driver's own SQLite amalgamation
// (scripts/fts5-extract.sh), built against the driver's SQLite through its
// public API. The pure-Go driver (modernc.org/sqlite) has FTS5 built in, and
// builds with the tag get it from the driver; for both Register does nothing.
package fts5

/*
#cgo CFLAGS: -std=gnu99 -Wno-unused-function -Wno-unused-variable
#cgo LDFLAGS: -lm
int sahayak_fts5_register(void);
*/
import "C"

import "fmt"

// Register adds FTS5 to every SQLite connection opened from now on. It
// initializes SQLite, so sqlite3_config calls must come before it.
func Register() error {
	if rc := C.sahayak_fts5_register(); rc != 0 {
		return fmt.Errorf("fts5: register with SQLite: code %d", rc)
	}
	return nil
}
