package kb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

// Service is the knowledge base's rules: who reads what, drafts and
// publishing, translations, votes, views and suggestions.
type Service struct {
	store  Store
	clock  desk.Clock
	render *Renderer
	views  *ViewCounter
	words  func(string) []string
}

// New builds the service. words splits text into the words the search
// index holds (search.Words), so suggestions match as searches do.
func New(s Store, clock desk.Clock, words func(string) []string) *Service {
	return &Service{store: s, clock: clock, render: NewRenderer(), views: newViewCounter(s, clock), words: words}
}

// reader is who reads: what they may see of the knowledge base.
type reader struct {
	agent  bool // signed-in agent: internal articles too
	writer bool // kb:write: drafts too
	actor  desk.Actor
}

func readerOf(ctx context.Context) reader {
	a, ok := desk.ActorFrom(ctx)
	if !ok {
		return reader{}
	}
	agent := a.Kind == desk.ActorAgent || a.Kind == desk.ActorSystem
	return reader{agent: agent, writer: agent && a.Can(auth.KBWrite), actor: a}
}

// sees reports whether the reader may see the article at all.
func (r reader) sees(a *Article) bool {
	switch {
	case r.writer:
		return true
	case !a.Published():
		return false
	case a.Visibility == Internal:
		return r.agent
	}
	return true
}

func notFound(id int64) error { return desk.E(desk.ENOTFOUND, "kb.error.article_not_found", id) }

// --- categories and sections

// CategoryInput is a new category or a change to one (nil: unchanged).
type CategoryInput struct {
	Name        *string `json:"name"`
	NameHi      *string `json:"name_hi"`
	Description *string `json:"description"`
	Position    *int    `json:"position"`
}

