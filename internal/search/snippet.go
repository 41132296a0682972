package search

import (
	"html"
	"strings"
	"unicode"
)

// snippetWords is how many words a snippet shows around the first match.
const snippetWords = 24

// Snippet returns a piece of text around the first word in marks, as HTML:
// the text escaped, each searched word wrapped in <mark>. Nothing of the text
// is ever markup, so a snippet is safe to show as it is.
func Snippet(text string, marks map[string]bool) string {
	sp := spans(text, 0)
	first := -1
	for i, x := range sp {
		if marks[fold(clip(text[x.start:x.end]))] {
			first = i
			break
		}
	}
	lo := max(first-snippetWords/3, 0)
	hi := min(lo+snippetWords, len(sp))
	if len(sp) == 0 {
		return html.EscapeString(cut(text, 200))
	}
	var b strings.Builder
	if lo > 0 {
		b.WriteString("… ")
	} else {
		b.WriteString(html.EscapeString(strings.TrimLeft(oneLine(text[:sp[0].start]), " ")))
	}
	from := sp[lo].start
	for i, x := range sp[lo:hi] {
		if i > 0 {
			b.WriteString(html.EscapeString(oneLine(text[from:x.start])))
		}
		w := text[x.start:x.end]
		if marks[fold(clip(w))] {
			b.WriteString("<mark>" + html.EscapeString(w) + "</mark>")
		} else {
			b.WriteString(html.EscapeString(w))
		}
		from = x.end
	}
	if hi < len(sp) {
		b.WriteString(" …")
	} else {
		b.WriteString(html.EscapeString(strings.TrimRight(oneLine(text[from:]), " ")))
	}
	return b.String()
}

// oneLine makes the gap between two words one line of at most a few
// characters: each run of white space or control characters one space.
func oneLine(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return cut(b.String(), 12)
}

// cut shortens s to at most n characters.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
