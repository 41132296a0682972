package report

import (
	"encoding/json"
	"math"
	"slices"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/quality"
	"github.com/sahayak/sahayak/internal/sla"
	"github.com/sahayak/sahayak/internal/ticket"
)

// TicketState is what the consumer remembers of a ticket to attribute its
// next events: its dimensions now and the milestones already counted. The
// store keeps it in report_tickets (the dimensions as columns, for backlog
// questions; the rest as JSON).
type TicketState struct {
	TicketID  int64     `json:"-"`
	CreatedAt time.Time `json:"-"`
	TeamID    int64     `json:"-"`
	AgentID   int64     `json:"-"`
	Channel   string    `json:"-"`
	Priority  string    `json:"-"`
	Type      string    `json:"-"`
	OrgID     int64     `json:"-"`
	// Open is false while the ticket is solved or closed.
	Open bool `json:"-"`
	// FirstSolvedAt is when the ticket was first solved (nil: never).
	FirstSolvedAt *time.Time `json:"-"`
	Tags          []string   `json:"tags,omitempty"`
	Category      string     `json:"category"`
	Responded     bool       `json:"responded,omitempty"`
	Replies       int64      `json:"replies,omitempty"`
	EverSolved    bool       `json:"ever_solved,omitempty"`
	Reopened      bool       `json:"reopened,omitempty"`
	Escalated     bool       `json:"escalated,omitempty"`
	Breached      []string   `json:"breached,omitempty"`
}

// Facts are what a ticket.created event may not say (events written before
// it carried type and tags) and what never changes (the organization).
type Facts struct {
	OrgID int64
	Type  string
	Tags  []string
}

// Env is what applying events needs besides the events.
type Env struct {
	// Category maps a status name to its category.
	Category func(status string) string
	// Meter counts business time for a ticket of a team.
	Meter func(teamID int64) sla.Meter
	// Covered reports whether an SLA policy covers the ticket now.
	Covered func(ticketID int64) bool
	// Facts of tickets created in the batch.
	Facts map[int64]Facts
}

func solvedCategory(c string) bool {
	return c == ticket.CategorySolved || c == ticket.CategoryClosed
}

// add counts one occurrence of metric with value for the ticket as it is,
// in every dimension; agent names who is credited (the assignee or the
// author of a reply).
func (st *TicketState) add(r Rollup, at time.Time, metric string, agent int64, value int64) {
	bin := 0
	if durationMetric(metric) {
		bin = Bin(value)
	}
	st.addDelta(r, at, metric, agent, bin, 1, value)
}

// addDelta adds n and total to metric's buckets of the ticket's dimensions.
func (st *TicketState) addDelta(r Rollup, at time.Time, metric string, agent int64, bin int, n, value int64) {
	k := Key{Metric: metric, TeamID: st.TeamID, Hour: HourOf(at), Bin: bin}
	for _, dv := range [...][2]string{{DimAll, ""}, {DimAgent, id(agent)}, {DimChannel, st.Channel},
		{DimPriority, st.Priority}, {DimType, st.Type}, {DimOrganization, id(st.OrgID)}} {
		k.Dim, k.Val = dv[0], dv[1]
		r.AddDelta(k, n, value)
	}
	k.Dim = DimTag
	for _, tag := range st.Tags {
		k.Val = tag
		r.AddDelta(k, n, value)
	}
}

// Born is the state of a ticket from its ticket.created event.
func Born(e event.Event, env Env) *TicketState {
	var d struct {
		Status     string    `json:"status"`
		Priority   string    `json:"priority"`
		Channel    string    `json:"channel"`
		TeamID     *int64    `json:"team_id"`
		AssigneeID *int64    `json:"assignee_id"`
		Type       *string   `json:"type"`
		Tags       *[]string `json:"tags"`
	}
	_ = json.Unmarshal(e.Data, &d)
	f := env.Facts[e.TicketID]
	st := &TicketState{TicketID: e.TicketID, CreatedAt: e.CreatedAt, Channel: d.Channel, Priority: d.Priority,
		OrgID: f.OrgID, Type: f.Type, Tags: f.Tags, Category: env.Category(d.Status)}
	if d.TeamID != nil {
		st.TeamID = *d.TeamID
	}
	if d.AssigneeID != nil {
		st.AgentID = *d.AssigneeID
	}
	if d.Type != nil {
		st.Type = *d.Type
	}
	if d.Tags != nil {
		st.Tags = *d.Tags
	}
	st.Open = !solvedCategory(st.Category)
	return st
}

