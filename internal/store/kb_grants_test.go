package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/kb"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// A database made before the knowledge base (00045) has built-in roles
// without kb:write; the migration grants it to team leads and supervisors,
// once, and leaves agents and custom roles alone.
func TestMigrationGrantsKBWriteOnAnOlderDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db, err := store.Open(ctx, b.Config(t))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.MigrateUpTo(ctx, 44); err != nil {
			t.Fatal(err)
		}
		for _, r := range []struct {
			name, perms string
			builtin     bool
		}{
			{auth.RoleTeamLead, `["tickets:read"]`, true},
			// An admin granted it already: it must not appear twice.
			{auth.RoleSupervisor, `["tickets:read", "kb:write"]`, true},
			{auth.RoleAgent, `["tickets:read"]`, true},
			{"night_shift", `["tickets:read"]`, false},
		} {
			if err := db.Exec(ctx, `INSERT INTO roles (name, description, permissions, builtin, created_at, updated_at)
				VALUES ($1, '', $2, $3, 0, 0)`, r.name, r.perms, r.builtin); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 { // running again adds nothing
			if err := db.MigrateUpTo(ctx, 45); err != nil {
				t.Fatal(err)
			}
			for name, perms := range map[string][]string{
				auth.RoleTeamLead:   {auth.TicketsRead, auth.KBWrite},
				auth.RoleSupervisor: {auth.TicketsRead, auth.KBWrite},
				auth.RoleAgent:      {auth.TicketsRead},
				"night_shift":       {auth.TicketsRead},
			} {
				if r, err := db.RoleByName(ctx, name); err != nil || !slices.Equal(r.Permissions, perms) {
					t.Errorf("after 00045, %s: permissions %v (%v), want %q", name, r, err, perms)
				}
			}
		}
	})
}

// An article image is a reference the blob collector keeps.
func TestKBImagesAreReferencedBlobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		db := storetest.Open(t, b)
		ctx := context.Background()
		kept, loose := strings.Repeat("a", 64), strings.Repeat("b", 64)
		if err := db.AddKBImage(ctx, kb.Image{SHA256: kept, ContentType: "image/png", Filename: "x.png", Size: 1}); err != nil {
			t.Fatal(err)
		}
		refs, err := db.ReferencedBlobs(ctx, []string{kept, loose})
		if err != nil || !refs[kept] || refs[loose] {
			t.Fatalf("referenced: %v %v", refs, err)
		}
	})
}
