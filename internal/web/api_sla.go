package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/sla"
)

// --- business hours

type calendarIn struct {
	Name     *string                  `json:"name"`
	TimeZone *string                  `json:"time_zone"`
	Hours    *map[string][]sla.Period `json:"hours"`
	Holidays *[]sla.Holiday           `json:"holidays"`
	TeamIDs  *[]int64                 `json:"team_ids"`
}

func (in calendarIn) apply(c *sla.Calendar) {
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.TimeZone != nil {
		c.TimeZone = *in.TimeZone
	}
	if in.Hours != nil {
		c.Hours = *in.Hours
	}
	if in.Holidays != nil {
		c.Holidays = *in.Holidays
	}
	if in.TeamIDs != nil {
		c.TeamIDs = *in.TeamIDs
	}
}

func (s *Server) listCalendars(w http.ResponseWriter, r *http.Request) error {
	list, err := s.SLA.Calendars(r.Context())
	return listWhole(w, r, "calendars", list, err, func(c *sla.Calendar) string { return idKey(c.ID) },
		func(c *sla.Calendar) time.Time { return c.UpdatedAt }, nil)
}

func (s *Server) getCalendar(w http.ResponseWriter, r *http.Request) error {
	c, err := withID(r, func(id int64) (*sla.Calendar, error) { return s.SLA.Calendar(r.Context(), id) })
	return respond(w, http.StatusOK, c, err)
}

func (s *Server) createCalendar(w http.ResponseWriter, r *http.Request) error {
	var in calendarIn
	if err := decode(r, &in); err != nil {
		return err
	}
	var c sla.Calendar
	in.apply(&c)
	out, err := s.SLA.CreateCalendar(r.Context(), c)
	if err == nil {
		locate(w, "/api/v1/business-hours/", out.ID)
	}
	return respond(w, http.StatusCreated, out, err)
}

func (s *Server) updateCalendar(w http.ResponseWriter, r *http.Request) error {
	var in calendarIn
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := withPrecondition(r, func(id, v int64) (*sla.Calendar, error) {
		return s.SLA.UpdateCalendar(r.Context(), id, v, in.apply)
	})
	return respond(w, http.StatusOK, c, err)
}

func (s *Server) deleteCalendar(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.SLA.DeleteCalendar(r.Context(), id, v) })
	return noContent(w, err)
}

type holidayImportIn struct {
	Preset string `json:"preset"`
	Years  []int  `json:"years"`
	ICS    string `json:"ics"`
}

func (s *Server) importHolidays(w http.ResponseWriter, r *http.Request) error {
	var in holidayImportIn
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := withPrecondition(r, func(id, v int64) (*sla.Calendar, error) {
		return s.SLA.ImportHolidays(r.Context(), id, v, in.Preset, in.Years, in.ICS)
	})
	return respond(w, http.StatusOK, c, err)
}

// positionKey orders what is tried in order: by position, then id.
func positionKey(position int, id int64) string {
	return strconv.FormatInt(1e9+int64(position), 10) + "/" + idKey(id)
}

// --- SLA policies

type policyIn struct {
	Name        *string                `json:"name"`
	Position    *int                   `json:"position"`
	Active      *bool                  `json:"active"`
	Conditions  json.RawMessage        `json:"conditions"`
	Targets     *map[string]sla.Target `json:"targets"`
	Time        *string                `json:"time"`
	CalendarID  *optionalID            `json:"calendar_id"`
	PauseOn     *[]string              `json:"pause_on"`
	WarnPercent *int                   `json:"warn_percent"`
}

// apply reads the input onto p; conditions are parsed here so that a
// condition on a field that does not exist is refused with its name.
func (in policyIn) apply(p *sla.Policy) error {
	if in.Conditions != nil {
		c, errs := sla.ParseConditions(in.Conditions, "conditions")
		if len(errs) > 0 {
			return desk.Invalid(errs)
		}
		p.Conditions = c
	}
	if in.Name != nil {
		p.Name = *in.Name
	}
	if in.Position != nil {
		p.Position = *in.Position
	}
	if in.Active != nil {
		p.Active = *in.Active
	}
	if in.Targets != nil {
		p.Targets = *in.Targets
	}
	if in.Time != nil {
		p.Time = *in.Time
	}
	if in.CalendarID != nil {
		p.CalendarID = nil
		if in.CalendarID.id != 0 {
			id := in.CalendarID.id
			p.CalendarID = &id
		}
	}
	if in.PauseOn != nil {
		p.PauseOn = *in.PauseOn
	}
	if in.WarnPercent != nil {
		p.WarnPercent = *in.WarnPercent
	}
	return nil
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) error {
	list, err := s.SLA.Policies(r.Context())
	return listWhole(w, r, "policies", list, err, func(p *sla.Policy) string { return positionKey(p.Position, p.ID) },
		func(p *sla.Policy) time.Time { return p.UpdatedAt }, nil)
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) error {
	p, err := withID(r, func(id int64) (*sla.Policy, error) { return s.SLA.Policy(r.Context(), id) })
	return respond(w, http.StatusOK, p, err)
}

