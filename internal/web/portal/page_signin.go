package portal

import (
	"net"
	"net/http"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
)

// signInData is the sign-in page's content.
type signInData struct {
	Email   string
	Sent    bool
	Errors  []string
	Minutes int
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) error {
	if customerFrom(r.Context()) != nil {
		http.Redirect(w, r, "/portal/tickets", http.StatusSeeOther)
		return nil
	}
	d := signInData{Sent: r.URL.Query().Get("sent") == "1", Minutes: int(h.Portal.LinkFor().Minutes())}
	return h.render(w, r, http.StatusOK, "signin.html", page{Title: "portal.title", Data: d})
}

// requestLink mails a sign-in link. The answer is the same whether or not
// a contact holds the address; only a malformed address or too many
// requests say otherwise.
func (h *Handler) requestLink(w http.ResponseWriter, r *http.Request) error {
	addr := strings.TrimSpace(r.PostFormValue("email"))
	err := h.Portal.RequestLink(r.Context(), addr, clientAddr(r), lang(r))
	switch desk.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/portal?sent=1", http.StatusSeeOther)
		return nil
	case desk.EINVALID:
		d := signInData{Email: addr, Minutes: int(h.Portal.LinkFor().Minutes()),
			Errors: []string{h.tr(r, "portal.email_invalid")}}
		return h.render(w, r, http.StatusBadRequest, "signin.html", page{Title: "portal.title", Data: d})
	}
	return err
}

// clientAddr is the host of the connection a request came over.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// linkData is the page a mailed link opens.
type linkData struct {
	Token   string
	Problem string // why the link does not sign in (a catalog key), or ""
}

// signInPage asks the customer to confirm: a link opened by a mail
// scanner's prefetch (a GET) must not use the single-use link up.
func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer") // the token stays in this page
	token := r.PathValue("token")
	d := linkData{Token: token}
	status := http.StatusOK
	if err := h.Portal.CheckLink(r.Context(), token); err != nil {
		if desk.ErrorCode(err) != desk.EUNPROCESSABLE {
			return err
		}
		d.Problem, status = desk.ErrorMsg(err).Key, http.StatusGone
	}
	return h.render(w, r, status, "signin_link.html", page{Title: "portal.title", Back: "/portal", Data: d})
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	token := r.PathValue("token")
	secret, _, err := h.Portal.SignIn(r.Context(), token)
	if desk.ErrorCode(err) == desk.EUNPROCESSABLE {
		d := linkData{Token: token, Problem: desk.ErrorMsg(err).Key}
		return h.render(w, r, http.StatusGone, "signin_link.html", page{Title: "portal.title", Back: "/portal", Data: d})
	}
	if err != nil {
		return err
	}
	http.SetCookie(w, h.cookie(sessionCookie, secret, int(h.Portal.SessionFor().Seconds())))
	// The visitor's CSRF secret gives way to the session's.
	http.SetCookie(w, h.cookie(visitorCookie, "", -1))
	http.Redirect(w, r, "/portal/tickets", http.StatusSeeOther)
	return nil
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := h.Portal.SignOut(r.Context(), c.Value); err != nil {
			return err
		}
	}
	h.clearSession(w)
	http.Redirect(w, r, "/portal", http.StatusSeeOther)
	return nil
}
