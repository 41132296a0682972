package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/ticket"
	"github.com/sahayak/sahayak/internal/view"
)

// listQuery is what the ticket list was asked for: a view and the filters
// that refine it, echoed into the filter form.
type listQuery struct {
	View                                        string
	Statuses                                    []string // names, categories or "unsolved"
	Priority, Team, Assignee, Tag, Sort, Cursor string
	// SLA narrows to an SLA state (breached, running, paused); the list's
	// own filter, not part of a saved view.
	SLA string
}

// slaStates are the SLA states the ticket list filters by (ticket.Filter.SLA).
var slaStates = []string{"breached", "running", "paused"}

// refined reports whether the filter form narrows the view.
func (q listQuery) refined() bool {
	return len(q.Statuses) > 0 || q.Priority != "" || q.Team != "" || q.Assignee != "" || q.Tag != "" || q.Sort != "" || q.SLA != ""
}

// HasStatus reports whether the status filter holds v.
func (q listQuery) HasStatus(v string) bool { return slices.Contains(q.Statuses, v) }

// values is the list URL's query.
func (q listQuery) values() url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"view": q.View, "priority": q.Priority, "team": q.Team, "assignee": q.Assignee,
		"tag": q.Tag, "sla": q.SLA, "sort": q.Sort} {
		if x != "" {
			v.Set(k, x)
		}
	}
	for _, s := range q.Statuses {
		v.Add("status", s)
	}
	return v
}

// With returns the list URL with one parameter replaced.
func (q listQuery) With(key, value string) string {
	v := q.values()
	if value == "" {
		v.Del(key)
	} else {
		v.Set(key, value)
	}
	return "/tickets?" + v.Encode()
}

// apply lays the form's filters over a view's query.
func (q listQuery) apply(vq view.Query) view.Query {
	if len(q.Statuses) > 0 {
		vq.Statuses = q.Statuses
	}
	if q.Priority != "" {
		vq.Priorities = []string{q.Priority}
	}
	if q.Team != "" {
		vq.Team = q.Team
	}
	if q.Assignee != "" {
		vq.Assignee = q.Assignee
	}
	if q.Tag != "" {
		vq.Tags = splitTags(q.Tag)
	}
	if q.Sort != "" {
		vq.Sort = q.Sort
	}
	return vq
}

// readListQuery reads the list's query string; tags are matched without
// regard to case.
func readListQuery(r *http.Request) listQuery {
	qs := r.URL.Query()
	q := listQuery{View: qs.Get("view"), Priority: qs.Get("priority"), Team: qs.Get("team"), Assignee: qs.Get("assignee"),
		Tag: strings.ToLower(strings.TrimSpace(qs.Get("tag"))), Sort: qs.Get("sort"), Cursor: qs.Get("cursor"), SLA: qs.Get("sla")}
	if !slices.Contains(slaStates, q.SLA) {
		q.SLA = ""
	}
	for _, s := range qs["status"] {
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" && !slices.Contains(q.Statuses, part) {
				q.Statuses = append(q.Statuses, part)
			}
		}
	}
	if q.Sort != "" && !slices.Contains(view.Sorts, q.Sort) {
		q.Sort = ""
	}
	return q
}

// sidebar is the views column: every view with its count, the one shown,
// and what the save form needs.
type sidebar struct {
	Entries []view.Entry
	Current string
	Landing string // the view the agent chose to land on, "" if none
	Cap     int
	// Query is the current list's, for the links and the save form.
	Query     listQuery
	LeadTeams []int64 // teams whose views the agent may share to
	// Pane is the current view's first tickets, for the ticket page's
	// list beside the ticket on wide screens (nil elsewhere).
	Pane *viewPane
}

// viewPane is the short list beside a ticket.
type viewPane struct {
	View    view.Entry
	Tickets []*ticket.Ticket
	Current int64
}

// Label is how the sidebar names an entry: a saved view by its name, a
// built-in one by its catalog key (the template translates it).
func (sb *sidebar) find(key string) *view.Entry {
	for i := range sb.Entries {
		if sb.Entries[i].Key == key {
			return &sb.Entries[i]
		}
	}
	return nil
}

// loadSidebar reads the agent's views with their counts; an error leaves
// the page without a sidebar rather than failing it.
func (s *Server) loadSidebar(r *http.Request, current string) *sidebar {
	if s.Views == nil {
		return nil
	}
	entries, err := s.Views.Sidebar(r.Context())
	if err != nil {
		s.log.Warn("sidebar", "err", err)
		return nil
	}
	sb := &sidebar{Entries: entries, Current: current, Cap: ticket.CountCap}
	sb.Landing, _ = s.Views.Chosen(r.Context())
	return sb
}

