package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The generator reads both fixed-length and chunked answers, sends the token
// and bodies, and counts statuses other than the expected one as errors.
func TestRunCountsAnswers(t *testing.T) {
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		seen.Add(1)
		switch r.URL.Path {
		case "/big": // over net/http's buffer: sent chunked
			w.Write([]byte(strings.Repeat("x", 20000)))
		case "/echo":
			b := make([]byte, r.ContentLength)
			r.Body.Read(b)
			w.Write(b)
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		default:
			w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name   string
		req    Request
		want   int
		errors bool
	}{
		{"small", Request{Method: "GET", Path: "/"}, 200, false},
		{"chunked", Request{Method: "GET", Path: "/big"}, 200, false},
		{"body", Request{Method: "POST", Path: "/echo", Body: []byte(`{"a":1}`)}, 200, false},
		{"unexpected status", Request{Method: "GET", Path: "/teapot"}, 200, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen.Store(0)
			res, err := Run(context.Background(), Config{URLs: []string{srv.URL}, Token: "tok", Clients: 4,
				Duration: 200 * time.Millisecond, Want: tc.want, Next: func(int64) Request { return tc.req }})
			if err != nil {
				t.Fatal(err)
			}
			if tc.errors {
				if res.Requests != 0 || res.Errors == 0 || !strings.Contains(res.FirstFail, "418") {
					t.Fatalf("want only errors, got %s", res)
				}
				return
			}
			if res.Requests < 10 || res.Errors != 0 {
				t.Fatalf("got %s", res)
			}
			if seen.Load() < res.Requests {
				t.Fatalf("server saw %d authorized requests, client counted %d", seen.Load(), res.Requests)
			}
		})
	}
	if _, err := Run(context.Background(), Config{URLs: []string{"http://127.0.0.1:1", "ftp://x"}, Clients: 1, Duration: time.Second,
		Next: func(int64) Request { return Request{} }}); err == nil {
		t.Fatal("a non-http URL must be refused")
	}
}

// Several URLs (nodes of one desk) share the clients between them.
func TestRunSpreadsClientsOverServers(t *testing.T) {
	var seen [2]atomic.Int64
	var urls []string
	for i := range seen {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen[i].Add(1)
			w.Write([]byte("ok"))
		}))
		defer srv.Close()
		urls = append(urls, srv.URL)
	}
	res, err := Run(context.Background(), Config{URLs: urls, Clients: 4, Duration: 200 * time.Millisecond, Want: 200,
		Next: func(int64) Request { return Request{Method: "GET", Path: "/"} }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || seen[0].Load() == 0 || seen[1].Load() == 0 || seen[0].Load()+seen[1].Load() < res.Requests {
		t.Fatalf("got %s; servers saw %d and %d", res, seen[0].Load(), seen[1].Load())
	}
}
