package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// A database made before the quality work (migrations up to 00033) has
// team leads and supervisors without its permissions; migrating it grants
// them where missing and leaves the agent role alone.
func TestMigrationGrantsQualityPermissionsOnAnOlderDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db, err := store.Open(ctx, b.Config(t))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.MigrateUpTo(ctx, 33); err != nil {
			t.Fatal(err)
		}
		for _, r := range []struct{ name, perms string }{
			{auth.RoleTeamLead, `["tickets:read", "tags:write"]`},
			{auth.RoleSupervisor, `["tickets:read", "qa:review"]`}, // granted by an admin already
			{auth.RoleAgent, `["tickets:read"]`},
		} {
			if err := db.Exec(ctx, `INSERT INTO roles (name, description, permissions, builtin, created_at, updated_at)
				VALUES ($1, '', $2, TRUE, 0, 0)`, r.name, r.perms); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		// Later migrations may grant more; these hold what they held, and
		// each quality permission once.
		quality := []string{auth.QAReview, auth.CoachingWrite, auth.TrainingManage}
		for name, kept := range map[string][]string{
			auth.RoleTeamLead:   {auth.TicketsRead, auth.TagsWrite},
			auth.RoleSupervisor: {auth.TicketsRead, auth.QAReview},
			auth.RoleAgent:      {auth.TicketsRead},
		} {
			r, err := db.RoleByName(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Permissions[:len(kept)], kept) {
				t.Errorf("%s: permissions %q do not start with %q", name, r.Permissions, kept)
			}
			for _, p := range quality {
				n := 0
				for _, x := range r.Permissions {
					if x == p {
						n++
					}
				}
				if want := map[bool]int{true: 0, false: 1}[name == auth.RoleAgent]; n != want {
					t.Errorf("%s holds %s %d times, want %d", name, p, n, want)
				}
			}
		}
	})
}
