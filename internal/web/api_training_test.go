package web_test

import (
	"net/http"
	"testing"
	"time"
)

func trainingCourse() map[string]any {
	return map[string]any{"title": "Refund policy", "pass_mark": 100, "valid_days": 365, "criteria": []string{"correct"},
		"modules": []any{
			map[string]any{"title": "Read", "body": "Refunds within **14 days**.", "links": []any{map[string]any{"title": "Policy", "url": "/kb/refunds"}}},
			map[string]any{"title": "Check", "questions": []any{
				map[string]any{"text": "How many days?", "options": []string{"7", "14"}, "correct": []int{1}},
				map[string]any{"text": "Which need a receipt?", "options": []string{"Cards", "Cash", "Vouchers"}, "correct": []int{0, 1}}}},
		}}
}

// Courses, assignments, quizzes and performance reviews through the API,
// on each database.
func TestTrainingAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		ravi := d.Agents["ravi"].ID
		noCorrect := trainingCourse()
		delete(noCorrect["modules"].([]any)[1].(map[string]any)["questions"].([]any)[0].(map[string]any), "correct")
		due := time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339)
		past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		d.run([]scenario{
			{name: "an agent writes no courses", method: "POST", path: "/api/v1/courses", as: "ravi", body: trainingCourse(),
				wantStatus: http.StatusForbidden},
			{name: "a quiz with no correct answer", method: "POST", path: "/api/v1/courses", as: "lena", body: noCorrect,
				wantStatus: http.StatusBadRequest, wantCode: "invalid"},
			{name: "create a course", method: "POST", path: "/api/v1/courses", as: "lena", body: trainingCourse(),
				wantStatus: http.StatusCreated, want: []check{{"modules.0.key", "m1"}, {"modules.1.key", "m2"}, {"version", 1}}},
			{name: "a due date in the past", method: "POST", path: "/api/v1/course-assignments", as: "lena",
				body: map[string]any{"course_id": 1, "agent_ids": []int64{ravi}, "due_at": past}, wantStatus: http.StatusBadRequest},
			{name: "an unknown agent", method: "POST", path: "/api/v1/course-assignments", as: "lena",
				body: map[string]any{"course_id": 1, "agent_ids": []int64{99999}, "due_at": due}, wantStatus: http.StatusBadRequest},
			{name: "assign to a team", method: "POST", path: "/api/v1/course-assignments", as: "lena",
				body: map[string]any{"course_id": 1, "team_ids": []int64{d.Teams[1].ID}, "due_at": due}, wantStatus: http.StatusCreated,
				want: []check{{"assigned.1.state", "assigned"}}},
			{name: "the agent's own list", method: "GET", path: "/api/v1/course-assignments", as: "ravi", wantStatus: http.StatusOK,
				want: []check{{"course_assignments.0.agent_id", ravi}, {"course_assignments.0.course_title", "Refund policy"}, {"next_cursor", nil}}},
			{name: "another agent does not see it", method: "GET", path: "/api/v1/course-assignments?agent_id=" + id(ravi), as: "meera",
				wantStatus: http.StatusOK, want: []check{{"course_assignments", []any{}}}},
			{name: "the learner sees no answers", method: "GET", path: "/api/v1/course-assignments/2", as: "ravi", wantStatus: http.StatusOK,
				want: []check{{"course.modules.1.questions.0.correct", nil}}},
			{name: "read the first module", method: "POST", path: "/api/v1/course-assignments/2/modules/m1/read", as: "ravi",
				wantStatus: http.StatusOK, want: []check{{"state", "in_progress"}}},
			{name: "a wrong answer", method: "POST", path: "/api/v1/course-assignments/2/modules/m2/quiz", as: "ravi",
				body: map[string]any{"answers": [][]int{{1}, {0}}}, wantStatus: http.StatusOK,
				want: []check{{"attempt.score", 50}, {"attempt.passed", false}, {"assignment.state", "in_progress"}}},
			{name: "a pass completes the course", method: "POST", path: "/api/v1/course-assignments/2/modules/m2/quiz", as: "ravi",
				body: map[string]any{"answers": [][]int{{1}, {0, 1}}}, wantStatus: http.StatusOK,
				want: []check{{"attempt.score", 100}, {"assignment.state", "completed"}, {"assignment.attempts", 2}}},
			{name: "a performance review of another lead's agent", method: "POST", path: "/api/v1/performance-reviews", as: "tara",
				body: map[string]any{"agent_id": ravi, "period": "monthly"}, wantStatus: http.StatusForbidden},
			{name: "start a performance review", method: "POST", path: "/api/v1/performance-reviews", as: "lena",
				body: map[string]any{"agent_id": ravi, "period": "monthly", "assessment": "Good month."}, wantStatus: http.StatusCreated,
				want: []check{{"state", "draft"}}},
			{name: "the agent cannot acknowledge a draft", method: "POST", path: "/api/v1/performance-reviews/1/acknowledge", as: "ravi",
				wantStatus: http.StatusUnprocessableEntity},
			{name: "a peer sees nothing", method: "GET", path: "/api/v1/performance-reviews/1", as: "meera", wantStatus: http.StatusNotFound},
			{name: "the lead reads it with its facts", method: "GET", path: "/api/v1/performance-reviews/1", as: "lena", wantStatus: http.StatusOK,
				want: []check{{"facts.training.0.state", "completed"}, {"facts.goals", nil}}},
			{name: "share", method: "POST", path: "/api/v1/performance-reviews/1/share", as: "lena", wantStatus: http.StatusOK,
				want: []check{{"state", "shared"}}},
			{name: "self-assessment", method: "PATCH", path: "/api/v1/performance-reviews/1", as: "ravi",
				body: map[string]any{"self_assessment": "Learnt a lot."}, wantStatus: http.StatusOK},
			{name: "acknowledge", method: "POST", path: "/api/v1/performance-reviews/1/acknowledge", as: "ravi", wantStatus: http.StatusOK,
				want: []check{{"state", "acknowledged"}}},
			{name: "an acknowledged review is not edited", method: "PATCH", path: "/api/v1/performance-reviews/1", as: "lena",
				body: map[string]any{"assessment": "Changed my mind"}, wantStatus: http.StatusUnprocessableEntity},
			{name: "history", method: "GET", path: "/api/v1/performance-reviews?agent_id=" + id(ravi), as: "sunil", wantStatus: http.StatusOK,
				want: []check{{"performance_reviews.0.state", "acknowledged"}}},
		})
		h := http.Header{"Authorization": {"Bearer " + d.Tokens["lena"]}, "If-Match": {`"v1"`}, "Content-Type": {"application/json"}}
		if r := d.send("PATCH", "/api/v1/courses/1", h, map[string]any{"title": "Refunds"}); r.Status != http.StatusOK {
			t.Errorf("edit at v1: %d %s", r.Status, r.Raw)
		}
		if r := d.send("PATCH", "/api/v1/courses/1", h, map[string]any{"title": "Refunds 2"}); r.Status != http.StatusPreconditionFailed {
			t.Errorf("stale edit: %d %s", r.Status, r.Raw)
		}
	})
}
