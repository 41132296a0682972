package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// A request whose client hung up is not an internal error: nothing is
// logged, and the metrics count it as 499 (client closed request), not 500.
func TestClientThatHungUpIsNotAnInternalError(t *testing.T) {
	var logged bytes.Buffer
	reg := prometheus.NewRegistry()
	s, err := New(Deps{Log: slog.New(slog.NewTextHandler(&logged, nil)), Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{})
	rt := Route{Method: "GET", Path: "/api/v1/slow", API: true, Permission: "public"}
	h := s.metrics.wrap("GET /api/v1/slow", s.authorize(rt, func(w http.ResponseWriter, r *http.Request) error {
		close(entered)
		<-r.Context().Done() // a query interrupted by the client's leaving
		return fmt.Errorf("list tickets: %w", r.Context().Err())
	}))
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/slow", nil)
	go func() { <-entered; cancel() }()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("the request was not cancelled")
	}
	<-done
	if strings.Contains(logged.String(), "internal error") {
		t.Errorf("a client's hang-up was logged as an internal error:\n%s", logged.String())
	}
	if n := requestCount(t, s, "500"); n != 0 {
		t.Errorf("counted as 500: %v", n)
	}
	if n := requestCount(t, s, "499"); n != 1 {
		t.Errorf("counted as 499: %v, want 1", n)
	}
}

func requestCount(t *testing.T, s *Server, status string) float64 {
	var m dto.Metric
	if err := s.metrics.requests.WithLabelValues("GET /api/v1/slow", status).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
