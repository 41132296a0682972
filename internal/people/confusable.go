package people

import (
	"strings"
	"unicode"
)

// Lookalike and invisible text. An address or a name can be made to look
// like another: a Cyrillic "а" in a Latin word, a zero-width space, a
// right-to-left override that shows "moc.evil" as "live.com". Addresses must
// keep each part (the local part and every domain label) in one script, as
// Unicode's "highly restrictive" identifier profile (UTS #39) allows, and
// hold no format characters; names may use any script but no text-direction
// controls or invisible characters, except the joiners that Indic and
// Arabic writing needs.

// mixedScripts reports whether the letters of s come from more than one
// script, counting Japanese (Han with kana), Chinese (Han with Bopomofo) and
// Korean (Han with Hangul), each with Latin, as one.
func mixedScripts(s string) bool {
	seen := map[string]bool{}
	for _, r := range s {
		if r < 0x80 {
			if unicode.IsLetter(r) {
				seen["Latin"] = true
			}
			continue
		}
		if name := scriptOf(r); name != "" {
			seen[name] = true
		}
	}
	if len(seen) <= 1 {
		return false
	}
	for _, allowed := range [][]string{
		{"Latin", "Han", "Hiragana", "Katakana"},
		{"Latin", "Han", "Bopomofo"},
		{"Latin", "Han", "Hangul"},
	} {
		within := true
		for name := range seen {
			if !contains(allowed, name) {
				within = false
				break
			}
		}
		if within {
			return false
		}
	}
	return true
}

// scriptOf names the script of r, or "" for characters every script
// shares (digits, punctuation, combining marks that inherit their base's).
func scriptOf(r rune) string {
	if unicode.Is(unicode.Common, r) || unicode.Is(unicode.Inherited, r) {
		return ""
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lookalikeEmail reports whether a parsed address holds a format character
// or mixes scripts within its local part or within a domain label.
func lookalikeEmail(addr string) bool {
	if strings.IndexFunc(addr, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) >= 0 {
		return true
	}
	local, domain, _ := strings.Cut(addr, "@")
	if mixedScripts(local) {
		return true
	}
	for _, label := range strings.Split(domain, ".") {
		if mixedScripts(label) {
			return true
		}
	}
	return false
}

// joiningScripts are the scripts whose spelling uses the zero-width joiner
// and non-joiner (Devanagari conjuncts, Arabic letter forms).
var joiningScripts = []*unicode.RangeTable{unicode.Devanagari, unicode.Bengali, unicode.Gurmukhi, unicode.Gujarati,
	unicode.Oriya, unicode.Tamil, unicode.Telugu, unicode.Kannada, unicode.Malayalam, unicode.Sinhala,
	unicode.Arabic, unicode.Syriac}

// invisibleIn reports whether a name holds a format character (category
// Cf: text-direction controls and isolates, zero-width spaces, soft hyphens,
// byte-order marks) other than a joiner after a letter of a joining script.
func invisibleIn(s string) bool {
	var prev rune
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) {
			if (r != '\u200c' && r != '\u200d') || !unicode.IsOneOf(joiningScripts, prev) {
				return true
			}
		}
		prev = r
	}
	return false
}
