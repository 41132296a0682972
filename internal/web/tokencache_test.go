package web_test

import (
	"net/http"
	"testing"
)

// API tokens are resolved through a cache; a change to the agent's teams
// must still decide the very next request.
func TestTokenCacheFollowsTeamChanges(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *testDesk) {
		tk := d.mustCreateTicket("ada", map[string]any{"team_id": d.Teams[2].ID})
		path := "/api/v1/tickets/" + id(tk.id("id"))
		d.mustCall(http.StatusNotFound, "GET", path, "ravi", nil) // warms the cache: ravi is tier 1 only
		d.mustCall(http.StatusOK, "PATCH", "/api/v1/teams/"+id(d.Teams[2].ID), "ada",
			map[string]any{"member_ids": []int64{d.Agents["meera"].ID, d.Agents["ravi"].ID}})
		d.mustCall(http.StatusOK, "GET", path, "ravi", nil)
		d.mustCall(http.StatusOK, "PATCH", "/api/v1/teams/"+id(d.Teams[2].ID), "ada",
			map[string]any{"member_ids": []int64{d.Agents["meera"].ID}})
		d.mustCall(http.StatusNotFound, "GET", path, "ravi", nil)
	})
}
