package web

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/kb"
	"github.com/sahayak/sahayak/internal/ticket"
)

// The knowledge base's API: any signed-in agent reads (internal articles
// included; drafts only with kb:write), kb:write changes. The public reads
// articles on the /kb pages.

var (
	_ versioned = (*kb.Category)(nil)
	_ versioned = (*kb.Section)(nil)
	_ versioned = (*kb.Article)(nil)
)

func (s *Server) listKBCategories(w http.ResponseWriter, r *http.Request) error {
	list, err := s.KB.Categories(r.Context())
	return listWhole(w, r, "categories", list, err, func(x *kb.Category) string { return idKey(x.ID) },
		func(x *kb.Category) time.Time { return x.UpdatedAt }, nil)
}

func (s *Server) getKBCategory(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*kb.Category, error) { return s.KB.Category(r.Context(), id) })
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) createKBCategory(w http.ResponseWriter, r *http.Request) error {
	var in kb.CategoryInput
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := s.KB.CreateCategory(r.Context(), in)
	if err == nil {
		locate(w, "/api/v1/kb/categories/", x.ID)
	}
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) updateKBCategory(w http.ResponseWriter, r *http.Request) error {
	var in kb.CategoryInput
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*kb.Category, error) { return s.KB.UpdateCategory(r.Context(), id, v, in) })
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) listKBSections(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, true, "category_id")
	category := l.id("category_id")
	if err := l.err(); err != nil {
		return err
	}
	var c int64
	if category != nil {
		c = *category
	}
	list, err := s.KB.Sections(r.Context(), c)
	if err != nil {
		return err
	}
	items, next := pageOf(l, list, func(x *kb.Section) string { return idKey(x.ID) }, func(x *kb.Section) time.Time { return x.UpdatedAt })
	writePage(w, "sections", items, next, nil)
	return nil
}

func (s *Server) getKBSection(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*kb.Section, error) { return s.KB.Section(r.Context(), id) })
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) createKBSection(w http.ResponseWriter, r *http.Request) error {
	var in kb.SectionInput
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := s.KB.CreateSection(r.Context(), in)
	if err == nil {
		locate(w, "/api/v1/kb/sections/", x.ID)
	}
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) updateKBSection(w http.ResponseWriter, r *http.Request) error {
	var in kb.SectionInput
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*kb.Section, error) { return s.KB.UpdateSection(r.Context(), id, v, in) })
	return respond(w, http.StatusOK, x, err)
}

// listKBArticles answers articles newest first, keyset by id.
func (s *Server) listKBArticles(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false, "section_id", "language")
	f := kb.ArticleFilter{SectionID: l.id("section_id"), BeforeID: l.cursorID(), Limit: l.limit + 1}
	if langs := l.values("language", kb.Languages); len(langs) == 1 {
		f.Language = &langs[0]
	} else if len(langs) > 1 {
		l.errs["language"] = desk.M("invalid.one_of", "en, hi")
	}
	if err := l.err(); err != nil {
		return err
	}
	list, err := s.KB.Articles(r.Context(), f)
	if err != nil {
		return err
	}
	items, next := sqlPage(l, list, func(x *kb.Article) int64 { return x.ID })
	writePage(w, "articles", items, next, nil)
	return nil
}

func (s *Server) getKBArticle(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*kb.Article, error) { return s.KB.Article(r.Context(), id) })
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) createKBArticle(w http.ResponseWriter, r *http.Request) error {
	var in kb.ArticleInput
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := s.KB.CreateArticle(r.Context(), in)
	if err == nil {
		locate(w, "/api/v1/kb/articles/", x.ID)
	}
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) updateKBArticle(w http.ResponseWriter, r *http.Request) error {
	var in kb.ArticleInput
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*kb.Article, error) { return s.KB.UpdateArticle(r.Context(), id, v, in) })
	return respond(w, http.StatusOK, x, err)
}

// publishKBArticle publishes the draft as a new version; If-Match names
// the draft the publisher read.
func (s *Server) publishKBArticle(w http.ResponseWriter, r *http.Request) error {
	x, err := withPrecondition(r, func(id, v int64) (*kb.Article, error) { return s.KB.Publish(r.Context(), id, v) })
	return respond(w, http.StatusOK, x, err)
}

// unpublishKBArticle takes the article down; its versions stay.
func (s *Server) unpublishKBArticle(w http.ResponseWriter, r *http.Request) error {
	x, err := withPrecondition(r, func(id, v int64) (*kb.Article, error) { return s.KB.Unpublish(r.Context(), id, v) })
	return respond(w, http.StatusOK, x, err)
}

