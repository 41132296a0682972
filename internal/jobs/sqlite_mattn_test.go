//go:build cgo && !purego

package jobs

import _ "github.com/mattn/go-sqlite3" // registers "sqlite3"

// sqliteDriver is the SQLite driver of this build (the app's, see package
// store; the store cannot be imported here).
const sqliteDriver = "sqlite3"