type ticketsData struct {
	Query      listQuery
	Sidebar    *sidebar
	View       view.Entry
	Tickets    []*ticket.Ticket
	NextCursor string
	Dir        *directory
	Statuses   []ticket.Status
	Priorities []string
	Sorts      []string
	SLAStates  []string
	Tags       []string
	Fields     desk.Fields
	Bulk       *bulkBar
	// Editable: the saved view shown may be changed by this agent.
	Editable bool
}

// ticketsPage shows one view of the tickets beside the sidebar of views,
// with filters that refine it, sorting and cursor paging. Without a view it
// shows the agent's landing view (never an empty one while work waits in
// another). The table sits in a live region that app.js refreshes when a
// ticket event arrives.
func (s *Server) ticketsPage(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	q := readListQuery(r)
	sb := s.loadSidebar(r, q.View)
	if q.View == "" || sb != nil && sb.find(q.View) == nil && !strings.HasPrefix(q.View, "saved:") {
		q.View = view.Mine
		if sb != nil {
			if key, err := s.Views.Landing(r.Context(), sb.Entries); err == nil {
				q.View = key
			}
		}
	}
	var entry view.Entry
	if s.Views != nil {
		var err error
		if entry, err = s.Views.Resolve(r.Context(), q.View); err != nil {
			return err
		}
	} else {
		entry = view.Entry{Key: view.Mine, Query: view.Builtins[0].Query}
	}
	if sb != nil {
		sb.Current, sb.Query = q.View, q
	}
	vq := q.apply(entry.Query)
	f, errs := vq.Filter(a, s.Clock.Now())
	f.Cursor, f.Limit = q.Cursor, 25
	if q.SLA != "" {
		f.SLA = &q.SLA
	}
	dir := s.directory(r)
	d := ticketsData{Query: q, Sidebar: sb, View: entry, Dir: dir, Priorities: ticket.Priorities, Sorts: view.Sorts,
		SLAStates: slaStates, Fields: errs}
	if sb != nil {
		sb.LeadTeams = leadTeams(a, dir)
	}
	if entry.Saved != nil {
		d.Editable = canEditView(a, entry.Saved, dir)
	}
	d.Bulk = s.bulkBarFor(r, d.Dir, r.URL.RequestURI())
	d.Statuses, _ = s.Tickets.Statuses(r.Context())
	d.Tags, _ = s.Tickets.TagsPage(r.Context(), desk.Page{Limit: 200})
	status := http.StatusOK
	if len(errs) == 0 {
		pg, err := s.Tickets.List(r.Context(), f)
		switch {
		case desk.ErrorCode(err) == desk.EINVALID:
			status, d.Fields = http.StatusBadRequest, desk.ErrorFields(err)
		case err != nil:
			return err
		default:
			d.Tickets, d.NextCursor = pg.Tickets, pg.NextCursor
		}
	} else {
		status = http.StatusBadRequest
	}
	title := "view." + q.View
	if entry.Saved != nil {
		title = "views.saved_title"
	}
	return s.render(w, r, status, "tickets.html", page{Title: title, Nav: "tickets", Data: d})
}

// leadTeams are the teams whose shared views the agent may manage: every
// team with teams:write, else those they lead.
func leadTeams(a desk.Actor, dir *directory) []int64 {
	var out []int64
	for _, t := range dir.Teams {
		if a.Can("teams:write") || t.LeadID != nil && *t.LeadID == a.ID {
			out = append(out, t.ID)
		}
	}
	return out
}

// canEditView mirrors view.Service's rule for showing the edit form; the
// service decides again on save.
func canEditView(a desk.Actor, v *view.View, dir *directory) bool {
	if v.Scope == view.ScopeTeam {
		return v.TeamID != nil && slices.Contains(leadTeams(a, dir), *v.TeamID)
	}
	return v.OwnerID != nil && *v.OwnerID == a.ID
}

