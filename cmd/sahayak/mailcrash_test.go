package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Killing the server (SIGKILL) in the middle of taking in mail loses
// nothing and duplicates nothing: the real binary receives mail over SMTP
// from four clients, is killed after some of it was acknowledged, starts
// again, and every message is delivered once more (as a sending MTA retries
// what it was not told 250 for, and sometimes what it was). Afterwards each
// message is on exactly one ticket, and no received message is left
// unfinished.
func TestMailSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := sahayakBinary(t)
	data := filepath.Join(dir, "data")
	ctx := context.Background()
	cfg := app.Config{DataDir: data}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	addr := "support@acme.test"
	if _, err := a.Mail.Create(app.SystemContext(ctx), email.Input{Address: &addr}); err != nil {
		t.Fatal(err)
	}
	a.Close()

	const total = 400
	message := func(i int) string {
		return fmt.Sprintf("From: Customer %d <c%d@example.in>\r\nTo: support@acme.test\r\nSubject: crash-%d\r\n"+
			"Message-ID: <crash-%d@example.in>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nसंदेश %d\r\n", i, i%50, i, i, i)
	}
	smtpAddr := freeAddr(t)
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--smtp-addr", smtpAddr, "--data", data)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			c, err := net.Dial("tcp", smtpAddr)
			if err == nil {
				c.Close()
				return cmd
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("the SMTP receiver did not come up")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	deliver := func(from, to int, acked *atomic.Int64) {
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := from + w; i < to; i += 4 {
					c, err := smtp.Dial(smtpAddr)
					if err != nil {
						return // the server is gone
					}
					err = c.SendMail(fmt.Sprintf("c%d@example.in", i%50), []string{"support@acme.test"}, strings.NewReader(message(i)))
					c.Close()
					if err == nil && acked != nil {
						acked.Add(1)
					}
				}
			}(w)
		}
		wg.Wait()
	}

	cmd := start()
	var acked atomic.Int64
	done := make(chan struct{})
	go func() { deliver(0, total, &acked); close(done) }()
	for acked.Load() < total/4 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no cleanup
		t.Fatal(err)
	}
	_ = cmd.Wait()
	<-done
	t.Logf("%d of %d acknowledged before the kill", acked.Load(), total)
	if acked.Load() >= total {
		t.Fatal("the kill came too late to test anything")
	}

	cmd = start()
	deliver(0, total, nil) // everything again: the unacknowledged and the duplicates
	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait()

	a, err = app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	sys := app.SystemContext(ctx)
	if n, err := a.Mail.Recover(sys, 0); err != nil || n != 0 {
		t.Errorf("unfinished messages after the restart: %d (%v)", n, err)
	}
	seen := map[string]int{}
	f := ticket.Filter{Limit: 100}
	for {
		page, err := a.Tickets.List(sys, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range page.Tickets {
			seen[tk.Subject]++
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	for i := 0; i < total; i++ {
		if n := seen[fmt.Sprintf("crash-%d", i)]; n != 1 {
			t.Errorf("crash-%d is on %d tickets", i, n)
		}
	}
	if len(seen) != total {
		t.Errorf("%d distinct tickets, want %d", len(seen), total)
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
