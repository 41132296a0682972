package kb_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/kb"
	"github.com/sahayak/sahayak/internal/search"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// The cast: a writer (kb:write), an agent (signed in, nothing more) and the
// public (no actor at all).
var (
	writer  = desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorAgent, ID: 1, Permissions: []string{auth.KBWrite}})
	agent   = desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorAgent, ID: 2, Permissions: []string{auth.TicketsRead}})
	public  = context.Background()
	contact = desk.WithActor(context.Background(), desk.Actor{Kind: desk.ActorContact, ID: 9})
)

type testKB struct {
	t       *testing.T
	db      *store.DB
	kb      *kb.Service
	index   *search.Indexer
	clock   *storetest.Clock
	section int64
}

func newKB(t *testing.T, b storetest.Backend) *testKB {
	db := storetest.Open(t, b)
	clock := storetest.NewClock(time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	x := &testKB{t: t, db: db, kb: kb.New(db, clock, search.Words), clock: clock,
		index: search.NewIndexer(db, event.NewBus(), quiet)}
	name := "Billing"
	c, err := x.kb.CreateCategory(writer, kb.CategoryInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	sname := "Invoices"
	s, err := x.kb.CreateSection(writer, kb.SectionInput{CategoryID: &c.ID, Name: &sname})
	if err != nil {
		t.Fatal(err)
	}
	x.section = s.ID
	return x
}

func (x *testKB) article(lang, visibility, title, body string, translationOf int64) *kb.Article {
	x.t.Helper()
	in := kb.ArticleInput{SectionID: &x.section, Language: &lang, Visibility: &visibility, Title: &title, Body: &body}
	if translationOf != 0 {
		in.TranslationOf = &translationOf
	}
	a, err := x.kb.CreateArticle(writer, in)
	if err != nil {
		x.t.Fatalf("create %q: %v", title, err)
	}
	return a
}

func (x *testKB) publish(id int64) *kb.Article {
	x.t.Helper()
	a, err := x.kb.Publish(writer, id, 0)
	if err != nil {
		x.t.Fatalf("publish %d: %v", id, err)
	}
	return a
}

func ptr[T any](v T) *T { return &v }

// Drafts, publishing, versions and restore, on each database.
func TestArticleVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		x := newKB(t, b)
		a := x.article("en", kb.Public, "Download an invoice", "Open **Billing**.", 0)
		if a.PublishedVersion != 0 || a.Version != 1 || a.GroupID != a.ID {
			t.Fatalf("a new article is a draft of its own group: %+v", a)
		}
		if _, err := x.kb.Article(public, a.ID); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Fatalf("a draft is not found by the public: %v", err)
		}
		a = x.publish(a.ID)
		if a.PublishedVersion != 1 || !strings.Contains(a.PublishedHTML, "<strong>Billing</strong>") {
			t.Fatalf("published: %+v", a)
		}
		// Editing the draft leaves readers' copy alone.
		a, err := x.kb.UpdateArticle(writer, a.ID, a.Version, kb.ArticleInput{Body: ptr("Open **Billing**, then Invoices.")})
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := x.kb.Article(public, a.ID); r == nil || strings.Contains(r.PublishedHTML, "Invoices") || r.Body != "" {
			t.Fatalf("readers see the published copy only: %+v", r)
		}
		// A stale version is refused, and says the current one.
		if _, err := x.kb.UpdateArticle(writer, a.ID, a.Version-1, kb.ArticleInput{Title: ptr("x")}); desk.ErrorCode(err) != desk.ESTALE {
			t.Fatalf("stale update: %v", err)
		}
		if _, err := x.kb.Publish(writer, a.ID, a.Version-1); desk.ErrorCode(err) != desk.ESTALE {
			t.Fatalf("stale publish: %v", err)
		}
		a = x.publish(a.ID)
		vs, err := x.kb.Versions(agent, a.ID)
		if err != nil || len(vs) != 2 || vs[0].Number != 2 || vs[1].Number != 1 {
			t.Fatalf("two versions, newest first: %v %v", vs, err)
		}
		if _, err := x.kb.Versions(public, a.ID); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Fatalf("history is not public: %v", err)
		}
		// Restoring version 1 publishes it again as version 3.
		a, err = x.kb.Restore(writer, a.ID, 1, a.Version)
		if err != nil {
			t.Fatal(err)
		}
		if a.PublishedVersion != 3 || strings.Contains(a.PublishedHTML, "Invoices") || a.Body != "Open **Billing**." {
			t.Fatalf("restored: %+v", a)
		}
		if _, err := x.kb.Restore(writer, a.ID, 9, 0); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Fatalf("restore of a version that never was: %v", err)
		}
	})
}

