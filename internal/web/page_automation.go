package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/assign"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/automation"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// --- macros page

type macrosData struct {
	Macros []*automation.Macro
	Teams  []*people.Team
	Form   map[string]string
	Errors desk.Fields
}

func (s *Server) macrosPage(w http.ResponseWriter, r *http.Request) error {
	return s.showMacros(w, r, http.StatusOK, macrosData{})
}

func (s *Server) showMacros(w http.ResponseWriter, r *http.Request, status int, d macrosData) error {
	var err error
	if d.Macros, err = s.Automations.Macros(r.Context(), ""); err != nil {
		return err
	}
	if d.Teams, err = s.People.Teams(r.Context()); err != nil {
		return err
	}
	return s.render(w, r, status, "macros.html", page{Title: "macro.title", Nav: "macros", Data: d})
}

// createMacroPage reads the macro form: the reply template, and the
// commonest actions as plain fields (a status to set, tags to add).
func (s *Server) createMacroPage(w http.ResponseWriter, r *http.Request) error {
	m := automation.Macro{Name: r.PostFormValue("name"), Scope: r.PostFormValue("scope"),
		Reply: r.PostFormValue("reply"), Internal: r.PostFormValue("internal") != ""}
	if id, err := strconv.ParseInt(r.PostFormValue("team_id"), 10, 64); err == nil && id > 0 {
		m.TeamID = &id
	}
	if st := r.PostFormValue("status"); st != "" {
		m.Actions = append(m.Actions, automation.Action{Type: automation.ActSet, Field: "status", Value: st})
	}
	if tags := strings.FieldsFunc(r.PostFormValue("tags"), func(c rune) bool { return c == ',' || c == ' ' }); len(tags) > 0 {
		m.Actions = append(m.Actions, automation.Action{Type: automation.ActAddTags, Tags: tags})
	}
	_, err := s.Automations.CreateMacro(r.Context(), m)
	return s.formDone(w, r, err, "/macros", func(errs desk.Fields) error {
		return s.showMacros(w, r, http.StatusBadRequest, macrosData{Form: postedValues(r), Errors: errs})
	})
}

func (s *Server) deleteMacroPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Automations.DeleteMacro(r.Context(), id, 0); err != nil {
		return err
	}
	http.Redirect(w, r, "/macros", http.StatusSeeOther)
	return nil
}

// formDone redirects after a successful form, shows the form again with
// its problems when the input was refused, and fails otherwise.
func (s *Server) formDone(w http.ResponseWriter, r *http.Request, err error, next string, again func(desk.Fields) error) error {
	switch desk.ErrorCode(err) {
	case "":
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	case desk.EINVALID:
		return again(desk.ErrorFields(err))
	}
	return err
}

func postedValues(r *http.Request) map[string]string {
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostFormValue(k)
	}
	return form
}

// --- automations pages

type automationsData struct {
	Rules      []*automation.Rule
	Rule       *automation.Rule
	Runs       []*automation.Run
	DryRun     []*ticket.Ticket
	DryRan     bool
	Triggers   []string
	Anchors    []string
	Attributes []attributeName
	Actions    []string
	Form       map[string]string
	Errors     desk.Fields
}

// attributeName is an attribute a condition can test: its identifier (what
// the JSON says) and, for a custom field, the field's label (the page words
// the others from the catalog, automation.attr.*).
type attributeName struct {
	Key, Label string
}

func attributeNames(schema automation.Schema) []attributeName {
	labels := map[string]string{}
	for _, f := range schema.Fields {
		labels["custom_fields."+f.Key] = f.Label
	}
	var out []attributeName
	for _, k := range schema.Attributes() {
		out = append(out, attributeName{Key: k, Label: labels[k]})
	}
	return out
}

// JSON shows conditions or actions in the form's text areas.
func (automationsData) JSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func (s *Server) automationsPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAutomations(w, r, http.StatusOK, automationsData{})
}

func (s *Server) showAutomations(w http.ResponseWriter, r *http.Request, status int, d automationsData) error {
	var err error
	if d.Rules, err = s.Automations.List(r.Context()); err != nil {
		return err
	}
	schema, err := s.Automations.Schema(r.Context())
	if err != nil {
		return err
	}
	d.Triggers, d.Anchors, d.Actions = automation.EventTriggers, automation.Anchors, automation.ActionTypes
	d.Attributes = attributeNames(schema)
	return s.render(w, r, status, "automations.html", page{Title: "automation.title", Nav: "automations", Data: d})
}

// automationForm reads the rule form; conditions and actions are JSON lists (the
// page shows every attribute and action type beside them).
func automationForm(r *http.Request) (automation.Rule, desk.Fields) {
	rule := automation.Rule{Name: r.PostFormValue("name"), Active: r.PostFormValue("active") != "",
		Match: r.PostFormValue("match")}
	rule.Position, _ = strconv.Atoi(r.PostFormValue("position"))
	if when := r.PostFormValue("when"); when == "event" {
		rule.Trigger.Event = r.PostFormValue("event")
	} else {
		rule.Trigger.Since = r.PostFormValue("since")
		rule.Trigger.Hours, _ = strconv.ParseFloat(r.PostFormValue("hours"), 64)
	}
	errs := desk.Fields{}
	for field, dst := range map[string]any{"conditions": &rule.Conditions, "actions": &rule.Actions} {
		if v := strings.TrimSpace(r.PostFormValue(field)); v != "" {
			if err := json.Unmarshal([]byte(v), dst); err != nil {
				errs[field] = desk.M("automation.bad_json")
			}
		}
	}
	return rule, errs
}

