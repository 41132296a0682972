package desk

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/i18n"
)

var verbRE = regexp.MustCompile(`%[-+# 0-9.]*[vdsqfxXtT]`)

// Every message the code gives desk.E or desk.M names a literal key that
// both catalogs hold, with as many arguments as the message has fmt verbs
// in each language. A message written as English text, a typo in a key or a
// forgotten argument fails here instead of showing a caller a bare key or
// "%!d(MISSING)".
func TestMessageKeysAreInTheCatalogs(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	seen := map[string]bool{}
	calls := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		inDesk := f.Name.Name == "desk"
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			keyAt := messageKeyArg(call, inDesk)
			if keyAt < 0 || keyAt >= len(call.Args) {
				return true
			}
			at := fset.Position(call.Pos())
			lit, ok := call.Args[keyAt].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				if !inDesk { // desk's own constructors pass their key on
					t.Errorf("%s: the message key is not a string literal, so it cannot be checked", at)
				}
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			calls++
			seen[key] = true
			args := len(call.Args) - keyAt - 1
			for _, lang := range i18n.Languages {
				msg, ok := c[lang][key]
				if !ok {
					t.Errorf("%s: %q is not in the %s catalog", at, key, lang)
					continue
				}
				if verbs := len(verbRE.FindAllString(msg, -1)); verbs != args && !call.Ellipsis.IsValid() {
					t.Errorf("%s: %q takes %d arguments in %s but is given %d", at, key, verbs, lang, args)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 100 {
		t.Fatalf("found only %d message calls; the scan no longer sees the code", calls)
	}
	t.Logf("%d calls use %d message keys", calls, len(seen))
}

// messageKeyArg returns the position of the key argument when call is
// desk.E (code, key, args...) or desk.M (key, args...), and -1 otherwise.
func messageKeyArg(call *ast.CallExpr, inDesk bool) int {
	var name string
	switch fn := call.Fun.(type) {
	case *ast.SelectorExpr:
		if x, ok := fn.X.(*ast.Ident); ok && x.Name == "desk" {
			name = fn.Sel.Name
		}
	case *ast.Ident:
		if inDesk {
			name = fn.Name
		}
	}
	switch name {
	case "E":
		return 1
	case "M":
		return 0
	}
	return -1
}
