package web_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
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
