//go:build cgo && !purego

package store

/*
// SQLite itself is compiled into the binary by mattn/go-sqlite3; these
// declarations are weak so that this package's objects link on their own
// and take mattn's definitions in the final link.
typedef struct sqlite3 sqlite3;
extern int sqlite3_db_config(sqlite3*, int, ...) __attribute__((weak));
extern int sqlite3_auto_extension(void (*)(void)) __attribute__((weak));
extern int sqlite3_config(int, ...) __attribute__((weak));

#define SAHAYAK_CONFIG_MEMSTATUS 9

#define SAHAYAK_DBCONFIG_ENABLE_QPSG 1007

static int sahayak_qpsg_opened = 0;

static int sahayak_qpsg(sqlite3 *db, char **err, const void *api) {
	int on = 0;
	if (sqlite3_db_config(db, SAHAYAK_DBCONFIG_ENABLE_QPSG, 1, &on) == 0 && on) {
		__atomic_add_fetch(&sahayak_qpsg_opened, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

static int sahayak_register_qpsg(void) {
	if (!sqlite3_auto_extension || !sqlite3_db_config || !sqlite3_config) return -1;
	// Before anything initializes SQLite: without memory statistics every
	// allocation skips a global mutex (we never read the statistics).
	int rc = sqlite3_config(SAHAYAK_CONFIG_MEMSTATUS, 0);
	if (rc != 0) return rc;
	return sqlite3_auto_extension((void (*)(void))sahayak_qpsg);
}

static int sahayak_qpsg_count(void) { return __atomic_load_n(&sahayak_qpsg_opened, __ATOMIC_RELAXED); }
*/
import "C"

import "fmt"

// registerQPSG turns off SQLite's memory statistics (a global mutex on
// every allocation: 9% of a million-ticket load) and turns on SQLite's query planner stability guarantee for
// every connection opened from now on. Without it SQLite marks equality
// terms on bound parameters so that a new value may re-plan the statement,
// and mattn/go-sqlite3 clears a statement's bindings before each run,
// which expires such a statement every time: the ticket-by-id query was
// parsed and planned again on every call (43 µs instead of 11 µs). No plan
// of ours depends on a bound value: LIMIT is not used for planning tables,
// and the one LIKE with a bound prefix (contact search) is case-insensitive
// on a BINARY-collated key, which SQLite cannot narrow by index anyway. The
// registration is process-wide: the job queue's connections get it too.
func registerQPSG() error {
	if rc := C.sahayak_register_qpsg(); rc != 0 {
		return fmt.Errorf("sqlite: enable query planner stability: code %d", int(rc))
	}
	return nil
}

// qpsgConnections counts the connections that have the guarantee on.
func qpsgConnections() int { return int(C.sahayak_qpsg_count()) }
