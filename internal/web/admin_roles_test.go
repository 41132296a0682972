package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/store/storetest"
)

// An admin tunes a built-in role's permissions on the roles page (its name
// stays); the admin role itself offers no save.
func TestAdminTunesABuiltinRoleOnThePage(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], map[string]string{"ada": goodPassword})
	session, csrf, _, err := d.Access.SignIn(system(), "ada@desk.test", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, d.URL)
	b.jar["sahayak_session"] = &http.Cookie{Name: "sahayak_session", Value: session}
	agentRole := d.Agents["ravi"].RoleID
	perms := []string{"tickets:read", "tickets:create", "tickets:update", "tickets:reply", "tickets:merge"}
	form := url.Values{"csrf": {csrf}, "name": {"agent"}, "description": {"Works the tickets of their teams"}, "permissions": perms}
	res, page := b.do("POST", "/admin/roles/"+id(agentRole), http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
		"Accept": {"text/html"}}, form.Encode())
	if res.StatusCode >= 400 {
		t.Fatalf("status %d\n%s", res.StatusCode, page)
	}
	role, err := d.People.Role(system(), agentRole)
	if err != nil {
		t.Fatal(err)
	}
	if role.Name != "agent" || !slices.Contains(role.Permissions, "tickets:merge") || slices.Contains(role.Permissions, "tickets:note") {
		t.Fatalf("agent role after saving: %s %v", role.Name, role.Permissions)
	}
	_, page = b.do("GET", "/admin/roles", http.Header{"Accept": {"text/html"}}, "")
	if n := strings.Count(page, `action="/admin/roles/`); n < 5 {
		t.Fatalf("%d role forms on the page", n)
	}
	// Every built-in role but admin has a save button: one per editable form plus the new-role form.
	if saves := strings.Count(page, `<button type="submit">`); saves < 5 {
		t.Fatalf("%d save buttons on the roles page", saves)
	}
}
