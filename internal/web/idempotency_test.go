package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/idempotency"
	"github.com/sahayak/sahayak/internal/web"
)

// A POST sent again with the same Idempotency-Key does its work once: the
// same request replays the first answer, another request with the key is
// 422, and a request whose first attempt still runs is 409.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		post := func(as, key, path string, body any) response {
			t.Helper()
			dd := *d
			dd.t = t
			return dd.send("POST", path, http.Header{"Authorization": {"Bearer " + d.Tokens[as]}, "Idempotency-Key": {key}}, body)
		}
		count := func(t *testing.T) int {
			t.Helper()
			return d.mustCall(200, "GET", "/api/v1/tickets?limit=100", "ada", nil).get("tickets.#").(int)
		}
		create := `{"subject":"Refund","body":"Twice charged","requester":{"email":"r@x.test"}}`

		t.Run("a retry creates one ticket and replays the first answer", func(t *testing.T) {
			first := post("ada", "retry-1", "/api/v1/tickets", create)
			again := post("ada", "retry-1", "/api/v1/tickets", create)
			if first.Status != 201 || again.Status != 201 {
				t.Fatalf("statuses %d, %d\n%s\n%s", first.Status, again.Status, first.Raw, again.Raw)
			}
			if !bytes.Equal(first.Raw, again.Raw) || first.Header.Get("Location") != again.Header.Get("Location") {
				t.Errorf("the replay differs:\n%s %s\n%s %s", first.Header.Get("Location"), first.Raw, again.Header.Get("Location"), again.Raw)
			}
			if first.Header.Get("Idempotent-Replayed") != "" || again.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("Idempotent-Replayed: first %q, again %q", first.Header.Get("Idempotent-Replayed"), again.Header.Get("Idempotent-Replayed"))
			}
			if n := count(t); n != 1 {
				t.Errorf("%d tickets, want 1", n)
			}
		})
		t.Run("the key with another body is 422 and writes nothing", func(t *testing.T) {
			r := post("ada", "retry-1", "/api/v1/tickets", strings.Replace(create, "Refund", "Other", 1))
			if r.Status != 422 || r.errorCode() != "idempotency_key_reused" {
				t.Errorf("%d %s, want 422 idempotency_key_reused", r.Status, r.Raw)
			}
			if r := post("ada", "retry-1", "/api/v1/contacts", `{"name":"C","email":"c@x.test"}`); r.Status != 422 {
				t.Errorf("the key on another path: %d %s, want 422", r.Status, r.Raw)
			}
			if n := count(t); n != 1 {
				t.Errorf("%d tickets, want 1", n)
			}
		})
		t.Run("keys belong to their caller", func(t *testing.T) {
			if r := post("sunil", "retry-1", "/api/v1/tickets", create); r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "" {
				t.Errorf("another caller's key: %d %s", r.Status, r.Raw)
			}
			if n := count(t); n != 2 {
				t.Errorf("%d tickets, want 2", n)
			}
		})
		t.Run("a refused request frees its key", func(t *testing.T) {
			if r := post("ada", "fix-and-retry", "/api/v1/tickets", `{"subject":"","body":"x","requester":{"email":"r@x.test"}}`); r.Status != 400 {
				t.Fatalf("%d %s, want 400", r.Status, r.Raw)
			}
			if r := post("ada", "fix-and-retry", "/api/v1/tickets", create); r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "" {
				t.Errorf("the fixed request: %d %s, want a fresh 201", r.Status, r.Raw)
			}
		})
		t.Run("a bad key is 400 naming the header", func(t *testing.T) {
			before := count(t)
			for _, key := range []string{"", "with space", strings.Repeat("k", 256), "कुंजी"} {
				r := post("ada", key, "/api/v1/tickets", create)
				if r.Status != 400 || r.str("error.fields.Idempotency-Key") == "" {
					t.Errorf("key %q: %d %s, want 400 naming Idempotency-Key", key, r.Status, r.Raw)
				}
			}
			if n := count(t); n != before {
				t.Errorf("%d tickets, want %d", n, before)
			}
		})
		t.Run("concurrent duplicates create one ticket", func(t *testing.T) {
			before := count(t)
			var wg sync.WaitGroup
			statuses := make(chan int, 20)
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, _ := http.NewRequest("POST", d.URL+"/api/v1/tickets", strings.NewReader(create))
					req.Header.Set("Authorization", "Bearer "+d.Tokens["ada"])
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Idempotency-Key", "burst")
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					statuses <- res.StatusCode
				}()
			}
			wg.Wait()
			close(statuses)
			for s := range statuses {
				if s != 201 && s != 409 {
					t.Errorf("status %d, want 201 (first or replay) or 409 (first still running)", s)
				}
			}
			if n := count(t); n != before+1 {
				t.Errorf("%d tickets, want %d", n, before+1)
			}
			if r := post("ada", "burst", "/api/v1/tickets", create); r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("after the burst: %d %q", r.Status, r.Header.Get("Idempotent-Replayed"))
			}
		})
		t.Run("a reply with attachments is kept once", func(t *testing.T) {
			tid := id(d.mustCreateTicket("ada", nil).id("id"))
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			mw.WriteField("body", "See the log")
			fw, _ := mw.CreateFormFile("files", "log.txt")
			fw.Write(bytes.Repeat([]byte("line\n"), 300_000)) // 1.5 MB: spooled to a file
			mw.Close()
			h := http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]}, "Idempotency-Key": {"reply-1"},
				"Content-Type": {mw.FormDataContentType()}}
			for i := range 2 {
				dd := *d
				dd.t = t
				if r := dd.send("POST", "/api/v1/tickets/"+tid+"/messages", h, body.Bytes()); r.Status != 201 {
					t.Fatalf("attempt %d: %d %s", i, r.Status, r.Raw)
				}
			}
			ms := d.mustCall(200, "GET", "/api/v1/tickets/"+tid+"/messages", "ada", nil)
			if n := ms.get("messages.#"); n != 2 { // the opening message and one reply
				t.Errorf("%v messages, want 2\n%s", n, ms.Raw)
			}
		})
	})
}

