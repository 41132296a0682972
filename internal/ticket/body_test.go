package ticket

import (
	"strings"
	"testing"
)

// A message's HTML is shown inside the app's own page: an id or name in it
// could shadow the page's elements (DOM clobbering, a label or anchor that
// points at the wrong thing), so the sanitizer drops both and keeps the rest.
func TestBodyDropsIDAndNameAttributes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`<p id="reply-form">x</p>`, `<p>x</p>`},
		{`<span id="csrf" title="t">x</span>`, `<span title="t">x</span>`},
		{`<map name="csrf"><area href="/x" alt="a"></map>map`, `<map><area href="/x" alt="a" rel="nofollow"></map>map`},
		{`<a href="/a" id="x" name="y">go</a>`, `<a href="/a" rel="nofollow">go</a>`},
		{`<p>she typed id="x" here</p>`, `<p>she typed id=&#34;x&#34; here</p>`},
		{`<b data-id="1" ID="top">x</b>`, `<b>x</b>`},
	} {
		_, got, msg := Body("", tc.in)
		if msg.Key != "" {
			t.Fatalf("Body(%q): %s", tc.in, msg.Key)
		}
		if got != tc.want {
			t.Errorf("Body(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if low := strings.ToLower(got); strings.Contains(low, ` id="`) || strings.Contains(low, ` name="`) {
			t.Errorf("Body(%q) keeps an id or name: %q", tc.in, got)
		}
	}
}
