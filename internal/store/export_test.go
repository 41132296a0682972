package store

import (
	"context"
	"fmt"
)

// MigrateUpTo applies the migrations up to version v only, as an older
// release would have left the database.
func (db *DB) MigrateUpTo(ctx context.Context, v int64) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	if _, err := p.UpTo(ctx, v); err != nil {
		return fmt.Errorf("migrate to %d: %w", v, err)
	}
	return nil
}

// Exec runs a statement on the writer, for tests that shape a database by
// hand.
func (db *DB) Exec(ctx context.Context, q string, args ...any) error {
	_, err := db.write.ExecContext(ctx, q, args...)
	return err
}
