// Package kb owns the knowledge base: categories hold sections, sections
// hold articles. An article is written in Markdown as a working draft; each
// publish renders and sanitizes it once and keeps the result as a numbered
// version (history, old versions, restore). Articles are public or internal
// (agents only), and an English and a Hindi article can be linked as
// translations of one another. Readers vote "was this helpful" and are
// counted; customers writing a ticket are shown suggestions, and a
// suggestion opened without the ticket being sent counts as a deflection.
//
// The package knows nothing of HTTP or SQL: it speaks to Store.
package kb

import (
	"context"
	"time"

	"github.com/sahayak/sahayak/internal/event"
)

// Visibility of an article.
const (
	Public   = "public"   // anyone, signed in or not
	Internal = "internal" // signed-in agents only
)

// Languages an article may be written in.
var Languages = []string{"en", "hi"}

// Limits of what is kept.
const (
	MaxName    = 200
	MaxTitle   = 300
	MaxBody    = 200_000 // characters of Markdown
	MaxComment = 2000
	MaxQuery   = 300
)

// Events of the knowledge base. They carry no ticket; their data is
// {"id": article id}. Package search reindexes an article on them.
const (
	EventArticlePublished = "kb.article_published"
	EventArticleChanged   = "kb.article_changed" // visibility, section or translation link of a published article; unpublished; deleted
)

// Category is the top level: "Billing", "Getting started".
type Category struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	NameHi      string    `json:"name_hi"`
	Description string    `json:"description"`
	Position    int       `json:"position"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CurrentVersion is the category's version, its ETag.
func (c *Category) CurrentVersion() int64 { return c.Version }

// Section groups articles within a category.
type Section struct {
	ID          int64     `json:"id"`
	CategoryID  int64     `json:"category_id"`
	Name        string    `json:"name"`
	NameHi      string    `json:"name_hi"`
	Description string    `json:"description"`
	Position    int       `json:"position"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CurrentVersion is the section's version, its ETag.
func (s *Section) CurrentVersion() int64 { return s.Version }

// NameIn is the name to show in lang: the Hindi name on Hindi pages when
// there is one.
func NameIn(lang, name, nameHi string) string {
	if lang == "hi" && nameHi != "" {
		return nameHi
	}
	return name
}

// Article is one article: its working draft (Title, Body) and, once
// published, the copy readers see.
type Article struct {
	ID        int64 `json:"id"`
	SectionID int64 `json:"section_id"`
	// GroupID links translations: the id of the first article of the
	// group (its own id when it has none).
	GroupID    int64  `json:"translation_group"`
	Language   string `json:"language"`
	Visibility string `json:"visibility"`
	// Title and Body (Markdown) are the draft.
	Title string `json:"title"`
	Body  string `json:"body"`
	// PublishedVersion is the number of the version readers see; 0 while
	// the article was never published.
	PublishedVersion int        `json:"published_version"`
	PublishedTitle   string     `json:"published_title"`
	PublishedHTML    string     `json:"published_html"`
	PublishedAt      *time.Time `json:"published_at"`
	// PublishedText is the published copy as plain text (search, suggestions).
	PublishedText string    `json:"-"`
	AuthorID      *int64    `json:"author_id"`
	HelpfulYes    int64     `json:"helpful_yes"`
	HelpfulNo     int64     `json:"helpful_no"`
	Views         int64     `json:"views"`
	Translations  []Sibling `json:"translations"`
	Version       int64     `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// CurrentVersion is the article's version, its ETag.
func (a *Article) CurrentVersion() int64 { return a.Version }

// Published reports whether readers can see the article.
func (a *Article) Published() bool { return a.PublishedVersion > 0 }

// Sibling is a translation of an article, as a link.
type Sibling struct {
	ID        int64  `json:"id"`
	Language  string `json:"language"`
	Title     string `json:"title"`
	Published bool   `json:"published"`
}

// Version is one published version of an article.
type Version struct {
	ArticleID   int64     `json:"article_id"`
	Number      int       `json:"number"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	HTML        string    `json:"html"`
	PublishedBy *int64    `json:"published_by"`
	PublishedAt time.Time `json:"published_at"`
}

// ArticleFilter narrows a list of articles.
type ArticleFilter struct {
	SectionID *int64
	GroupID   *int64
	Language  *string
	// PublishedOnly leaves out articles never published.
	PublishedOnly bool
	// PublicOnly leaves out internal articles.
	PublicOnly bool
	BeforeID   int64
	Limit      int
}

