package email

import (
	"bytes"
	"mime"
	"regexp"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/ticket"
)

// File is a file of a message: an attachment, or an inline image that the
// HTML body refers to by Content-ID.
type File struct {
	Filename    string
	ContentType string
	ContentID   string // without angle brackets; "" when none
	Inline      bool
	Data        []byte
}

// walker reads the MIME tree of one message within the limits, collecting
// the bodies, the files and what was wrong.
type walker struct {
	text, html []string
	files      []File
	parts      int
	warn       func(string)
}

var boundaryRE = regexp.MustCompile(`(?i)boundary\s*=\s*"?([^";\r\n]+)"?`)

// mediaType reads a Content-Type leniently: a value Go cannot parse still
// gives its type/subtype and boundary.
func mediaType(v string, warn func(string)) (string, map[string]string) {
	if strings.TrimSpace(v) == "" {
		return "text/plain", map[string]string{}
	}
	mt, params, err := mime.ParseMediaType(v)
	if err == nil {
		return mt, params
	}
	warn("bad_content_type")
	t := strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
	if !strings.Contains(t, "/") || strings.ContainsAny(t, " \t") {
		t = "application/octet-stream"
		if strings.HasPrefix(t, "text") {
			t = "text/plain"
		}
	}
	if params == nil {
		params = map[string]string{}
	}
	if m := boundaryRE.FindStringSubmatch(v); m != nil {
		params["boundary"] = strings.TrimSpace(m[1])
	}
	if _, ok := params["charset"]; !ok {
		if m := regexp.MustCompile(`(?i)charset\s*=\s*"?([A-Za-z0-9_.:-]+)`).FindStringSubmatch(v); m != nil {
			params["charset"] = m[1]
		}
	}
	return t, params
}

// entity reads one entity (the message or a part) at a depth.
func (w *walker) entity(h Fields, body []byte, depth int) {
	if w.parts++; w.parts > maxParts {
		if w.parts == maxParts+1 {
			w.warn("too_many_parts")
		}
		return
	}
	mt, params := mediaType(h.Get("content-type"), w.warn)
	disposition, dparams := "", map[string]string{}
	if v := h.Get("content-disposition"); v != "" {
		var err error
		if disposition, dparams, err = mime.ParseMediaType(v); err != nil {
			disposition = strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
			dparams = map[string]string{}
			if m := regexp.MustCompile(`(?i)filename\s*=\s*"?([^";]+)"?`).FindStringSubmatch(v); m != nil {
				dparams["filename"] = m[1]
			}
		}
	}
	cte := strings.ToLower(strings.TrimSpace(h.Get("content-transfer-encoding")))
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= maxDepth {
			w.warn("too_deep")
			w.file(h, mt, params, "attachment", dparams, body)
			return
		}
		b := params["boundary"]
		if b == "" {
			w.warn("no_boundary")
			w.leaf(h, "text/plain", params, disposition, dparams, decodeTransfer(cte, body, w.warn))
			return
		}
		if cte == "base64" || cte == "quoted-printable" {
			body = decodeTransfer(cte, body, w.warn) // not allowed, but sent by some gateways
		}
		parts, closed := splitMultipart(body, b)
		if !closed {
			w.warn("unclosed_multipart")
		}
		for _, p := range parts {
			head, pbody := splitEntity(p)
			if len(head) > 0 && bytes.IndexByte(head, ':') < 0 {
				// A part that starts with its body (no header).
				head, pbody = nil, p
			}
			w.entity(parseHeader(head, w.warn), pbody, depth+1)
			if w.parts > maxParts {
				return
			}
		}
		return
	}
	w.leaf(h, mt, params, disposition, dparams, decodeTransfer(cte, body, w.warn))
}

