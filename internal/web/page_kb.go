package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/kb"
)

// The knowledge base's public pages (/kb): anyone reads public articles; a
// signed-in agent who opens them also sees internal ones. The pages take
// their language from the switch (a cookie), else the agent's, else the
// browser's Accept-Language. Votes are a form guarded by a double-submit
// cookie (there is no session to hold a CSRF secret) and a rate limit per
// client address.

const (
	// KBRateLimit is each client address's public knowledge base writes
	// and suggestion searches a minute (per kind): a customer typing a
	// subject asks for suggestions a few times a second at most (the script
	// waits for a pause); votes and openings are rarer still.
	KBRateLimit  = 120
	kbLangCookie = "sahayak_kb_lang"
	kbCSRFCookie = "sahayak_kb_csrf"
)

// kbReader resolves an agent's session or token if the request carries
// one, so that agents read internal articles; the public gets nothing.
func (s *Server) kbReader(r *http.Request) *http.Request {
	if _, err := r.Cookie(sessionCookie); err != nil && r.Header.Get("Authorization") == "" {
		return r
	}
	a, csrf, _, err := s.authenticate(r)
	if err != nil || a.Kind != desk.ActorAgent {
		return r
	}
	return r.WithContext(context.WithValue(desk.WithActor(r.Context(), a), csrfKey{}, csrf))
}

// kbLang is the language of a KB page: the switch, else the reader's.
func (s *Server) kbLang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "hi" {
		http.SetCookie(w, &http.Cookie{Name: kbLangCookie, Value: l, Path: "/kb", MaxAge: 365 * 24 * 3600,
			SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies, HttpOnly: true})
		return l
	}
	if c, err := r.Cookie(kbLangCookie); err == nil && (c.Value == "en" || c.Value == "hi") {
		return c.Value
	}
	return s.lang(r)
}

// kbPage is what every public KB page gets beside its own data.
type kbPage struct {
	Lang    string
	Path    string // the page's path, for the language switch
	Query   string
	Crumbs  []kbCrumb
	Content any
}

type kbCrumb struct{ Href, Name string }

func (s *Server) renderKB(w http.ResponseWriter, r *http.Request, status int, name, title, lang string, d kbPage) error {
	d.Lang, d.Path = lang, r.URL.Path
	a, _ := desk.ActorFrom(r.Context())
	csrf, _ := r.Context().Value(csrfKey{}).(string)
	return s.render(w, r, status, name, page{Title: title, Lang: lang, Actor: a, CSRF: csrf, Data: d, Nav: "kb"})
}

// kbHomeCategory is a category with its sections, in the page's language.
type kbHomeCategory struct {
	ID          int64
	Name        string
	Description string
	Sections    []kbCrumb
}

func (s *Server) kbHome(w http.ResponseWriter, r *http.Request) error {
	r = s.kbReader(r)
	lang := s.kbLang(w, r)
	cats, err := s.KB.Categories(r.Context())
	if err != nil {
		return err
	}
	secs, err := s.KB.Sections(r.Context(), 0)
	if err != nil {
		return err
	}
	var out []kbHomeCategory
	for _, c := range cats {
		hc := kbHomeCategory{ID: c.ID, Name: kb.NameIn(lang, c.Name, c.NameHi), Description: c.Description}
		for _, x := range secs {
			if x.CategoryID == c.ID {
				hc.Sections = append(hc.Sections, kbCrumb{Href: "/kb/sections/" + strconv.FormatInt(x.ID, 10),
					Name: kb.NameIn(lang, x.Name, x.NameHi)})
			}
		}
		out = append(out, hc)
	}
	return s.renderKB(w, r, http.StatusOK, "kb_home.html", "kb.title", lang, kbPage{Content: out})
}

// crumbs is the way back from a section: the help center, its category.
func (s *Server) kbCrumbs(ctx context.Context, lang string, sectionID int64, withSection bool) ([]kbCrumb, *kb.Section, error) {
	sec, err := s.KB.Section(ctx, sectionID)
	if err != nil {
		return nil, nil, err
	}
	cat, err := s.KB.Category(ctx, sec.CategoryID)
	if err != nil {
		return nil, nil, err
	}
	out := []kbCrumb{{Href: "/kb", Name: ""}, {Href: "/kb#category-" + strconv.FormatInt(cat.ID, 10), Name: kb.NameIn(lang, cat.Name, cat.NameHi)}}
	if withSection {
		out = append(out, kbCrumb{Href: "/kb/sections/" + strconv.FormatInt(sec.ID, 10), Name: kb.NameIn(lang, sec.Name, sec.NameHi)})
	}
	return out, sec, nil
}

