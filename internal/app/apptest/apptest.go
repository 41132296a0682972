// Package apptest serves a whole Sahayak in the test's process, for tests
// that need the real server on a real socket.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/sahayak/sahayak/internal/app"
)

// Serve opens the desk of cfg and serves it on a free loopback port until
// the test ends. It returns the app and the address it listens on.
func Serve(t testing.TB, cfg app.Config) (*app.App, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		a.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	return a, ln.Addr().String()
}