// deleteKBArticle deletes the article with its history; If-Match names
// the version the deleter saw.
func (s *Server) deleteKBArticle(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (struct{}, error) { return struct{}{}, s.KB.DeleteArticle(r.Context(), id, v) })
	return noContent(w, err)
}

func (s *Server) listKBVersions(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false)
	if err := l.err(); err != nil {
		return err
	}
	list, err := withID(r, func(id int64) ([]*kb.Version, error) { return s.KB.Versions(r.Context(), id) })
	if err != nil {
		return err
	}
	// Newest first, as the history reads; the cursor is a version number.
	items, next := pageOf(l, list, func(x *kb.Version) string { return idKey(1e17 - int64(x.Number)) }, nil)
	writePage(w, "versions", items, next, nil)
	return nil
}

func versionNumber(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n < 1 {
		return 0, desk.E(desk.ENOTFOUND, "kb.error.version_not_found", 0)
	}
	return n, nil
}

func (s *Server) getKBVersion(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*kb.Version, error) {
		n, err := versionNumber(r)
		if err != nil {
			return nil, err
		}
		return s.KB.VersionOf(r.Context(), id, n)
	})
	return respond(w, http.StatusOK, x, err)
}

// restoreKBVersion publishes an old version again, as the newest.
func (s *Server) restoreKBVersion(w http.ResponseWriter, r *http.Request) error {
	x, err := withPrecondition(r, func(id, v int64) (*kb.Article, error) {
		n, err := versionNumber(r)
		if err != nil {
			return nil, err
		}
		return s.KB.Restore(r.Context(), id, n, v)
	})
	return respond(w, http.StatusOK, x, err)
}

// uploadKBImage keeps an image for articles: multipart with one "file"
// part (after the CSRF part for cookie sessions), at most 5 MiB. The answer
// names the URL to write in Markdown: ![words](url).
func (s *Server) uploadKBImage(w http.ResponseWriter, r *http.Request) error {
	img, err := s.receiveKBImage(r)
	if err != nil {
		return err
	}
	w.Header().Set("Location", img.URL)
	return respond(w, http.StatusCreated, img, nil)
}

// maxKBImage bounds an article image.
const maxKBImage = 5 << 20

func (s *Server) receiveKBImage(r *http.Request) (*kb.Image, error) {
	mr, err := multipartReader(r)
	if err != nil {
		return nil, desk.E(desk.EINVALID, "error.multipart")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, desk.Invalid(desk.Fields{"file": desk.M("invalid.required")})
		}
		if err != nil {
			return nil, desk.E(desk.EINVALID, "error.multipart")
		}
		if part.FormName() != "file" {
			// The CSRF field, or anything else: nothing to keep.
			if _, err := io.Copy(io.Discard, io.LimitReader(part, MaxJSONBody)); err != nil {
				return nil, desk.E(desk.EINVALID, "error.multipart")
			}
			continue
		}
		name := ticket.CleanFilename(part.FileName())
		// The type is what the bytes are, whatever the part claims: an
		// "image" that sniffs as HTML is refused.
		br := bufio.NewReaderSize(part, 512)
		head, _ := br.Peek(512)
		ct := http.DetectContentType(head)
		if ct != "image/png" && ct != "image/jpeg" && ct != "image/gif" && ct != "image/webp" {
			return nil, desk.Invalid(desk.Fields{"file": desk.M("kb.error.not_image")})
		}
		u, err := s.Blobs.Receive(br, maxKBImage)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, desk.E(desk.ETOOLARGE, "error.message_too_large")
			}
			return nil, err
		}
		if err := u.Keep(); err != nil {
			return nil, err
		}
		return s.KB.AddImage(r.Context(), kb.Image{SHA256: u.Digest, ContentType: ct, Filename: name, Size: u.Size})
	}
}

// kbDeflections answers how the suggestions shown on the new-ticket form
// did since from (default 30 days ago).
func (s *Server) kbDeflections(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, false, "from")
	from := s.Clock.Now().AddDate(0, 0, -30)
	if v := l.q.Get("from"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			l.errs["from"] = desk.M("invalid.rfc3339")
		}
		from = t
	}
	if _, ok := l.q["limit"]; ok {
		l.errs["limit"] = desk.M("invalid.unknown_param")
	}
	if _, ok := l.q["cursor"]; ok {
		l.errs["cursor"] = desk.M("invalid.unknown_param")
	}
	if err := l.err(); err != nil {
		return err
	}
	d, err := s.KB.Deflections(r.Context(), from)
	return respond(w, http.StatusOK, d, err)
}
