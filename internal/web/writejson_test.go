package web

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/ticket"
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

// A page of the ticket list is written as encoding/json would write it.
func TestTicketPageJSON(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	team := int64(3)
	two := []*ticket.Ticket{
		{ID: 1, Subject: "भुगतान <विफल>", Tags: []string{"upi"}, CustomFields: map[string]any{}, CreatedAt: now, UpdatedAt: now},
		{ID: 2, Subject: "Login", TeamID: &team, Tags: []string{}, CustomFields: map[string]any{"n": 1.5}, CreatedAt: now, UpdatedAt: now},
	}
	for _, page := range []*ticket.Page{{Tickets: two, NextCursor: "MTIz.NA"}, {Tickets: two[:1]}, {Tickets: []*ticket.Ticket{}}, {}} {
		var want struct {
			Tickets    []*ticket.Ticket `json:"tickets"`
			NextCursor *string          `json:"next_cursor"`
		}
		want.Tickets = page.Tickets
		if page.NextCursor != "" {
			want.NextCursor = &page.NextCursor
		}
		w, _ := json.Marshal(want)
		got, err := ticketPage{page}.AppendJSON(nil)
		if err != nil || string(got) != string(w) {
			t.Errorf("page:\n got %s (%v)\nwant %s", got, err, w)
		}
	}
}
