package store

import (
	"slices"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/ticket"
)

// keptCountQuery answers a count from ticket_counts (migration 00062: the
// number of tickets per status category, team, assignee and escalation,
// kept by triggers in every write's transaction) when the filter selects
// by nothing else: the sidebar's mine, unassigned, my teams, escalated and
// pending, in an agent's scope or not. It reads a few rows per (team,
// assignee) pair whatever the number of tickets. ok is false for any other
// filter (tags, priorities, status names, times, SLA, an account
// executive's or a customer's scope), which CountTickets counts from the
// tickets with its bound.
func keptCountQuery(f ticket.Filter) (q string, args []any, ok bool) {
	if len(f.Priorities) > 0 || f.Priority != nil || len(f.Tags) > 0 || f.Tag != nil ||
		f.OrganizationID != nil || f.RequesterID != nil || f.RequesterEmail != nil || f.UpdatedSince != nil ||
		f.SolvedSince != nil || f.SLA != nil || f.DueBefore != nil || f.Sort == "due" {
		return "", nil, false
	}
	s := f.Scope
	if s != nil && (s.RequesterID != 0 || s.Accounts || len(s.AccountIDs) > 0 || s.AgentID == 0) {
		return "", nil, false
	}
	cats, ok := keptCategories(f)
	if !ok {
		return "", nil, false
	}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := []string{anyOf("c.category", cats, arg)}
	if f.AssigneeID != nil {
		where = append(where, "c.assignee_id = "+arg(*f.AssigneeID))
	}
	if f.TeamID != nil {
		where = append(where, "c.team_id = "+arg(*f.TeamID))
	}
	if f.TeamIDs != nil {
		where = append(where, "c.team_id IN ("+idList(f.TeamIDs)+")")
	}
	if f.Escalated != nil {
		if *f.Escalated {
			where = append(where, "c.escalated = 1")
		} else {
			where = append(where, "c.escalated = 0")
		}
	}
	if s != nil && !assignedInScope(f) {
		cond := "c.assignee_id = " + arg(s.AgentID) + " OR c.team_id = 0"
		if len(s.TeamIDs) > 0 {
			cond += " OR c.team_id IN (" + idList(s.TeamIDs) + ")"
		}
		where = append(where, "("+cond+")")
	}
	return `SELECT COALESCE(SUM(c.n), 0) FROM ticket_counts c WHERE ` + strings.Join(where, " AND "), args, true
}

// keptCategories is the status categories a filter selects (every one when
// it names none); ok is false when it names a status by name, which the
// kept counts do not know.
func keptCategories(f ticket.Filter) (cats []string, ok bool) {
	cats = slices.Clone(ticket.Categories)
	keep := func(sel []string) {
		cats = slices.DeleteFunc(cats, func(c string) bool { return !slices.Contains(sel, c) })
	}
	statuses := f.Statuses
	if f.Status != nil {
		statuses = append(slices.Clip(statuses), *f.Status)
	}
	for _, v := range statuses {
		if !slices.Contains(ticket.Categories, v) {
			return nil, false
		}
	}
	if len(statuses) > 0 {
		keep(statuses)
	}
	if len(f.Categories) > 0 {
		keep(f.Categories)
	}
	if f.Open {
		keep([]string{ticket.CategoryNew, ticket.CategoryOpen, ticket.CategoryPending, ticket.CategoryOnHold})
	}
	if len(cats) == 0 {
		// Nothing selectable: "c.category IN ()" is not SQL.
		cats = []string{""}
	}
	return cats, true
}

// solvedCount reports whether a count is of tickets solved since a time
// (the "recently solved" view, in a scope, by team or assignee), which the
// kept counts cannot answer: a window of time moves.
func solvedCount(f ticket.Filter) bool {
	return f.SolvedSince != nil && len(f.Categories) == 1 && f.Categories[0] == ticket.CategorySolved &&
		len(f.Statuses) == 0 && f.Status == nil && !f.Open && f.SLA == nil && f.DueBefore == nil && f.Sort != "due"
}

// solvedCountQuery is a solvedCount's bounded count, read from the partial
// index of solved tickets by solve time that carries the routing columns
// (tickets_solved_routing, migration 00062): index entries only, newest
// solved first, stopping at atMost. The status is spelled as the index's
// predicate so that both planners may use it.
func (db *DB) solvedCountQuery(f ticket.Filter, atMost int) (string, []any, error) {
	since := *f.SolvedSince
	f.Categories, f.SolvedSince = nil, nil
	where, args, _, err := ticketWhere(f)
	if err != nil {
		return "", nil, err
	}
	args = append(args, micros(since))
	n := "$" + strconv.Itoa(len(args))
	where = append(where, "t.status_category = 'solved'", "t.solved_at >= "+n, "t.updated_at >= "+n)
	args = append(args, atMost)
	return `SELECT count(*) FROM (SELECT 1 FROM ` + db.dialect.solvedFrom() + ` WHERE ` + strings.Join(where, " AND ") +
		db.dialect.boundedOrder("t.solved_at DESC") + ` LIMIT $` + strconv.Itoa(len(args)) + `) x`, args, nil
}