// Who may do and see what.
func TestArticleVisibilityAndPermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		x := newKB(t, b)
		pub := x.publish(x.article("en", kb.Public, "Reset your password", "Click *Forgot*.", 0).ID)
		internal := x.publish(x.article("en", kb.Internal, "Refund override", "Ask a lead.", 0).ID)
		draft := x.article("en", kb.Public, "Coming soon", "", 0)
		for _, c := range []struct {
			name    string
			ctx     context.Context
			id      int64
			visible bool
		}{
			{"the public reads a public article", public, pub.ID, true},
			{"the public does not see an internal one", public, internal.ID, false},
			{"nor does a customer", contact, internal.ID, false},
			{"an agent reads an internal article", agent, internal.ID, true},
			{"an agent does not see a draft", agent, draft.ID, false},
			{"a writer sees the draft", writer, draft.ID, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := x.kb.Article(c.ctx, c.id)
				if c.visible != (err == nil) {
					t.Fatalf("visible %v, got %v", c.visible, err)
				}
				if !c.visible && desk.ErrorCode(err) != desk.ENOTFOUND {
					t.Fatalf("hidden must read as not found: %v", err)
				}
			})
		}
		lists := []struct {
			name string
			ctx  context.Context
			want int
		}{{"public list", public, 1}, {"agent list", agent, 2}, {"writer list", writer, 3}}
		for _, c := range lists {
			list, err := x.kb.Articles(c.ctx, kb.ArticleFilter{})
			if err != nil || len(list) != c.want {
				t.Errorf("%s: %d articles, want %d (%v)", c.name, len(list), c.want, err)
			}
		}
		for _, c := range []struct {
			name string
			err  error
			code string
		}{
			{"an agent may not write", func() error { _, err := x.kb.CreateArticle(agent, kb.ArticleInput{Title: ptr("x")}); return err }(), desk.EFORBIDDEN},
			{"an agent may not publish", func() error { _, err := x.kb.Publish(agent, draft.ID, 0); return err }(), desk.EFORBIDDEN},
			{"the public may not write", func() error { _, err := x.kb.CreateCategory(public, kb.CategoryInput{Name: ptr("x")}); return err }(), desk.EUNAUTHORIZED},
			{"a title is required", func() error {
				_, err := x.kb.CreateArticle(writer, kb.ArticleInput{SectionID: &x.section, Title: ptr(" ")})
				return err
			}(), desk.EINVALID},
			{"an unknown language", func() error {
				_, err := x.kb.CreateArticle(writer, kb.ArticleInput{SectionID: &x.section, Title: ptr("x"), Language: ptr("fr")})
				return err
			}(), desk.EINVALID},
			{"an unknown section", func() error {
				_, err := x.kb.CreateArticle(writer, kb.ArticleInput{SectionID: ptr(int64(999)), Title: ptr("x")})
				return err
			}(), desk.EINVALID},
			{"visibility is public or internal", func() error {
				_, err := x.kb.UpdateArticle(writer, pub.ID, 0, kb.ArticleInput{Visibility: ptr("secret")})
				return err
			}(), desk.EINVALID},
		} {
			if desk.ErrorCode(c.err) != c.code {
				t.Errorf("%s: %v, want %s", c.name, c.err, c.code)
			}
		}
		// Making a published article internal hides it from the public at once.
		if _, err := x.kb.UpdateArticle(writer, pub.ID, 0, kb.ArticleInput{Visibility: ptr(kb.Internal)}); err != nil {
			t.Fatal(err)
		}
		if _, err := x.kb.Article(public, pub.ID); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Fatalf("made internal, still public: %v", err)
		}
	})
}

