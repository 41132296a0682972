//go:build !cgo || purego

package jobs

import _ "modernc.org/sqlite" // registers "sqlite"

// sqliteDriver is the SQLite driver of this build (the app's, see package
// store; the store cannot be imported here).
const sqliteDriver = "sqlite"
