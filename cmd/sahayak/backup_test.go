package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/app/apptest"
	"github.com/sahayak/sahayak/internal/backup"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// A backup taken while clients create tickets through the API restores to
// a desk that has every ticket acknowledged before the backup began, an
// event history that matches its tickets, and the attachment files; the
// restored desk starts and serves the same tokens. A restore refuses a
// target that is not empty unless forced.
func TestBackupUnderWriteLoadRestores(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		src := newDeskDir(t, b)
		srv := serveDesk(t, src)

		// A ticket with an attachment, then 8 clients creating tickets.
		first := srv.createTicket(t, "With a file")
		srv.attach(t, first, "logs.txt", "line 1\nline 2\n")
		var (
			mu     sync.Mutex
			acked  []int64
			failed error
		)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for c := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					id, err := srv.tryCreateTicket(fmt.Sprintf("Client %d ticket %d", c, n))
					mu.Lock()
					if err != nil && failed == nil {
						failed = err
					}
					if err == nil {
						acked = append(acked, id)
					}
					mu.Unlock()
				}
			}()
		}
		ackedCount := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
		for ackedCount() < 40 {
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		before := append([]int64{first}, acked...)
		mu.Unlock()

		t0 := time.Now()
		file := filepath.Join(t.TempDir(), "desk.backup")
		out, err := cli(t, "", append([]string{"backup", "--to", file}, src.where()...)...)
		duringBackup := ackedCount() - (len(before) - 1)
		close(stop)
		wg.Wait()
		if err != nil || !strings.Contains(out, "1 attachment files") {
			t.Fatalf("backup: %v %q", err, out)
		}
		if failed != nil {
			t.Fatalf("a client's create failed during the backup: %v", failed)
		}
		if duringBackup == 0 {
			t.Fatal("no ticket was created while the backup ran: not a backup under write load")
		}
		t.Logf("%d tickets acknowledged before the backup, %d while it ran (%s)", len(before), duringBackup, time.Since(t0))

		dst := newDeskDir(t, b)
		if out, err := cli(t, "", append([]string{"restore", "--from", file}, dst.where()...)...); err != nil {
			t.Fatalf("restore: %v %q", err, out)
		}
		if _, err := cli(t, "", append([]string{"restore", "--from", file}, dst.where()...)...); !errors.Is(err, backup.ErrNotEmpty) {
			t.Fatalf("a restore over a restored desk: %v, want a refusal", err)
		}
		if out, err := cli(t, "", append([]string{"restore", "--force", "--from", file}, dst.where()...)...); err != nil {
			t.Fatalf("forced restore: %v %q", err, out)
		}

		restored := serveDesk(t, dst)
		restored.token = srv.token // the tokens are restored too
		tickets := checkEventsMatchTickets(t, restored.app)
		for _, id := range before {
			if !tickets[id] {
				t.Fatalf("ticket %d was acknowledged before the backup and is not restored", id)
			}
			if id%7 == 0 || id == first {
				if got := restored.get(t, fmt.Sprintf("/api/v1/tickets/%d", id)); !strings.Contains(got, `"id":`) {
					t.Fatalf("restored server: ticket %d: %s", id, got)
				}
			}
		}
		var msgs struct {
			Messages []ticket.Message `json:"messages"`
		}
		if err := json.Unmarshal([]byte(restored.get(t, fmt.Sprintf("/api/v1/tickets/%d/messages", first))), &msgs); err != nil {
			t.Fatal(err)
		}
		var file0 int64
		for _, m := range msgs.Messages {
			for _, a := range m.Attachments {
				file0 = a.ID
			}
		}
		if got := restored.get(t, fmt.Sprintf("/api/v1/attachments/%d", file0)); got != "line 1\nline 2\n" {
			t.Fatalf("restored attachment %d = %q", file0, got)
		}
		restored.createTicket(t, "After the restore") // ids continue after the restored ones
	})
}

// checkEventsMatchTickets checks that every ticket has its created event and
// every ticket event a ticket, and answers the ticket ids.
func checkEventsMatchTickets(t *testing.T, a *app.App) map[int64]bool {
	t.Helper()
	ctx := context.Background()
	tickets := map[int64]bool{}
	f := ticket.Filter{Limit: 200}
	for {
		page, err := a.DB.Tickets(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range page.Tickets {
			tickets[tk.ID] = true
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	created := map[int64]bool{}
	for after := int64(0); ; {
		evs, err := a.DB.EventsAfter(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if e.TicketID != 0 && !tickets[e.TicketID] {
				t.Fatalf("event %d (%s) of ticket %d, which is not restored", e.ID, e.Kind, e.TicketID)
			}
			if e.Kind == event.TicketCreated {
				created[e.TicketID] = true
			}
			after = e.ID
		}
	}
	for id := range tickets {
		if !created[id] {
			t.Fatalf("ticket %d is restored without its created event", id)
		}
	}
	return tickets
}

// deskDir is where a test desk keeps its data.
type deskDir struct{ cfg app.Config }

func newDeskDir(t *testing.T, b storetest.Backend) deskDir {
	sc := b.Config(t)
	cfg := app.Config{DataDir: t.TempDir(), DatabaseURL: sc.DatabaseURL, JobPoll: 50 * time.Millisecond}
	return deskDir{cfg}
}

func (d deskDir) where() []string {
	w := []string{"--data", d.cfg.DataDir}
	if d.cfg.DatabaseURL != "" {
		w = append(w, "--database-url", d.cfg.DatabaseURL)
	}
	return w
}

type liveDesk struct {
	app   *app.App
	url   string
	token string
}

// serveDesk serves the desk in this process on a free port, with an API
// token of its first admin.
func serveDesk(t *testing.T, d deskDir) *liveDesk {
	t.Helper()
	ctx := context.Background()
	a, addr := apptest.Serve(t, d.cfg)
	if err := a.EnsureAdmin(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	l := &liveDesk{app: a, url: "http://" + addr}
	if admin, err := a.DB.AgentByEmail(ctx, "admin@localhost"); err == nil {
		l.token, _, err = a.Access.CreateToken(ctx, admin.ID, "backup test")
		if err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func (l *liveDesk) do(method, path, contentType string, body io.Reader) (int, string, error) {
	req, err := http.NewRequest(method, l.url+path, body)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func (l *liveDesk) tryCreateTicket(subject string) (int64, error) {
	body, _ := json.Marshal(map[string]any{"subject": subject, "body": "Printer on fire",
		"requester": map[string]string{"email": "meera@example.com", "name": "Meera"}})
	status, out, err := l.do("POST", "/api/v1/tickets", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	if status != http.StatusCreated {
		return 0, fmt.Errorf("create: %d %s", status, out)
	}
	var tk struct{ ID int64 }
	if err := json.Unmarshal([]byte(out), &tk); err != nil || tk.ID == 0 {
		return 0, fmt.Errorf("create: %v %s", err, out)
	}
	return tk.ID, nil
}

func (l *liveDesk) createTicket(t *testing.T, subject string) int64 {
	t.Helper()
	id, err := l.tryCreateTicket(subject)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (l *liveDesk) attach(t *testing.T, id int64, name, content string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("body", "Logs attached")
	fw, _ := w.CreateFormFile("files", name)
	_, _ = fw.Write([]byte(content))
	w.Close()
	status, out, err := l.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", id), w.FormDataContentType(), &buf)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("attach: %v %d %s", err, status, out)
	}
}

func (l *liveDesk) get(t *testing.T, path string) string {
	t.Helper()
	status, out, err := l.do("GET", path, "", nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET %s: %v %d %s", path, err, status, out)
	}
	return out
}
