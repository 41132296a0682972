package report

// BacklogKey names one count of open tickets: a dimension's value (as the
// buckets name it), a team and the UTC hour the tickets were created in.
type BacklogKey struct {
	Dim    string
	Val    string
	TeamID int64
	Hour   int64 // Unix seconds of the hour's start, UTC
}

// Backlog is a set of changes to the counts of open tickets, merged before
// they are written.
type Backlog map[BacklogKey]int64

// backlogSlot is where a ticket counts in the backlog: nowhere while it is
// solved or closed, else in its creation hour and its slices now. Two
// states with the same slot count in the same rows.
type backlogSlot struct {
	open                    bool
	hour, team, agent, org  int64
	channel, priority, kind string
}

func (st *TicketState) slot() backlogSlot {
	if !st.Open {
		return backlogSlot{}
	}
	return backlogSlot{open: true, hour: HourOf(st.CreatedAt), team: st.TeamID, agent: st.AgentID, org: st.OrgID,
		channel: st.Channel, priority: st.Priority, kind: st.Type}
}

// add adds d to every row the slot counts in (none when it is closed).
func (s backlogSlot) add(b Backlog, d int64) {
	if !s.open {
		return
	}
	k := BacklogKey{TeamID: s.team, Hour: s.hour}
	for _, dv := range [...][2]string{{DimAll, ""}, {DimAgent, id(s.agent)}, {DimChannel, s.channel},
		{DimPriority, s.priority}, {DimType, s.kind}, {DimOrganization, id(s.org)}} {
		k.Dim, k.Val = dv[0], dv[1]
		b[k] += d
	}
}

// move records that a ticket went from slot from (had: it counted before)
// to slot to.
func (b Backlog) move(from backlogSlot, had bool, to backlogSlot) {
	if had && from == to {
		return
	}
	if had {
		from.add(b, -1)
	}
	to.add(b, 1)
}
