package store

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/ticket"
)

//go:embed migrations
var migrations embed.FS

// Migrate brings the schema up to date and makes sure the built-in roles and
// statuses exist. It is safe to run on every start.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := db.inTx(ctx, func(tx *txn) error { return ensureBuiltins(ctx, tx, desk.SystemClock{}.Now().UnixMicro()) }); err != nil {
		return err
	}
	if db.SQLitePath != "" {
		// On every start: SQLite analyzes only what changed enough since.
		return db.RefreshPlannerStats(ctx)
	}
	return nil
}

// RefreshPlannerStats brings the query planner's statistics up to date
// (see dialect.plannerStats); bulk loads call it when done.
func (db *DB) RefreshPlannerStats(ctx context.Context) error {
	for _, q := range db.dialect.plannerStats() {
		// Outside the statement cache: PRAGMAs are run once.
		if _, err := db.write.DB.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("planner statistics: %w", err)
		}
	}
	return nil
}

// MigrationsDigest identifies the set of migrations this build carries (a
// hash of their names and contents): tests clone a database migrated once
// under this name instead of migrating one per test.
func MigrationsDigest() string {
	h := sha256.New()
	_ = fs.WalkDir(migrations, "migrations", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := migrations.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}

// migrations is goose on this database's migrations.
func (db *DB) migrations() (*goose.Provider, error) {
	dir, err := fs.Sub(migrations, "migrations/"+db.dialect.name())
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	gd := goose.DialectSQLite3
	if db.dialect.name() == "postgres" {
		gd = goose.DialectPostgres
	}
	// Migrations written on parallel branches may land in another order
	// than their numbers; each is applied once either way.
	p, err := goose.NewProvider(gd, db.write.DB, dir, goose.WithAllowOutofOrder(true))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

func ensureBuiltins(ctx context.Context, tx *txn, now int64) error {
	for _, r := range auth.BuiltinRoles {
		perms, _ := json.Marshal(r.Permissions)
		// Built-in roles are inserted once; an admin may have tuned their
		// permissions since, except admin, which always holds all of them.
		if _, err := tx.ExecContext(ctx, `INSERT INTO roles (name, description, permissions, builtin, created_at, updated_at)
			VALUES ($1, $2, $3, TRUE, $4, $4) ON CONFLICT (name) DO NOTHING`, r.Name, r.Description, string(perms), now); err != nil {
			return fmt.Errorf("ensure role %s: %w", r.Name, err)
		}
		if r.Name == auth.RoleAdmin {
			if _, err := tx.ExecContext(ctx, `UPDATE roles SET permissions = $1 WHERE name = $2`, string(perms), r.Name); err != nil {
				return fmt.Errorf("update admin role: %w", err)
			}
		}
	}
	for i, c := range ticket.Categories {
		if _, err := tx.ExecContext(ctx, `INSERT INTO statuses (name, category, builtin, position)
			VALUES ($1, $1, TRUE, $2) ON CONFLICT (name) DO NOTHING`, c, i*100); err != nil {
			return fmt.Errorf("ensure status %s: %w", c, err)
		}
	}
	return nil
}