// sidebarFragment is the sidebar alone, for app.js to refresh the counts
// after ticket events (debounced there).
func (s *Server) sidebarFragment(w http.ResponseWriter, r *http.Request) error {
	q := readListQuery(r)
	sb := s.loadSidebar(r, q.View)
	if sb == nil {
		return desk.E(desk.ENOTFOUND, "view.no_view", q.View)
	}
	sb.Query = q
	if r.URL.Query().Get("list") != "" {
		// Beside a ticket: the view's first tickets too.
		key := q.View
		if key == "" || sb.find(key) == nil && !strings.HasPrefix(key, "saved:") {
			if key, err := s.Views.Landing(r.Context(), sb.Entries); err == nil {
				q.View = key
			}
		}
		entry, err := s.Views.Resolve(r.Context(), q.View)
		if err != nil {
			return err
		}
		a, _ := desk.ActorFrom(r.Context())
		f, bad := entry.Query.Filter(a, s.Clock.Now())
		pane := &viewPane{View: entry}
		pane.Current, _ = strconv.ParseInt(r.URL.Query().Get("current"), 10, 64)
		if len(bad) == 0 {
			f.Limit = 25
			if pg, err := s.Tickets.List(r.Context(), f); err == nil {
				pane.Tickets = pg.Tickets
			}
		}
		sb.Pane, sb.Current = pane, q.View
	}
	return s.render(w, r, http.StatusOK, "views_sidebar.html", page{Title: "views.label", Nav: "tickets", Data: sb})
}

// viewForm reads the save/edit form of a view: its name and scope, and the
// list's current query (the filters shown) as what it selects.
func viewForm(r *http.Request) view.View {
	v := view.View{Name: r.PostFormValue("name"), Scope: r.PostFormValue("scope")}
	if v.Scope == "" {
		v.Scope = view.ScopePersonal
	}
	if id, err := strconv.ParseInt(r.PostFormValue("team_id"), 10, 64); err == nil && id > 0 {
		v.TeamID = &id
	}
	q := listQuery{Priority: r.PostFormValue("priority"), Team: r.PostFormValue("team"), Assignee: r.PostFormValue("assignee"),
		Tag: strings.ToLower(strings.TrimSpace(r.PostFormValue("tag"))), Sort: r.PostFormValue("sort")}
	for _, st := range r.PostForm["status"] {
		if st != "" {
			q.Statuses = append(q.Statuses, st)
		}
	}
	base := view.Query{}
	if key := r.PostFormValue("view"); key != "" {
		for _, b := range view.Builtins {
			if b.Key == key {
				base = b.Query
			}
		}
	}
	v.Query = q.apply(base)
	return v
}

// createViewPage saves the list's current filters as a view and shows it.
func (s *Server) createViewPage(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	v, err := s.Views.Create(r.Context(), viewForm(r))
	if err != nil {
		return s.viewRefused(w, r, err, localPath(r.PostFormValue("back"), "/tickets"))
	}
	s.flash(w, "ok", "views.flash_saved")
	http.Redirect(w, r, "/tickets?view="+url.QueryEscape(v.Key()), http.StatusSeeOther)
	return nil
}

// updateViewPage renames a view, changes who shares it, or (with
// "refilter") makes it select the list's current filters.
func (s *Server) updateViewPage(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	in := viewForm(r)
	refilter := r.PostFormValue("refilter") != ""
	v, err := s.Views.Update(r.Context(), id, version, func(v *view.View) {
		v.Name, v.Scope, v.TeamID = in.Name, in.Scope, in.TeamID
		if refilter {
			v.Query = in.Query
		}
	})
	if err != nil {
		return s.viewRefused(w, r, err, "/tickets?view=saved:"+strconv.FormatInt(id, 10))
	}
	s.flash(w, "ok", "views.flash_updated")
	http.Redirect(w, r, "/tickets?view="+url.QueryEscape(v.Key()), http.StatusSeeOther)
	return nil
}

func (s *Server) deleteViewPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err := s.Views.Delete(r.Context(), id, version); err != nil {
		return s.viewRefused(w, r, err, "/tickets?view=saved:"+strconv.FormatInt(id, 10))
	}
	s.flash(w, "ok", "views.flash_deleted")
	http.Redirect(w, r, "/tickets", http.StatusSeeOther)
	return nil
}

