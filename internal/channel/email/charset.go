package email

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
)

// decodeCharset turns bytes in a declared charset into UTF-8. ok is false
// when the charset was unknown or the bytes were not what it declared; the
// text is then read as UTF-8 where valid, else as Windows-1252 (what
// unlabelled 8-bit mail mostly is), so something readable always comes out.
func decodeCharset(label string, b []byte) (s string, ok bool) {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	if i := strings.IndexByte(label, '*'); i >= 0 { // RFC 2231 language suffix
		label = label[:i]
	}
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "us_ascii", "ansi_x3.4-1968", "unicode-1-1-utf-8":
		if utf8.Valid(b) {
			return string(b), true
		}
		return fallback(b), label == "" // unlabelled 8-bit is common and no fault of ours
	case "utf-16", "utf16", "ucs-2":
		return decodeWith(utf16Of(b), b)
	case "utf-16le":
		return decodeWith(unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), b)
	case "utf-16be":
		return decodeWith(unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), b)
	case "iso-8859-15", "latin-9", "latin9", "iso8859-15", "iso_8859-15":
		return decodeWith(charmap.ISO8859_15, b)
	}
	enc, err := htmlindex.Get(label)
	if err != nil || enc == nil {
		if enc, err = ianaindex.MIME.Encoding(label); err != nil || enc == nil {
			return fallback(b), false
		}
	}
	return decodeWith(enc, b)
}

func decodeWith(enc encoding.Encoding, b []byte) (string, bool) {
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return fallback(b), false
	}
	return string(out), true
}

// utf16Of picks the byte order of UTF-16 text: by its byte-order mark, else
// by where the zero bytes of ASCII-range characters fall, else big-endian
// as RFC 2781 says.
func utf16Of(b []byte) encoding.Encoding {
	if len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	}
	var even, odd int
	for i := 0; i+1 < len(b) && i < 4096; i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	if odd > even {
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	}
	return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
}

// fallback reads bytes of no (or a wrong) charset: UTF-8 where valid,
// Windows-1252 otherwise.
func fallback(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}