// kbSectionData is a section's page.
type kbSectionData struct {
	Name     string
	Articles []*kb.Article
}

func (s *Server) kbSectionPage(w http.ResponseWriter, r *http.Request) error {
	r = s.kbReader(r)
	lang := s.kbLang(w, r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	crumbs, sec, err := s.kbCrumbs(r.Context(), lang, id, false)
	if err != nil {
		return err
	}
	list, err := s.KB.Articles(r.Context(), kb.ArticleFilter{SectionID: &id, PublishedOnly: true, Limit: 200})
	if err != nil {
		return err
	}
	// Each article once, in the reader's language when it has a version in it.
	var shown []*kb.Article
	groups := map[int64]int{}
	for _, a := range list {
		if i, ok := groups[a.GroupID]; ok {
			if a.Language == lang {
				shown[i] = a
			}
			continue
		}
		groups[a.GroupID] = len(shown)
		shown = append(shown, a)
	}
	return s.renderKB(w, r, http.StatusOK, "kb_section.html", "kb.title", lang, kbPage{Crumbs: crumbs,
		Content: kbSectionData{Name: kb.NameIn(lang, sec.Name, sec.NameHi), Articles: shown}})
}

// kbArticleData is an article's page.
type kbArticleData struct {
	Article *kb.Article
	Voted   bool
	CSRF    string
	Errors  desk.Fields
	Comment string
	// Edit is the editor's address, for agents who may write.
	Edit string
}

func (s *Server) kbArticlePage(w http.ResponseWriter, r *http.Request) error {
	r = s.kbReader(r)
	return s.showKBArticle(w, r, http.StatusOK, kbArticleData{Voted: r.URL.Query().Get("voted") == "1"})
}

func (s *Server) showKBArticle(w http.ResponseWriter, r *http.Request, status int, d kbArticleData) error {
	lang := s.kbLang(w, r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.KB.Article(r.Context(), id)
	if err == nil && !a.Published() {
		// A writer's draft has nothing to read yet: the editor shows it.
		err = desk.E(desk.ENOTFOUND, "kb.error.article_not_found", id)
	}
	if desk.ErrorCode(err) == desk.ENOTFOUND {
		// Unknown, internal, draft or taken down: the reader stays in the
		// help center, with its search and a way home.
		return s.renderKB(w, r, http.StatusNotFound, "kb_missing.html", "kb.missing_title", lang, kbPage{})
	}
	if err != nil {
		return err
	}
	d.Article = a
	actor, _ := desk.ActorFrom(r.Context())
	if actor.Can(auth.KBWrite) {
		d.Edit = "/admin/kb/articles/" + strconv.FormatInt(a.ID, 10)
	} else if status == http.StatusOK {
		s.KB.Viewed(a.ID)
	}
	crumbs, _, err := s.kbCrumbs(r.Context(), lang, a.SectionID, true)
	if err != nil {
		return err
	}
	// One value per browser (an hour): several tabs' forms all work.
	token := ""
	if c, err := r.Cookie(kbCSRFCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 100 {
		token = c.Value
	} else if token, _, err = auth.NewSecret(""); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: kbCSRFCookie, Value: token, Path: "/kb", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.SecureCookies, MaxAge: 3600})
	d.CSRF = token
	return s.renderKB(w, r, status, "kb_article.html", "kb.title", lang, kbPage{Crumbs: crumbs, Content: d})
}

// kbVote records "was this helpful" from the article's form.
func (s *Server) kbVote(w http.ResponseWriter, r *http.Request) error {
	r = s.kbReader(r)
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d := kbArticleData{Comment: r.PostFormValue("comment")}
	c, err := r.Cookie(kbCSRFCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		d.Errors = desk.Fields{"": desk.M("kb.error.vote_expired")}
		return s.showKBArticle(w, r, http.StatusForbidden, d)
	}
	if !s.kbRate("vote "+clientAddr(r), s.Clock.Now()) {
		d.Errors = desk.Fields{"": desk.M("kb.error.too_many")}
		return s.showKBArticle(w, r, http.StatusTooManyRequests, d)
	}
	helpful := r.PostFormValue("helpful")
	if helpful != "yes" && helpful != "no" {
		d.Errors = desk.Fields{"helpful": desk.M("invalid.one_of", "yes, no")}
		return s.showKBArticle(w, r, http.StatusBadRequest, d)
	}
	err = s.KB.Vote(r.Context(), id, s.voter(r, id), helpful == "yes", d.Comment)
	switch desk.ErrorCode(err) {
	case "":
		http.Redirect(w, r, kb.ArticlePath(id)+"?voted=1#helpful", http.StatusSeeOther)
		return nil
	case desk.EINVALID:
		d.Errors = desk.ErrorFields(err)
		return s.showKBArticle(w, r, http.StatusBadRequest, d)
	}
	return err
}

// voter names a reader for one article and day without keeping their
// address: a second vote from the same address that day replaces the first.
func (s *Server) voter(r *http.Request, articleID int64) string {
	day := s.Clock.Now().UTC().Format("2006-01-02")
	return auth.Digest(clientAddr(r) + "|" + strconv.FormatInt(articleID, 10) + "|" + day)
}

// kbSearchData is the KB search page.
type kbSearchData struct {
	Results []kb.Suggestion
	Errors  desk.Fields
}

func (s *Server) kbSearchPage(w http.ResponseWriter, r *http.Request) error {
	r = s.kbReader(r)
	lang := s.kbLang(w, r)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := kbSearchData{}
	status := http.StatusOK
	if q != "" {
		list, err := s.KB.Find(r.Context(), q, "")
		switch desk.ErrorCode(err) {
		case "":
			d.Results = list
		case desk.EINVALID:
			d.Errors, status = desk.ErrorFields(err), http.StatusBadRequest
		default:
			return err
		}
	}
	return s.renderKB(w, r, status, "kb_search.html", "kb.search_title", lang, kbPage{Query: q,
		Crumbs: []kbCrumb{{Href: "/kb"}}, Content: d})
}

// kbImage serves an uploaded article image to anyone (articles are public).
func (s *Server) kbImage(w http.ResponseWriter, r *http.Request) error {
	img, err := s.KB.Image(r.Context(), r.PathValue("sha256"))
	if err != nil {
		return err
	}
	f, err := s.Blobs.Open(img.SHA256)
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", img.ContentType)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "public, max-age=86400")
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}

// --- suggestions (JSON, public)

// kbSuggest answers articles for a draft subject:
// GET /kb/suggest?q=&lang=&limit=. Agents (by session or token) get
// internal articles too.
func (s *Server) kbSuggest(w http.ResponseWriter, r *http.Request) error {
	r = s.kbReader(r)
	if !s.kbRate("suggest "+clientAddr(r), s.Clock.Now()) {
		w.Header().Set("Retry-After", "60")
		return desk.E(desk.ERATELIMIT, "kb.error.too_many")
	}
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return desk.Invalid(desk.Fields{"limit": desk.M("invalid.at_most", kb.MaxSuggestions)})
		}
		limit = n
	}
	list, err := s.KB.Suggest(r.Context(), q.Get("q"), q.Get("lang"), limit)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	// The heading a form shows above them, in the language asked for.
	lang := q.Get("lang")
	if lang == "" {
		lang = s.lang(r)
	}
	writeJSON(w, http.StatusOK, map[string]any{"suggestions": list, "heading": s.Catalog.T(lang, "kb.suggest_heading")})
	return nil
}

