package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/kb"
	"github.com/sahayak/sahayak/internal/search"
)

var _ kb.Store = (*DB)(nil)

// --- categories

const kbCategoryColumns = `id, name, name_hi, description, position, version, created_at, updated_at`

func scanKBCategory(row interface{ Scan(...any) error }) (*kb.Category, error) {
	var c kb.Category
	var created, updated int64
	if err := row.Scan(&c.ID, &c.Name, &c.NameHi, &c.Description, &c.Position, &c.Version, &created, &updated); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// KBCategories lists the categories in their order.
func (db *DB) KBCategories(ctx context.Context) ([]*kb.Category, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+kbCategoryColumns+` FROM kb_categories ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("kb categories: %w", err)
	}
	defer rows.Close()
	out := []*kb.Category{}
	for rows.Next() {
		c, err := scanKBCategory(rows)
		if err != nil {
			return nil, fmt.Errorf("kb categories: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// KBCategory reads one category.
func (db *DB) KBCategory(ctx context.Context, id int64) (*kb.Category, error) {
	c, err := scanKBCategory(db.read.QueryRowContext(ctx, `SELECT `+kbCategoryColumns+` FROM kb_categories WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(fmt.Errorf("kb category %d: %w", id, err), desk.M("kb.error.category_not_found", id))
	}
	return c, nil
}

// CreateKBCategory inserts a category.
func (db *DB) CreateKBCategory(ctx context.Context, c *kb.Category) error {
	return db.writeOne(ctx, func(q querier) error {
		return q.QueryRowContext(ctx, `INSERT INTO kb_categories (name, name_hi, description, position, version, created_at,
			updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id`, c.Name, c.NameHi, c.Description, c.Position,
			micros(c.CreatedAt)).Scan(&c.ID)
	})
}

// UpdateKBCategory writes a category if it is still at c.Version.
func (db *DB) UpdateKBCategory(ctx context.Context, c *kb.Category) error {
	return bumped(&c.Version, db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE kb_categories SET name = $2, name_hi = $3, description = $4, position = $5,
			updated_at = $6, version = version + 1 WHERE id = $1 AND version = $7`, c.ID, c.Name, c.NameHi, c.Description,
			c.Position, micros(c.UpdatedAt), c.Version)
		return versioned(ctx, tx, res, err, "kb_categories", c.ID, desk.M("kb.error.category_not_found", c.ID))
	}))
}

// --- sections

const kbSectionColumns = `id, category_id, name, name_hi, description, position, version, created_at, updated_at`

func scanKBSection(row interface{ Scan(...any) error }) (*kb.Section, error) {
	var s kb.Section
	var created, updated int64
	if err := row.Scan(&s.ID, &s.CategoryID, &s.Name, &s.NameHi, &s.Description, &s.Position, &s.Version, &created,
		&updated); err != nil {
		return nil, err
	}
	s.CreatedAt, s.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &s, nil
}

// KBSections lists the sections of a category (0: every category's).
func (db *DB) KBSections(ctx context.Context, categoryID int64) ([]*kb.Section, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+kbSectionColumns+` FROM kb_sections
		WHERE CAST($1 AS BIGINT) = 0 OR category_id = $1 ORDER BY category_id, position, id`, categoryID)
	if err != nil {
		return nil, fmt.Errorf("kb sections: %w", err)
	}
	defer rows.Close()
	out := []*kb.Section{}
	for rows.Next() {
		s, err := scanKBSection(rows)
		if err != nil {
			return nil, fmt.Errorf("kb sections: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// KBSection reads one section.
func (db *DB) KBSection(ctx context.Context, id int64) (*kb.Section, error) {
	s, err := scanKBSection(db.read.QueryRowContext(ctx, `SELECT `+kbSectionColumns+` FROM kb_sections WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(fmt.Errorf("kb section %d: %w", id, err), desk.M("kb.error.section_not_found", id))
	}
	return s, nil
}

// CreateKBSection inserts a section.
func (db *DB) CreateKBSection(ctx context.Context, s *kb.Section) error {
	return db.writeOne(ctx, func(q querier) error {
		return q.QueryRowContext(ctx, `INSERT INTO kb_sections (category_id, name, name_hi, description, position, version,
			created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id`, s.CategoryID, s.Name, s.NameHi,
			s.Description, s.Position, micros(s.CreatedAt)).Scan(&s.ID)
	})
}

