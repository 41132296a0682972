package kb

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

// DeflectionWindow is how long after opening a suggestion a customer may
// still send the ticket and have it count as not deflected. An opening
// older than this with no ticket sent is a deflection.
const DeflectionWindow = time.Hour

// MaxSuggestions bounds a list of suggestions.
const MaxSuggestions = 10

// stopWords are words too common to suggest anything by.
var stopWords = map[string]bool{
	"a": true, "an": true, "the": true, "is": true, "are": true, "to": true, "and": true, "or": true, "of": true,
	"in": true, "on": true, "for": true, "my": true, "i": true, "it": true, "with": true, "not": true, "can": true,
	"how": true, "do": true, "does": true, "what": true, "why": true, "me": true, "we": true, "our": true,
	"है": true, "हैं": true, "का": true, "की": true, "के": true, "में": true, "से": true, "को": true, "और": true,
	"नहीं": true, "मेरा": true, "मेरी": true, "मेरे": true, "क्या": true, "कैसे": true, "पर": true, "यह": true, "हो": true,
}

// Suggest finds published articles for what someone is writing (a new
// ticket's subject): any of its words, best match first. The public gets
// public articles; agents internal ones too. lang "" is any language.
func (s *Service) Suggest(ctx context.Context, q, lang string, limit int) ([]Suggestion, error) {
	return s.suggest(ctx, q, lang, limit, MaxSuggestions)
}

// Find is the knowledge base's own search: Suggest's matching, a longer list.
func (s *Service) Find(ctx context.Context, q, lang string) ([]Suggestion, error) {
	return s.suggest(ctx, q, lang, 30, 30)
}

func (s *Service) suggest(ctx context.Context, q, lang string, limit, most int) ([]Suggestion, error) {
	fields := desk.Fields{}
	if utf8.RuneCountInString(q) > MaxQuery {
		fields["q"] = desk.M("invalid.too_long")
	}
	if lang != "" && !slices.Contains(Languages, lang) {
		fields["lang"] = desk.M("invalid.one_of", "en, hi")
	}
	if limit < 0 || limit > most {
		fields["limit"] = desk.M("invalid.at_most", most)
	}
	if len(fields) > 0 {
		return nil, desk.Invalid(fields)
	}
	if limit == 0 {
		limit = 5
	}
	var words []string
	for _, w := range s.words(q) {
		if !stopWords[w] && !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	out := []Suggestion{}
	if len(words) == 0 {
		return out, nil
	}
	list, err := s.store.SuggestKBArticles(ctx, SuggestQuery{Words: words[:min(len(words), 12)], Language: lang,
		Internal: readerOf(ctx).agent, Limit: limit})
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		out = append(out, Suggestion{ID: a.ID, Title: a.PublishedTitle, Language: a.Language,
			URL: ArticlePath(a.ID), Internal: a.Visibility == Internal, Snippet: clip(strings.TrimSpace(strings.TrimPrefix(a.PublishedText, a.PublishedTitle)), 160)})
	}
	return out, nil
}

// ArticlePath is where readers find an article.
func ArticlePath(id int64) string { return "/kb/articles/" + strconv.FormatInt(id, 10) }

// clip cuts s to n characters at most, at a space when it can.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// OpenSuggestion records that a customer writing a ticket opened a
// suggested article; the token it answers is what SubmitSuggestions takes
// when that ticket is sent anyway.
func (s *Service) OpenSuggestion(ctx context.Context, articleID int64, q string) (string, error) {
	if _, err := s.Article(ctx, articleID); err != nil {
		return "", err
	}
	if utf8.RuneCountInString(q) > MaxQuery {
		return "", desk.Invalid(desk.Fields{"q": desk.M("invalid.too_long")})
	}
	token, digest, err := auth.NewSecret("kbs_")
	if err != nil {
		return "", err
	}
	return token, s.store.OpenKBSuggestion(ctx, digest, articleID, strings.TrimSpace(q), s.clock.Now())
}

// SubmitSuggestions records that the ticket was sent after the openings of
// tokens (only openings within DeflectionWindow change). It answers how
// many openings it marked.
func (s *Service) SubmitSuggestions(ctx context.Context, tokens []string) (int64, error) {
	if len(tokens) > 20 {
		return 0, desk.Invalid(desk.Fields{"tokens": desk.M("invalid.at_most", 20)})
	}
	var digests []string
	for _, t := range tokens {
		if strings.HasPrefix(t, "kbs_") && len(t) < 100 {
			digests = append(digests, auth.Digest(t))
		}
	}
	if len(digests) == 0 {
		return 0, nil
	}
	return s.store.SubmitKBSuggestions(ctx, digests, s.clock.Now())
}

// Deflections sums the suggestions opened since from. Errors: EFORBIDDEN
// without kb:write.
func (s *Service) Deflections(ctx context.Context, from time.Time) (Deflections, error) {
	if _, err := desk.Require(ctx, auth.KBWrite); err != nil {
		return Deflections{}, err
	}
	return s.store.KBDeflections(ctx, from, s.clock.Now().Add(-DeflectionWindow))
}

// --- images

// AddImage records an image stored in the blob store, for articles to show.
func (s *Service) AddImage(ctx context.Context, img Image) (*Image, error) {
	if _, err := desk.Require(ctx, auth.KBWrite); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(img.ContentType, "image/") || img.ContentType == "image/svg+xml" {
		return nil, desk.Invalid(desk.Fields{"file": desk.M("kb.error.not_image")})
	}
	img.CreatedAt = s.clock.Now()
	if err := s.store.AddKBImage(ctx, img); err != nil {
		return nil, err
	}
	img.URL = ImagePath(img.SHA256)
	return &img, nil
}

// Image reads an uploaded image's record.
func (s *Service) Image(ctx context.Context, sha256 string) (*Image, error) {
	if len(sha256) != 64 || strings.Trim(sha256, "0123456789abcdef") != "" {
		return nil, desk.E(desk.ENOTFOUND, "kb.error.image_not_found")
	}
	img, err := s.store.KBImage(ctx, sha256)
	if err != nil {
		return nil, err
	}
	img.URL = ImagePath(img.SHA256)
	return img, nil
}

// ImagePath is where an uploaded image is served.
func ImagePath(sha256 string) string { return "/kb/images/" + sha256 }
