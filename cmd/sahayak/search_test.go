package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/store/storetest"
)

// sahayak search reindex rebuilds the index of a seeded desk with a progress
// bar on stderr and says so on stdout; a wrong subcommand says what to type.
func TestSearchReindexCommand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		cfg := b.Config(t)
		where := []string{"--data", t.TempDir()}
		if cfg.DatabaseURL != "" {
			where = []string{"--database-url", cfg.DatabaseURL}
		}
		if _, err := cli(t, "", append([]string{"seed", "--tickets", "300"}, where...)...); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		if err := run(context.Background(), append([]string{"search", "reindex"}, where...), strings.NewReader(""), &out, &errOut); err != nil {
			t.Fatalf("reindex: %v\n%s", err, errOut.String())
		}
		if !strings.Contains(out.String(), "search index rebuilt") || !strings.Contains(errOut.String(), "100%  300/300") {
			t.Errorf("reindex said %q, drew %q", out.String(), errOut.String())
		}
		if _, err := cli(t, "", "search", "rebuild"); err == nil || !strings.Contains(err.Error(), "reindex") {
			t.Errorf("a wrong subcommand: %v", err)
		}
	})
}
