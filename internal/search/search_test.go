package search

import (
	"slices"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/event"
)

func TestWordsKeepDevanagariWhole(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"समर्थन चाहिए", []string{"समर्थन", "चाहिए"}},
		{"किताबें, किताब!", []string{"किताबें", "किताब"}},
		{"Refund UPI-payment asha@x.com", []string{"refund", "upi", "payment", "asha", "x", "com"}},
		{"क्षमा करें ₹500", []string{"क्षमा", "करें", "500"}},
		{"\xff bad", []string{"bad"}},
	} {
		if got := Words(c.in); !slices.Equal(got, c.want) {
			t.Errorf("Words(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if w := Words(strings.Repeat("क", 1000)); len(w) != 1 || len(w[0]) > maxWordBytes {
		t.Errorf("a long word is not clipped: %d bytes", len(w[0]))
	}
}

func TestParse(t *testing.T) {
	p, err := Parse(`refund "upi payment" -fraud -"test ticket" status:open tag:billing from:Asha@X.com http://x.test "open`)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"refund"}, {"upi", "payment"}, {"http", "x", "test"}, {"open"}}
	if !slices.EqualFunc(p.Must, want, slices.Equal) {
		t.Errorf("must %q", p.Must)
	}
	if !slices.EqualFunc(p.Not, [][]string{{"fraud"}, {"test", "ticket"}}, slices.Equal) {
		t.Errorf("not %q", p.Not)
	}
	if p.Fields["status"][0] != "open" || p.Fields["tag"][0] != "billing" || p.Fields["from"][0] != "Asha@X.com" {
		t.Errorf("fields %v", p.Fields)
	}
	for _, q := range []string{`-`, `"`, `:`, `- -`, `""`, `-""`} {
		if p, err := Parse(q); err != nil || len(p.Must)+len(p.Not) != 0 {
			t.Errorf("Parse(%q) = %+v, %v", q, p, err)
		}
	}
	if _, err := Parse(strings.Repeat("x", MaxQueryLength+1)); err == nil {
		t.Error("a long query is accepted")
	}
	if _, err := Parse(strings.Repeat("x ", MaxPhrases+1)); err == nil {
		t.Error("too many words are accepted")
	}
}

func TestSnippetEscapesAndMarks(t *testing.T) {
	got := Snippet(`<script>alert(1)</script> मेरा भुगतान   वापस`, map[string]bool{"भुगतान": true})
	want := `&lt;script&gt;alert(1)&lt;/script&gt; मेरा <mark>भुगतान</mark> वापस`
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// A published article, or one moved or made internal, is indexed again.
func TestArticleEventsReindexTheArticle(t *testing.T) {
	evs := []event.Event{event.New(ArticlePublished, 0, map[string]any{"id": 7}),
		event.New(ArticleChanged, 0, map[string]any{"id": 7}),
		event.New(ArticleChanged, 0, map[string]any{"id": 9})}
	got := Changed(evs)
	want := []Ref{{Kind: KindArticle, ID: 7}, {Kind: KindArticle, ID: 9}}
	if !slices.Equal(got, want) {
		t.Fatalf("changed: %v, want %v", got, want)
	}
}