// leaf takes a decoded single part as a body or a file.
func (w *walker) leaf(h Fields, mt string, params map[string]string, disposition string, dparams map[string]string, data []byte) {
	named := dparams["filename"] != "" || params["name"] != ""
	if (mt == "text/plain" || mt == "text/html") && disposition != "attachment" && !(named && disposition == "inline" && mt != "text/plain" && mt != "text/html") {
		s, ok := decodeCharset(params["charset"], data)
		if !ok {
			w.warn("bad_charset")
		}
		if mt == "text/html" {
			w.html = append(w.html, s)
		} else {
			w.text = append(w.text, s)
		}
		return
	}
	w.file(h, mt, params, disposition, dparams, data)
}

func (w *walker) file(h Fields, mt string, params map[string]string, disposition string, dparams map[string]string, data []byte) {
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	name, _ = decodeWords(name) // Outlook and Gmail put RFC 2047 words in quoted parameters
	name = ticket.CleanFilename(cleanLine(name))
	if name == "" || name == "file" {
		name = "attachment-" + strconv.Itoa(len(w.files)+1) + extensionOf(mt)
		if mt == "message/rfc822" {
			name = "message-" + strconv.Itoa(len(w.files)+1) + ".eml"
		}
	}
	cid := cleanID(strings.TrimSpace(h.Get("content-id")))
	w.files = append(w.files, File{Filename: name, ContentType: ticket.ContentType(mt, name), ContentID: cid,
		Inline: disposition == "inline" || (disposition == "" && cid != ""), Data: data})
}

func extensionOf(mt string) string {
	if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}

// splitMultipart cuts a multipart body into its parts at the boundary
// lines; closed is false when the closing delimiter never came (the parts
// read so far are kept).
func splitMultipart(body []byte, boundary string) (parts [][]byte, closed bool) {
	delim := []byte("--" + boundary)
	start := -1
	for i := 0; i < len(body); {
		j := bytes.IndexByte(body[i:], '\n')
		end := len(body)
		if j >= 0 {
			end = i + j
		}
		line := bytes.TrimRight(body[i:end], " \t\r")
		if bytes.HasPrefix(line, delim) {
			rest := line[len(delim):]
			isClose := bytes.Equal(rest, []byte("--"))
			if len(rest) == 0 || isClose {
				if start >= 0 {
					parts = append(parts, trimLineEnd(body[start:i]))
				}
				if isClose {
					return parts, true
				}
				start = end + 1
			}
		}
		if j < 0 {
			break
		}
		i = end + 1
	}
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:])
	}
	return parts, false
}

// trimLineEnd drops the line break that belongs to the next delimiter.
func trimLineEnd(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// decodeTransfer undoes a Content-Transfer-Encoding, leniently.
func decodeTransfer(cte string, b []byte, warn func(string)) []byte {
	switch cte {
	case "base64":
		return decodeBase64(b)
	case "quoted-printable":
		return decodeQP(b)
	case "", "7bit", "8bit", "binary":
		return b
	}
	warn("unknown_transfer_encoding")
	return b
}

// decodeQP decodes quoted-printable: soft line breaks joined, =XX bytes
// decoded, a stray "=" kept as it is, trailing white space of lines dropped.
func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '=' && i+2 < len(b)+0 && i+2 <= len(b)-1 && isHex(b[i+1]) && isHex(b[i+2]):
			out = append(out, unhex(b[i+1])<<4|unhex(b[i+2]))
			i += 2
		case c == '=':
			// A soft line break: "=" then optional white space then a line end.
			k := i + 1
			for k < len(b) && (b[k] == ' ' || b[k] == '\t') {
				k++
			}
			if k < len(b) && b[k] == '\r' {
				k++
			}
			if k < len(b) && b[k] == '\n' {
				i = k
				continue
			}
			if k >= len(b) {
				i = k
				continue
			}
			out = append(out, c)
		case c == ' ' || c == '\t':
			k := i
			for k < len(b) && (b[k] == ' ' || b[k] == '\t') {
				k++
			}
			if k < len(b) && (b[k] == '\r' || b[k] == '\n') {
				i = k - 1 // white space at the end of a line was added in transport
				continue
			}
			out = append(out, b[i:k]...)
			i = k - 1
		default:
			out = append(out, c)
		}
	}
	return out
}
