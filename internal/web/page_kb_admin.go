package web

import (
	"net/http"
	"strconv"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/kb"
)

// The knowledge base's agent pages (kb:write), under Settings: categories
// and sections, the articles with their state, the editor (draft, publish,
// versions, restore, translations) and how suggestions deflect tickets.

// kbAdminData is the knowledge base's admin page.
type kbAdminData struct {
	Categories  []*kb.Category
	Sections    []*kb.Section
	Articles    []*kb.Article
	Deflections kb.Deflections
	Errors      desk.Fields
	Form        map[string]string
}

// SectionName names a section for the articles table.
func (d kbAdminData) SectionName(id int64) string {
	for _, x := range d.Sections {
		if x.ID == id {
			return x.Name
		}
	}
	return ""
}

func (s *Server) kbAdminPage(w http.ResponseWriter, r *http.Request) error {
	return s.showKBAdmin(w, r, http.StatusOK, kbAdminData{})
}

func (s *Server) showKBAdmin(w http.ResponseWriter, r *http.Request, status int, d kbAdminData) error {
	ctx := r.Context()
	var err error
	if d.Categories, err = s.KB.Categories(ctx); err != nil {
		return err
	}
	if d.Sections, err = s.KB.Sections(ctx, 0); err != nil {
		return err
	}
	if d.Articles, err = s.KB.Articles(ctx, kb.ArticleFilter{Limit: 500}); err != nil {
		return err
	}
	if d.Deflections, err = s.KB.Deflections(ctx, s.Clock.Now().AddDate(0, 0, -30)); err != nil {
		return err
	}
	p := page{Title: "kb.admin_title", Nav: "admin-kb", Data: d, Flash: s.takeFlash(w, r)}
	if status >= 400 {
		p.Flash = s.failed(r)
	}
	return s.render(w, r, status, "kb_admin.html", p)
}

// kbAdminDone ends a save of the admin page: back to it with a flash, or
// the page again with what was wrong.
func (s *Server) kbAdminDone(w http.ResponseWriter, r *http.Request, err error, form map[string]string) error {
	switch desk.ErrorCode(err) {
	case "":
		s.flash(w, "ok", "kb.flash_saved")
		http.Redirect(w, r, "/admin/kb", http.StatusSeeOther)
		return nil
	case desk.EINVALID, desk.ESTALE, desk.ECONFLICT:
		f := desk.ErrorFields(err)
		if len(f) == 0 {
			f = desk.Fields{"": desk.ErrorMsg(err)}
		}
		return s.showKBAdmin(w, r, formStatus(err), kbAdminData{Errors: f, Form: form})
	}
	return err
}

func kbFormText(r *http.Request, name string) *string {
	v := r.PostFormValue(name)
	return &v
}

func kbFormInt(r *http.Request, name string) *int {
	n, _ := strconv.Atoi(r.PostFormValue(name))
	return &n
}

func kbFormID(r *http.Request, name string) *int64 {
	n, _ := strconv.ParseInt(r.PostFormValue(name), 10, 64)
	return &n
}

func (s *Server) createKBCategoryPage(w http.ResponseWriter, r *http.Request) error {
	_, err := s.KB.CreateCategory(r.Context(), kb.CategoryInput{Name: kbFormText(r, "name"), NameHi: kbFormText(r, "name_hi"),
		Description: kbFormText(r, "description"), Position: kbFormInt(r, "position")})
	return s.kbAdminDone(w, r, err, map[string]string{"form": "category", "name": r.PostFormValue("name"),
		"name_hi": r.PostFormValue("name_hi")})
}

func (s *Server) updateKBCategoryPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, err = s.KB.UpdateCategory(r.Context(), id, formVersion(r), kb.CategoryInput{Name: kbFormText(r, "name"),
		NameHi: kbFormText(r, "name_hi"), Position: kbFormInt(r, "position")})
	return s.kbAdminDone(w, r, err, nil)
}

func (s *Server) createKBSectionPage(w http.ResponseWriter, r *http.Request) error {
	_, err := s.KB.CreateSection(r.Context(), kb.SectionInput{CategoryID: kbFormID(r, "category_id"), Name: kbFormText(r, "name"),
		NameHi: kbFormText(r, "name_hi"), Position: kbFormInt(r, "position")})
	return s.kbAdminDone(w, r, err, map[string]string{"form": "section", "name": r.PostFormValue("name"),
		"name_hi": r.PostFormValue("name_hi")})
}

