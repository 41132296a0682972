package web

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/assign"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/ticket"
)

// The supervisor home: the live floor, the unassigned queue, SLAs falling
// due within the hour, escalations waiting for a decision, and today's
// figures. Its lists refresh over the ticket event stream and the floor over
// the availability stream (app.js), like the views and the board.

type floorTeam struct {
	Team                  *people.Team
	Agents                []assign.Presence
	Online, Away, Offline int
}

type escalationRow struct {
	Ticket *ticket.Ticket
	Lower  []*people.Team // where it may be sent back
	Agents []assign.Presence
}

type supervisorData struct {
	Floor       []floorTeam
	Unassigned  []*ticket.Ticket
	DueSoon     []*ticket.Ticket
	Escalations []escalationRow
	Today       *report.Report
	// QA is the last four weeks' QA score in the viewer's scope.
	QA    *quality.QASummary
	Goals []goalView
	Now   time.Time
}

// supervisedTeams are the teams a supervisor (every team) or a lead (their
// own) looks after.
func (s *Server) supervisedTeams(r *http.Request, a desk.Actor) ([]*people.Team, error) {
	teams, err := s.People.Teams(desk.WithActor(r.Context(), desk.System))
	if err != nil {
		return nil, err
	}
	if a.Can(auth.ReportsReadAll) {
		return teams, nil
	}
	var mine []*people.Team
	for _, t := range teams {
		if a.InTeam(t.ID) || (t.LeadID != nil && *t.LeadID == a.ID) {
			mine = append(mine, t)
		}
	}
	return mine, nil
}

func (s *Server) supervisorPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, _ := desk.ActorFrom(ctx)
	teams, err := s.supervisedTeams(r, a)
	if err != nil {
		return err
	}
	d := supervisorData{Now: s.Clock.Now()}
	if d.Goals, err = s.goalViews(r); err != nil {
		return err
	}
	var teamIDs []int64
	boards := map[int64][]assign.Presence{}
	for _, t := range teams {
		teamIDs = append(teamIDs, t.ID)
		ps, err := s.Assign.Board(ctx, t.ID, s.leadOf(ctx))
		if desk.ErrorCode(err) == desk.EFORBIDDEN {
			continue
		}
		if err != nil {
			return err
		}
		ft := floorTeam{Team: t, Agents: ps}
		for _, p := range ps {
			switch p.Status {
			case "online":
				ft.Online++
			case "away":
				ft.Away++
			default:
				ft.Offline++
			}
		}
		boards[t.ID] = ps
		d.Floor = append(d.Floor, ft)
	}
	if !a.Can(auth.ReportsReadAll) && len(teamIDs) == 0 {
		teamIDs = []int64{-1} // a lead of no team sees no team's queue
	}
	if a.Can(auth.ReportsReadAll) {
		teamIDs = nil // and tickets without a team
	}
	none, yes := int64(0), true
	list := func(f ticket.Filter) ([]*ticket.Ticket, error) {
		f.TeamIDs, f.Open, f.Limit = teamIDs, true, 20
		p, err := s.Tickets.List(ctx, f)
		if err != nil {
			return nil, err
		}
		return p.Tickets, nil
	}
	if d.Unassigned, err = list(ticket.Filter{AssigneeID: &none, Sort: "oldest"}); err != nil {
		return err
	}
	due := d.Now.Add(time.Hour)
	if d.DueSoon, err = list(ticket.Filter{DueBefore: &due, Sort: "due"}); err != nil {
		return err
	}
	esc, err := list(ticket.Filter{Escalated: &yes, AssigneeID: &none, Sort: "oldest"})
	if err != nil {
		return err
	}
	for _, t := range esc {
		row := escalationRow{Ticket: t}
		if t.TeamID != nil {
			row.Agents = boards[*t.TeamID]
			cur := slices.IndexFunc(teams, func(x *people.Team) bool { return x.ID == *t.TeamID })
			all, _ := s.People.Teams(desk.WithActor(ctx, desk.System))
			for _, x := range all {
				if cur >= 0 && x.Tier < teams[cur].Tier {
					row.Lower = append(row.Lower, x)
				}
			}
		}
		d.Escalations = append(d.Escalations, row)
	}
	day := time.Unix(report.HourOf(d.Now), 0).UTC().Truncate(24 * time.Hour)
	if d.QA, err = s.Quality.Dashboard(ctx, quality.DashboardQuery{From: day.AddDate(0, 0, -21)}); err != nil {
		return err
	}
	if d.Today, err = s.Reports.KPIs(ctx, report.Query{From: day, To: day.Add(24 * time.Hour)}); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "supervisor.html", page{Title: "supervisor.title", Nav: "supervisor", Data: d})
}

// escalationDecision takes an escalation: accept (the supervisor takes it),
// send back (to a lower tier, with a note), or reassign (to an agent).
func (s *Server) escalationDecision(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return desk.E(desk.EINVALID, "error.form_unreadable")
	}
	ctx := r.Context()
	a, _ := desk.ActorFrom(ctx)
	key := ""
	switch r.PathValue("decision") {
	case "accept":
		_, err = s.Tickets.Update(ctx, id, ticket.Patch{AssigneeID: &a.ID})
		key = "supervisor.flash_accepted"
	case "send-back":
		team, perr := strconv.ParseInt(r.PostFormValue("team_id"), 10, 64)
		note := r.PostFormValue("note")
		if perr != nil {
			return desk.Invalid(desk.Fields{"team_id": desk.M("invalid.choose_team")})
		}
		if note == "" {
			return desk.Invalid(desk.Fields{"note": desk.M("invalid.required")})
		}
		_, err = s.Tickets.Deescalate(ctx, id, team, note)
		key = "supervisor.flash_sent_back"
	case "reassign":
		agent, perr := strconv.ParseInt(r.PostFormValue("agent_id"), 10, 64)
		if perr != nil || agent <= 0 {
			return desk.Invalid(desk.Fields{"agent_id": desk.M("invalid.id")})
		}
		_, err = s.Tickets.Update(ctx, id, ticket.Patch{AssigneeID: &agent})
		key = "supervisor.flash_reassigned"
	default:
		return desk.E(desk.ENOTFOUND, "errors.page.no_page", r.URL.Path)
	}
	if err != nil {
		return err
	}
	s.flash(w, "ok", key, strconv.FormatInt(id, 10))
	http.Redirect(w, r, "/supervisor", http.StatusSeeOther)
	return nil
}
