package report

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Occupancy metrics (docs/METRICS.md, "Agent occupancy"): seconds, in
// total; n stays 0.
const (
	MOnline   = "online"   // seconds an agent was online
	MOccupied = "occupied" // of those, seconds they held a workable ticket
)

// presenceOnline is the availability that counts as available time (as
// package assign names it).
const presenceOnline = "online"

// AgentState is what the consumer remembers of an agent to measure their
// occupancy: whether they are online, up to when their time is counted,
// how many workable tickets they hold and the teams their time goes to.
// The store keeps it in report_agents.
type AgentState struct {
	AgentID int64 `json:"-"`
	Online  bool  `json:"-"`
	// Since is the end of the time already counted.
	Since time.Time `json:"since"`
	Held  int64     `json:"held,omitempty"`
	Teams []int64   `json:"teams,omitempty"`
}

// holder is the agent who works the ticket now: its assignee while it is
// new or open (a ticket waiting on the customer, on hold, solved or closed
// is nobody's work), else 0.
func (st *TicketState) holder() int64 {
	if st.Category == ticket.CategoryNew || st.Category == ticket.CategoryOpen {
		return st.AgentID
	}
	return 0
}

// accrue counts the agent's time from Since to at into the hourly buckets
// it spans. Whole seconds of the Unix clock are subtracted, so the pieces
// of an interval add up to the interval however it is cut.
func (a *AgentState) accrue(r Rollup, at time.Time) {
	if !at.After(a.Since) {
		return // an event committed out of order: its time is counted already
	}
	if a.Online {
		for from, to := a.Since.Unix(), at.Unix(); from < to; {
			hour := from - ((from%3600)+3600)%3600
			end := min(hour+3600, to)
			a.addTime(r, hour, MOnline, end-from)
			if a.Held > 0 {
				a.addTime(r, hour, MOccupied, end-from)
			}
			from = end
		}
	}
	a.Since = at
}

// addTime adds seconds to the agent's buckets of an hour: the whole's and
// the agent's, in each of their teams (team 0 when they have none).
func (a *AgentState) addTime(r Rollup, hour int64, metric string, seconds int64) {
	teams := a.Teams
	if len(teams) == 0 {
		teams = []int64{0}
	}
	for _, t := range teams {
		r.AddDelta(Key{Dim: DimAll, Metric: metric, TeamID: t, Hour: hour}, 0, seconds)
		r.AddDelta(Key{Dim: DimAgent, Val: id(a.AgentID), Metric: metric, TeamID: t, Hour: hour}, 0, seconds)
	}
}

// presence applies an agent.presence_changed event.
func (a *AgentState) presence(r Rollup, e event.Event) {
	var d struct {
		Status  string   `json:"status"`
		TeamIDs *[]int64 `json:"team_ids"`
	}
	_ = json.Unmarshal(e.Data, &d)
	a.accrue(r, e.CreatedAt)
	a.Online = d.Status == presenceOnline
	if d.TeamIDs != nil {
		a.Teams = *d.TeamIDs
	}
}

// hold changes how many workable tickets the agent holds, at.
func (a *AgentState) hold(r Rollup, at time.Time, delta int64) {
	a.accrue(r, at)
	// Never below none: tickets counted before occupancy existed are not
	// in Held until a rebuild.
	a.Held = max(a.Held+delta, 0)
}

// agentOf is the agent an event gives time or a ticket to: the agent of a
// presence change, the new assignee of an assignment, the assignee of a
// creation (0: none).
func agentOf(e event.Event) int64 {
	var d struct {
		AgentID    int64  `json:"agent_id"`
		New        *int64 `json:"new"`
		AssigneeID *int64 `json:"assignee_id"`
	}
	_ = json.Unmarshal(e.Data, &d)
	switch {
	case e.Kind == event.PresenceChanged:
		return d.AgentID
	case e.Kind == event.Assigned && d.New != nil:
		return *d.New
	case e.Kind == event.TicketCreated && d.AssigneeID != nil:
		return *d.AssigneeID
	}
	return 0
}

// openTime is the time online agents have had since their last counted
// event, up to now: it is in no bucket yet (buckets move only on events),
// so a report adds it, as rows of the query's groups, clipped to the
// query's range.
func openTime(rq RollupQuery, agents []*AgentState, now time.Time) []Row {
	if rq.Dim != DimAll && rq.Dim != DimAgent || rq.Group == "hour" {
		return nil
	}
	var out []Row
	for _, a := range agents {
		if !a.Online || (rq.Val != nil && *rq.Val != id(a.AgentID)) {
			continue
		}
		from, to := max(a.Since.Unix(), rq.From), min(now.Unix(), rq.To)
		if from >= to {
			continue
		}
		teams := a.Teams
		if len(teams) == 0 {
			teams = []int64{0}
		}
		for _, t := range teams {
			if len(rq.TeamIDs) > 0 && !slices.Contains(rq.TeamIDs, t) {
				continue
			}
			g := ""
			switch {
			case rq.Group == "team" && t != 0:
				g = strconv.FormatInt(t, 10)
			case rq.Group == "val":
				g = id(a.AgentID)
			}
			out = append(out, Row{Group: g, Metric: MOnline, Total: to - from})
			if a.Held > 0 {
				out = append(out, Row{Group: g, Metric: MOccupied, Total: to - from})
			}
		}
	}
	return out
}
