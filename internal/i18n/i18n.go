// Package i18n holds the message catalogs of every user-visible string, in
// English and Hindi, and looks messages up by key. Catalogs are JSON files
// embedded in the binary; a test keeps the two languages' keys identical.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

//go:embed catalog/*.json
var files embed.FS

// Languages the product ships, default first.
var Languages = []string{"en", "hi"}

// Catalog maps language → key → message. Messages may hold fmt verbs.
type Catalog map[string]map[string]string

// Load reads the embedded catalogs.
func Load() (Catalog, error) {
	c := Catalog{}
	for _, lang := range Languages {
		b, err := files.ReadFile("catalog/" + lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", lang, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", lang, err)
		}
		c[lang] = m
	}
	return c, nil
}

// T returns the message for key in lang, falling back to English and then
// to the key itself (so a missing message shows, rather than breaking a page).
func (c Catalog) T(lang, key string, args ...any) string {
	msg, ok := c[lang][key]
	if !ok {
		if msg, ok = c["en"][key]; !ok {
			msg = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Has reports whether key exists in the English catalog.
func (c Catalog) Has(key string) bool {
	_, ok := c["en"][key]
	return ok
}

// Pick returns the supported language that best matches an Accept-Language
// header, or English.
func Pick(acceptLanguage string) string {
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		for _, l := range Languages {
			if base == l {
				return l
			}
		}
	}
	return "en"
}

// builtin parses the embedded catalogs once. They never change while the
// program runs, so every package may share them; a broken catalog yields an
// empty one here (messages show their keys) and fails Load at start-up.
var builtin = sync.OnceValue(func() Catalog {
	c, err := Load()
	if err != nil {
		return Catalog{}
	}
	return c
})

// Builtin returns the catalogs built into the binary, for code that formats
// messages outside a request (errors in logs, English defaults).
func Builtin() Catalog { return builtin() }
