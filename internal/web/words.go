package web

import (
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/i18n"
)

// localize renders a service's message in lang, putting words for the
// names it carries that an agent should never see raw: a permission
// ("tickets:update") becomes its description, and a broken uniqueness
// ("agents.email", or "agents.email_key" on PostgreSQL) says what is taken
// ("Email already in use").
func localize(c i18n.Catalog, lang string, m desk.Msg) string {
	switch m.Key {
	case "error.forbidden", "error.cannot_grant", "error.role_above":
		if len(m.Args) == 1 {
			if p, ok := m.Args[0].(string); ok && c.Has("perm."+p) {
				return c.T(lang, m.Key, c.T(lang, "perm."+p))
			}
		}
	case "error.exists":
		table := ""
		if len(m.Args) == 1 {
			s, _ := m.Args[0].(string)
			table, _, _ = strings.Cut(s, ".")
		}
		if key := "errors.page.exists_" + table; c.Has(key) {
			return c.T(lang, key)
		}
		return c.T(lang, "errors.page.exists")
	}
	return c.T(lang, m.Key, m.Args...)
}

// roleName is a role's name in lang: the built-in roles have words
// ("Team lead", not team_lead); an admin's own role keeps its name.
func roleName(c i18n.Catalog, lang, name string) string {
	if c.Has("people.role." + name) {
		return c.T(lang, "people.role."+name)
	}
	return name
}