func (s *Server) updateKBSectionPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, err = s.KB.UpdateSection(r.Context(), id, formVersion(r), kb.SectionInput{Name: kbFormText(r, "name"),
		NameHi: kbFormText(r, "name_hi"), Position: kbFormInt(r, "position")})
	return s.kbAdminDone(w, r, err, nil)
}

// kbEditorData is the article editor.
type kbEditorData struct {
	Article  *kb.Article // nil for a new one
	Sections []*kb.Section
	Versions []*kb.Version
	// Form is what the editor shows: the draft, or what was sent.
	Form          kb.Article
	TranslationOf int64
	Errors        desk.Fields
}

func (s *Server) newKBArticlePage(w http.ResponseWriter, r *http.Request) error {
	d := kbEditorData{Form: kb.Article{Language: "en", Visibility: kb.Public}}
	if v := r.URL.Query().Get("translation_of"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return desk.E(desk.ENOTFOUND, "kb.error.article_not_found", 0)
		}
		of, err := s.KB.Article(r.Context(), id)
		if err != nil {
			return err
		}
		d.TranslationOf, d.Form.SectionID, d.Form.Visibility = of.ID, of.SectionID, of.Visibility
		d.Form.Language = "hi"
		if of.Language == "hi" {
			d.Form.Language = "en"
		}
	}
	return s.showKBEditor(w, r, http.StatusOK, d)
}

func (s *Server) showKBEditor(w http.ResponseWriter, r *http.Request, status int, d kbEditorData) error {
	var err error
	if d.Sections, err = s.KB.Sections(r.Context(), 0); err != nil {
		return err
	}
	if d.Article != nil {
		if d.Versions, err = s.KB.Versions(r.Context(), d.Article.ID); err != nil {
			return err
		}
	}
	p := page{Title: "kb.editor_title", Nav: "admin-kb", Data: d, Flash: s.takeFlash(w, r)}
	if status >= 400 {
		p.Flash = s.failed(r)
	}
	return s.render(w, r, status, "kb_editor.html", p)
}

// articleForm reads the editor's fields.
func articleForm(r *http.Request) kb.ArticleInput {
	return kb.ArticleInput{SectionID: kbFormID(r, "section_id"), Visibility: kbFormText(r, "visibility"),
		Title: kbFormText(r, "title"), Body: kbFormText(r, "body")}
}

func (s *Server) createKBArticlePage(w http.ResponseWriter, r *http.Request) error {
	in := articleForm(r)
	in.Language = kbFormText(r, "language")
	if of := *kbFormID(r, "translation_of"); of > 0 {
		in.TranslationOf = &of
	}
	a, err := s.KB.CreateArticle(r.Context(), in)
	if err == nil {
		s.flash(w, "ok", "kb.flash_draft_saved")
		http.Redirect(w, r, "/admin/kb/articles/"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
		return nil
	}
	return s.kbEditorFailed(w, r, err, nil, in, *kbFormID(r, "translation_of"))
}

func (s *Server) kbEditorFailed(w http.ResponseWriter, r *http.Request, err error, a *kb.Article, in kb.ArticleInput, of int64) error {
	switch desk.ErrorCode(err) {
	case desk.EINVALID, desk.ESTALE, desk.ECONFLICT:
	default:
		return err
	}
	d := kbEditorData{Article: a, TranslationOf: of, Errors: desk.ErrorFields(err)}
	if len(d.Errors) == 0 {
		d.Errors = desk.Fields{"": desk.ErrorMsg(err)}
	}
	if a != nil {
		d.Form = *a
	}
	if in.Language != nil {
		d.Form.Language = *in.Language
	}
	d.Form.SectionID, d.Form.Visibility, d.Form.Title, d.Form.Body = *in.SectionID, *in.Visibility, *in.Title, *in.Body
	return s.showKBEditor(w, r, formStatus(err), d)
}

// pathArticle is the article the {id} of the path names, as the writer
// sees it.
func (s *Server) pathArticle(r *http.Request) (*kb.Article, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return s.KB.Article(r.Context(), id)
}

func (s *Server) kbArticleEditor(w http.ResponseWriter, r *http.Request) error {
	a, err := s.pathArticle(r)
	if err != nil {
		return err
	}
	return s.showKBEditor(w, r, http.StatusOK, kbEditorData{Article: a, Form: *a})
}

// saveKBArticlePage saves the draft and, with action=publish, publishes
// it; the form's version makes a save over someone else's a 409 page.
func (s *Server) saveKBArticlePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in := articleForm(r)
	a, err := s.KB.UpdateArticle(r.Context(), id, formVersion(r), in)
	if err == nil && r.PostFormValue("action") == "publish" {
		a, err = s.KB.Publish(r.Context(), id, a.Version)
	}
	if err != nil {
		current, rerr := s.KB.Article(r.Context(), id)
		if rerr != nil {
			return rerr
		}
		return s.kbEditorFailed(w, r, err, current, in, 0)
	}
	key := "kb.flash_draft_saved"
	if a.Published() && r.PostFormValue("action") == "publish" {
		key = "kb.flash_published"
	}
	s.flash(w, "ok", key, strconv.Itoa(a.PublishedVersion))
	http.Redirect(w, r, "/admin/kb/articles/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// kbVersionData is an old version, as it was published.
type kbVersionData struct {
	Article *kb.Article
	Version *kb.Version
}

func (s *Server) kbVersionPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	n, err := versionNumber(r)
	if err != nil {
		return err
	}
	a, err := s.KB.Article(r.Context(), id)
	if err != nil {
		return err
	}
	v, err := s.KB.VersionOf(r.Context(), id, n)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "kb_version.html", page{Title: "kb.version_title", Nav: "admin-kb",
		Data: kbVersionData{Article: a, Version: v}})
}

