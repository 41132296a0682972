package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/access"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/i18n"
)

type settingsData struct {
	Languages []string
	Tokens    []*access.Token
	NewToken  string // the secret of a token just created; shown once
	TokenName string
	Now       time.Time // to tell expired tokens
	Errors    desk.Fields
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) error {
	return s.showSettings(w, r, http.StatusOK, settingsData{})
}

func (s *Server) showSettings(w http.ResponseWriter, r *http.Request, status int, d settingsData) error {
	a, _ := desk.ActorFrom(r.Context())
	d.Languages, d.Now = i18n.Languages, s.Clock.Now()
	if a.Can(auth.TokensWrite) {
		var err error
		if d.Tokens, err = s.Access.Tokens(r.Context(), a.ID); err != nil {
			return err
		}
	}
	return s.render(w, r, status, "settings.html", page{Title: "settings.title", Nav: "settings", Data: d})
}

// setLanguagePage saves the agent's language; the next page renders in it.
func (s *Server) setLanguagePage(w http.ResponseWriter, r *http.Request) error {
	if err := s.People.SetOwnLanguage(r.Context(), r.PostFormValue("language")); err != nil {
		if desk.ErrorCode(err) == desk.EINVALID {
			return s.showSettings(w, r, http.StatusBadRequest, settingsData{Errors: desk.ErrorFields(err)})
		}
		return err
	}
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
	return nil
}

func (s *Server) createTokenPage(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	name := r.PostFormValue("name")
	var days *int
	if v := strings.TrimSpace(r.PostFormValue("expires_in_days")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1 // refused below with the field's message
		}
		days = &n
	}
	expires, err := tokenExpiry(s.Clock.Now(), nil, days)
	if desk.ErrorCode(err) == desk.EINVALID {
		return s.showSettings(w, r, http.StatusBadRequest, settingsData{TokenName: name, Errors: desk.ErrorFields(err)})
	}
	secret, _, err := s.Access.CreateTokenUntil(r.Context(), a.ID, name, expires)
	if desk.ErrorCode(err) == desk.EINVALID {
		return s.showSettings(w, r, http.StatusBadRequest, settingsData{TokenName: name, Errors: desk.ErrorFields(err)})
	}
	if err != nil {
		return err
	}
	return s.showSettings(w, r, http.StatusOK, settingsData{NewToken: secret})
}

func (s *Server) revokeTokenPage(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Access.RevokeToken(r.Context(), a.ID, id, 0); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
	return nil
}
