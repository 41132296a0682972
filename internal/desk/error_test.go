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
		{"coded", Errorf(ENOTFOUND, "ticket %d not found", 7), ENOTFOUND, "ticket 7 not found"},
		{"wrapped keeps code and message", fmt.Errorf("assign: %w", Errorf(ECONFLICT, "taken")), ECONFLICT, "taken"},
		{"invalid carries fields", Invalid(map[string]string{"subject": "is required"}), EINVALID, "validation failed"},
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
	if f := ErrorFields(fmt.Errorf("x: %w", Invalid(map[string]string{"a": "b"}))); f["a"] != "b" {
		t.Errorf("fields lost through wrapping: %v", f)
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