// English and Hindi versions of one article, linked.
func TestArticleTranslations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		x := newKB(t, b)
		en := x.publish(x.article("en", kb.Public, "Pay by UPI", "Scan the code.", 0).ID)
		hi := x.article("hi", kb.Public, "यूपीआई से भुगतान", "कोड स्कैन करें।", en.ID)
		if hi.GroupID != en.ID || hi.SectionID != en.SectionID {
			t.Fatalf("the translation joins the group and section: %+v", hi)
		}
		// An unpublished translation is not offered to readers.
		if r, _ := x.kb.Article(public, en.ID); len(r.Translations) != 0 {
			t.Fatalf("unpublished translation offered: %+v", r.Translations)
		}
		x.publish(hi.ID)
		r, err := x.kb.Article(public, en.ID)
		if err != nil || len(r.Translations) != 1 || r.Translations[0].ID != hi.ID || r.Translations[0].Language != "hi" {
			t.Fatalf("English links to Hindi: %+v %v", r, err)
		}
		r, _ = x.kb.Article(public, hi.ID)
		if len(r.Translations) != 1 || r.Translations[0].ID != en.ID || r.Translations[0].Title != "Pay by UPI" {
			t.Fatalf("Hindi links to English: %+v", r.Translations)
		}
		_, err = x.kb.CreateArticle(writer, kb.ArticleInput{Language: ptr("hi"), Title: ptr("दूसरा"), TranslationOf: &en.ID})
		if desk.ErrorCode(err) != desk.ECONFLICT {
			t.Fatalf("a second Hindi version: %v", err)
		}
		_, err = x.kb.CreateArticle(writer, kb.ArticleInput{Language: ptr("en"), Title: ptr("Again"), TranslationOf: &en.ID})
		if desk.ErrorCode(err) != desk.EINVALID {
			t.Fatalf("a translation in the same language: %v", err)
		}
		if _, err := x.kb.UpdateArticle(writer, hi.ID, 0, kb.ArticleInput{Language: ptr("en")}); desk.ErrorCode(err) != desk.EINVALID {
			t.Fatalf("language is fixed: %v", err)
		}
	})
}

// Votes (one per reader and day, changeable), views (batched) and
// suggestions with deflections.
func TestReadersVotesViewsAndSuggestions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		x := newKB(t, b)
		a := x.publish(x.article("en", kb.Public, "Reset your password", "Use the *Forgot password* link on the sign-in page.", 0).ID)
		in := x.publish(x.article("en", kb.Internal, "Password resets for VIPs", "Call them back.", 0).ID)
		hi := x.publish(x.article("hi", kb.Public, "पासवर्ड बदलें", "साइन-इन पेज पर लिंक दबाएँ।", a.ID).ID)
		votes := []struct {
			voter   string
			helpful bool
			comment string
		}{{"r1", true, ""}, {"r2", false, "Link missing"}, {"r2", true, "Found it"}, {"r3", true, ""}}
		for _, v := range votes {
			if err := x.kb.Vote(public, a.ID, v.voter, v.helpful, v.comment); err != nil {
				t.Fatal(err)
			}
		}
		if err := x.kb.Vote(public, in.ID, "r1", true, ""); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Fatalf("the public votes on an internal article: %v", err)
		}
		if err := x.kb.Vote(public, a.ID, "r4", true, strings.Repeat("x", kb.MaxComment+1)); desk.ErrorCode(err) != desk.EINVALID {
			t.Fatalf("a comment too long: %v", err)
		}
		for range 5 {
			x.kb.Viewed(a.ID)
		}
		if err := x.kb.Views().Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		x.kb.Viewed(a.ID)
		if err := x.kb.Views().Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		got, _ := x.kb.Article(public, a.ID)
		if got.HelpfulYes != 3 || got.HelpfulNo != 0 || got.Views != 6 {
			t.Fatalf("r2 changed their vote; 6 views: yes %d no %d views %d", got.HelpfulYes, got.HelpfulNo, got.Views)
		}

		storetest.CatchUp(t, x.db, search.Consumer, x.index.Apply)
		for _, c := range []struct {
			name, q, lang string
			ctx           context.Context
			want          []int64
		}{
			{"the public gets public articles", "forgot my password", "", public, []int64{a.ID}},
			{"an agent gets internal ones too", "password", "en", agent, []int64{in.ID, a.ID}},
			{"in Hindi", "पासवर्ड भूल गया", "hi", public, []int64{hi.ID}},
			{"words are words: a part of one finds nothing", "pass", "", public, nil},
			{"only common words", "how do I", "", public, nil},
			{"search syntax is text", `"password" OR NOT *`, "en", public, []int64{a.ID}},
		} {
			t.Run(c.name, func(t *testing.T) {
				list, err := x.kb.Suggest(c.ctx, c.q, c.lang, 5)
				if err != nil {
					t.Fatal(err)
				}
				var ids []int64
				for _, s := range list {
					ids = append(ids, s.ID)
				}
				if len(ids) != len(c.want) {
					t.Fatalf("got %v, want %v", ids, c.want)
				}
				for i := range ids {
					if ids[i] != c.want[i] && len(c.want) == 1 {
						t.Fatalf("got %v, want %v", ids, c.want)
					}
				}
			})
		}
		if _, err := x.kb.Suggest(public, "x", "fr", 5); desk.ErrorCode(err) != desk.EINVALID {
			t.Fatalf("a bad language: %v", err)
		}

		// Deflection: three suggestions opened; one customer sends the
		// ticket anyway; an hour later the other two are deflections.
		var tokens []string
		for range 3 {
			tok, err := x.kb.OpenSuggestion(public, a.ID, "forgot password")
			if err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, tok)
		}
		if _, err := x.kb.OpenSuggestion(public, in.ID, ""); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Fatalf("opening an internal article: %v", err)
		}
		if n, err := x.kb.SubmitSuggestions(public, []string{tokens[0], "kbs_forged"}); err != nil || n != 1 {
			t.Fatalf("submitted: %d %v", n, err)
		}
		from := x.clock.Now().Add(-time.Minute)
		d, err := x.kb.Deflections(writer, from)
		if err != nil || d != (kb.Deflections{Opened: 3, Submitted: 1, Pending: 2}) {
			t.Fatalf("within the hour: %+v %v", d, err)
		}
		x.clock.Advance(kb.DeflectionWindow + time.Minute)
		if n, _ := x.kb.SubmitSuggestions(public, tokens[1:2]); n != 0 {
			t.Fatal("a ticket sent after the window does not undo a deflection")
		}
		if d, _ = x.kb.Deflections(writer, from); d != (kb.Deflections{Opened: 3, Submitted: 1, Deflected: 2}) {
			t.Fatalf("after the hour: %+v", d)
		}
		if _, err := x.kb.Deflections(agent, from); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Fatalf("deflections are for kb:write: %v", err)
		}
	})
}