// Vote is a reader's answer to "was this helpful".
type Vote struct {
	ArticleID int64
	// Voter identifies the reader for the day without naming them (a
	// digest); a second vote of the same voter replaces the first.
	Voter     string
	Helpful   bool
	Comment   string
	CreatedAt time.Time
}

// Suggestion is an article offered for what someone is writing.
type Suggestion struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Language string `json:"language"`
	URL      string `json:"url"`
	Snippet  string `json:"snippet"`
	// Internal articles are for agents: not a link to send a customer.
	Internal bool `json:"internal"`
}

// SuggestQuery is a suggestion search as the store runs it: articles whose
// published text has any of the words, best first.
type SuggestQuery struct {
	Words    []string
	Language string // "" for any
	Internal bool   // internal articles too
	Limit    int
}

// Deflections sums the suggestions opened from the new-ticket form.
type Deflections struct {
	// Opened suggestions since From.
	Opened int64 `json:"opened"`
	// Submitted: the customer sent the ticket anyway.
	Submitted int64 `json:"submitted"`
	// Deflected: opened, and no ticket sent within the window.
	Deflected int64 `json:"deflected"`
	// Pending: opened within the window, not sent (yet).
	Pending int64 `json:"pending"`
}

// Image is a picture uploaded for articles, kept in the blob store.
type Image struct {
	SHA256      string    `json:"sha256"`
	ContentType string    `json:"content_type"`
	Filename    string    `json:"filename"`
	Size        int64     `json:"size"`
	URL         string    `json:"url"`
	CreatedAt   time.Time `json:"created_at"`
}

// Store persists the knowledge base. Single reads answer a desk ENOTFOUND
// error; versioned writes answer ESTALE when the row moved on.
type Store interface {
	KBCategories(ctx context.Context) ([]*Category, error)
	KBCategory(ctx context.Context, id int64) (*Category, error)
	CreateKBCategory(ctx context.Context, c *Category) error
	UpdateKBCategory(ctx context.Context, c *Category) error
	KBSections(ctx context.Context, categoryID int64) ([]*Section, error)
	KBSection(ctx context.Context, id int64) (*Section, error)
	CreateKBSection(ctx context.Context, s *Section) error
	UpdateKBSection(ctx context.Context, s *Section) error

	KBArticles(ctx context.Context, f ArticleFilter) ([]*Article, error)
	// KBArticle reads one article with its counts and translations.
	KBArticle(ctx context.Context, id int64) (*Article, error)
	// CreateKBArticle inserts a draft; a zero GroupID starts a group of
	// its own. ECONFLICT when the group has an article in that language.
	CreateKBArticle(ctx context.Context, a *Article) error
	// UpdateKBArticle writes the draft, visibility, section and group if
	// the article is still at a.Version; ev, when not nil, is appended in
	// the same transaction.
	UpdateKBArticle(ctx context.Context, a *Article, ev *event.Event) error
	// PublishKBArticle writes the published copy and its version v and
	// appends ev, in one transaction, if the article is at a.Version.
	PublishKBArticle(ctx context.Context, a *Article, v *Version, ev event.Event) error
	// UnpublishKBArticle clears the published copy (versions stay) and
	// appends ev, in one transaction, if the article is at a.Version.
	UnpublishKBArticle(ctx context.Context, a *Article, ev event.Event) error
	// DeleteKBArticle deletes the article with its versions, votes and
	// counts and appends ev, if it is at version (0: any).
	DeleteKBArticle(ctx context.Context, id, version int64, ev event.Event) error
	KBArticleVersions(ctx context.Context, articleID int64) ([]*Version, error)
	KBArticleVersion(ctx context.Context, articleID int64, number int) (*Version, error)

	// AddKBVote records a vote, replacing the voter's earlier one.
	AddKBVote(ctx context.Context, v Vote) error
	// AddKBViews adds counts of views (by article) to the day's.
	AddKBViews(ctx context.Context, day time.Time, counts map[int64]int64) error
	SuggestKBArticles(ctx context.Context, q SuggestQuery) ([]*Article, error)

	// OpenKBSuggestion records a suggestion opened from the new-ticket form.
	OpenKBSuggestion(ctx context.Context, token string, articleID int64, query string, at time.Time) error
	// SubmitKBSuggestions marks the openings of tokens as followed by a
	// ticket; it answers how many it marked.
	SubmitKBSuggestions(ctx context.Context, tokens []string, at time.Time) (int64, error)
	KBDeflections(ctx context.Context, from, settled time.Time) (Deflections, error)

	AddKBImage(ctx context.Context, img Image) error
	KBImage(ctx context.Context, sha256 string) (*Image, error)
}
