// Package jsonenc appends JSON values exactly as encoding/json writes them
// (HTML characters escaped, invalid UTF-8 replaced), for the paths that
// write one shape very often — a ticket on every read, a million rows of a
// load — where encoding/json's reflection costs more than the rest of the
// work. Anything unusual falls back to encoding/json itself.
package jsonenc

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// String appends s as a JSON string.
func String(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c == 0xe2 || c == 0xef {
			// Escapes, and bytes that may start U+2028, U+2029 (0xe2)
			// or U+FFFD (0xef, written for invalid UTF-8): the rare
			// case, left to encoding/json.
			return marshalString(b, s)
		}
	}
	if !utf8.ValidString(s) {
		return marshalString(b, s)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func marshalString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}

// Int appends n.
func Int(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// OptionalInt appends *n, or null.
func OptionalInt(b []byte, n *int64) []byte {
	if n == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *n, 10)
}

// Time appends t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds, for years 0 to 9999).
func Time(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// OptionalTime appends *t, or null.
func OptionalTime(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return Time(b, *t)
}

// Strings appends a list of strings; nil is null, as encoding/json writes it.
func Strings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = String(b, s)
	}
	return append(b, ']')
}

// Map appends a map through encoding/json (keys sorted), and an empty one
// without the reflection.
func Map(b []byte, v map[string]any) ([]byte, error) {
	if v != nil && len(v) == 0 {
		return append(b, "{}"...), nil
	}
	q, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, q...), nil
}
