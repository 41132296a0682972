//go:build cgo && !purego

package store

import "testing"

func TestPositionalLeavesLiteralsAlone(t *testing.T) {
	for q, want := range map[string]string{
		"SELECT 1":                          "SELECT 1",
		"UPDATE t SET a = $2 WHERE id = $1": "UPDATE t SET a = ?2 WHERE id = ?1",
		"SELECT $1, '$1', \"$1\", [$1], $12 -- $1\n, $3": "SELECT ?1, '$1', \"$1\", [$1], ?12 -- $1\n, ?3",
		"SELECT 'it''s $1', $1 /* $2 */ , $name, $":      "SELECT 'it''s $1', ?1 /* $2 */ , $name, $",
		"SELECT json_extract(x, '$.a') FROM t WHERE $1":  "SELECT json_extract(x, '$.a') FROM t WHERE ?1",
		"SELECT 'unterminated $1":                        "SELECT 'unterminated $1",
	} {
		if got := positional(q); got != want {
			t.Errorf("positional(%q) = %q, want %q", q, got, want)
		}
	}
}
