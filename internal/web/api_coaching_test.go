package web_test

import (
	"net/http"
	"testing"
	"time"
)

// Calibration, the QA dashboard, coaching and team tasks through the API,
// on each database: blind scoring, privacy of coaching (another agent gets
// 404), stale moves refused, bad input refused with clear codes.
func TestCoachingCalibrationAndTasksAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		ravi, meera, lena, sunil := d.Agents["ravi"].ID, d.Agents["meera"].ID, d.Agents["lena"].ID, d.Agents["sunil"].ID
		tk := d.mustCreateTicket("lena", map[string]any{"subject": "Card declined", "team_id": d.Teams[1].ID, "assignee_id": ravi})
		tid := tk.id("id")
		d.mustCall(http.StatusCreated, "POST", "/api/v1/tickets/"+id(tid)+"/messages", "ravi", map[string]any{"body": "Let me check."})
		sc := d.mustCall(http.StatusCreated, "POST", "/api/v1/scorecards", "lena", qaScorecard()).id("id")
		good := map[string]any{"greeting": "yes", "correct": "5", "privacy": "yes"}
		weak := map[string]any{"greeting": "no", "correct": "5", "privacy": "yes"}
		due := time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)
		d.run([]scenario{
			{name: "calibration with one reviewer", method: "POST", path: "/api/v1/calibrations", as: "lena",
				body:       map[string]any{"ticket_id": tid, "agent_id": ravi, "scorecard_id": sc, "reviewer_ids": []int64{sunil}},
				wantStatus: http.StatusBadRequest, wantCode: "invalid"},
			{name: "calibration of a ticket nobody sees", method: "POST", path: "/api/v1/calibrations", as: "lena",
				body:       map[string]any{"ticket_id": 999, "agent_id": ravi, "scorecard_id": sc, "reviewer_ids": []int64{sunil, lena}},
				wantStatus: http.StatusBadRequest, wantCode: "invalid"},
			{name: "open a calibration", method: "POST", path: "/api/v1/calibrations", as: "lena",
				body:       map[string]any{"ticket_id": tid, "agent_id": ravi, "scorecard_id": sc, "reviewer_ids": []int64{sunil, lena}},
				wantStatus: http.StatusCreated, want: []check{{"state", "open"}, {"version", 1}}},
			{name: "sunil scores", method: "POST", path: "/api/v1/calibrations/1/scores", as: "sunil",
				body: map[string]any{"answers": good}, wantStatus: http.StatusOK, want: []check{{"scores.0.submitted", true}}},
			{name: "scoring twice", method: "POST", path: "/api/v1/calibrations/1/scores", as: "sunil",
				body: map[string]any{"answers": good}, wantStatus: http.StatusConflict},
			{name: "lena cannot see sunil's answers yet", method: "GET", path: "/api/v1/calibrations/1", as: "lena",
				wantStatus: http.StatusOK, want: []check{{"scores.0.submitted", true}, {"scores.0.score", nil}, {"spread", []any{}}}},
			{name: "the agent reviewed cannot see the session", method: "GET", path: "/api/v1/calibrations/1", as: "ravi",
				wantStatus: http.StatusNotFound},
			{name: "lena scores and sees the spread", method: "POST", path: "/api/v1/calibrations/1/scores", as: "lena",
				body: map[string]any{"answers": weak}, wantStatus: http.StatusOK,
				want: []check{{"spread.0.key", "greeting"}, {"spread.0.disagree", true}, {"spread.0.stddev", 50}}},
			{name: "agreeing before the reveal", method: "POST", path: "/api/v1/calibrations/1/agree", as: "lena",
				body: map[string]any{"answers": weak}, wantStatus: http.StatusUnprocessableEntity},
			{name: "reveal", method: "GET", path: "/api/v1/calibrations/1", as: "lena", wantStatus: http.StatusOK,
				after: func(t *testing.T, d *testDesk) {
					h := http.Header{"Authorization": {"Bearer " + d.Tokens["lena"]}, "If-Match": {`"v7"`}}
					if r := d.send("POST", "/api/v1/calibrations/1/reveal", h, nil); r.Status != http.StatusPreconditionFailed {
						t.Errorf("stale reveal: %d %s", r.Status, r.Raw)
					}
					h.Set("If-Match", `"v1"`)
					assertChecks(t, d.send("POST", "/api/v1/calibrations/1/reveal", h, nil), []check{{"state", "revealed"}})
				}},
			{name: "agree and make it the review", method: "POST", path: "/api/v1/calibrations/1/agree", as: "lena",
				body: map[string]any{"answers": weak, "notes": "A greeting is expected", "make_review": true}, wantStatus: http.StatusOK,
				want: []check{{"state", "agreed"}, {"review_id", 1}}},
			{name: "the QA dashboard of the team", method: "GET", path: "/api/v1/qa/dashboard", as: "lena", wantStatus: http.StatusOK,
				want: []check{{"overall.reviews", 1}, {"criteria.0.key", "greeting"}, {"agents.0.agent_id", ravi}}},
			{name: "an agent asks for another's QA", method: "GET", path: "/api/v1/qa/dashboard?agent_id=" + id(ravi), as: "meera",
				wantStatus: http.StatusForbidden},
			{name: "a dashboard ending before it starts", method: "GET", path: "/api/v1/qa/dashboard?from=2026-05-01&to=2026-01-01", as: "sunil",
				wantStatus: http.StatusBadRequest, wantCode: "invalid"},

			{name: "an action item without owner", method: "POST", path: "/api/v1/coaching/sessions", as: "lena",
				body:       map[string]any{"agent_id": ravi, "actions": []any{map[string]any{"title": "Read", "due_at": due}}},
				wantStatus: http.StatusBadRequest, wantCode: "invalid"},
			{name: "a due date of nonsense", method: "POST", path: "/api/v1/coaching/sessions", as: "lena",
				body:       map[string]any{"agent_id": ravi, "actions": []any{map[string]any{"title": "Read", "owner_id": ravi, "due_at": "tomorrow"}}},
				wantStatus: http.StatusBadRequest},
			{name: "coaching an agent of another team", method: "POST", path: "/api/v1/coaching/sessions", as: "lena",
				body: map[string]any{"agent_id": meera}, wantStatus: http.StatusForbidden},
			{name: "a coaching session", method: "POST", path: "/api/v1/coaching/sessions", as: "lena",
				body: map[string]any{"agent_id": ravi, "notes": "Greeting first.", "review_ids": []int64{1}, "ticket_ids": []int64{tid},
					"actions": []any{map[string]any{"title": "Re-read the greeting guide", "owner_id": ravi, "due_at": due}}},
				wantStatus: http.StatusCreated, want: []check{{"coach_id", lena}, {"actions.0.owner_id", ravi}}},
			{name: "the agent reads it", method: "GET", path: "/api/v1/coaching/sessions/1", as: "ravi", wantStatus: http.StatusOK},
			{name: "a supervisor reads it", method: "GET", path: "/api/v1/coaching/sessions/1", as: "sunil", wantStatus: http.StatusOK},
			{name: "another agent gets 404", method: "GET", path: "/api/v1/coaching/sessions/1", as: "meera", wantStatus: http.StatusNotFound},
			{name: "another team's lead gets 404", method: "GET", path: "/api/v1/coaching/sessions/1", as: "tara", wantStatus: http.StatusNotFound},
			{name: "another agent's history is empty", method: "GET", path: "/api/v1/coaching/sessions?agent_id=" + id(ravi), as: "meera",
				wantStatus: http.StatusOK, want: []check{{"sessions", []any{}}}},
			{name: "the agent's history", method: "GET", path: "/api/v1/coaching/sessions", as: "ravi", wantStatus: http.StatusOK,
				want: []check{{"sessions.0.id", 1}, {"next_cursor", nil}}},
			{name: "the owner ticks the item off", method: "PATCH", path: "/api/v1/coaching/actions/1", as: "ravi",
				body: map[string]any{"done": true}, wantStatus: http.StatusOK, want: []check{{"version", 2}}},

			{name: "a member who does not lead adds no card", method: "POST", path: "/api/v1/teams/" + id(d.Teams[1].ID) + "/tasks", as: "ravi",
				body: map[string]any{"title": "x"}, wantStatus: http.StatusForbidden},
			{name: "a card without a title", method: "POST", path: "/api/v1/teams/" + id(d.Teams[1].ID) + "/tasks", as: "lena",
				body: map[string]any{"title": ""}, wantStatus: http.StatusBadRequest, wantCode: "invalid"},
			{name: "a card", method: "POST", path: "/api/v1/teams/" + id(d.Teams[1].ID) + "/tasks", as: "lena",
				body:       map[string]any{"title": "Fix the refund macro", "owner_id": ravi, "ticket_ids": []int64{tid}, "due_at": due},
				wantStatus: http.StatusCreated, want: []check{{"status", "todo"}, {"version", 1}}},
			{name: "another team cannot see the board", method: "GET", path: "/api/v1/teams/" + id(d.Teams[1].ID) + "/tasks", as: "meera",
				wantStatus: http.StatusNotFound},
			{name: "the team sees the board", method: "GET", path: "/api/v1/teams/" + id(d.Teams[1].ID) + "/tasks", as: "ravi",
				wantStatus: http.StatusOK, want: []check{{"tasks.0.title", "Fix the refund macro"}}},
			{name: "a move without a version", method: "PATCH", path: "/api/v1/tasks/1", as: "ravi",
				body: map[string]any{"status": "doing"}, wantStatus: http.StatusOK, want: []check{{"status", "doing"}}},
		})
		// A stale move is refused with 412, not applied.
		r := d.send("PATCH", "/api/v1/tasks/1", http.Header{"Authorization": {"Bearer " + d.Tokens["lena"]}, "If-Match": {`"v1"`}},
			map[string]any{"status": "done"})
		if r.Status != http.StatusPreconditionFailed {
			t.Fatalf("stale move: %d %s", r.Status, r.Raw)
		}
	})
}