// Apply counts one event of the ticket into r and moves the state on.
func (st *TicketState) Apply(r Rollup, e event.Event, env Env) {
	at := e.CreatedAt
	switch e.Kind {
	case event.TicketCreated:
		st.add(r, at, MCreated, st.AgentID, 0)
	case event.Assigned:
		var d struct {
			New *int64 `json:"new"`
		}
		_ = json.Unmarshal(e.Data, &d)
		st.AgentID = 0
		if d.New != nil {
			st.AgentID = *d.New
		}
	case event.FieldChanged:
		st.changed(r, e, env)
	case event.MessageAdded:
		var d struct {
			Internal   bool   `json:"internal"`
			AuthorKind string `json:"author_kind"`
			AuthorID   int64  `json:"author_id"`
		}
		_ = json.Unmarshal(e.Data, &d)
		if d.Internal || d.AuthorKind != desk.ActorAgent {
			return
		}
		st.Replies++
		st.add(r, at, MReplies, d.AuthorID, 0)
		if st.Responded {
			return
		}
		st.Responded = true
		st.since(r, at, MFirstResponse, MFirstResponseBH, d.AuthorID, env)
		st.slaOutcome(r, at, "first_response", d.AuthorID, env)
	case event.Escalated:
		if !st.Escalated {
			st.Escalated = true
			st.add(r, at, MEscalated, st.AgentID, 0)
		}
	case event.SatisfactionRated:
		// An answer counts once; a changed answer corrects the count of
		// good answers in the hour it was changed.
		var d struct {
			Rating   int   `json:"rating"`
			Previous *int  `json:"previous"`
			AgentID  int64 `json:"agent_id"`
		}
		_ = json.Unmarshal(e.Data, &d)
		good := func(r int) int64 {
			if r >= 4 {
				return 1
			}
			return 0
		}
		if d.Previous == nil {
			st.addDelta(r, at, MCSAT, d.AgentID, 0, 1, good(d.Rating))
		} else if delta := good(d.Rating) - good(*d.Previous); delta != 0 {
			st.addDelta(r, at, MCSAT, d.AgentID, 0, 0, delta)
		}
	case quality.EventReviewed, quality.EventResolved:
		// A review counts once, in the hour it was made; a resolution that
		// re-scores it corrects the total then.
		var d struct {
			AgentID  int64    `json:"agent_id"`
			Score    float64  `json:"score"`
			Previous *float64 `json:"previous_score"`
		}
		_ = json.Unmarshal(e.Data, &d)
		hundredths := func(v float64) int64 { return int64(math.Round(v * 100)) }
		if e.Kind == quality.EventReviewed {
			st.addDelta(r, at, MQA, d.AgentID, 0, 1, hundredths(d.Score))
		} else if d.Previous != nil && hundredths(*d.Previous) != hundredths(d.Score) {
			st.addDelta(r, at, MQA, d.AgentID, 0, 0, hundredths(d.Score)-hundredths(*d.Previous))
		}
	case event.SLABreached:
		var d struct {
			Metric string `json:"metric"`
		}
		_ = json.Unmarshal(e.Data, &d)
		if slices.Contains(SLATargets, d.Metric) && !slices.Contains(st.Breached, d.Metric) {
			st.Breached = append(st.Breached, d.Metric)
			st.add(r, at, MSLABreached+d.Metric, st.AgentID, 0)
		}
	}
}

// since counts the time from the ticket's creation to at, in calendar
// time (metric) and in business time (bh).
func (st *TicketState) since(r Rollup, at time.Time, metric, bh string, agent int64, env Env) {
	st.add(r, at, metric, agent, max(int64(at.Sub(st.CreatedAt)/time.Second), 0))
	st.add(r, at, bh, agent, int64(env.Meter(st.TeamID).Between(st.CreatedAt, at)/time.Second))
}

// slaOutcome counts a target met when a policy covers the ticket and the
// target was not breached.
func (st *TicketState) slaOutcome(r Rollup, at time.Time, target string, agent int64, env Env) {
	if env.Covered != nil && env.Covered(st.TicketID) && !slices.Contains(st.Breached, target) {
		st.add(r, at, MSLAMet+target, agent, 0)
	}
}

func (st *TicketState) changed(r Rollup, e event.Event, env Env) {
	var c struct {
		Field string          `json:"field"`
		New   json.RawMessage `json:"new"`
	}
	if json.Unmarshal(e.Data, &c) != nil {
		return
	}
	switch c.Field {
	case "priority":
		_ = json.Unmarshal(c.New, &st.Priority)
	case "type":
		_ = json.Unmarshal(c.New, &st.Type)
	case "tags":
		st.Tags = nil
		_ = json.Unmarshal(c.New, &st.Tags)
	case "team_id":
		var t *int64
		_ = json.Unmarshal(c.New, &t)
		st.TeamID = 0
		if t != nil {
			st.TeamID = *t
		}
	case "status":
		var name string
		_ = json.Unmarshal(c.New, &name)
		st.moveTo(r, e.CreatedAt, env.Category(name), env)
	}
}

// moveTo counts what a change of status category means: a solve, a reopen.
func (st *TicketState) moveTo(r Rollup, at time.Time, category string, env Env) {
	was := solvedCategory(st.Category)
	now := solvedCategory(category)
	st.Category = category
	st.Open = !now
	switch {
	case now && !was:
		st.add(r, at, MSolved, st.AgentID, 0)
		if st.EverSolved {
			return
		}
		st.EverSolved = true
		st.FirstSolvedAt = &at
		st.since(r, at, MResolution, MResolutionBH, st.AgentID, env)
		st.add(r, at, MRepliesToSolve, st.AgentID, st.Replies)
		if st.Replies == 1 && !st.Reopened {
			st.add(r, at, MFCR, st.AgentID, 0)
		}
		st.slaOutcome(r, at, "resolution", st.AgentID, env)
	case was && !now:
		st.Reopened = true
		st.add(r, at, MReopened, st.AgentID, 0)
	}
}

// qaTicket is the ticket a QA review event is about (0 for other events).
func qaTicket(e event.Event) int64 {
	if e.Kind != quality.EventReviewed && e.Kind != quality.EventResolved {
		return 0
	}
	var d struct {
		TicketID int64 `json:"ticket_id"`
	}
	_ = json.Unmarshal(e.Data, &d)
	return d.TicketID
}
