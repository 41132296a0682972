package email

import (
	"bytes"
	"encoding/base64"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fields is a message's (or a part's) header fields by lower-case name, in
// their order, values unfolded but not decoded.
type Fields map[string][]string

// Get returns the first value of a field, "" when absent.
func (h Fields) Get(name string) string {
	if v := h[strings.ToLower(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Limits that keep a hostile message from costing more than reading it.
const (
	maxHeaderFields = 1000    // per entity; more are dropped with a warning
	maxHeaderBytes  = 1 << 20 // per entity
	maxDepth        = 12      // multipart nesting read; deeper parts are kept as attachments
	maxParts        = 500     // parts read per message
	maxIDs          = 100     // Message-IDs read from References
)

// splitEntity cuts an entity into its header section and body at the first
// empty line. A message with no empty line is all header when every line
// looks like a field, else all body. An mbox "From " line is skipped.
func splitEntity(raw []byte) (head, body []byte) {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		}
	}
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return raw, nil
		}
		line := raw[i : i+j]
		if len(bytes.TrimRight(line, "\r")) == 0 {
			return raw[:i], raw[i+j+1:]
		}
		i += j + 1
	}
	return raw, nil
}

// parseHeader reads header fields leniently: folded lines are joined, lines
// that are not fields are skipped with a warning, and past the limits the
// rest is dropped with a warning.
func parseHeader(head []byte, warn func(string)) Fields {
	h := Fields{}
	if len(head) > maxHeaderBytes {
		head = head[:maxHeaderBytes]
		warn("too_many_headers")
	}
	var name string
	var value strings.Builder
	n := 0
	flush := func() {
		if name != "" {
			h[name] = append(h[name], strings.TrimSpace(value.String()))
		}
		name = ""
		value.Reset()
	}
	for _, line := range bytes.Split(head, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if name != "" {
				value.Write(line) // unfolding keeps the whitespace
			}
			continue
		}
		flush()
		i := bytes.IndexByte(line, ':')
		if i <= 0 || !isFieldName(line[:i]) {
			warn("malformed_header")
			continue
		}
		if n++; n > maxHeaderFields {
			warn("too_many_headers")
			break
		}
		name = strings.ToLower(string(bytes.TrimSpace(line[:i])))
		value.Write(line[i+1:])
	}
	flush()
	return h
}

func isFieldName(b []byte) bool {
	b = bytes.TrimRight(b, " \t") // "Subject :" is seen in the wild
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 127 {
			return false
		}
	}
	return true
}

var encodedWordRE = regexp.MustCompile(`=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=`)

// decodeWords decodes RFC 2047 encoded words. Adjacent words of the same
// charset are joined as bytes before the charset is applied, so a character
// split across two words (as some clients do with UTF-8 and Shift_JIS)
// comes out whole; whitespace between encoded words is dropped, as the RFC
// says. Raw 8-bit text outside encoded words is read as UTF-8, else
// Windows-1252. ok is false when something could not be decoded as labelled.
func decodeWords(s string) (string, bool) {
	ok := true
	if !strings.Contains(s, "=?") {
		if utf8.ValidString(s) {
			return s, true
		}
		return fallback([]byte(s)), false
	}
	var out strings.Builder
	var pending []byte
	pendingCharset := ""
	flushPending := func() {
		if pendingCharset != "" {
			t, good := decodeCharset(pendingCharset, pending)
			ok = ok && good
			out.WriteString(t)
		}
		pending, pendingCharset = pending[:0], ""
	}
	last := 0
	for _, m := range encodedWordRE.FindAllStringSubmatchIndex(s, -1) {
		between := s[last:m[0]]
		if pendingCharset == "" || strings.TrimSpace(between) != "" {
			flushPending()
			if utf8.ValidString(between) {
				out.WriteString(between)
			} else {
				out.WriteString(fallback([]byte(between)))
			}
		}
		charset, enc, text := strings.ToLower(s[m[2]:m[3]]), s[m[4]:m[5]], s[m[6]:m[7]]
		if i := strings.IndexByte(charset, '*'); i >= 0 {
			charset = charset[:i]
		}
		var raw []byte
		if enc == "b" || enc == "B" {
			raw = decodeBase64([]byte(text))
		} else {
			raw = decodeQWord(text)
		}
		if pendingCharset != "" && pendingCharset != charset {
			flushPending()
		}
		pendingCharset = charset
		pending = append(pending, raw...)
		last = m[1]
	}
	flushPending()
	rest := s[last:]
	if utf8.ValidString(rest) {
		out.WriteString(rest)
	} else {
		out.WriteString(fallback([]byte(rest)))
	}
	return out.String(), ok
}

