package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// A flash is the one-line outcome of a save shown on the page the browser
// lands on after the redirect ("Reply sent, status set to Pending"). It
// travels in a short-lived cookie, not in server memory, because the next
// request may reach another node. The cookie holds a catalog key and its
// arguments, never text: a forged cookie can only show a catalog sentence to
// its own browser, and only one whose key says it is a flash.

const flashCookie = "sahayak_flash"

// flashMsg is a flash as a page shows it.
type flashMsg struct {
	Kind string // "ok" or "fail"
	Text string
}

type flashData struct {
	Kind string   `json:"k"`
	Key  string   `json:"m"`
	Args []string `json:"a,omitempty"`
}

// flash sets the message the next page shows.
func (s *Server) flash(w http.ResponseWriter, kind, key string, args ...string) {
	j, _ := json.Marshal(flashData{Kind: kind, Key: key, Args: args})
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(j), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies, MaxAge: 60})
}

// takeFlash reads and clears the flash cookie.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) *flashMsg {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies, MaxAge: -1})
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var f flashData
	if json.Unmarshal(raw, &f) != nil || !isFlashKey(f.Key) || !s.Catalog.Has(f.Key) || len(f.Args) > 4 {
		return nil
	}
	args := make([]any, len(f.Args))
	for i, a := range f.Args {
		args[i] = a
	}
	kind := "ok"
	if f.Kind == "fail" {
		kind = "fail"
	}
	return &flashMsg{Kind: kind, Text: s.tr(r, f.Key, args...)}
}

// isFlashKey reports whether a catalog key is one a flash may show.
func isFlashKey(key string) bool {
	_, name, ok := strings.Cut(key, ".")
	return ok && strings.HasPrefix(name, "flash_")
}

// failed is the flash of a page that shows a refused save.
func (s *Server) failed(r *http.Request) *flashMsg {
	return &flashMsg{Kind: "fail", Text: s.tr(r, "ticketpage.flash_not_saved")}
}
