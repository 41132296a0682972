package web

import "testing"

func TestSafeNextKeepsRedirectsOnThisSite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ next, want string }{
		{"/tickets/7", "/tickets/7"},
		{"/tickets?status=open&sort=updated", "/tickets?status=open&sort=updated"},
		{"", "/tickets"},
		{"tickets", "/tickets"},
		{"https://evil.test/", "/tickets"},
		{"//evil.test/", "/tickets"},
		{`/\evil.test/`, "/tickets"},
		// Browsers drop tabs and newlines from a Location before resolving
		// it, so these become //evil.test.
		{"/\t/evil.test/", "/tickets"},
		{"/\n/evil.test/", "/tickets"},
		{"/\r\n/evil.test/", "/tickets"},
		{"/ /evil.test/", "/tickets"},
		{`/tickets\..\/evil.test`, "/tickets"},
	} {
		if got := safeNext(tc.next); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.next, got, tc.want)
		}
	}
}