// Whatever an author writes, readers get no script.
func TestRenderedArticlesAreSanitized(t *testing.T) {
	r := kb.NewRenderer()
	for _, c := range []struct {
		name, markdown string
		mustNot        []string
		must           []string
	}{
		{"raw script", "Hi <script>alert(1)</script>", []string{"<script"}, []string{"Hi"}},
		{"event handler", `<img src="/kb/images/x" onerror="alert(1)">`, []string{"onerror"}, nil},
		{"javascript: link", "[click](javascript:alert(1))", []string{"javascript:"}, []string{"click"}},
		{"javascript: image", "![x](javascript:alert(1))", []string{"javascript:"}, nil},
		{"data: link", "[x](data:text/html;base64,PHNjcmlwdD4=)", []string{"data:"}, nil},
		{"html in a link title", `[a](https://x.test "<b onmouseover=alert(1)>")`, []string{"onmouseover=alert"}, []string{`href="https://x.test"`}},
		{"an image of ours", "![Invoice](/kb/images/abc)", nil, []string{`<img src="/kb/images/abc" alt="Invoice"`}},
		{"markdown", "# Title\n\n* one\n* **two**\n\n| a | b |\n|---|---|\n| 1 | 2 |", nil,
			[]string{"<h1>Title</h1>", "<li><strong>two</strong></li>", "<table>"}},
		{"no ids to shadow the page", `<a id="csrf" name="x" href="/">x</a>`, []string{`id="csrf"`}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := r.HTML(c.markdown)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range c.mustNot {
				if strings.Contains(out, s) {
					t.Errorf("%q kept %q: %s", c.markdown, s, out)
				}
			}
			for _, s := range c.must {
				if !strings.Contains(out, s) {
					t.Errorf("%q lost %q: %s", c.markdown, s, out)
				}
			}
		})
	}
	if got := r.Text("<h1>Title</h1><p>one &amp; two</p>"); got != "Title one & two" {
		t.Errorf("text: %q", got)
	}
}
