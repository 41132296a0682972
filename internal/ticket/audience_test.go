package ticket

import (
	"testing"

	"github.com/sahayak/sahayak/internal/event"
)

// The bus routes a ticket's events by Audience and a stream listens to its
// scope's Keys; the two must agree with Scope.Sees for every ticket and agent.
func TestAudienceAgreesWithScope(t *testing.T) {
	ptr := func(n int64) *int64 { return &n }
	tickets := map[string]*Ticket{
		"no team, unassigned":    {ID: 1},
		"no team, assigned to 7": {ID: 2, AssigneeID: ptr(7)},
		"team 1, unassigned":     {ID: 3, TeamID: ptr(1)},
		"team 1, assigned to 7":  {ID: 4, TeamID: ptr(1), AssigneeID: ptr(7)},
		"team 2, assigned to 7":  {ID: 5, TeamID: ptr(2), AssigneeID: ptr(7)},
		"team 2, assigned to 8":  {ID: 6, TeamID: ptr(2), AssigneeID: ptr(8)},
		"team 3, unassigned":     {ID: 7, TeamID: ptr(3)},
	}
	scopes := map[string]*Scope{
		"sees every ticket":     nil,
		"agent 7 in team 1":     {AgentID: 7, TeamIDs: []int64{1}},
		"agent 8 in teams 1, 3": {AgentID: 8, TeamIDs: []int64{1, 3}},
		"agent 9 in no team":    {AgentID: 9},
	}
	for tn, tk := range tickets {
		for sn, sc := range scopes {
			if got, want := event.Meets(tk.Audience(), sc.Keys()), sc.Sees(tk); got != want {
				t.Errorf("%s, ticket %s: routed %v, sees %v", sn, tn, got, want)
			}
		}
	}
}
