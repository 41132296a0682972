package idempotency

import (
	"strings"
	"testing"
)

func TestValidKey(t *testing.T) {
	for _, c := range []struct {
		key  string
		want bool
	}{
		{"3f2b8c1e-5d6a-4e0f-9a7b-1c2d3e4f5a6b", true},
		{"order-42:attempt-1", true},
		{strings.Repeat("k", MaxKeyLength), true},
		{"", false},
		{strings.Repeat("k", MaxKeyLength+1), false},
		{"with space", false},
		{"tab\there", false},
		{"कुंजी", false},
		{"nul\x00", false},
	} {
		if got := ValidKey(c.key); got != c.want {
			t.Errorf("ValidKey(%q) = %v, want %v", c.key, got, c.want)
		}
	}
}

func TestFingerprintCoversMethodPathAndBody(t *testing.T) {
	sum := func(method, uri, body string) string {
		f := NewFingerprint(method, uri)
		f.Write([]byte(body))
		return f.Sum()
	}
	base := sum("POST", "/api/v1/tickets", `{"subject":"a"}`)
	if base != sum("POST", "/api/v1/tickets", `{"subject":"a"}`) {
		t.Error("the same request gives another fingerprint")
	}
	for _, other := range []string{sum("POST", "/api/v1/tickets", `{"subject":"b"}`), sum("POST", "/api/v1/contacts", `{"subject":"a"}`),
		sum("PATCH", "/api/v1/tickets", `{"subject":"a"}`)} {
		if other == base {
			t.Error("another request gives the same fingerprint")
		}
	}
}