func (in CategoryInput) apply(c *Category) {
	set(&c.Name, in.Name)
	set(&c.NameHi, in.NameHi)
	set(&c.Description, in.Description)
	set(&c.Position, in.Position)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// validName checks a name (required) and its Hindi form.
func validName(fields desk.Fields, name, nameHi, description string) {
	if strings.TrimSpace(name) == "" {
		fields["name"] = desk.M("invalid.required")
	} else if utf8.RuneCountInString(name) > MaxName {
		fields["name"] = desk.M("invalid.too_long")
	}
	if utf8.RuneCountInString(nameHi) > MaxName {
		fields["name_hi"] = desk.M("invalid.too_long")
	}
	if utf8.RuneCountInString(description) > MaxComment {
		fields["description"] = desk.M("invalid.too_long")
	}
}

// Categories lists every category, in their order.
func (s *Service) Categories(ctx context.Context) ([]*Category, error) {
	return s.store.KBCategories(ctx)
}

// Category reads one category.
func (s *Service) Category(ctx context.Context, id int64) (*Category, error) {
	return s.store.KBCategory(ctx, id)
}

// CreateCategory adds a category. Errors: EFORBIDDEN without kb:write,
// EINVALID naming the field.
func (s *Service) CreateCategory(ctx context.Context, in CategoryInput) (*Category, error) {
	if _, err := desk.Require(ctx, auth.KBWrite); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	c := &Category{CreatedAt: now, UpdatedAt: now, Version: 1}
	in.apply(c)
	c.Name = strings.TrimSpace(c.Name)
	fields := desk.Fields{}
	if validName(fields, c.Name, c.NameHi, c.Description); len(fields) > 0 {
		return nil, desk.Invalid(fields)
	}
	return c, s.store.CreateKBCategory(ctx, c)
}

// UpdateCategory changes a category if it is at ifVersion (0: any).
func (s *Service) UpdateCategory(ctx context.Context, id, ifVersion int64, in CategoryInput) (*Category, error) {
	return update(ctx, ifVersion, func() (*Category, error) { return s.store.KBCategory(ctx, id) },
		func(c *Category) int64 { return c.Version },
		func(c *Category) error {
			in.apply(c)
			c.Name = strings.TrimSpace(c.Name)
			fields := desk.Fields{}
			if validName(fields, c.Name, c.NameHi, c.Description); len(fields) > 0 {
				return desk.Invalid(fields)
			}
			c.UpdatedAt = s.clock.Now()
			return s.store.UpdateKBCategory(ctx, c)
		})
}

// update is a versioned change by a holder of kb:write: read, check the
// version, change and write, again on a fresh read when no version was
// asked for and another writer came first.
func update[T any](ctx context.Context, ifVersion int64, read func() (T, error), version func(T) int64,
	write func(T) error) (T, error) {
	var out T
	if _, err := desk.Require(ctx, auth.KBWrite); err != nil {
		return out, err
	}
	err := desk.Optimistic(ifVersion, func() error {
		x, err := read()
		if err != nil {
			return err
		}
		if err := desk.CheckVersion(ifVersion, version(x)); err != nil {
			return err
		}
		if err := write(x); err != nil {
			return err
		}
		out = x
		return nil
	})
	return out, err
}

// SectionInput is a new section or a change to one (nil: unchanged).
type SectionInput struct {
	CategoryID  *int64  `json:"category_id"`
	Name        *string `json:"name"`
	NameHi      *string `json:"name_hi"`
	Description *string `json:"description"`
	Position    *int    `json:"position"`
}

func (in SectionInput) apply(x *Section) {
	set(&x.CategoryID, in.CategoryID)
	set(&x.Name, in.Name)
	set(&x.NameHi, in.NameHi)
	set(&x.Description, in.Description)
	set(&x.Position, in.Position)
}

func (s *Service) validSection(ctx context.Context, x *Section) error {
	x.Name = strings.TrimSpace(x.Name)
	fields := desk.Fields{}
	validName(fields, x.Name, x.NameHi, x.Description)
	if _, err := s.store.KBCategory(ctx, x.CategoryID); desk.ErrorCode(err) == desk.ENOTFOUND {
		fields["category_id"] = desk.M("kb.error.no_category")
	} else if err != nil {
		return err
	}
	if len(fields) > 0 {
		return desk.Invalid(fields)
	}
	return nil
}

// Sections lists the sections of a category (0: all), in order.
func (s *Service) Sections(ctx context.Context, categoryID int64) ([]*Section, error) {
	return s.store.KBSections(ctx, categoryID)
}

// Section reads one section.
func (s *Service) Section(ctx context.Context, id int64) (*Section, error) {
	return s.store.KBSection(ctx, id)
}

// CreateSection adds a section to a category.
func (s *Service) CreateSection(ctx context.Context, in SectionInput) (*Section, error) {
	if _, err := desk.Require(ctx, auth.KBWrite); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	x := &Section{CreatedAt: now, UpdatedAt: now, Version: 1}
	in.apply(x)
	if err := s.validSection(ctx, x); err != nil {
		return nil, err
	}
	return x, s.store.CreateKBSection(ctx, x)
}

// UpdateSection changes a section if it is at ifVersion (0: any).
func (s *Service) UpdateSection(ctx context.Context, id, ifVersion int64, in SectionInput) (*Section, error) {
	return update(ctx, ifVersion, func() (*Section, error) { return s.store.KBSection(ctx, id) },
		func(x *Section) int64 { return x.Version },
		func(x *Section) error {
			in.apply(x)
			if err := s.validSection(ctx, x); err != nil {
				return err
			}
			x.UpdatedAt = s.clock.Now()
			return s.store.UpdateKBSection(ctx, x)
		})
}

// --- articles

// ArticleInput is a new article or a change to its draft (nil: unchanged).
type ArticleInput struct {
	SectionID  *int64  `json:"section_id"`
	Language   *string `json:"language"`
	Visibility *string `json:"visibility"`
	Title      *string `json:"title"`
	Body       *string `json:"body"`
	// TranslationOf links a new article to another as its translation
	// (another language of the same article).
	TranslationOf *int64 `json:"translation_of"`
}

// validArticle checks an article's draft, naming each field at fault.
func (s *Service) validArticle(ctx context.Context, a *Article) error {
	a.Title = strings.TrimSpace(a.Title)
	fields := desk.Fields{}
	switch {
	case a.Title == "":
		fields["title"] = desk.M("invalid.required")
	case utf8.RuneCountInString(a.Title) > MaxTitle:
		fields["title"] = desk.M("invalid.too_long")
	}
	if utf8.RuneCountInString(a.Body) > MaxBody {
		fields["body"] = desk.M("invalid.too_long")
	}
	if !slices.Contains(Languages, a.Language) {
		fields["language"] = desk.M("invalid.one_of", "en, hi")
	}
	if a.Visibility != Public && a.Visibility != Internal {
		fields["visibility"] = desk.M("invalid.one_of", "public, internal")
	}
	if _, err := s.store.KBSection(ctx, a.SectionID); desk.ErrorCode(err) == desk.ENOTFOUND {
		fields["section_id"] = desk.M("kb.error.no_section")
	} else if err != nil {
		return err
	}
	if len(fields) > 0 {
		return desk.Invalid(fields)
	}
	return nil
}

// Articles lists the articles the reader may see: the public and
// published for anyone, internal ones too for agents, drafts too for
// holders of kb:write. Newest first.
func (s *Service) Articles(ctx context.Context, f ArticleFilter) ([]*Article, error) {
	r := readerOf(ctx)
	if !r.writer {
		f.PublishedOnly = true
	}
	if !r.agent {
		f.PublicOnly = true
	}
	return s.store.KBArticles(ctx, f)
}

// Article reads one article the reader may see; ENOTFOUND otherwise (an
// internal article is, to the public, an article that does not exist).
func (s *Service) Article(ctx context.Context, id int64) (*Article, error) {
	a, err := s.store.KBArticle(ctx, id)
	if err != nil {
		return nil, err
	}
	r := readerOf(ctx)
	if !r.sees(a) {
		return nil, notFound(id)
	}
	kept := a.Translations[:0]
	for _, t := range a.Translations {
		if r.writer || t.Published {
			kept = append(kept, t)
		}
	}
	a.Translations = kept
	if !r.writer {
		// Readers see the published copy; the draft is the writers'.
		a.Title, a.Body = a.PublishedTitle, ""
	}
	return a, nil
}

// CreateArticle adds a draft. Errors: EFORBIDDEN without kb:write,
// EINVALID naming the field, ECONFLICT when the article it translates has
// a translation in that language already.
func (s *Service) CreateArticle(ctx context.Context, in ArticleInput) (*Article, error) {
	actor, err := desk.Require(ctx, auth.KBWrite)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	a := &Article{Language: "en", Visibility: Public, CreatedAt: now, UpdatedAt: now, Version: 1}
	if actor.Kind == desk.ActorAgent {
		a.AuthorID = &actor.ID
	}
	set(&a.SectionID, in.SectionID)
	set(&a.Language, in.Language)
	set(&a.Visibility, in.Visibility)
	set(&a.Title, in.Title)
	set(&a.Body, in.Body)
	if in.TranslationOf != nil {
		of, err := s.store.KBArticle(ctx, *in.TranslationOf)
		if desk.ErrorCode(err) == desk.ENOTFOUND {
			return nil, desk.Invalid(desk.Fields{"translation_of": desk.M("kb.error.no_article")})
		}
		if err != nil {
			return nil, err
		}
		if of.Language == a.Language {
			return nil, desk.Invalid(desk.Fields{"language": desk.M("kb.error.same_language")})
		}
		a.GroupID = of.GroupID
		if in.SectionID == nil {
			a.SectionID = of.SectionID
		}
		if in.Visibility == nil {
			a.Visibility = of.Visibility
		}
	}
	if err := s.validArticle(ctx, a); err != nil {
		return nil, err
	}
	if err := s.store.CreateKBArticle(ctx, a); err != nil {
		return nil, err
	}
	return s.store.KBArticle(ctx, a.ID)
}

// UpdateArticle changes an article's draft (and its section and
// visibility, which apply at once) if it is at ifVersion (0: any). A
// published article moved or made internal is indexed again.
func (s *Service) UpdateArticle(ctx context.Context, id, ifVersion int64, in ArticleInput) (*Article, error) {
	actor, err := desk.Require(ctx, auth.KBWrite)
	if err != nil {
		return nil, err
	}
	if in.Language != nil || in.TranslationOf != nil {
		f := "language"
		if in.TranslationOf != nil {
			f = "translation_of"
		}
		return nil, desk.Invalid(desk.Fields{f: desk.M("kb.error.fixed")})
	}
	var out *Article
	err = desk.Optimistic(ifVersion, func() error {
		a, err := s.store.KBArticle(ctx, id)
		if err != nil {
			return err
		}
		if err := desk.CheckVersion(ifVersion, a.Version); err != nil {
			return err
		}
		section, visibility := a.SectionID, a.Visibility
		set(&a.SectionID, in.SectionID)
		set(&a.Visibility, in.Visibility)
		set(&a.Title, in.Title)
		set(&a.Body, in.Body)
		if err := s.validArticle(ctx, a); err != nil {
			return err
		}
		a.UpdatedAt = s.clock.Now()
		var ev *event.Event
		if a.Published() && (section != a.SectionID || visibility != a.Visibility) {
			e := s.event(actor, EventArticleChanged, a.ID)
			ev = &e
		}
		if err := s.store.UpdateKBArticle(ctx, a, ev); err != nil {
			return err
		}
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.store.KBArticle(ctx, out.ID)
}

func (s *Service) event(a desk.Actor, kind string, articleID int64) event.Event {
	ev := event.New(kind, 0, map[string]any{"id": articleID})
	ev.ActorKind, ev.ActorID, ev.CreatedAt = a.Kind, a.ID, s.clock.Now()
	return ev
}

// Publish makes the article's draft what readers see, as a new version, if
// the article is at ifVersion (0: any).
func (s *Service) Publish(ctx context.Context, id, ifVersion int64) (*Article, error) {
	return s.publish(ctx, id, ifVersion, 0)
}

// Restore publishes an old version again, as a new version (history stays
// whole), and makes it the draft.
func (s *Service) Restore(ctx context.Context, id int64, number int, ifVersion int64) (*Article, error) {
	if number <= 0 {
		return nil, desk.Invalid(desk.Fields{"version": desk.M("invalid.positive_id")})
	}
	return s.publish(ctx, id, ifVersion, number)
}

func (s *Service) publish(ctx context.Context, id, ifVersion int64, from int) (*Article, error) {
	actor, err := desk.Require(ctx, auth.KBWrite)
	if err != nil {
		return nil, err
	}
	var out *Article
	err = desk.Optimistic(ifVersion, func() error {
		a, err := s.store.KBArticle(ctx, id)
		if err != nil {
			return err
		}
		if err := desk.CheckVersion(ifVersion, a.Version); err != nil {
			return err
		}
		if from > 0 {
			old, err := s.store.KBArticleVersion(ctx, id, from)
			if err != nil {
				return err
			}
			a.Title, a.Body = old.Title, old.Body
		}
		if err := s.validArticle(ctx, a); err != nil {
			return err
		}
		html, err := s.render.HTML(a.Body)
		if err != nil {
			return fmt.Errorf("render article %d: %w", id, err)
		}
		// Numbers go on after the newest version, also when the article
		// was unpublished since (its published number is then 0).
		number := a.PublishedVersion + 1
		if vs, err := s.store.KBArticleVersions(ctx, id); err != nil {
			return err
		} else if len(vs) > 0 && vs[0].Number >= number {
			number = vs[0].Number + 1
		}
		now := s.clock.Now()
		v := &Version{ArticleID: id, Number: number, Title: a.Title, Body: a.Body, HTML: html, PublishedAt: now}
		if actor.Kind == desk.ActorAgent {
			v.PublishedBy = &actor.ID
		}
		a.PublishedVersion, a.PublishedTitle, a.PublishedHTML, a.PublishedAt = v.Number, a.Title, html, &now
		a.PublishedText = a.Title + " " + s.render.Text(html)
		a.UpdatedAt = now
		if err := s.store.PublishKBArticle(ctx, a, v, s.event(actor, EventArticlePublished, id)); err != nil {
			return err
		}
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.store.KBArticle(ctx, out.ID)
}

// Unpublish takes a published article down, if it is at ifVersion (0:
// any): readers (and search, suggestions) no longer find it, its versions
// stay in its history and any of them can be published again. Errors:
// EFORBIDDEN without kb:write, ENOTFOUND, ESTALE, EUNPROCESSABLE for an
// article that is not published.
func (s *Service) Unpublish(ctx context.Context, id, ifVersion int64) (*Article, error) {
	actor, err := desk.Require(ctx, auth.KBWrite)
	if err != nil {
		return nil, err
	}
	err = desk.Optimistic(ifVersion, func() error {
		a, err := s.store.KBArticle(ctx, id)
		if err != nil {
			return err
		}
		if err := desk.CheckVersion(ifVersion, a.Version); err != nil {
			return err
		}
		if !a.Published() {
			return desk.E(desk.EUNPROCESSABLE, "kb.error.not_published")
		}
		a.UpdatedAt = s.clock.Now()
		return s.store.UnpublishKBArticle(ctx, a, s.event(actor, EventArticleChanged, id))
	})
	if err != nil {
		return nil, err
	}
	return s.store.KBArticle(ctx, id)
}

// DeleteArticle deletes an article for good, with its history, votes and
// counts, if it is at ifVersion (0: any); its translations stay. Errors:
// EFORBIDDEN without kb:write, ENOTFOUND, ESTALE.
func (s *Service) DeleteArticle(ctx context.Context, id, ifVersion int64) error {
	actor, err := desk.Require(ctx, auth.KBWrite)
	if err != nil {
		return err
	}
	return s.store.DeleteKBArticle(ctx, id, ifVersion, s.event(actor, EventArticleChanged, id))
}

// Versions lists an article's published versions, newest first: to agents
// who may see the article.
func (s *Service) Versions(ctx context.Context, id int64) ([]*Version, error) {
	if _, err := s.agentArticle(ctx, id); err != nil {
		return nil, err
	}
	return s.store.KBArticleVersions(ctx, id)
}

// VersionOf reads one published version of an article.
func (s *Service) VersionOf(ctx context.Context, id int64, number int) (*Version, error) {
	if _, err := s.agentArticle(ctx, id); err != nil {
		return nil, err
	}
	return s.store.KBArticleVersion(ctx, id, number)
}

// agentArticle is an article a signed-in agent may see (history is not
// for the public).
func (s *Service) agentArticle(ctx context.Context, id int64) (*Article, error) {
	if r := readerOf(ctx); !r.agent {
		return nil, notFound(id)
	}
	return s.Article(ctx, id)
}

// Preview renders Markdown as readers would see it, for the editor.
func (s *Service) Preview(ctx context.Context, markdown string) (string, error) {
	if _, err := desk.Require(ctx, auth.KBWrite); err != nil {
		return "", err
	}
	return s.render.HTML(markdown)
}

// --- readers: votes, views

// Vote records whether a reader found an article helpful, with an optional
// comment; voter identifies the reader for the day (see Vote). Errors:
// ENOTFOUND for an article the reader cannot see, EINVALID for a comment
// too long.
func (s *Service) Vote(ctx context.Context, articleID int64, voter string, helpful bool, comment string) error {
	if _, err := s.Article(ctx, articleID); err != nil {
		return err
	}
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > MaxComment {
		return desk.Invalid(desk.Fields{"comment": desk.M("invalid.too_long")})
	}
	return s.store.AddKBVote(ctx, Vote{ArticleID: articleID, Voter: voter, Helpful: helpful, Comment: comment,
		CreatedAt: s.clock.Now()})
}

// Viewed counts a view of an article (in memory until the next flush).
func (s *Service) Viewed(articleID int64) { s.views.Add(articleID) }

// Views is the view counter, for its owner to run and flush.
func (s *Service) Views() *ViewCounter { return s.views }