// brokenKeys is the idempotency store of a node that dies at a chosen
// moment: right after claiming a key, or between the request's write and
// storing its answer.
type brokenKeys struct {
	idempotency.Store
	afterClaim, beforeAnswer bool
}

// errNodeDied is what the client of a node that died gets; a coded error,
// so that the answer stays within what the API documents.
var errNodeDied = desk.E(desk.EKEYINFLIGHT, "error.idempotency_key_in_use")

func (b brokenKeys) ClaimIdempotencyKey(ctx context.Context, rec idempotency.Record, staleBefore time.Time) (*idempotency.Record, error) {
	held, err := b.Store.ClaimIdempotencyKey(ctx, rec, staleBefore)
	if err == nil && held == nil && b.afterClaim {
		return nil, errNodeDied
	}
	return held, err
}

func (b brokenKeys) FinishIdempotencyKey(ctx context.Context, rec idempotency.Record) error {
	if b.beforeAnswer {
		return errNodeDied
	}
	return b.Store.FinishIdempotencyKey(ctx, rec)
}

// keysNode serves d's database as one more node with the given idempotency
// store and clock.
func (d *testDesk) keysNode(t *testing.T, keys idempotency.Store, clock desk.Clock) *testDesk {
	t.Helper()
	srv, err := web.New(web.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Tickets: d.Tickets, People: d.People,
		Access: d.Access, Notifications: d.DB, Idempotency: keys, Blobs: blob.New(t.TempDir()),
		Bus: event.NewBus(), DB: d.DB, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	n := *d
	n.t, n.URL = t, hs.URL
	return &n
}

// A node can die between claiming a key and the request's write, or between
// the write and storing its answer. Once the claim is stale (5 minutes), a
// retry runs again only in the first case; in the second the write is
// marked on the claim in its own commit, so the retry is told its answer was
// lost instead of creating a second ticket.
func TestIdempotencyKeySurvivesANodeDying(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		clock := &laterClock{}
		retry := d.keysNode(t, d.DB, clock)
		post := func(n *testDesk, key, subject string) response {
			t.Helper()
			return n.send("POST", "/api/v1/tickets", http.Header{"Authorization": {"Bearer " + d.Tokens["ada"]},
				"Idempotency-Key": {key}}, map[string]any{"subject": subject, "body": "b", "requester": map[string]any{"email": "r@x.test"}})
		}
		count := func(subject string) int {
			t.Helper()
			n := 0
			for _, tk := range d.mustCall(200, "GET", "/api/v1/tickets?limit=100", "ada", nil).get("tickets").([]any) {
				if tk.(map[string]any)["subject"] == subject {
					n++
				}
			}
			return n
		}

		// Died after the write, before the answer was stored.
		dying := d.keysNode(t, brokenKeys{Store: d.DB, beforeAnswer: true}, clock)
		if r := post(dying, "after-write", "Written once"); r.Status != 201 {
			t.Fatalf("first attempt: %d %s", r.Status, r.Raw)
		}
		if r := post(retry, "after-write", "Written once"); r.Status != 409 || r.errorCode() != "idempotency_key_in_use" {
			t.Errorf("retry at once: %d %s, want 409 idempotency_key_in_use", r.Status, r.Raw)
		}
		// Died after the claim, before any write.
		dead := d.keysNode(t, brokenKeys{Store: d.DB, afterClaim: true}, clock)
		if r := post(dead, "before-write", "Written after the retry"); r.Status != 409 {
			t.Fatalf("first attempt on the dying node: %d %s, want its 409", r.Status, r.Raw)
		}
		if r := post(retry, "before-write", "Written after the retry"); r.Status != 409 {
			t.Errorf("retry while the claim is fresh: %d %s, want 409", r.Status, r.Raw)
		}

		clock.skip(idempotency.Stale + time.Minute)
		r := post(retry, "after-write", "Written once")
		if r.Status != 409 || r.errorCode() != "idempotency_key_in_use" || !strings.Contains(r.str("error.message"), "answer was lost") {
			t.Errorf("retry of a written request after its node died: %d %s, want 409 saying the answer was lost", r.Status, r.Raw)
		}
		if n := count("Written once"); n != 1 {
			t.Errorf("%d tickets from one Idempotency-Key whose answer was lost, want 1", n)
		}
		if r := post(retry, "before-write", "Written after the retry"); r.Status != 201 {
			t.Errorf("retry of a request that wrote nothing after its node died: %d %s, want 201", r.Status, r.Raw)
		}
		if r := post(retry, "before-write", "Written after the retry"); r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("its replay: %d %s", r.Status, r.Raw)
		}
		if n := count("Written after the retry"); n != 1 {
			t.Errorf("%d tickets, want 1", n)
		}
	})
}
