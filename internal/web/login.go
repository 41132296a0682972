package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
)

const loginCSRFCookie = "sahayak_login_csrf"

type loginData struct {
	Email string
	Next  string
}

// loginPage shows the sign-in form. Before a session exists, CSRF is a
// double-submit cookie: the form must echo the cookie's random value.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	token, _, err := auth.NewSecret("")
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: token, Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.SecureCookies, MaxAge: 3600})
	r = withLoginCSRF(r, token)
	return s.render(w, r, http.StatusOK, "login.html", page{Title: "login.title", CSRF: token,
		Data: loginData{Next: safeNext(r.URL.Query().Get("next"))}})
}

// withLoginCSRF carries the sign-in form's double-submit value where render
// looks for the page's CSRF value (before sign-in there is no session to
// hold one, and render would otherwise print an empty field).
func withLoginCSRF(r *http.Request, token string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), csrfKey{}, token))
}

// safeNext keeps redirects after sign-in on this site. A path the browser
// could read as another host is refused: browsers treat a backslash as a
// slash and drop tabs and newlines, so "/\t/evil.test" means //evil.test.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r <= ' ' || r == '\\' || r == 0x7f }) {
		return "/tickets"
	}
	return next
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil { // read (at most maxPublicForm) in authorize
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	c, err := r.Cookie(loginCSRFCookie)
	email, next := r.PostFormValue("email"), safeNext(r.PostFormValue("next"))
	again := func(status int, msgKey string) error {
		token, _, err := auth.NewSecret("")
		if err != nil {
			return err
		}
		http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: token, Path: "/login", HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: s.SecureCookies, MaxAge: 3600})
		return s.render(w, withLoginCSRF(r, token), status, "login.html", page{Title: "login.title", CSRF: token, Error: msgKey,
			Data: loginData{Email: email, Next: next}})
	}
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		return again(http.StatusForbidden, "login.expired")
	}
	if !s.loginRate.Allow(clientAddr(r), s.Clock.Now()) {
		return again(http.StatusTooManyRequests, "login.too_many")
	}
	id, _, _, err := s.Access.SignIn(r.Context(), email, r.PostFormValue("password"))
	switch desk.ErrorCode(err) {
	case "":
	case desk.EUNAUTHORIZED:
		return again(http.StatusUnauthorized, "login.wrong")
	case desk.ERATELIMIT:
		return again(http.StatusTooManyRequests, "login.locked")
	case desk.EUNAVAILABLE:
		w.Header().Set("Retry-After", "1")
		return again(http.StatusServiceUnavailable, "login.busy")
	default:
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies, MaxAge: int(access.SessionTTL.Seconds())})
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/login", MaxAge: -1})
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.Access.SignOut(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
