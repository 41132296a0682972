// Package training owns the team's learning: courses of ordered modules
// (Markdown, links, quizzes), their assignment to agents and teams with due
// dates, progress, server-scored quizzes, certifications that expire and
// are assigned again, reminders, course suggestions from the QA criteria an
// agent fails most, and periodic performance reviews. It knows nothing of
// HTTP or SQL.
package training

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"

	"github.com/sahayak/sahayak/internal/desk"
)

// Course is what agents learn: modules in order, passed when every module
// is done (read, or its quiz passed at PassMark percent). A certification
// (ValidDays above 0) expires that many days after completion and is then
// assigned again.
type Course struct {
	ID          int64  `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// Criteria are the scorecard criterion keys the course teaches; an
	// agent who fails them is offered the course.
	Criteria  []string  `json:"criteria"`
	PassMark  int       `json:"pass_mark"`
	ValidDays int       `json:"valid_days"`
	Modules   []Module  `json:"modules"`
	Active    bool      `json:"active"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CurrentVersion is the course's version, for ETags.
func (c *Course) CurrentVersion() int64 { return c.Version }

// Module is one step of a course. Key is stable across edits (progress is
// kept by it); the service gives new modules one.
type Module struct {
	Key       string     `json:"key"`
	Title     string     `json:"title"`
	Body      string     `json:"body"` // Markdown
	Links     []Link     `json:"links"`
	Questions []Question `json:"questions"`
}

// HasQuiz reports whether the module is done by passing a quiz rather
// than by reading.
func (m *Module) HasQuiz() bool { return len(m.Questions) > 0 }

// Link points at further reading: a knowledge-base article or any page.
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Question is a quiz question; more than one correct option makes it a
// multiple-answer question, answered right only by choosing exactly those.
type Question struct {
	Text    string   `json:"text"`
	Options []string `json:"options"`
	Correct []int    `json:"correct,omitempty"`
}

// Multiple reports whether the question takes several answers.
func (q *Question) Multiple() bool { return len(q.Correct) > 1 }

// Module returns the course's module with key.
func (c *Course) Module(key string) (*Module, bool) {
	for i := range c.Modules {
		if c.Modules[i].Key == key {
			return &c.Modules[i], true
		}
	}
	return nil, false
}

// WithoutAnswers is the course as a learner sees it: no correct options.
func (c *Course) WithoutAnswers() *Course {
	out := *c
	out.Modules = make([]Module, len(c.Modules))
	for i, m := range c.Modules {
		qs := make([]Question, len(m.Questions))
		for j, q := range m.Questions {
			qs[j] = Question{Text: q.Text, Options: q.Options}
		}
		m.Questions = qs
		out.Modules[i] = m
	}
	return &out
}

const (
	maxTitle     = 200
	maxBody      = 50000
	maxModules   = 50
	maxQuestions = 30
	maxOptions   = 10
	maxLinks     = 20
	maxCriteria  = 20
	maxValidDays = 3650
)

func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

// Validate checks a course and gives new modules their keys. A quiz
// question without a correct option, or with one out of range, is refused.
func (c *Course) Validate() error {
	f := desk.Fields{}
	c.Title, c.Description = strings.TrimSpace(c.Title), strings.TrimSpace(c.Description)
	switch {
	case c.Title == "":
		f["title"] = desk.M("invalid.required")
	case tooLong(c.Title, maxTitle):
		f["title"] = desk.M("invalid.too_long")
	}
	if tooLong(c.Description, 2000) {
		f["description"] = desk.M("invalid.too_long")
	}
	if c.PassMark < 1 || c.PassMark > 100 {
		f["pass_mark"] = desk.M("training.invalid.pass_mark")
	}
	if c.ValidDays < 0 || c.ValidDays > maxValidDays {
		f["valid_days"] = desk.M("training.invalid.valid_days", maxValidDays)
	}
	crit := []string{}
	for _, k := range c.Criteria {
		if k = strings.TrimSpace(k); k != "" && !slices.Contains(crit, k) {
			crit = append(crit, k)
		}
	}
	c.Criteria = crit
	if len(c.Criteria) > maxCriteria {
		f["criteria"] = desk.M("invalid.at_most", maxCriteria)
	}
	if c.Modules == nil {
		c.Modules = []Module{}
	}
	if len(c.Modules) > maxModules {
		f["modules"] = desk.M("invalid.at_most", maxModules)
	}
	keys := map[string]bool{}
	for i := range c.Modules {
		m := &c.Modules[i]
		m.Key = strings.TrimSpace(m.Key)
		if m.Key != "" {
			if keys[m.Key] {
				f[fmt.Sprintf("modules[%d].key", i)] = desk.M("training.invalid.duplicate_key")
			}
			keys[m.Key] = true
		}
		validateModule(m, fmt.Sprintf("modules[%d]", i), f)
	}
	if len(f) > 0 {
		return desk.Invalid(f)
	}
	for i := range c.Modules {
		if c.Modules[i].Key == "" {
			c.Modules[i].Key = nextKey(keys)
		}
	}
	return nil
}

// nextKey is the first "mN" not taken.
func nextKey(taken map[string]bool) string {
	for n := 1; ; n++ {
		k := "m" + strconv.Itoa(n)
		if !taken[k] {
			taken[k] = true
			return k
		}
	}
}

func validateModule(m *Module, at string, f desk.Fields) {
	m.Title = strings.TrimSpace(m.Title)
	switch {
	case m.Title == "":
		f[at+".title"] = desk.M("invalid.required")
	case tooLong(m.Title, maxTitle):
		f[at+".title"] = desk.M("invalid.too_long")
	}
	if tooLong(m.Body, maxBody) {
		f[at+".body"] = desk.M("invalid.too_long")
	}
	if m.Links == nil {
		m.Links = []Link{}
	}
	if len(m.Links) > maxLinks {
		f[at+".links"] = desk.M("invalid.at_most", maxLinks)
	}
	for j := range m.Links {
		l := &m.Links[j]
		l.Title, l.URL = strings.TrimSpace(l.Title), strings.TrimSpace(l.URL)
		if !linkAllowed(l.URL) {
			f[fmt.Sprintf("%s.links[%d].url", at, j)] = desk.M("training.invalid.link")
		}
		if l.Title == "" {
			l.Title = l.URL
		}
		if tooLong(l.Title, maxTitle) {
			f[fmt.Sprintf("%s.links[%d].title", at, j)] = desk.M("invalid.too_long")
		}
	}
	if m.Questions == nil {
		m.Questions = []Question{}
	}
	if len(m.Questions) > maxQuestions {
		f[at+".questions"] = desk.M("invalid.at_most", maxQuestions)
	}
	for j := range m.Questions {
		validateQuestion(&m.Questions[j], fmt.Sprintf("%s.questions[%d]", at, j), f)
	}
}

func validateQuestion(q *Question, at string, f desk.Fields) {
	q.Text = strings.TrimSpace(q.Text)
	if q.Text == "" {
		f[at+".text"] = desk.M("invalid.required")
	} else if tooLong(q.Text, 2000) {
		f[at+".text"] = desk.M("invalid.too_long")
	}
	if len(q.Options) < 2 || len(q.Options) > maxOptions {
		f[at+".options"] = desk.M("training.invalid.options", maxOptions)
	}
	for k := range q.Options {
		q.Options[k] = strings.TrimSpace(q.Options[k])
		if q.Options[k] == "" || tooLong(q.Options[k], 500) {
			f[fmt.Sprintf("%s.options[%d]", at, k)] = desk.M("invalid.required")
		}
	}
	if len(q.Correct) == 0 {
		f[at+".correct"] = desk.M("training.invalid.no_correct")
		return
	}
	slices.Sort(q.Correct)
	q.Correct = slices.Compact(q.Correct)
	for _, k := range q.Correct {
		if k < 0 || k >= len(q.Options) {
			f[at+".correct"] = desk.M("training.invalid.correct_range")
		}
	}
}

// linkAllowed takes http(s) URLs and paths on this desk (a knowledge-base
// article), nothing that runs.
func linkAllowed(s string) bool {
	if s == "" || tooLong(s, 2000) {
		return false
	}
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Grade scores answers (one list of chosen option indexes per question) in
// percent: a question counts when exactly its correct options are chosen.
// right says which did.
func Grade(qs []Question, answers [][]int) (score float64, right []bool, err error) {
	if len(answers) != len(qs) {
		return 0, nil, desk.Invalid(desk.Fields{"answers": desk.M("training.invalid.answer_count", len(qs))})
	}
	f := desk.Fields{}
	right = make([]bool, len(qs))
	n := 0
	for i, q := range qs {
		chosen := slices.Clone(answers[i])
		slices.Sort(chosen)
		chosen = slices.Compact(chosen)
		for _, k := range chosen {
			if k < 0 || k >= len(q.Options) {
				f[fmt.Sprintf("answers[%d]", i)] = desk.M("training.invalid.answer_option")
			}
		}
		if len(chosen) == 0 {
			f[fmt.Sprintf("answers[%d]", i)] = desk.M("training.invalid.unanswered")
		}
		if !q.Multiple() && len(chosen) > 1 {
			f[fmt.Sprintf("answers[%d]", i)] = desk.M("training.invalid.one_answer")
		}
		if slices.Equal(chosen, q.Correct) {
			right[i] = true
			n++
		}
	}
	if len(f) > 0 {
		return 0, nil, desk.Invalid(f)
	}
	if len(qs) == 0 {
		return 100, right, nil
	}
	return float64(n*10000/len(qs)) / 100, right, nil
}

// ParseQuiz reads questions from the editor's plain text: a line starting
// with "?" opens a question, "*" adds a correct option, "-" a wrong one.
// Blank lines are ignored; anything else is an error naming its line.
func ParseQuiz(src string) ([]Question, error) {
	qs := []Question{}
	for i, line := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		mark, rest := line[:1], strings.TrimSpace(line[1:])
		switch {
		case mark == "?":
			qs = append(qs, Question{Text: rest, Options: []string{}, Correct: []int{}})
		case (mark == "*" || mark == "-") && len(qs) > 0:
			q := &qs[len(qs)-1]
			if mark == "*" {
				q.Correct = append(q.Correct, len(q.Options))
			}
			q.Options = append(q.Options, rest)
		default:
			return nil, desk.Invalid(desk.Fields{"quiz": desk.M("training.invalid.quiz_line", i+1)})
		}
	}
	return qs, nil
}

// QuizText writes questions back in ParseQuiz's form.
func QuizText(qs []Question) string {
	var b strings.Builder
	for i, q := range qs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("? " + q.Text + "\n")
		for k, o := range q.Options {
			if slices.Contains(q.Correct, k) {
				b.WriteString("* ")
			} else {
				b.WriteString("- ")
			}
			b.WriteString(o + "\n")
		}
	}
	return b.String()
}

// ParseLinks reads links from the editor: one a line, "title | URL" or a
// bare URL.
func ParseLinks(src string) []Link {
	out := []Link{}
	for _, line := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		title, u, ok := strings.Cut(line, "|")
		if !ok {
			title, u = "", line
		}
		out = append(out, Link{Title: strings.TrimSpace(title), URL: strings.TrimSpace(u)})
	}
	return out
}

// LinksText writes links back in ParseLinks's form.
func LinksText(ls []Link) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.Title + " | " + l.URL + "\n")
	}
	return b.String()
}

// Renderer turns a module's Markdown into HTML that is safe to show: raw
// HTML in the source is dropped by goldmark, and what it writes is
// sanitized as user content.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// NewRenderer returns a Markdown renderer.
func NewRenderer() *Renderer {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return &Renderer{md: goldmark.New(), policy: p}
}

// HTML renders Markdown as sanitized HTML.
func (r *Renderer) HTML(src string) string {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		return r.policy.Sanitize("<p>" + src + "</p>")
	}
	return r.policy.Sanitize(buf.String())
}
