package email

import (
	"regexp"
	"strings"
	"time"
)

// Split is a mail body cut where the new text ends: what the writer wrote,
// then the quoted history and the signature, kept so they can be shown on
// request.
type Split struct {
	Reply     string
	Quoted    string
	Signature string
}

// Lines that begin the quoted history in the clients customers use. They
// are matched line by line, after the new text, never as the first line.
var quoteHeads = []*regexp.Regexp{
	// Gmail, Apple Mail, Thunderbird: "On <date>, <name> wrote:" (also split
	// over two lines by a client's wrapping), and their usual translations.
	regexp.MustCompile(`(?i)^(on|le|am|el|il|op|em)\s.{0,200}(wrote|écrit|schrieb|escribió|scritto|schreef|escreveu)\s*:?\s*$`),
	regexp.MustCompile(`^.{0,200}(लिखा|ने लिखा)\s*:?\s*$`),
	// Outlook: a rule of dashes or underscores, or its block of headers.
	regexp.MustCompile(`(?i)^-{2,}\s*(original message|forwarded message|ursprüngliche nachricht|message d'origine)\s*-{2,}\s*$`),
	regexp.MustCompile(`^_{10,}\s*$`),
	regexp.MustCompile(`(?i)^(from|von|de|प्रेषक)\s*:\s.+$`),
}

var sigDash = regexp.MustCompile(`^-- ?$`)

// Phone clients' stock signatures, which end the new text.
var mobileSig = regexp.MustCompile(`(?i)^(sent from my .{1,40}|get outlook for .{1,40}|sent from (mail|yahoo mail) for .{1,40})$`)

// SplitReply cuts a plain-text mail body into the new text, the quoted
// history and the signature. It errs on the side of keeping text visible:
// nothing before the first non-empty line is ever folded, and an Outlook
// "From:" line only starts the history when a "Sent:" or "Date:" line
// follows within three lines.
func SplitReply(body string) Split {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	lines := strings.Split(body, "\n")
	seen := false
	cut, sig := -1, -1
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if !seen {
			seen = true
			if !strings.HasPrefix(t, ">") {
				continue
			}
		}
		if sig < 0 && (sigDash.MatchString(strings.TrimRight(l, " \t")) || mobileSig.MatchString(t)) {
			sig = i
			continue
		}
		if strings.HasPrefix(t, ">") && quotedToEnd(lines[i:]) {
			cut = i
			break
		}
		if isQuoteHead(lines, i) {
			cut = i
			break
		}
	}
	var s Split
	end := len(lines)
	if cut >= 0 {
		s.Quoted = strings.TrimSpace(strings.Join(lines[cut:], "\n"))
		end = cut
	}
	if sig >= 0 && sig < end {
		s.Signature = strings.TrimSpace(strings.Join(lines[sig:end], "\n"))
		end = sig
	}
	s.Reply = strings.TrimRight(strings.Join(lines[:end], "\n"), " \t\n")
	if strings.TrimSpace(s.Reply) == "" {
		// A body that is all quote (a bare forward) shows as it came.
		return Split{Reply: strings.TrimSpace(body)}
	}
	return s
}

func isQuoteHead(lines []string, i int) bool {
	t := strings.TrimSpace(lines[i])
	for k, re := range quoteHeads {
		if !re.MatchString(t) {
			continue
		}
		if k == len(quoteHeads)-1 { // "From:" needs its Outlook companions
			for j := i + 1; j < len(lines) && j <= i+3; j++ {
				n := strings.ToLower(strings.TrimSpace(lines[j]))
				if strings.HasPrefix(n, "sent:") || strings.HasPrefix(n, "date:") || strings.HasPrefix(n, "gesendet:") ||
					strings.HasPrefix(n, "envoyé :") || strings.HasPrefix(n, "भेजा गया:") {
					return true
				}
			}
			return false
		}
		return true
	}
	// "On Mon, 3 Nov 2026 at 10:02, Priya <p@example.in>" + "wrote:" on the next line.
	if i+1 < len(lines) && len(t) < 200 && strings.HasPrefix(strings.ToLower(t), "on ") &&
		strings.EqualFold(strings.TrimSpace(lines[i+1]), "wrote:") {
		return true
	}
	return false
}

// quotedToEnd reports whether the lines from here on are quotes and blank
// lines, up to a signature if any: a quote interleaved with new answers is
// not history and stays visible.
func quotedToEnd(lines []string) bool {
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, ">") {
			continue
		}
		return sigDash.MatchString(strings.TrimRight(l, " \t")) || mobileSig.MatchString(t)
	}
	return true
}

// QuoteForReply is the history an outgoing reply carries: the previous
// message only, itself without its quoted history, under an attribution
// line, every line prefixed with "> ". Each mail thus quotes one message,
// not the whole thread again.
func QuoteForReply(author string, at time.Time, body string) string {
	prev := SplitReply(body).Reply
	if strings.TrimSpace(prev) == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString("On " + at.UTC().Format("Mon, 2 Jan 2006 at 15:04 MST") + ", " + CleanHeaderText(author, 120) + " wrote:\n")
	for _, l := range strings.Split(prev, "\n") {
		if l == "" {
			b.WriteString(">\n")
			continue
		}
		b.WriteString("> " + l + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