// UpdateKBSection writes a section if it is still at s.Version.
func (db *DB) UpdateKBSection(ctx context.Context, s *kb.Section) error {
	return bumped(&s.Version, db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE kb_sections SET category_id = $2, name = $3, name_hi = $4, description = $5,
			position = $6, updated_at = $7, version = version + 1 WHERE id = $1 AND version = $8`, s.ID, s.CategoryID, s.Name,
			s.NameHi, s.Description, s.Position, micros(s.UpdatedAt), s.Version)
		return versioned(ctx, tx, res, err, "kb_sections", s.ID, desk.M("kb.error.section_not_found", s.ID))
	}))
}

// --- articles

// kbArticleColumns reads an article with its counts: votes are few per
// article and views one row per article and day, both by index.
const kbArticleColumns = `a.id, a.section_id, COALESCE(a.group_id, a.id), a.language, a.visibility, a.title, a.body,
	a.published_version, a.published_title, a.published_html, a.published_text, a.published_at, a.author_id, a.version,
	a.created_at, a.updated_at,
	(SELECT COUNT(*) FROM kb_votes v WHERE v.article_id = a.id AND v.helpful),
	(SELECT COUNT(*) FROM kb_votes v WHERE v.article_id = a.id AND NOT v.helpful),
	(SELECT COALESCE(SUM(w.views), 0) FROM kb_views w WHERE w.article_id = a.id)`

func scanKBArticle(row interface{ Scan(...any) error }) (*kb.Article, error) {
	var a kb.Article
	var published, author sql.NullInt64
	var created, updated int64
	if err := row.Scan(&a.ID, &a.SectionID, &a.GroupID, &a.Language, &a.Visibility, &a.Title, &a.Body,
		&a.PublishedVersion, &a.PublishedTitle, &a.PublishedHTML, &a.PublishedText, &published, &author, &a.Version,
		&created, &updated, &a.HelpfulYes, &a.HelpfulNo, &a.Views); err != nil {
		return nil, err
	}
	a.PublishedAt, a.AuthorID = fromNullMicros(published), fromNullID(author)
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	a.Translations = []kb.Sibling{}
	return &a, nil
}

// KBArticles lists articles, newest first.
func (db *DB) KBArticles(ctx context.Context, f kb.ArticleFilter) ([]*kb.Article, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.SectionID != nil {
		where = append(where, "a.section_id = "+arg(*f.SectionID))
	}
	if f.GroupID != nil {
		where = append(where, "COALESCE(a.group_id, a.id) = "+arg(*f.GroupID))
	}
	if f.Language != nil {
		where = append(where, "a.language = "+arg(*f.Language))
	}
	if f.PublishedOnly {
		where = append(where, "a.published_version > 0")
	}
	if f.PublicOnly {
		where = append(where, "a.visibility = 'public'")
	}
	if f.BeforeID > 0 {
		where = append(where, "a.id < "+arg(f.BeforeID))
	}
	q := `SELECT ` + kbArticleColumns + ` FROM kb_articles a`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY a.id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ` + arg(f.Limit)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("kb articles: %w", err)
	}
	defer rows.Close()
	out := []*kb.Article{}
	for rows.Next() {
		a, err := scanKBArticle(rows)
		if err != nil {
			return nil, fmt.Errorf("kb articles: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// KBArticle reads one article with its translations.
func (db *DB) KBArticle(ctx context.Context, id int64) (*kb.Article, error) {
	a, err := scanKBArticle(db.read.QueryRowContext(ctx, `SELECT `+kbArticleColumns+` FROM kb_articles a WHERE a.id = $1`, id))
	if err != nil {
		return nil, notFound(fmt.Errorf("kb article %d: %w", id, err), desk.M("kb.error.article_not_found", id))
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, language, CASE WHEN published_version > 0 THEN published_title ELSE title END,
		published_version > 0 FROM kb_articles WHERE COALESCE(group_id, id) = $1 AND id <> $2 ORDER BY language`, a.GroupID, a.ID)
	if err != nil {
		return nil, fmt.Errorf("kb translations of %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s kb.Sibling
		if err := rows.Scan(&s.ID, &s.Language, &s.Title, &s.Published); err != nil {
			return nil, fmt.Errorf("kb translations of %d: %w", id, err)
		}
		a.Translations = append(a.Translations, s)
	}
	return a, rows.Err()
}

// CreateKBArticle inserts a draft, in its group of translations (or a
// group of its own).
func (db *DB) CreateKBArticle(ctx context.Context, a *kb.Article) error {
	err := db.inTx(ctx, func(tx *txn) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO kb_articles (section_id, group_id, language, visibility, title, body,
			author_id, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8) RETURNING id`,
			a.SectionID, nullIfZero(a.GroupID), a.Language, a.Visibility, a.Title, a.Body, nullID(a.AuthorID),
			micros(a.CreatedAt)).Scan(&a.ID)
		if db.dialect.isUnique(err) {
			return desk.E(desk.ECONFLICT, "kb.error.translation_exists", a.Language)
		}
		if err != nil {
			return fmt.Errorf("insert kb article: %w", err)
		}
		if a.GroupID == 0 {
			a.GroupID = a.ID
			if _, err := tx.ExecContext(ctx, `UPDATE kb_articles SET group_id = id WHERE id = $1`, a.ID); err != nil {
				return fmt.Errorf("kb article %d group: %w", a.ID, err)
			}
		}
		return nil
	})
	return err
}

// UpdateKBArticle writes an article's draft, section and visibility if it
// is still at a.Version, with ev when given.
func (db *DB) UpdateKBArticle(ctx context.Context, a *kb.Article, ev *event.Event) error {
	return bumped(&a.Version, db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE kb_articles SET section_id = $2, visibility = $3, title = $4, body = $5,
			updated_at = $6, version = version + 1 WHERE id = $1 AND version = $7`, a.ID, a.SectionID, a.Visibility, a.Title,
			a.Body, micros(a.UpdatedAt), a.Version)
		if err := versioned(ctx, tx, res, err, "kb_articles", a.ID, desk.M("kb.error.article_not_found", a.ID)); err != nil {
			return err
		}
		if ev == nil {
			return nil
		}
		return db.appendEvents(ctx, tx, []event.Event{*ev})
	}))
}

// PublishKBArticle writes the published copy, keeps it as a version and
// appends the event, in one transaction.
func (db *DB) PublishKBArticle(ctx context.Context, a *kb.Article, v *kb.Version, ev event.Event) error {
	return bumped(&a.Version, db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE kb_articles SET title = $2, body = $3, published_version = $4,
			published_title = $5, published_html = $6, published_text = $7, published_at = $8, updated_at = $8,
			version = version + 1 WHERE id = $1 AND version = $9`, a.ID, a.Title, a.Body, a.PublishedVersion,
			a.PublishedTitle, a.PublishedHTML, a.PublishedText, nullMicros(a.PublishedAt), a.Version)
		if err := versioned(ctx, tx, res, err, "kb_articles", a.ID, desk.M("kb.error.article_not_found", a.ID)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO kb_article_versions (article_id, number, title, body, html,
			published_by, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, v.ArticleID, v.Number, v.Title, v.Body, v.HTML,
			nullID(v.PublishedBy), micros(v.PublishedAt)); err != nil {
			return fmt.Errorf("kb article %d version %d: %w", a.ID, v.Number, err)
		}
		return db.appendEvents(ctx, tx, []event.Event{ev})
	}))
}