func (s *Server) createAutomationPage(w http.ResponseWriter, r *http.Request) error {
	rule, errs := automationForm(r)
	var err error = desk.Invalid(errs)
	if len(errs) == 0 {
		_, err = s.Automations.Create(r.Context(), rule)
	}
	return s.formDone(w, r, err, "/automations", func(errs desk.Fields) error {
		return s.showAutomations(w, r, http.StatusBadRequest, automationsData{Form: postedValues(r), Errors: errs})
	})
}

func (s *Server) automationPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAutomation(w, r, http.StatusOK, false)
}

func (s *Server) showAutomation(w http.ResponseWriter, r *http.Request, status int, dry bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d := automationsData{DryRan: dry}
	if d.Rule, err = s.Automations.Get(r.Context(), id); err != nil {
		return err
	}
	if d.Runs, err = s.Automations.Runs(r.Context(), id, 0, 100); err != nil {
		return err
	}
	if dry {
		if d.DryRun, err = s.Automations.DryRun(r.Context(), *d.Rule); err != nil {
			return err
		}
	}
	return s.render(w, r, status, "automation.html", page{Title: "automation.title", Nav: "automations", Data: d})
}

func (s *Server) dryRunAutomationPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAutomation(w, r, http.StatusOK, true)
}

func (s *Server) toggleAutomationPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if _, err := s.Automations.Update(r.Context(), id, v, func(x *automation.Rule) { x.Active = !x.Active }); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/automations/%d", id), http.StatusSeeOther)
	return nil
}

func (s *Server) deleteAutomationPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Automations.Delete(r.Context(), id, 0); err != nil {
		return err
	}
	http.Redirect(w, r, "/automations", http.StatusSeeOther)
	return nil
}

// --- availability

type boardTeam struct {
	Team     *people.Team
	Settings *assign.TeamSettings
	Agents   []assign.Presence
}

type availabilityData struct {
	Mine     string
	Statuses []string
	Modes    []string
	Boards   []boardTeam
}

func (s *Server) availabilityPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d := availabilityData{Statuses: assign.Statuses, Modes: assign.Modes}
	var err error
	if d.Mine, err = s.Assign.Mine(ctx); err != nil {
		return err
	}
	teams, err := s.People.Teams(desk.WithActor(ctx, desk.System))
	if err != nil {
		return err
	}
	lead := s.leadOf(ctx)
	for _, t := range teams {
		ps, err := s.Assign.Board(ctx, t.ID, lead)
		if desk.ErrorCode(err) == desk.EFORBIDDEN {
			continue
		}
		if err != nil {
			return err
		}
		st, err := s.Assign.Team(desk.WithActor(ctx, desk.System), t.ID)
		if err != nil {
			return err
		}
		d.Boards = append(d.Boards, boardTeam{Team: t, Settings: st, Agents: ps})
	}
	return s.render(w, r, http.StatusOK, "availability.html", page{Title: "presence.title", Nav: "availability", Data: d})
}

func (s *Server) setAvailabilityPage(w http.ResponseWriter, r *http.Request) error {
	if err := s.Assign.SetStatus(r.Context(), r.PostFormValue("status")); err != nil {
		return err
	}
	http.Redirect(w, r, "/availability", http.StatusSeeOther)
	return nil
}

func (s *Server) setTeamAssignmentPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	capacity, err := strconv.Atoi(r.PostFormValue("capacity"))
	if err != nil {
		return desk.Invalid(desk.Fields{"capacity": desk.M("assign.invalid_capacity")})
	}
	v, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if _, err := s.Assign.SetTeam(r.Context(), id, v, func(t *assign.TeamSettings) {
		t.Mode, t.Capacity, t.HandBack = r.PostFormValue("mode"), capacity, r.PostFormValue("hand_back") != ""
	}); err != nil {
		return err
	}
	http.Redirect(w, r, "/availability", http.StatusSeeOther)
	return nil
}

// availabilityStream tells a team lead's board, over Server-Sent Events,
// when any agent's availability or load changed (on any node: the stamp is
// read from the database every 2 s); the page then reloads its board.
func (s *Server) availabilityStream(w http.ResponseWriter, r *http.Request) error {
	a, _ := desk.ActorFrom(r.Context())
	if !a.Can(auth.PresenceRead) && !s.leadsAny(r, a.ID) {
		return desk.E(desk.EFORBIDDEN, "error.forbidden", auth.PresenceRead)
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		return fmt.Errorf("availability stream: the connection cannot flush")
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\n")
	fl.Flush()
	last := ""
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		stamp, err := s.Assign.BoardStamp(r.Context())
		if err != nil {
			return nil // the client reconnects
		}
		if last != "" && stamp != last {
			fmt.Fprintf(w, "event: presence\ndata: %s\n\n", stamp)
			fl.Flush()
		}
		last = stamp
		select {
		case <-r.Context().Done():
			return nil
		case <-tick.C:
		}
	}
}

func (s *Server) leadsAny(r *http.Request, agentID int64) bool {
	teams, err := s.People.Teams(desk.WithActor(r.Context(), desk.System))
	if err != nil {
		return false
	}
	for _, t := range teams {
		if t.LeadID != nil && *t.LeadID == agentID {
			return true
		}
	}
	return false
}
