package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/store/storetest"
)

// cli runs the command line in-process and returns stdout.
func cli(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

// The CLI contract other tools rely on: migrate, admin create with the
// password on stdin, token create printing the token alone on the last line.
func TestCLIContract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		cfg := b.Config(t)
		where := []string{"--data", t.TempDir()}
		if cfg.DatabaseURL != "" {
			where = []string{"--database-url", cfg.DatabaseURL}
		}
		out, err := cli(t, "", append([]string{"migrate"}, where...)...)
		if err != nil || !strings.Contains(out, "up to date") {
			t.Fatalf("migrate: %v %q", err, out)
		}
		if _, err := cli(t, "", append([]string{"migrate"}, where...)...); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		out, err = cli(t, "a long enough password\n", append([]string{"admin", "create", "--email", "Priya@Example.com",
			"--name", "Priya Sharma", "--role", "supervisor"}, where...)...)
		if err != nil || !strings.Contains(out, "supervisor priya@example.com") {
			t.Fatalf("admin create: %v %q", err, out)
		}
		if _, err := cli(t, "short\n", append([]string{"admin", "create", "--email", "x@example.com", "--name", "X",
			"--role", "agent"}, where...)...); err == nil || !strings.Contains(strings.ToLower(err.Error()), "password") {
			t.Fatalf("a short password must be refused, got %v", err)
		}
		if _, err := cli(t, "another long password\n", append([]string{"admin", "create", "--email", "priya@example.com",
			"--name", "Again", "--role", "agent"}, where...)...); err == nil {
			t.Fatal("a duplicate email must be refused")
		}
		out, err = cli(t, "", append([]string{"token", "create", "--email", "priya@example.com"}, where...)...)
		if err != nil {
			t.Fatalf("token create: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		token := lines[len(lines)-1]
		if !strings.HasPrefix(token, "shk_") || strings.ContainsAny(token, " \t") {
			t.Fatalf("the last line must be the token alone, got %q", token)
		}
		if _, err := cli(t, "", append([]string{"token", "create", "--email", "nobody@example.com"}, where...)...); err == nil {
			t.Fatal("a token for an unknown agent must be refused")
		}
	})
}

func TestCLIRefusesUnknownCommandsAndFlags(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"serve", "--no-such-flag"}, {"migrate", "extra"},
		{"admin"}, {"token", "delete"}, {"seed"}} {
		if _, err := cli(t, "", args...); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
	out, err := cli(t, "", "help")
	if err != nil || !strings.Contains(out, "Usage: sahayak") {
		t.Errorf("help: %v %q", err, out)
	}
}
