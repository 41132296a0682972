package kb

import (
	"bytes"
	"html"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Renderer turns an article's Markdown into the HTML readers see. Markdown
// is rendered without raw HTML (goldmark leaves it out), then the result is
// sanitized by an allow-list, so neither a script, an event handler nor a
// javascript: link survives, whatever an author (or a stolen session) wrote.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
	text   *bluemonday.Policy
}

// NewRenderer builds the Markdown renderer and its sanitizer.
func NewRenderer() *Renderer {
	p := bluemonday.UGCPolicy()
	// Readers' pages: links leave the page, not the reader's session.
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	// No id or name: they could shadow the page's own elements.
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[a-zA-Z0-9_+-]+$`)).OnElements("code")
	return &Renderer{md: goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify)),
		policy: p, text: bluemonday.StrictPolicy()}
}

// HTML renders Markdown to sanitized HTML.
func (r *Renderer) HTML(markdown string) (string, error) {
	var b bytes.Buffer
	if err := r.md.Convert([]byte(markdown), &b); err != nil {
		return "", err
	}
	return r.policy.Sanitize(b.String()), nil
}

// Text is rendered HTML as plain text, words one space apart: what search
// and suggestions read.
func (r *Renderer) Text(renderedHTML string) string {
	// Block ends become spaces, so words of two paragraphs stay apart.
	s := strings.NewReplacer("</p>", " </p>", "</li>", " </li>", "</h1>", " </h1>", "</h2>", " </h2>", "</h3>", " </h3>",
		"</td>", " </td>", "<br>", " ", "</pre>", " </pre>").Replace(renderedHTML)
	return strings.Join(strings.Fields(html.UnescapeString(r.text.Sanitize(s))), " ")
}
