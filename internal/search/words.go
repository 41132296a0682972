package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxWords is how many words of one text are indexed: enough for any
// message a person writes, and within PostgreSQL's positions (16,383).
const MaxWords = 10000

// wordRune says whether r belongs inside a word: letters, digits, private
// use, and marks. Marks matter for Indic scripts: Devanagari vowel signs and
// the virama are marks, and a tokenizer that splits at them cuts "समर्थन"
// into pieces one of which is "समर". SQLite's FTS5 is configured with the
// same categories (unicode61 categories 'L* N* Co M*').
func wordRune(r rune) bool {
	if r < utf8.RuneSelf { // most text of most desks: no table lookups
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || unicode.Is(unicode.Co, r)
}

// span is a word's place in a text, in bytes.
type span struct{ start, end int }

// spans finds the words of s, at most max (0: all).
func spans(s string, max int) []span {
	var out []span
	start := -1
	for i, r := range s {
		if r == utf8.RuneError {
			r = ' '
		}
		if wordRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, span{start, i})
			start = -1
			if max > 0 && len(out) == max {
				return out
			}
		}
	}
	if start >= 0 {
		out = append(out, span{start, len(s)})
	}
	return out
}

// fold is how a word is compared: lowercased, nothing else (no stemming, no
// accent folding, on either database).
func fold(w string) string { return strings.ToLower(w) }

// Words returns the words of s as the index holds them, at most MaxWords.
func Words(s string) []string {
	sp := spans(s, MaxWords)
	out := make([]string, len(sp))
	for i, x := range sp {
		out[i] = fold(clip(s[x.start:x.end]))
	}
	return out
}

// maxWordBytes bounds one word: PostgreSQL refuses lexemes over 2 KiB, and
// nobody searches for a word that long.
const maxWordBytes = 200

// clip cuts w to maxWordBytes at a character boundary.
func clip(w string) string {
	if len(w) <= maxWordBytes {
		return w
	}
	n := maxWordBytes
	for n > 0 && !utf8.RuneStart(w[n]) {
		n--
	}
	return w[:n]
}