func (s *Server) restoreKBVersionPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	n, err := versionNumber(r)
	if err != nil {
		return err
	}
	a, err := s.KB.Restore(r.Context(), id, n, formVersion(r))
	switch desk.ErrorCode(err) {
	case "":
		s.flash(w, "ok", "kb.flash_restored", strconv.Itoa(n), strconv.Itoa(a.PublishedVersion))
	case desk.ESTALE, desk.EINVALID:
		s.flash(w, "fail", "kb.flash_stale")
	default:
		return err
	}
	http.Redirect(w, r, "/admin/kb/articles/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// unpublishKBArticlePage takes the article down from the editor; its
// versions stay, and the editor's Publish or Restore brings it back.
func (s *Server) unpublishKBArticlePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, err = s.KB.Unpublish(r.Context(), id, formVersion(r))
	switch desk.ErrorCode(err) {
	case "":
		s.flash(w, "ok", "kb.flash_unpublished")
	case desk.ESTALE, desk.EUNPROCESSABLE:
		s.flash(w, "fail", "kb.flash_changed")
	default:
		return err
	}
	http.Redirect(w, r, "/admin/kb/articles/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// kbDeleteData is the confirmation before an article is deleted: what
// goes with it.
type kbDeleteData struct {
	Article  *kb.Article
	Versions int
}

// confirmDeleteKBArticlePage asks before deleting: the article goes for
// good with its history, so the page says what is lost.
func (s *Server) confirmDeleteKBArticlePage(w http.ResponseWriter, r *http.Request) error {
	a, err := s.pathArticle(r)
	if err != nil {
		return err
	}
	vs, err := s.KB.Versions(r.Context(), a.ID)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "kb_delete.html", page{Title: "kb.delete_title", Nav: "admin-kb",
		Data: kbDeleteData{Article: a, Versions: len(vs)}})
}

func (s *Server) deleteKBArticlePage(w http.ResponseWriter, r *http.Request) error {
	a, err := s.pathArticle(r)
	if err != nil {
		return err
	}
	id := a.ID
	err = s.KB.DeleteArticle(r.Context(), id, formVersion(r))
	switch desk.ErrorCode(err) {
	case "":
		s.flash(w, "ok", "kb.flash_deleted", a.Title)
		http.Redirect(w, r, "/admin/kb", http.StatusSeeOther)
	case desk.ESTALE:
		s.flash(w, "fail", "kb.flash_changed")
		http.Redirect(w, r, "/admin/kb/articles/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	default:
		return err
	}
	return nil
}

// formStatus is the status of a form page that refused a save: a version
// someone else changed is a conflict the page shows (409), as the other
// forms answer; the API says 412.
func formStatus(err error) int {
	if desk.ErrorCode(err) == desk.ESTALE {
		return http.StatusConflict
	}
	return HTTPStatus(err)
}