// decodeQWord decodes the Q encoding of RFC 2047 ("_" is a space).
func decodeQWord(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// decodeBase64 decodes leniently: characters outside the alphabet are
// skipped, decoding stops at padding, and a dangling last character is
// dropped — a damaged part yields what can be read.
func decodeBase64(b []byte) []byte {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '-':
			clean = append(clean, '+') // URL-safe alphabet, seen from some gateways
		case c == '_':
			clean = append(clean, '/')
		case c == '=':
			goto done
		}
	}
done:
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, err := base64.RawStdEncoding.Decode(out, clean)
	if err != nil {
		return out[:n]
	}
	return out[:n]
}

// cleanLine makes a header value safe to store and show on one line:
// valid UTF-8, no control characters (PostgreSQL refuses NUL), runs of
// white space as one space.
func cleanLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\uFEFF' {
			if r != '\uFEFF' && (unicode.IsSpace(r) || r == '\t') {
				space = b.Len() > 0
			}
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cleanText makes a body safe to store: valid UTF-8, line ends as "\n", no
// control characters but tab and newline, no byte-order mark.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\r':
			b.WriteByte('\n')
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\uFEFF':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Address is a mailbox of a header: a display name and an address.
type Address struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

var (
	angleAddrRE = regexp.MustCompile(`<\s*([^<>\s@]+@[^<>\s@]+)\s*>`)
	bareAddrRE  = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?`)
)

// parseAddresses reads an address list strictly when it can and leniently
// when it cannot: each comma-separated piece outside quotes gives the
// address in angle brackets (or a bare one) and the decoded text before it
// as the name. ok is false when the lenient reading was needed.
func parseAddresses(v string) ([]Address, bool) {
	if strings.TrimSpace(v) == "" {
		return nil, true
	}
	p := mail.AddressParser{WordDecoder: nil}
	strict := false
	if list, err := p.ParseList(v); err == nil {
		strict = true
		out := make([]Address, 0, len(list))
		for _, a := range list {
			name, _ := decodeWords(a.Name)
			out = append(out, Address{Name: cleanLine(name), Email: strings.ToLower(a.Address)})
		}
		// The strict parser decodes each encoded word alone; a name
		// split mid-character across words reads better from the raw text.
		if !strings.Contains(v, "=?") {
			return out, true
		}
	}
	var out []Address
	for _, piece := range splitOutsideQuotes(v) {
		var addr, name string
		if m := angleAddrRE.FindStringSubmatchIndex(piece); m != nil {
			addr, name = piece[m[2]:m[3]], piece[:m[0]]
		} else if m := bareAddrRE.FindStringIndex(piece); m != nil {
			addr = piece[m[0]:m[1]]
		} else {
			continue
		}
		name = strings.Trim(strings.TrimSpace(name), `"`)
		name = strings.ReplaceAll(name, `\"`, `"`)
		decoded, _ := decodeWords(name)
		out = append(out, Address{Name: cleanLine(decoded), Email: strings.ToLower(strings.TrimSpace(addr))})
	}
	return out, strict
}

// splitOutsideQuotes splits an address list at commas that are not inside
// a quoted string or angle brackets.
func splitOutsideQuotes(s string) []string {
	var out []string
	quoted, angle, start := false, 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			quoted = !quoted
		case '<':
			angle++
		case '>':
			if angle > 0 {
				angle--
			}
		case ',', ';':
			if !quoted && angle == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

var msgIDRE = regexp.MustCompile(`<([^<>]{1,900})>`)

// messageIDs reads the Message-IDs of a header value, without their angle
// brackets; a value without brackets counts as one id when it has no space.
func messageIDs(v string, max int) []string {
	var out []string
	for _, m := range msgIDRE.FindAllStringSubmatch(v, -1) {
		if id := cleanID(m[1]); id != "" && !containsStr(out, id) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		if id := cleanID(v); id != "" && !strings.ContainsAny(id, " \t") && len(id) <= 900 {
			out = append(out, id)
		}
	}
	if len(out) > max {
		out = out[len(out)-max:] // the most recent ancestors are last
	}
	return out
}

func cleanID(s string) string {
	s = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' {
			return -1
		}
		return r
	}, s)
	return strings.ToValidUTF8(s, "")
}

func containsStr(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