// UnpublishKBArticle takes the published copy down (readers no longer
// see the article; its versions stay) and appends the event, in one
// transaction, if the article is at a.Version.
func (db *DB) UnpublishKBArticle(ctx context.Context, a *kb.Article, ev event.Event) error {
	return bumped(&a.Version, db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE kb_articles SET published_version = 0, published_title = '',
			published_html = '', published_text = '', published_at = NULL, updated_at = $2, version = version + 1
			WHERE id = $1 AND version = $3`, a.ID, micros(a.UpdatedAt), a.Version)
		if err := versioned(ctx, tx, res, err, "kb_articles", a.ID, desk.M("kb.error.article_not_found", a.ID)); err != nil {
			return err
		}
		return db.appendEvents(ctx, tx, []event.Event{ev})
	}))
}

// DeleteKBArticle deletes an article with its versions, votes, views and
// suggestion openings (the foreign keys cascade) and appends the event, in
// one transaction, if the article is at version (0: any).
func (db *DB) DeleteKBArticle(ctx context.Context, id, version int64, ev event.Event) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM kb_articles WHERE id = $1 AND ($2 = 0 OR version = $2)`, id, version)
		if err := versioned(ctx, tx, res, err, "kb_articles", id, desk.M("kb.error.article_not_found", id)); err != nil {
			return err
		}
		return db.appendEvents(ctx, tx, []event.Event{ev})
	})
}

