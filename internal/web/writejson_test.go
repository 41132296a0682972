package web

import (
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

func TestWriteJSON(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		value      any
		wantStatus int
		wantBody   string
	}{
		{"a value is sent whole with its length", http.StatusCreated, map[string]any{"id": 7, "subject": "<b>"},
			http.StatusCreated, `{"id":7,"subject":"\u003cb\u003e"}` + "\n"},
		{"a value that cannot be encoded is a 500 with the internal code, not a cut-off 200", http.StatusOK,
			map[string]float64{"x": math.NaN()}, http.StatusInternalServerError, `{"error":{"code":"internal"}}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeJSON(rec, tc.status, tc.value)
			if rec.Code != tc.wantStatus || rec.Body.String() != tc.wantBody {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tc.wantStatus, tc.wantBody)
			}
			if got := rec.Header().Get("Content-Length"); got != strconv.Itoa(len(tc.wantBody)) {
				t.Fatalf("Content-Length %q for a body of %d bytes", got, len(tc.wantBody))
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json; charset=utf-8" {
				t.Fatalf("Content-Type %q", got)
			}
		})
	}
}
