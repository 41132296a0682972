package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/digest"
	"github.com/sahayak/sahayak/internal/people"
)

// digestView is a digest's line on the page, in words.
type digestView struct {
	*digest.Digest
	Team       string
	Recipients []string
}

type digestsPageData struct {
	Digests []digestView
	Teams   []people.Team
	Agents  []*people.Agent
}

// digestsPage lists the digests the actor manages and sets up new ones.
func (s *Server) digestsPage(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.digests()
	if err != nil {
		return err
	}
	list, err := svc.List(r.Context())
	if err != nil {
		return err
	}
	d := digestsPageData{}
	sys := desk.WithActor(r.Context(), desk.System)
	names := map[int64]string{}
	if agents, err := s.People.Agents(sys); err == nil {
		for _, a := range agents {
			names[a.ID] = a.Name
			if a.Active {
				d.Agents = append(d.Agents, a)
			}
		}
	}
	teams := map[int64]string{}
	if ts, err := s.People.Teams(sys); err == nil {
		for _, t := range ts {
			teams[t.ID] = t.Name
			d.Teams = append(d.Teams, *t)
		}
	}
	for _, dg := range list {
		v := digestView{Digest: dg}
		if dg.TeamID != nil {
			v.Team = teams[*dg.TeamID]
		}
		for _, id := range dg.RecipientIDs {
			v.Recipients = append(v.Recipients, names[id])
		}
		d.Digests = append(d.Digests, v)
	}
	return s.render(w, r, http.StatusOK, "report_digests.html", page{Title: "digest.title", Nav: "reports", Data: d})
}

// saveDigestForm sets up a digest from the page's form.
func (s *Server) saveDigestForm(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.digests()
	if err != nil {
		return err
	}
	if err := readForm(r); err != nil {
		return err
	}
	in := digest.Input{Name: formText(r, "name"), Period: formText(r, "period")}
	if v, err := strconv.ParseInt(r.PostForm.Get("team_id"), 10, 64); err == nil && v > 0 {
		in.TeamID = &v
	}
	ids := []int64{}
	for _, raw := range r.PostForm["recipient_ids"] {
		if v, err := strconv.ParseInt(raw, 10, 64); err == nil {
			ids = append(ids, v)
		}
	}
	in.RecipientIDs = &ids
	_, err = svc.Create(r.Context(), in)
	var de *desk.Error
	switch {
	case err == nil:
		s.flash(w, "ok", "digest.flash_saved")
	case errors.As(err, &de) && de.Code == desk.EINVALID:
		s.refusedFlash(w, r, de.Fields)
	case errors.As(err, &de) && de.Code == desk.EFORBIDDEN:
		s.refusedFlash(w, r, desk.Fields{"team_id": de.Msg})
	default:
		return err
	}
	http.Redirect(w, r, "/reports/digests", http.StatusSeeOther)
	return nil
}

// deleteDigestForm removes a digest from the page (at the version shown).
func (s *Server) deleteDigestForm(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.digests()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = svc.Delete(r.Context(), id, formVersion(r))
	switch desk.ErrorCode(err) {
	case "":
		s.flash(w, "ok", "digest.flash_deleted")
	case desk.ESTALE, desk.ENOTFOUND:
		s.flash(w, "fail", "digest.flash_stale")
	default:
		return err
	}
	http.Redirect(w, r, "/reports/digests", http.StatusSeeOther)
	return nil
}