const kbVersionColumns = `article_id, number, title, body, html, published_by, published_at`

func scanKBVersion(row interface{ Scan(...any) error }) (*kb.Version, error) {
	var v kb.Version
	var by sql.NullInt64
	var at int64
	if err := row.Scan(&v.ArticleID, &v.Number, &v.Title, &v.Body, &v.HTML, &by, &at); err != nil {
		return nil, err
	}
	v.PublishedBy, v.PublishedAt = fromNullID(by), fromMicros(at)
	return &v, nil
}

// KBArticleVersions lists an article's versions, newest first.
func (db *DB) KBArticleVersions(ctx context.Context, articleID int64) ([]*kb.Version, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+kbVersionColumns+` FROM kb_article_versions WHERE article_id = $1
		ORDER BY number DESC`, articleID)
	if err != nil {
		return nil, fmt.Errorf("kb versions: %w", err)
	}
	defer rows.Close()
	out := []*kb.Version{}
	for rows.Next() {
		v, err := scanKBVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("kb versions: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// KBArticleVersion reads one version of an article.
func (db *DB) KBArticleVersion(ctx context.Context, articleID int64, number int) (*kb.Version, error) {
	v, err := scanKBVersion(db.read.QueryRowContext(ctx, `SELECT `+kbVersionColumns+` FROM kb_article_versions
		WHERE article_id = $1 AND number = $2`, articleID, number))
	if err != nil {
		return nil, notFound(fmt.Errorf("kb article %d version %d: %w", articleID, number, err),
			desk.M("kb.error.version_not_found", number))
	}
	return v, nil
}

// --- readers

// AddKBVote records a vote; the voter's earlier vote on the article is
// replaced.
func (db *DB) AddKBVote(ctx context.Context, v kb.Vote) error {
	return db.writeOne(ctx, func(q querier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO kb_votes (article_id, voter, helpful, comment, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (article_id, voter) DO UPDATE SET helpful = excluded.helpful,
			comment = excluded.comment, created_at = excluded.created_at`, v.ArticleID, v.Voter, v.Helpful, v.Comment,
			micros(v.CreatedAt))
		return err
	})
}

// AddKBViews adds view counts to the day's, one statement for the batch.
func (db *DB) AddKBViews(ctx context.Context, day time.Time, counts map[int64]int64) error {
	if len(counts) == 0 {
		return nil
	}
	d := micros(day.UTC().Truncate(24 * time.Hour))
	var sb strings.Builder
	args := make([]any, 0, 2*len(counts)+1)
	args = append(args, d)
	for id, n := range counts {
		if sb.Len() > 0 {
			sb.WriteString(", ")
		}
		args = append(args, id, n)
		fmt.Fprintf(&sb, "($%d, $1, $%d)", len(args)-1, len(args))
	}
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO kb_views (article_id, day, views) VALUES `+sb.String()+`
			ON CONFLICT (article_id, day) DO UPDATE SET views = kb_views.views + excluded.views`, args...)
		if err != nil {
			return fmt.Errorf("kb views: %w", err)
		}
		return nil
	})
}

// SuggestKBArticles finds published articles with any of the words, best
// match first. Articles' index entries carry search.ArticleWord, so the
// index itself narrows the match to articles before any row is read,
// however many tickets share the words.
func (db *DB) SuggestKBArticles(ctx context.Context, q kb.SuggestQuery) ([]*kb.Article, error) {
	if len(q.Words) == 0 {
		return []*kb.Article{}, nil
	}
	args := []any{db.dialect.suggestQuery(search.ArticleWord, q.Words)}
	from, _ := db.dialect.searchFrom()
	where := db.dialect.searchMatch("$1") + " AND e.kind = 'article'"
	if !q.Internal {
		where += " AND e.internal = FALSE"
	}
	if q.Language != "" {
		args = append(args, q.Language)
		where += " AND a.language = $2"
	}
	args = append(args, q.Limit)
	rows, err := db.read.QueryContext(ctx, `SELECT a.id, a.language, a.visibility, a.published_title, a.published_text FROM `+from+`
		JOIN kb_articles a ON a.id = e.object_id WHERE `+where+` AND a.published_version > 0
		ORDER BY `+db.dialect.suggestRank("$1")+`, a.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("kb suggest: %w", err)
	}
	defer rows.Close()
	out := []*kb.Article{}
	for rows.Next() {
		var a kb.Article
		if err := rows.Scan(&a.ID, &a.Language, &a.Visibility, &a.PublishedTitle, &a.PublishedText); err != nil {
			return nil, fmt.Errorf("kb suggest: %w", err)
		}
		out = append(out, &a)
	}
	return out, rows.Err()
}

// OpenKBSuggestion records a suggestion opened from the new-ticket form.
func (db *DB) OpenKBSuggestion(ctx context.Context, token string, articleID int64, query string, at time.Time) error {
	return db.writeOne(ctx, func(q querier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO kb_suggestion_opens (token, article_id, query, created_at)
			VALUES ($1, $2, $3, $4)`, token, articleID, query, micros(at))
		return err
	})
}

