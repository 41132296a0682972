package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/assign"
	"github.com/sahayak/sahayak/internal/automation"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/ticket"
)

// --- automations

type automationIn struct {
	Name       *string                 `json:"name"`
	Active     *bool                   `json:"active"`
	Position   *int                    `json:"position"`
	Trigger    *automation.Trigger     `json:"trigger"`
	Match      *string                 `json:"match"`
	Conditions *[]automation.Condition `json:"conditions"`
	Actions    *[]automation.Action    `json:"actions"`
}

// apply puts what the request names onto a rule.
func (in automationIn) apply(r *automation.Rule) {
	set(&r.Name, in.Name)
	set(&r.Active, in.Active)
	set(&r.Position, in.Position)
	set(&r.Trigger, in.Trigger)
	set(&r.Match, in.Match)
	set(&r.Conditions, in.Conditions)
	set(&r.Actions, in.Actions)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func (in automationIn) rule() automation.Rule {
	r := automation.Rule{Active: true, Match: automation.MatchAll}
	in.apply(&r)
	return r
}

func (s *Server) listAutomations(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Automations.List(r.Context())
	return listWhole(w, r, "automations", list, err, func(x *automation.Rule) string { return idKey(x.ID) },
		func(x *automation.Rule) time.Time { return x.UpdatedAt }, nil)
}

func (s *Server) getAutomation(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*automation.Rule, error) { return s.Automations.Get(r.Context(), id) })
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) createAutomation(w http.ResponseWriter, r *http.Request) error {
	var in automationIn
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := s.Automations.Create(r.Context(), in.rule())
	if err == nil {
		locate(w, "/api/v1/automations/", x.ID)
	}
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) updateAutomation(w http.ResponseWriter, r *http.Request) error {
	var in automationIn
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*automation.Rule, error) {
		return s.Automations.Update(r.Context(), id, v, in.apply)
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) deleteAutomation(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.Automations.Delete(r.Context(), id, v) })
	return noContent(w, err)
}

// dryRunAutomation lists what a rule sent in the body would touch now.
func (s *Server) dryRunAutomation(w http.ResponseWriter, r *http.Request) error {
	var in automationIn
	if err := decode(r, &in); err != nil {
		return err
	}
	list, err := s.Automations.DryRun(r.Context(), in.rule())
	return respond(w, http.StatusOK, map[string]any{"tickets": list}, err)
}

// dryRunSavedAutomation lists what a saved rule would touch now.
func (s *Server) dryRunSavedAutomation(w http.ResponseWriter, r *http.Request) error {
	list, err := withID(r, func(id int64) ([]*ticket.Ticket, error) {
		x, err := s.Automations.Get(r.Context(), id)
		if err != nil {
			return nil, err
		}
		return s.Automations.DryRun(r.Context(), *x)
	})
	return respond(w, http.StatusOK, map[string]any{"tickets": list}, err)
}

func (s *Server) listAutomationRuns(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	limit, before, err := pageQuery(r, 100, 50)
	if err != nil {
		return err
	}
	list, err := s.Automations.Runs(r.Context(), id, before, limit)
	return idPage(w, "runs", list, err, limit, func(x *automation.Run) int64 { return x.ID })
}

// --- macros

type macroIn struct {
	Name     *string              `json:"name"`
	Scope    *string              `json:"scope"`
	TeamID   optionalID           `json:"team_id"`
	Reply    *string              `json:"reply"`
	Internal *bool                `json:"internal"`
	Actions  *[]automation.Action `json:"actions"`
}

func (in macroIn) apply(m *automation.Macro) {
	set(&m.Name, in.Name)
	set(&m.Scope, in.Scope)
	if p := in.TeamID.ptr(); p != nil {
		m.TeamID = nil
		if *p != 0 {
			m.TeamID = p
		}
	}
	set(&m.Reply, in.Reply)
	set(&m.Internal, in.Internal)
	set(&m.Actions, in.Actions)
}

