package ticket

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"

	"github.com/sahayak/sahayak/internal/desk"
)

// sanitizer allows the formatting people write in replies and nothing that
// runs: no scripts, styles, event handlers or javascript: URLs.
var sanitizer = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	// A mail's inline images: LinkInline points them at their attachments.
	p.AllowURLSchemes("cid")
	return p
}()

// idNameRE matches an id or name attribute as the sanitizer writes them
// (lower-case name, value in double quotes). Only inside a tag can it match:
// the sanitizer escapes every quote of text as &#34;.
var idNameRE = regexp.MustCompile(` (?:id|name)="[^"]*"`)

// sanitize cleans HTML and then drops id and name attributes, which the
// UGC policy keeps but which could collide with the app's own elements on
// the page that shows the message.
func sanitize(raw string) string {
	return idNameRE.ReplaceAllString(sanitizer.Sanitize(raw), "")
}

// cidRE matches a "cid:" URL in an attribute as the sanitizer writes it.
var cidRE = regexp.MustCompile(`="cid:([^"]*)"`)

// AttachmentURL is where an attachment is downloaded (with the reader's
// permission on its ticket checked there).
func AttachmentURL(id int64) string { return "/api/v1/attachments/" + strconv.FormatInt(id, 10) }

// LinkInline rewrites the "cid:" references of sanitized HTML to the URLs of
// the attachments with those Content-IDs (exactly, else ignoring case, as
// some clients change it); references to no attachment stay as they are
// (a broken image, never a request elsewhere).
func LinkInline(clean string, atts []Attachment) string {
	if !strings.Contains(clean, "cid:") {
		return clean
	}
	byID := map[string]int64{}
	for _, a := range atts {
		if a.ContentID != "" && a.ID != 0 {
			if _, ok := byID[a.ContentID]; !ok {
				byID[a.ContentID] = a.ID
			}
			if _, ok := byID[strings.ToLower(a.ContentID)]; !ok {
				byID[strings.ToLower(a.ContentID)] = a.ID
			}
		}
	}
	if len(byID) == 0 {
		return clean
	}
	return cidRE.ReplaceAllStringFunc(clean, func(m string) string {
		ref := html.UnescapeString(cidRE.FindStringSubmatch(m)[1])
		if u, err := url.PathUnescape(ref); err == nil {
			ref = u
		}
		ref = strings.Trim(ref, "<> ")
		id, ok := byID[ref]
		if !ok {
			id, ok = byID[strings.ToLower(ref)]
		}
		if !ok {
			return m
		}
		return `="` + AttachmentURL(id) + `"`
	})
}

var (
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
	blankRE = regexp.MustCompile(`\n{3,}`)
)

// Body validates a message body given as text, HTML or both and returns the
// text and sanitized HTML. When only text is given the HTML is derived from
// it; when only HTML is given the text is derived from the sanitized HTML.
func Body(text, rawHTML string) (string, string, desk.Msg) {
	if !utf8.ValidString(text) || !utf8.ValidString(rawHTML) {
		return "", "", desk.M("invalid.utf8")
	}
	text = strings.ReplaceAll(strings.TrimSpace(text), "\r\n", "\n")
	var clean string
	if strings.TrimSpace(rawHTML) != "" {
		clean = sanitize(rawHTML)
		if text == "" {
			text = htmlToText(clean)
		}
	}
	if text == "" {
		return "", "", desk.M("invalid.required")
	}
	if utf8.RuneCountInString(text) > MaxBody || len(clean) > 4*MaxBody {
		return "", "", desk.M("invalid.too_long")
	}
	if clean == "" {
		clean = textToHTML(text)
	}
	return text, clean, desk.Msg{}
}

func textToHTML(text string) string {
	var b strings.Builder
	for i, para := range strings.Split(text, "\n\n") {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

func htmlToText(h string) string {
	h = strings.NewReplacer("<br>", "\n", "<br/>", "\n", "<br />", "\n", "</p>", "\n\n", "</div>", "\n", "</li>", "\n").Replace(h)
	t := html.UnescapeString(tagRE.ReplaceAllString(h, ""))
	return strings.TrimSpace(blankRE.ReplaceAllString(t, "\n\n"))
}

var mentionRE = regexp.MustCompile(`(?:^|[\s(])@([A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})`)

// mentions returns the ids of the active agents @mentioned by email in a body.
func (s *Service) mentions(ctx context.Context, body string) ([]int64, error) {
	var emails []string
	for _, m := range mentionRE.FindAllStringSubmatch(body, 20) {
		emails = append(emails, strings.ToLower(m[1]))
	}
	if len(emails) == 0 {
		return nil, nil
	}
	agents, err := s.dir.AgentsByEmail(ctx, emails)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, a := range agents {
		if a.Active {
			ids = append(ids, a.ID)
		}
	}
	return ids, nil
}