// SubmitKBSuggestions marks openings (by token digest) within the
// deflection window as followed by a ticket.
func (db *DB) SubmitKBSuggestions(ctx context.Context, tokens []string, at time.Time) (int64, error) {
	args := []any{micros(at), micros(at.Add(-kb.DeflectionWindow))}
	marks := make([]string, len(tokens))
	for i, t := range tokens {
		args = append(args, t)
		marks[i] = "$" + strconv.Itoa(len(args))
	}
	var n int64
	err := db.writeOne(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE kb_suggestion_opens SET submitted_at = $1 WHERE submitted_at IS NULL
			AND created_at >= $2 AND token IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// KBDeflections sums the openings since from; settled is the time before
// which an unsubmitted opening is a deflection.
func (db *DB) KBDeflections(ctx context.Context, from, settled time.Time) (kb.Deflections, error) {
	var d kb.Deflections
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*),
		COUNT(submitted_at),
		COALESCE(SUM(CASE WHEN submitted_at IS NULL AND created_at < $2 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN submitted_at IS NULL AND created_at >= $2 THEN 1 ELSE 0 END), 0)
		FROM kb_suggestion_opens WHERE created_at >= $1`, micros(from), micros(settled)).
		Scan(&d.Opened, &d.Submitted, &d.Deflected, &d.Pending)
	if err != nil {
		return d, fmt.Errorf("kb deflections: %w", err)
	}
	return d, nil
}

// AddKBImage records an uploaded image (once per content).
func (db *DB) AddKBImage(ctx context.Context, img kb.Image) error {
	return db.writeOne(ctx, func(q querier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO kb_images (sha256, content_type, filename, size, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING`, img.SHA256, img.ContentType, img.Filename, img.Size,
			micros(img.CreatedAt))
		return err
	})
}

// KBImage reads an image's record.
func (db *DB) KBImage(ctx context.Context, sha256 string) (*kb.Image, error) {
	var img kb.Image
	var created int64
	err := db.read.QueryRowContext(ctx, `SELECT sha256, content_type, filename, size, created_at FROM kb_images
		WHERE sha256 = $1`, sha256).Scan(&img.SHA256, &img.ContentType, &img.Filename, &img.Size, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, desk.E(desk.ENOTFOUND, "kb.error.image_not_found")
	}
	if err != nil {
		return nil, fmt.Errorf("kb image: %w", err)
	}
	img.CreatedAt = fromMicros(created)
	return &img, nil
}

// searchArticles reads published articles as index entries: internal
// ones marked so, the published title and text.
func (db *DB) searchArticles(ctx context.Context, ids []int64) ([]search.Doc, error) {
	return db.searchRows(ctx, `SELECT id, 0, 0, visibility = 'internal', COALESCE(published_at, created_at),
		published_title, published_text FROM kb_articles WHERE id IN (`+idList(ids)+`) AND published_version > 0
		ORDER BY id`, search.KindArticle)
}
