package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// A database made before 00046 has the built-in account executive reading
// every ticket. Migrating narrows it to the tickets of their accounts,
// gives supervisors accounts:read_all, each once, and leaves the desk's
// own roles alone.
func TestMigrationNarrowsTheAccountExecutiveOnAnOlderDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db, err := store.Open(ctx, b.Config(t))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.MigrateUpTo(ctx, 45); err != nil {
			t.Fatal(err)
		}
		for _, r := range []struct {
			name, perms string
			builtin     bool
		}{
			{auth.RoleAccountExecutive, `["tickets:read","tickets:read_all","tickets:create","organizations:write"]`, true},
			{auth.RoleSupervisor, `["tickets:read","tickets:read_all","accounts:manage"]`, true},
			{"key_accounts", `["tickets:read_all","organizations:write"]`, false},
		} {
			if err := db.Exec(ctx, `INSERT INTO roles (name, description, permissions, builtin, created_at, updated_at)
				VALUES ($1, '', $2, $3, 0, 0) ON CONFLICT (name) DO UPDATE SET permissions = excluded.permissions`,
				r.name, r.perms, r.builtin); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 { // a second run changes nothing
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for name, want := range map[string][]string{
			auth.RoleAccountExecutive: {auth.TicketsRead, auth.TicketsCreate, auth.OrganizationsWrite, auth.TicketsReadAccounts},
			auth.RoleSupervisor:       {auth.TicketsRead, auth.TicketsReadAll, auth.AccountsManage, auth.AccountsReadAll},
			"key_accounts":            {auth.TicketsReadAll, auth.OrganizationsWrite},
		} {
			r, err := db.RoleByName(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range want {
				if count(r.Permissions, p) != 1 {
					t.Errorf("%s: %s held %d times: %q", name, p, count(r.Permissions, p), r.Permissions)
				}
			}
			if name == auth.RoleAccountExecutive && slices.Contains(r.Permissions, auth.TicketsReadAll) {
				t.Errorf("the account executive still reads every ticket: %q", r.Permissions)
			}
		}
	})
}
