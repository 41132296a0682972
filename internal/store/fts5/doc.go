//go:build !cgo || purego || sqlite_fts5 || fts5

// Package fts5 has nothing to add in this build: the SQLite driver has FTS5
// built in.
package fts5

// Register does nothing: the driver has FTS5 already.
func Register() error { return nil }