// sameSite refuses a write another site's page sent: such a browser
// request says so (Sec-Fetch-Site) or names its origin. JSON bodies
// already need a preflight cross-site; this closes the rest.
func sameSite(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return desk.E(desk.EFORBIDDEN, "kb.error.cross_site")
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return desk.E(desk.EFORBIDDEN, "kb.error.cross_site")
		}
	}
	return nil
}

// kbSuggestionOpened records that a suggestion was opened from the
// new-ticket form: POST /kb/suggest/opened {"article_id", "q"} answers
// {"token"}, which the form sends back if the ticket is sent anyway.
func (s *Server) kbSuggestionOpened(w http.ResponseWriter, r *http.Request) error {
	if err := sameSite(r); err != nil {
		return err
	}
	if !s.kbRate("open "+clientAddr(r), s.Clock.Now()) {
		w.Header().Set("Retry-After", "60")
		return desk.E(desk.ERATELIMIT, "kb.error.too_many")
	}
	var in struct {
		ArticleID int64  `json:"article_id"`
		Q         string `json:"q"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	token, err := s.KB.OpenSuggestion(r.Context(), in.ArticleID, in.Q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": token})
	return nil
}

// kbSuggestionsSubmitted records that the new-ticket form was sent after
// suggestions were opened: POST /kb/suggest/submitted {"tokens": [...]}.
func (s *Server) kbSuggestionsSubmitted(w http.ResponseWriter, r *http.Request) error {
	if err := sameSite(r); err != nil {
		return err
	}
	if !s.kbRate("submit "+clientAddr(r), s.Clock.Now()) {
		w.Header().Set("Retry-After", "60")
		return desk.E(desk.ERATELIMIT, "kb.error.too_many")
	}
	var in struct {
		Tokens []string `json:"tokens"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	n, err := s.KB.SubmitSuggestions(r.Context(), in.Tokens)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"marked": n})
	return nil
}
