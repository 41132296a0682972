package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// A database made before the process engine (migrations up to 00028) has
// built-in roles without its permissions, since roles are inserted once.
// Migrating it grants them to the roles that hold them by default now,
// once each, and leaves other roles alone.
func TestMigrationGrantsProcessPermissionsOnAnOlderDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db, err := store.Open(ctx, b.Config(t))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.MigrateUpTo(ctx, 28); err != nil {
			t.Fatal(err)
		}
		old := []string{auth.TicketsRead, auth.TicketsReadAll, auth.TicketsMerge, auth.TagsWrite}
		for _, r := range []struct {
			name, perms string
			builtin     bool
		}{
			{auth.RoleTeamLead, `["tickets:read", "tickets:read_all", "tickets:merge", "tags:write"]`, true},
			// An admin granted one already: it must not appear twice.
			{auth.RoleSupervisor, `["tickets:read", "tickets:read_all", "tickets:merge", "tags:write", "sla:read"]`, true},
			{auth.RoleAgent, `["tickets:read"]`, true},
			{"night_shift", `["tickets:read"]`, false},
		} {
			if err := db.Exec(ctx, `INSERT INTO roles (name, description, permissions, builtin, created_at, updated_at)
				VALUES ($1, '', $2, $3, 0, 0)`, r.name, r.perms, r.builtin); err != nil {
				t.Fatal(err)
			}
		}
		// 00029 alone grants exactly the process permissions.
		if err := db.MigrateUpTo(ctx, 29); err != nil {
			t.Fatal(err)
		}
		for name, perms := range map[string][]string{
			auth.RoleTeamLead:   append(slices.Clone(old), auth.SLARead, auth.PresenceRead, auth.MacrosWrite),
			auth.RoleSupervisor: append(slices.Clone(old), auth.SLARead, auth.SLAWrite, auth.PresenceRead, auth.AssignmentWrite, auth.AutomationsWrite, auth.MacrosWrite),
			auth.RoleAgent:      {auth.TicketsRead},
			"night_shift":       {auth.TicketsRead},
		} {
			if r, err := db.RoleByName(ctx, name); err != nil || !slices.Equal(r.Permissions, perms) {
				t.Errorf("after 00029, %s: permissions %v (%v), want %q", name, r, err, perms)
			}
		}
		// The later migrations (other features' grants, such as the
		// reports' 00031) keep them, each once; running again adds nothing.
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{
			// (00034 the quality ones, 00038 accounts:manage.)
			auth.RoleTeamLead: append(slices.Clone(old), auth.SLARead, auth.PresenceRead, auth.MacrosWrite,
				auth.ReportsRead, auth.ReportsTeam, auth.ReportsExport, auth.QAReview, auth.CoachingWrite, auth.TrainingManage),
			auth.RoleSupervisor: append(slices.Clone(old), auth.SLARead, auth.SLAWrite, auth.PresenceRead, auth.AssignmentWrite, auth.AutomationsWrite, auth.MacrosWrite,
				auth.ReportsRead, auth.ReportsTeam, auth.ReportsReadAll, auth.ReportsExport,
				auth.QAReview, auth.CoachingWrite, auth.TrainingManage, auth.AccountsManage),
			auth.RoleAgent: {auth.TicketsRead, auth.ReportsRead},
		}
		for name, perms := range want {
			r, err := db.RoleByName(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range perms {
				if n := count(r.Permissions, p); n != 1 {
					t.Errorf("%s holds %s %d times: %q", name, p, n, r.Permissions)
				}
			}
		}
		if r, err := db.RoleByName(ctx, "night_shift"); err != nil || !slices.Equal(r.Permissions, []string{auth.TicketsRead}) {
			t.Errorf("a role of the desk's own was changed: %v %v", r, err)
		}
		// Every default permission of the built-in roles is held now.
		for _, br := range auth.BuiltinRoles {
			if br.Name != auth.RoleTeamLead && br.Name != auth.RoleSupervisor {
				continue
			}
			r, _ := db.RoleByName(ctx, br.Name)
			for _, p := range []string{auth.SLARead, auth.SLAWrite, auth.PresenceRead, auth.AssignmentWrite, auth.AutomationsWrite, auth.MacrosWrite,
				auth.ReportsRead, auth.ReportsTeam, auth.ReportsReadAll, auth.ReportsExport} {
				if slices.Contains(br.Permissions, p) != slices.Contains(r.Permissions, p) {
					t.Errorf("%s: default holds %s: %v, migrated: %v", br.Name, p, slices.Contains(br.Permissions, p), slices.Contains(r.Permissions, p))
				}
			}
		}
	})
}

func count(list []string, v string) int {
	n := 0
	for _, x := range list {
		if x == v {
			n++
		}
	}
	return n
}
