package search

import (
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
)

// Limits of one query: longer ones are refused with a clear 400 rather than
// made into statements the index takes long to run.
const (
	MaxQueryLength = 500 // characters
	MaxPhrases     = 16
)

// Parsed is what an agent typed, taken apart.
type Parsed struct {
	Must, Not [][]string
	// Fields are the field:value terms, by field; values as typed.
	Fields map[string][]string
}

// fields are the names field:value understands. Anything else with a colon
// is searched as words ("ratio 3:4", "http://…").
var fields = map[string]string{
	"status": "status", "tag": "tag", "from": "from", "type": "type",
	"assignee": "assignee_id", "assignee_id": "assignee_id", "team": "team_id", "team_id": "team_id",
	"org": "organization_id", "organization": "organization_id", "organization_id": "organization_id",
}

// Parse reads the query language: words, "quoted phrases", -word and
// -"phrase" to exclude, and field:value (status:open, tag:billing,
// from:asha@example.com, type:contact, team:3, assignee:7, org:2). A quote
// left open runs to the end; a lone "-" or ":" is no term. Words are found
// as the index finds them (see Words), so punctuation inside a term makes it
// a phrase: "asha@x.com" is the phrase "asha x com".
func Parse(q string) (Parsed, error) {
	p := Parsed{Fields: map[string][]string{}}
	if n := len([]rune(q)); n > MaxQueryLength {
		return p, desk.Invalid(desk.Fields{"q": desk.M("invalid.search_too_long", MaxQueryLength)})
	}
	for rest := strings.TrimSpace(q); rest != ""; rest = strings.TrimSpace(rest) {
		neg := false
		if rest[0] == '-' {
			neg, rest = true, rest[1:]
		}
		var term string
		quoted := strings.HasPrefix(rest, `"`)
		if quoted {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				term, rest = rest[1:], ""
			} else {
				term, rest = rest[1:1+end], rest[2+end:]
			}
		} else {
			end := strings.IndexAny(rest, " \t\r\n\"")
			if end < 0 {
				end = len(rest)
			}
			term, rest = rest[:end], rest[end:]
		}
		if !quoted && !neg {
			if name, value, ok := strings.Cut(term, ":"); ok {
				if f, known := fields[strings.ToLower(name)]; known {
					value = strings.Trim(value, `"`)
					if value == "" && strings.HasPrefix(rest, `"`) { // status:"on hold"
						end := strings.IndexByte(rest[1:], '"')
						if end < 0 {
							value, rest = rest[1:], ""
						} else {
							value, rest = rest[1:1+end], rest[2+end:]
						}
					}
					if value = strings.TrimSpace(value); value != "" {
						p.Fields[f] = append(p.Fields[f], value)
					}
					continue
				}
			}
		}
		words := Words(term)
		if len(words) == 0 {
			continue
		}
		if neg {
			p.Not = append(p.Not, words)
		} else {
			p.Must = append(p.Must, words)
		}
	}
	if len(p.Must)+len(p.Not) > MaxPhrases {
		return p, desk.Invalid(desk.Fields{"q": desk.M("invalid.search_too_many", MaxPhrases)})
	}
	return p, nil
}

// ParseDate reads a date (2026-11-29) or a time (RFC 3339); a date given as
// the end of a range means the end of that day.
func ParseDate(s string, end bool) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, false
	}
	if end {
		t = t.Add(24*time.Hour - time.Microsecond)
	}
	return t, true
}
