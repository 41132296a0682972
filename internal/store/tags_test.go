package store

import (
	"encoding/json"
	"slices"
	"testing"
)

// The fast path must read every tags value exactly as encoding/json does.
func TestParseTagsMatchesJSON(t *testing.T) {
	for _, tags := range [][]string{{}, {"vip"}, {"billing", "refund"}, {`say "hi"`}, {`back\slash`}, {"हिंदी", "ग्राहक"},
		{`a","b`}, {"x", ""}} {
		b, _ := json.Marshal(tags)
		got, err := parseTags(string(b))
		if err != nil || !slices.Equal(got, tags) {
			t.Errorf("parseTags(%s) = %q, %v; want %q", b, got, err, tags)
		}
	}
	if _, err := parseTags(`["broken`); err == nil {
		t.Error("malformed tags must be an error")
	}
}