// landingViewPage makes a view the one the agent lands on ("" forgets).
func (s *Server) landingViewPage(w http.ResponseWriter, r *http.Request) error {
	key := r.PostFormValue("view")
	if err := s.Views.SetLanding(r.Context(), key); err != nil {
		return s.viewRefused(w, r, err, "/tickets")
	}
	s.flash(w, "ok", "views.flash_landing")
	back := "/tickets"
	if key != "" {
		back += "?view=" + url.QueryEscape(key)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// viewRefused takes the agent back to the list with what was wrong, when
// a view's save was refused; other errors fail the page.
func (s *Server) viewRefused(w http.ResponseWriter, r *http.Request, err error, back string) error {
	switch desk.ErrorCode(err) {
	case desk.EINVALID, desk.EFORBIDDEN, desk.ESTALE, desk.ENOTFOUND, desk.ECONFLICT:
	default:
		return err
	}
	lang := s.lang(r)
	var parts []string
	for k, m := range desk.ErrorFields(err) {
		parts = append(parts, s.fieldLabel(lang, k)+": "+s.msg(lang, m))
	}
	slices.Sort(parts)
	text := strings.Join(parts, "; ")
	if text == "" {
		text = s.msg(lang, desk.ErrorMsg(err))
	}
	s.flash(w, "fail", "views.flash_refused", text)
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// fieldLabel names a form field in the viewer's language, as the
// template's "label" does.
func (s *Server) fieldLabel(lang, field string) string {
	if s.Catalog.Has("label." + field) {
		return s.Catalog.T(lang, "label."+field)
	}
	return field
}

// Searcher is where the jump box sends words that are not a ticket number
// (full-text search plugs in here); nil shows the tickets with that tag.
type Searcher func(q string) string

// jumpPage takes what was typed in the jump box: a ticket number ("123" or
// "#123") opens the ticket; anything else goes to search.
func (s *Server) jumpPage(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if id, err := strconv.ParseInt(strings.TrimPrefix(q, "#"), 10, 64); err == nil && id > 0 {
		http.Redirect(w, r, "/tickets/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return nil
	}
	if q == "" {
		return s.render(w, r, http.StatusOK, "jump.html", page{Title: "jump.label", Nav: "tickets"})
	}
	if s.Search != nil {
		http.Redirect(w, r, s.Search(q), http.StatusSeeOther)
		return nil
	}
	// Until full-text search exists, words look for a tag of that name.
	http.Redirect(w, r, "/tickets?view=all&tag="+url.QueryEscape(strings.ToLower(q)), http.StatusSeeOther)
	return nil
}

// adminLink is one page of the Settings menu and the permission it needs.
type adminLink struct{ Href, Title, Perm, Nav string }

// adminGroup is a heading of the Settings menu with its pages.
type adminGroup struct {
	Title string
	Links []adminLink
}

// adminMenu groups the admin pages under one Settings entry, so that the
// top menu holds what agents use all day and does not wrap.
var adminMenu = []adminGroup{
	{"admin.group_people", []adminLink{
		{"/admin/agents", "admin.agents", "agents:write", "admin-agents"},
		{"/admin/teams", "admin.teams", "teams:write", "admin-teams"},
		{"/admin/roles", "admin.roles", "roles:write", "admin-roles"},
	}},
	{"admin.group_work", []adminLink{
		{"/availability", "presence.title", "tickets:read", "availability"},
		{"/macros", "macro.title", "tickets:read", "macros"},
	}},
	{"admin.group_tickets", []adminLink{
		{"/admin/fields", "admin.fields", "fields:write", "admin-fields"},
		{"/automations", "automation.title", "automations:write", "automations"},
		{"/admin/webhooks", "admin.webhooks", "webhooks:write", "admin-webhooks"},
	}},
	{"admin.group_service", []adminLink{
		{"/admin/business-hours", "hours.title", "sla:read", "admin-hours"},
		{"/admin/sla-policies", "sla.title", "sla:read", "admin-sla"},
		{"/admin/escalation-rules", "escrule.title", "sla:read", "admin-escrules"},
	}},
	{"kb.admin_group", []adminLink{
		{"/admin/kb", "kb.admin_title", "kb:write", "admin-kb"},
	}},
	{"admin.group_mail", []adminLink{
		{"/admin/mailboxes", "admin.mailboxes", "mailboxes:read", "admin-mailboxes"},
		{"/admin/outbox", "outbox.title", "mailboxes:read", "admin-outbox"},
	}},
}

// adminMenuFor is the Settings menu an agent may use: only groups with a
// page they may open.
func adminMenuFor(a desk.Actor) []adminGroup {
	var out []adminGroup
	for _, g := range adminMenu {
		var links []adminLink
		for _, l := range g.Links {
			if a.Can(l.Perm) {
				links = append(links, l)
			}
		}
		if len(links) > 0 {
			out = append(out, adminGroup{Title: g.Title, Links: links})
		}
	}
	return out
}

// isAdminNav reports whether a page's Nav is one of the Settings menu's.
func isAdminNav(nav string) bool {
	for _, g := range adminMenu {
		for _, l := range g.Links {
			if l.Nav == nav {
				return true
			}
		}
	}
	return nav == "admin"
}

// adminMenuPage is the Settings menu as a page (the top menu's entry).
func (s *Server) adminMenuPage(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	menu := adminMenuFor(a)
	if len(menu) == 0 {
		return desk.E(desk.EFORBIDDEN, "error.forbidden", "agents:write")
	}
	return s.render(w, r, http.StatusOK, "admin_menu.html", page{Title: "admin.settings", Nav: "admin", Data: menu})
}