func (s *Server) createPolicy(w http.ResponseWriter, r *http.Request) error {
	var in policyIn
	if err := decode(r, &in); err != nil {
		return err
	}
	p := sla.Policy{Active: true}
	if err := in.apply(&p); err != nil {
		return err
	}
	out, err := s.SLA.CreatePolicy(r.Context(), p)
	if err == nil {
		locate(w, "/api/v1/sla-policies/", out.ID)
	}
	return respond(w, http.StatusCreated, out, err)
}

func (s *Server) updatePolicy(w http.ResponseWriter, r *http.Request) error {
	var in policyIn
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := in.apply(&sla.Policy{}); err != nil {
		return err
	}
	p, err := withPrecondition(r, func(id, v int64) (*sla.Policy, error) {
		return s.SLA.UpdatePolicy(r.Context(), id, v, func(p *sla.Policy) { _ = in.apply(p) })
	})
	return respond(w, http.StatusOK, p, err)
}

func (s *Server) deletePolicy(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.SLA.DeletePolicy(r.Context(), id, v) })
	return noContent(w, err)
}

// --- escalation rules

type ruleIn struct {
	Name            *string     `json:"name"`
	Position        *int        `json:"position"`
	Active          *bool       `json:"active"`
	Trigger         *string     `json:"trigger"`
	Metrics         *[]string   `json:"metrics"`
	OrganizationIDs *[]int64    `json:"organization_ids"`
	ReopenCount     *int        `json:"reopen_count"`
	Keywords        *[]string   `json:"keywords"`
	TeamID          *optionalID `json:"team_id"`
	Tier            *int        `json:"tier"`
}

func (in ruleIn) apply(r *sla.Rule) {
	if in.Name != nil {
		r.Name = *in.Name
	}
	if in.Position != nil {
		r.Position = *in.Position
	}
	if in.Active != nil {
		r.Active = *in.Active
	}
	if in.Trigger != nil {
		r.Trigger = *in.Trigger
	}
	if in.Metrics != nil {
		r.Metrics = *in.Metrics
	}
	if in.OrganizationIDs != nil {
		r.OrganizationIDs = *in.OrganizationIDs
	}
	if in.ReopenCount != nil {
		r.ReopenCount = *in.ReopenCount
	}
	if in.Keywords != nil {
		r.Keywords = *in.Keywords
	}
	if in.TeamID != nil {
		r.TeamID = nil
		if in.TeamID.id != 0 {
			id := in.TeamID.id
			r.TeamID, r.Tier = &id, nil
		}
	}
	if in.Tier != nil {
		tier := *in.Tier
		r.Tier = &tier
		if in.TeamID == nil {
			r.TeamID = nil
		}
	}
}

func (s *Server) listRules(w http.ResponseWriter, r *http.Request) error {
	list, err := s.SLA.Rules(r.Context())
	return listWhole(w, r, "rules", list, err, func(x *sla.Rule) string { return positionKey(x.Position, x.ID) },
		func(x *sla.Rule) time.Time { return x.UpdatedAt }, nil)
}

func (s *Server) getRule(w http.ResponseWriter, r *http.Request) error {
	x, err := withID(r, func(id int64) (*sla.Rule, error) { return s.SLA.Rule(r.Context(), id) })
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) createRule(w http.ResponseWriter, r *http.Request) error {
	var in ruleIn
	if err := decode(r, &in); err != nil {
		return err
	}
	x := sla.Rule{Active: true}
	in.apply(&x)
	out, err := s.SLA.CreateRule(r.Context(), x)
	if err == nil {
		locate(w, "/api/v1/escalation-rules/", out.ID)
	}
	return respond(w, http.StatusCreated, out, err)
}

func (s *Server) updateRule(w http.ResponseWriter, r *http.Request) error {
	var in ruleIn
	if err := decode(r, &in); err != nil {
		return err
	}
	x, err := withPrecondition(r, func(id, v int64) (*sla.Rule, error) {
		return s.SLA.UpdateRule(r.Context(), id, v, in.apply)
	})
	return respond(w, http.StatusOK, x, err)
}

func (s *Server) deleteRule(w http.ResponseWriter, r *http.Request) error {
	_, err := withPrecondition(r, func(id, v int64) (any, error) { return nil, s.SLA.DeleteRule(r.Context(), id, v) })
	return noContent(w, err)
}

func (s *Server) listRuleRuns(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	limit, before, err := pageQuery(r, 100, 50)
	if err != nil {
		return err
	}
	list, err := s.SLA.Runs(r.Context(), id, before, limit)
	if err != nil {
		return err
	}
	var last int64
	if len(list) > 0 {
		last = list[len(list)-1].ID
	}
	return respond(w, http.StatusOK, map[string]any{"runs": list, "next_cursor": nextCursor(len(list), limit, last)}, nil)
}