func (s *Server) listMacros(w http.ResponseWriter, r *http.Request) error {
	l := readList(r, true, "q")
	if err := l.err(); err != nil {
		return err
	}
	list, err := s.Automations.Macros(r.Context(), r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	items, next := pageOf(l, list, func(x *automation.Macro) string { return idKey(x.ID) },
		func(x *automation.Macro) time.Time { return x.UpdatedAt })
	writePage(w, "macros", items, next, nil)
	return nil
}

func (s *Server) getMacro(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*automation.Macro, error) { return s.Automations.Macro(r.Context(), id) })
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) createMacro(w http.ResponseWriter, r *http.Request) error {
	var in macroIn
	if err := decode(r, &in); err != nil {
		return err
	}
	var m automation.Macro
	in.apply(&m)
	x, err := s.Automations.CreateMacro(r.Context(), m)
	if err == nil {
		locate(w, "/api/v1/macros/", x.ID)
	}
	return respond(w, http.StatusCreated, x, err)
}

func (s *Server) updateMacro(w http.ResponseWriter, r *http.Request) error {
	var in macroIn
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*automation.Macro, error) {
		return s.Automations.UpdateMacro(r.Context(), id, v, in.apply)
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) deleteMacro(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.Automations.DeleteMacro(r.Context(), id, v) })
	return noContent(w, err)
}

type macroUse struct {
	TicketID int64 `json:"ticket_id"`
}

func (s *Server) previewMacro(w http.ResponseWriter, r *http.Request) error {
	var in macroUse
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := withID(r, func(id int64) (*automation.Preview, error) {
		return s.Automations.PreviewMacro(r.Context(), id, in.TicketID)
	})
	return respond(w, http.StatusOK, p, err)
}

// applyMacro applies a macro to a ticket; If-Match names the ticket's
// version the agent saw.
func (s *Server) applyMacro(w http.ResponseWriter, r *http.Request) error {
	var in macroUse
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := withPrecondition(r, func(id, v int64) (*ticket.Ticket, error) {
		return s.Automations.ApplyMacro(r.Context(), id, in.TicketID, v)
	})
	return respond(w, http.StatusOK, t, err)
}

// --- assignment and availability

type teamAssignmentIn struct {
	Mode     *string `json:"mode"`
	Capacity *int    `json:"capacity"`
	HandBack *bool   `json:"hand_back"`
}

func (s *Server) getTeamAssignment(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*assign.TeamSettings, error) { return s.Assign.Team(r.Context(), id) })
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) updateTeamAssignment(w http.ResponseWriter, r *http.Request) error {
	var in teamAssignmentIn
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*assign.TeamSettings, error) {
		return s.Assign.SetTeam(r.Context(), id, v, func(t *assign.TeamSettings) {
			set(&t.Mode, in.Mode)
			set(&t.Capacity, in.Capacity)
			set(&t.HandBack, in.HandBack)
		})
	})
	return respond(w, http.StatusOK, x, err)
}

type routingIn struct {
	Skills    *[]string `json:"skills"`
	Languages *[]string `json:"languages"`
	Capacity  *int      `json:"capacity"`
}

func (s *Server) getAgentRouting(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*assign.Profile, error) { return s.Assign.Profile(r.Context(), id) })
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) updateAgentRouting(w http.ResponseWriter, r *http.Request) error {
	var in routingIn
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*assign.Profile, error) {
		return s.Assign.SetProfile(r.Context(), id, v, func(p *assign.Profile) {
			set(&p.Skills, in.Skills)
			set(&p.Languages, in.Languages)
			set(&p.Capacity, in.Capacity)
		})
	})
	return respond(w, http.StatusOK, x, err)
}

// leadOf answers whether an agent leads a team (who may watch its board).
func (s *Server) leadOf(ctx context.Context) func(teamID, agentID int64) bool {
	return func(teamID, agentID int64) bool {
		t, err := s.People.Team(desk.WithActor(ctx, desk.System), teamID)
		return err == nil && t.LeadID != nil && *t.LeadID == agentID
	}
}

func (s *Server) listTeamPresence(w http.ResponseWriter, r *http.Request) error {
	list, err := withID(r, func(id int64) ([]assign.Presence, error) {
		return s.Assign.Board(r.Context(), id, s.leadOf(r.Context()))
	})
	return listWhole(w, r, "agents", list, err, func(p assign.Presence) string { return idKey(p.AgentID) }, nil, nil)
}

type presenceIn struct {
	Status string `json:"status"`
}

func (s *Server) setPresence(w http.ResponseWriter, r *http.Request) error {
	var in presenceIn
	if err := decode(r, &in); err != nil {
		return err
	}
	a, _ := desk.ActorFrom(r.Context())
	err := s.Assign.SetStatus(r.Context(), strings.TrimSpace(in.Status))
	return respond(w, http.StatusOK, map[string]any{"agent_id": a.ID, "status": in.Status}, err)
}
