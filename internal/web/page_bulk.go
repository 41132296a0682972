package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// bulkBar is what a ticket list needs to offer bulk actions: the choices of
// the action form. A list's data holds a nil *bulkBar when its agent may not
// change tickets, and then shows no checkboxes.
type bulkBar struct {
	Statuses   []ticket.Status
	Priorities []string
	Teams      []*people.Team
	Agents     []*people.Agent
	// Back is the list the form was sent from, to return to.
	Back string
}

// bulkBarFor returns the bulk action form's choices for a list at back, or
// nil when the agent may not change tickets.
func (s *Server) bulkBarFor(r *http.Request, dir *directory, back string) *bulkBar {
	if a, _ := desk.ActorFrom(r.Context()); !a.Can(auth.TicketsUpdate) {
		return nil
	}
	b := &bulkBar{Priorities: ticket.Priorities, Teams: dir.Teams, Back: back}
	for _, ag := range dir.Agents {
		if ag.Active {
			b.Agents = append(b.Agents, ag)
		}
	}
	if list, err := s.Tickets.Statuses(r.Context()); err == nil {
		for _, st := range list {
			if st.Category != ticket.CategoryNew {
				b.Statuses = append(b.Statuses, st)
			}
		}
	}
	return b
}

type bulkResultData struct {
	Result bulkOut
	Back   string
	Errors desk.Fields
}

// bulkPage runs the list's bulk action form and shows what became of each
// ticket, with the way back to the list.
func (s *Server) bulkPage(w http.ResponseWriter, r *http.Request) error {
	if err := formOnly(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	f := r.PostForm
	d := bulkResultData{Back: localPath(f.Get("back"), "/tickets"), Errors: desk.Fields{}}
	var ids []int64
	for _, v := range f["ids"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			d.Errors["ids"] = desk.M("invalid.id")
			break
		}
		ids = append(ids, id)
	}
	var c ticket.BulkChange
	if v := f.Get("status"); v != "" {
		c.Status = &v
	}
	if v := f.Get("priority"); v != "" {
		c.Priority = &v
	}
	c.TeamID, _ = formID(f.Get("team_id"), d.Errors, "team_id")
	c.AssigneeID, _ = formID(f.Get("assignee_id"), d.Errors, "assignee_id")
	c.AddTags, c.RemoveTags = splitTags(f.Get("add_tags")), splitTags(f.Get("remove_tags"))
	if v := strings.TrimPrefix(strings.TrimSpace(f.Get("merge_into_id")), "#"); v != "" {
		if id, err := strconv.ParseInt(v, 10, 64); err != nil || id <= 0 {
			d.Errors["merge_into_id"] = desk.M("invalid.id")
		} else {
			c.MergeInto = id
		}
	}
	status := http.StatusOK
	if len(d.Errors) == 0 {
		var err error
		d.Result, err = s.runBulk(r, ids, c)
		switch desk.ErrorCode(err) {
		case "":
		case desk.EINVALID:
			d.Errors = desk.ErrorFields(err)
			if len(d.Errors) == 0 {
				d.Errors = desk.Fields{"": desk.ErrorMsg(err)}
			}
		default:
			return err
		}
	}
	if len(d.Errors) > 0 {
		status = http.StatusBadRequest
	}
	return s.render(w, r, status, "bulk.html", page{Title: "bulk.title", Nav: "bulk", Data: d})
}

// localPath returns p when it is a path on this site (so that a form
// cannot send the agent elsewhere), else def.
func localPath(p, def string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return def
	}
	return p
}
