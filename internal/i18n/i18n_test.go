package i18n

import (
	"regexp"
	"slices"
	"testing"
)

var verbRE = regexp.MustCompile(`%(\[[0-9]+\])?[-+# 0-9.]*[vdsqfxXtT%]`)

// Every key exists in both languages, is translated (not left empty), and
// takes the same formatting arguments in both.
func TestCatalogsMatch(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(c["en"]) < 10 {
		t.Fatalf("English catalog has only %d messages", len(c["en"]))
	}
	for _, lang := range Languages[1:] {
		for k, en := range c["en"] {
			msg, ok := c[lang][k]
			if !ok || msg == "" {
				t.Errorf("%s: missing %q", lang, k)
				continue
			}
			// fmt fills verbs in order, so both languages need the same
			// verbs in the same order.
			if a, b := verbRE.FindAllString(en, -1), verbRE.FindAllString(msg, -1); !slices.Equal(a, b) {
				t.Errorf("%s: %q has verbs %v, English has %v", lang, k, b, a)
			}
		}
		for k := range c[lang] {
			if _, ok := c["en"][k]; !ok {
				t.Errorf("%s: %q is not in the English catalog", lang, k)
			}
		}
	}
}

func TestPick(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"hi-IN,hi;q=0.9,en;q=0.8", "hi"},
		{"en-US,en;q=0.9", "en"},
		{"fr-FR", "en"},
		{"", "en"},
		{"de, hi", "hi"},
	} {
		if got := Pick(tc.header); got != tc.want {
			t.Errorf("Pick(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestFallback(t *testing.T) {
	c := Catalog{"en": {"a": "Hello %s"}, "hi": {}}
	if got := c.T("hi", "a", "Ravi"); got != "Hello Ravi" {
		t.Errorf("fallback to English: got %q", got)
	}
	if got := c.T("hi", "missing.key"); got != "missing.key" {
		t.Errorf("missing key: got %q", got)
	}
}
