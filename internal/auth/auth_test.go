package auth

import (
	"strings"
	"testing"
)

func TestPasswordHashing(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("hash is not argon2id in PHC format: %s", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Errorf("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		hash, pw string
		want     bool
	}{
		{h, "correct horse battery", true},
		{h, "correct horse batterY", false},
		{h, "", false},
		{"$argon2id$garbage", "x", false},
		{"", "", false},
		{strings.Replace(h, "argon2id", "argon2i", 1), "correct horse battery", false},
	} {
		if got := CheckPassword(tc.hash, tc.pw); got != tc.want {
			t.Errorf("CheckPassword(%.30q, %q) = %v, want %v", tc.hash, tc.pw, got, tc.want)
		}
	}
}

func TestSecretsAreRandomAndDigested(t *testing.T) {
	s1, d1, err := NewSecret("shk_")
	if err != nil {
		t.Fatal(err)
	}
	s2, d2, _ := NewSecret("shk_")
	if s1 == s2 || d1 == d2 {
		t.Fatal("two secrets are equal")
	}
	if !strings.HasPrefix(s1, "shk_") || len(s1) < 40 {
		t.Errorf("token %q lacks the prefix or 256 bits", s1)
	}
	if Digest(s1) != d1 || len(d1) != 64 || strings.Contains(d1, s1) {
		t.Errorf("digest is not the SHA-256 of the secret")
	}
}

func TestBuiltinRolesUseKnownPermissions(t *testing.T) {
	names := map[string]bool{}
	for _, r := range BuiltinRoles {
		names[r.Name] = true
		for _, p := range r.Permissions {
			if !Known(p) {
				t.Errorf("role %s has unknown permission %q", r.Name, p)
			}
		}
	}
	for _, want := range []string{RoleAgent, RoleTeamLead, RoleSupervisor, RoleAccountExecutive, RoleAdmin} {
		if !names[want] {
			t.Errorf("built-in role %s missing", want)
		}
	}
	if Known(Public) || Known(SignedIn) || Known("tickets:fly") {
		t.Errorf("pseudo or made-up permissions must not be known")
	}
}
