package main

import (
	"context"
	"strings"
	"testing"
)

// Every command answers -h and --help with its usage and flags on stdout,
// and ends without error; a wrong flag is an error that says where help is.
func TestEveryCommandAnswersHelp(t *testing.T) {
	t.Parallel()
	commands := map[string][]string{
		"serve": {"serve"}, "migrate": {"migrate"}, "admin create": {"admin", "create"}, "token create": {"token", "create"},
		"seed": {"seed"}, "load": {"load"}, "backup": {"backup"}, "restore": {"restore"},
		"mail inject": {"mail", "inject"}, "mail reparse": {"mail", "reparse"},
	}
	for name, words := range commands {
		for _, flag := range []string{"-h", "--help"} {
			t.Run(name+" "+flag, func(t *testing.T) {
				var out, errOut strings.Builder
				err := run(context.Background(), append(append([]string{}, words...), flag), strings.NewReader(""), &out, &errOut)
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				got := out.String()
				if !strings.HasPrefix(got, "Usage: sahayak "+name+" [flags]") || !strings.Contains(got, commandHelp[name]) ||
					!strings.Contains(got, "-data") {
					t.Errorf("usage of %s:\n%s", name, got)
				}
			})
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"admin", "-h"}, {"token", "--help"}} {
		var out, errOut strings.Builder
		if err := run(context.Background(), args, strings.NewReader(""), &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "Usage: sahayak") {
			t.Errorf("%v: %v\n%s", args, err, out.String())
		}
	}
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"migrate", "--nope"}, strings.NewReader(""), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "sahayak migrate -h") {
		t.Errorf("a wrong flag: %v", err)
	}
	err = run(context.Background(), []string{"admin", "delete"}, strings.NewReader(""), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "sahayak admin create -h") {
		t.Errorf("a wrong subcommand: %v", err)
	}
}

// Validation errors read as words, not Go maps.
func TestCLIValidationInWords(t *testing.T) {
	t.Parallel()
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"admin", "create", "--data", t.TempDir(), "--email", "nope", "--name", "Asha"},
		strings.NewReader("short\n"), &out, &errOut)
	if err == nil || strings.Contains(err.Error(), "map[") || !strings.Contains(err.Error(), "Email: must be an email address") {
		t.Errorf("admin create with a bad email: %v", err)
	}
}
