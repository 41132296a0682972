package jsonenc

import (
	"encoding/json"
	"testing"
	"time"
)

func TestStringAndTimeAsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "भुगतान विफल हुआ", `quote " and \ back`, "<b>&amp;</b>", "tab\tnew\nline\x01",
		"line\u2028sep\u2029", "bad \xff utf-8", "replacement \ufffd", "– dash “quotes”", "emoji 🙂", "\x7f del"} {
		want, _ := json.Marshal(s)
		if got := String(nil, s); string(got) != string(want) {
			t.Errorf("String(%q) = %s, want %s", s, got, want)
		}
	}
	ist := time.FixedZone("IST", 5*3600+1800)
	for _, tm := range []time.Time{time.Unix(0, 0).UTC(), time.Date(2026, 11, 23, 21, 33, 47, 123456789, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 120000000, ist), time.Date(1999, 12, 31, 23, 59, 59, 1000, time.UTC)} {
		want, _ := json.Marshal(tm)
		if got := Time(nil, tm); string(got) != string(want) {
			t.Errorf("Time(%v) = %s, want %s", tm, got, want)
		}
	}
}
