package desk

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorCodeThroughWrapping(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		wantCode string
		wantMsg  string
	}{
		{"nil", nil, "", "internal error"},
		{"plain error is internal", errors.New("disk on fire"), EINTERNAL, "internal error"},
		{"coded, in English", E(ENOTFOUND, "error.ticket_not_found", 7), ENOTFOUND, "ticket 7 not found"},
		{"wrapped keeps code and message", fmt.Errorf("assign: %w", E(ECONFLICT, "error.referenced")), ECONFLICT, "still referenced by other records"},
		{"invalid carries fields", Invalid(Fields{"subject": M("invalid.required")}), EINVALID, "validation failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ErrorCode(tc.err); got != tc.wantCode {
				t.Errorf("code = %q, want %q", got, tc.wantCode)
			}
			if tc.err != nil {
				if got := ErrorMessage(tc.err); got != tc.wantMsg {
					t.Errorf("message = %q, want %q", got, tc.wantMsg)
				}
			}
		})
	}
	if f := ErrorFields(fmt.Errorf("x: %w", Invalid(Fields{"a": M("invalid.required")}))); f["a"].Key != "invalid.required" {
		t.Errorf("fields lost through wrapping: %v", f)
	}
}

// A message keeps its key and arguments, so each reader gets it in their own
// language; the error text (for logs) is English.
func TestMessageInLanguages(t *testing.T) {
	err := Invalid(Fields{"limit": M("invalid.at_most", 100)})
	if got, want := ErrorFields(err)["limit"].In("hi"), "अधिकतम 100 होना चाहिए"; got != want {
		t.Errorf("Hindi field message = %q, want %q", got, want)
	}
	if got, want := err.Error(), "invalid: validation failed: Limit: must be at most 100"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := E(ENOTFOUND, "error.ticket_not_found", 7).Msg.In("hi"), "टिकट 7 नहीं मिला"; got != want {
		t.Errorf("Hindi message = %q, want %q", got, want)
	}
}
func TestActorCan(t *testing.T) {
	a := Actor{Kind: ActorAgent, Permissions: []string{"tickets:read"}, TeamIDs: []int64{3}}
	if !a.Can("tickets:read") || a.Can("tickets:merge") {
		t.Errorf("agent permissions wrong")
	}
	if !System.Can("anything:at_all") {
		t.Errorf("the system actor may do anything")
	}
	if !a.InTeam(3) || a.InTeam(4) {
		t.Errorf("team membership wrong")
	}
}
