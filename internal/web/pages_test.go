package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/sahayak/sahayak/internal/i18n"
)

// Every message key the pages name literally must be in the catalog, or the
// agent would see the bare key instead of words.
func TestPagesUseOnlyCatalogKeys(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`\{\{t "([a-z_.:]+)"`),          // templates
		regexp.MustCompile(`s\.tr\(r, "([a-z_.:]+)"`),      // sentences built in Go
		regexp.MustCompile(`Title: +"([a-z_]+\.[a-z_]+)"`), // page titles
	}
	files := map[string][]byte{}
	_ = fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files[path], _ = templateFS.ReadFile(path)
		}
		return nil
	})
	goFiles, _ := filepath.Glob("*.go")
	for _, name := range goFiles {
		files[name], _ = os.ReadFile(name)
	}
	seen := 0
	for name, b := range files {
		for _, re := range patterns {
			for _, m := range re.FindAllSubmatch(b, -1) {
				seen++
				if key := string(m[1]); !c.Has(key) {
					t.Errorf("%s uses %q, which is not in the catalog", name, key)
				}
			}
		}
	}
	if seen < 100 {
		t.Fatalf("found only %d keys; the patterns no longer match the pages", seen)
	}
}
