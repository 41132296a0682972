package web_test

import (
	"net/http"
	"testing"
)

func qaScorecard() map[string]any {
	return map[string]any{"name": "Chat QA", "sections": []any{
		map[string]any{"title": "Tone", "weight": 40, "criteria": []any{
			map[string]any{"key": "greeting", "title": "Greets by name", "weight": 100, "scale": "yes_no"}}},
		map[string]any{"title": "Solution", "weight": 60, "criteria": []any{
			map[string]any{"key": "correct", "title": "Correct", "weight": 80, "scale": "scale_5"},
			map[string]any{"key": "privacy", "title": "No data leaked", "weight": 20, "scale": "yes_no", "critical": true, "fail_answer": "no"}}},
	}}
}

// Scorecards and reviews through the API, on each database: a review's
// score comes from the server, its agent answers it, a supervisor settles a
// dispute.
func TestQualityAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		ravi := d.Agents["ravi"].ID
		tk := d.mustCreateTicket("lena", map[string]any{"subject": "Card declined", "team_id": d.Teams[1].ID, "assignee_id": ravi})
		tid := tk.id("id")
		msg := d.mustCall(http.StatusCreated, "POST", "/api/v1/tickets/"+id(tid)+"/messages", "ravi", map[string]any{"body": "Let me check."})
		mid := msg.id("id")
		bad := qaScorecard()
		bad["sections"].([]any)[0].(map[string]any)["weight"] = 50
		noFail := qaScorecard()
		delete(noFail["sections"].([]any)[1].(map[string]any)["criteria"].([]any)[1].(map[string]any), "fail_answer")
		answers := map[string]any{"greeting": "yes", "correct": "4", "privacy": "yes"}
		d.run([]scenario{
			{name: "an agent keeps no scorecards", method: "POST", path: "/api/v1/scorecards", as: "ravi", body: qaScorecard(),
				wantStatus: http.StatusForbidden},
			{name: "weights that do not add up", method: "POST", path: "/api/v1/scorecards", as: "lena", body: bad,
				wantStatus: http.StatusBadRequest, wantCode: "invalid"},
			{name: "a critical criterion without a fail answer", method: "POST", path: "/api/v1/scorecards", as: "lena", body: noFail,
				wantStatus: http.StatusBadRequest, wantCode: "invalid"},
			{name: "create a scorecard", method: "POST", path: "/api/v1/scorecards", as: "lena", body: qaScorecard(),
				wantStatus: http.StatusCreated, want: []check{{"revision", 1}, {"version", 1}}},
			{name: "list scorecards", method: "GET", path: "/api/v1/scorecards", as: "sunil", wantStatus: http.StatusOK,
				want: []check{{"scorecards.0.name", "Chat QA"}, {"next_cursor", nil}}},
			{name: "a new revision", method: "PATCH", path: "/api/v1/scorecards/1", as: "lena",
				body: map[string]any{"sections": qaScorecard()["sections"], "description": "v2"}, wantStatus: http.StatusOK,
				want: []check{{"revision", 1}, {"version", 2}}},
			{name: "reviewing oneself", method: "POST", path: "/api/v1/reviews", as: "lena",
				body:       map[string]any{"ticket_id": tid, "agent_id": d.Agents["lena"].ID, "scorecard_id": 1, "answers": answers},
				wantStatus: http.StatusUnprocessableEntity},
			{name: "an agent reviews nobody", method: "POST", path: "/api/v1/reviews", as: "meera",
				body:       map[string]any{"ticket_id": tid, "agent_id": ravi, "scorecard_id": 1, "answers": answers},
				wantStatus: http.StatusForbidden},
			{name: "review", method: "POST", path: "/api/v1/reviews", as: "lena",
				body: map[string]any{"ticket_id": tid, "agent_id": ravi, "scorecard_id": 1, "answers": answers, "summary": "Good",
					"comments": []any{map[string]any{"message_id": mid, "body": "Say what you will check"}}},
				wantStatus: http.StatusCreated, want: []check{{"score", 88}, {"state", "open"}, {"comments.0.message_id", mid}}},
			{name: "the agent sees it", method: "GET", path: "/api/v1/reviews", as: "ravi", wantStatus: http.StatusOK,
				want: []check{{"reviews.0.score", 88}, {"next_cursor", nil}}},
			{name: "another agent does not", method: "GET", path: "/api/v1/reviews/1", as: "meera", wantStatus: http.StatusNotFound},
			{name: "the ticket's reviews", method: "GET", path: "/api/v1/reviews?ticket_id=" + id(tid), as: "sunil", wantStatus: http.StatusOK,
				want: []check{{"reviews.0.agent_id", ravi}}},
			{name: "bad filter", method: "GET", path: "/api/v1/reviews?state=happy", as: "sunil", wantStatus: http.StatusBadRequest},
			{name: "dispute", method: "POST", path: "/api/v1/reviews/1/dispute", as: "ravi", body: map[string]any{"reason": "I did greet"},
				wantStatus: http.StatusOK, want: []check{{"state", "disputed"}}},
			{name: "the reviewer does not settle it", method: "POST", path: "/api/v1/reviews/1/resolve", as: "lena",
				body: map[string]any{"resolution": "Stands"}, wantStatus: http.StatusForbidden},
			{name: "a supervisor does", method: "POST", path: "/api/v1/reviews/1/resolve", as: "sunil",
				body:       map[string]any{"resolution": "Revised", "answers": map[string]any{"greeting": "yes", "correct": "5", "privacy": "yes"}},
				wantStatus: http.StatusOK, want: []check{{"state", "resolved"}, {"score", 100}}},
			{name: "no dispute after close", method: "POST", path: "/api/v1/reviews/1/dispute", as: "ravi", body: map[string]any{"reason": "again"},
				wantStatus: http.StatusUnprocessableEntity},
			{name: "the agent was told", method: "GET", path: "/api/v1/notifications", as: "ravi", wantStatus: http.StatusOK,
				want: []check{{"notifications.0.kind", "qa_resolved"}, {"notifications.1.kind", "qa_reviewed"}}},
			{name: "solve", method: "PATCH", path: "/api/v1/tickets/" + id(tid), as: "lena", body: map[string]any{"status": "solved"},
				wantStatus: http.StatusOK},
			{name: "default sampling rules", method: "GET", path: "/api/v1/review-queue/rules", as: "lena", wantStatus: http.StatusOK,
				want: []check{{"per_agent", 3}, {"version", 0}}},
			{name: "an agent has no queue", method: "GET", path: "/api/v1/review-queue", as: "ravi", wantStatus: http.StatusForbidden},
			{name: "an unknown reviewer", method: "PATCH", path: "/api/v1/review-queue/rules", as: "lena",
				body: map[string]any{"reviewer_ids": []int64{9999}}, wantStatus: http.StatusBadRequest},
			{name: "sampling rules", method: "PATCH", path: "/api/v1/review-queue/rules", as: "lena",
				body: map[string]any{"per_agent": 1, "reviewer_ids": []int64{d.Agents["lena"].ID}}, wantStatus: http.StatusOK,
				want: []check{{"version", 1}}},
			{name: "build", method: "POST", path: "/api/v1/review-queue/build", as: "lena", body: map[string]any{},
				wantStatus: http.StatusOK, want: []check{{"added", 1}, {"assigned", 1}}},
			{name: "a bad week", method: "POST", path: "/api/v1/review-queue/build", as: "lena", body: map[string]any{"week": "soon"},
				wantStatus: http.StatusBadRequest},
			{name: "the week's queue", method: "GET", path: "/api/v1/review-queue?open=true", as: "sunil", wantStatus: http.StatusOK,
				want: []check{{"items.0.ticket_id", tid}, {"items.0.reason", "sample"}, {"items.0.reviewer_id", d.Agents["lena"].ID}, {"next_cursor", nil}}},
			{name: "another reviewer's item", method: "POST", path: "/api/v1/review-queue/1/claim", as: "sunil", wantStatus: http.StatusConflict},
			{name: "one's own item", method: "POST", path: "/api/v1/review-queue/1/claim", as: "lena", wantStatus: http.StatusOK,
				want: []check{{"reviewer_id", d.Agents["lena"].ID}}},
			{name: "a review settles it", method: "POST", path: "/api/v1/reviews", as: "lena",
				body:       map[string]any{"ticket_id": tid, "agent_id": ravi, "scorecard_id": 1, "answers": answers, "queue_item_id": 1},
				wantStatus: http.StatusCreated, want: []check{{"queue_item_id", 1}}},
			{name: "once", method: "POST", path: "/api/v1/reviews", as: "lena",
				body:       map[string]any{"ticket_id": tid, "agent_id": ravi, "scorecard_id": 1, "answers": answers, "queue_item_id": 1},
				wantStatus: http.StatusConflict},
		})
		h := http.Header{"Authorization": {"Bearer " + d.Tokens["ravi"]}, "If-Match": {`"v1"`}}
		if r := d.send("POST", "/api/v1/reviews/1/acknowledge", h, nil); r.Status != http.StatusPreconditionFailed {
			t.Errorf("stale acknowledge: %d %s", r.Status, r.Raw)
		}
	})
}
