package web_test

import (
	"net/http"
	"testing"
)

// Lookalike addresses and names with invisible or text-direction characters
// are refused with a field error, and nothing is written.
func TestLookalikeEmailsAndHiddenCharactersInNamesAreRefused(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		d.run([]scenario{
			{name: "a Cyrillic а in a contact's address", method: "POST", path: "/api/v1/contacts", as: "ada",
				body: map[string]any{"name": "Admin", "emails": []string{"\u0430dmin@desk.test"}}, wantStatus: http.StatusBadRequest,
				wantCode: "invalid", want: []check{{"error.fields.emails", "\"\u0430dmin@desk.test\" is not an email address"}}},
			{name: "a zero-width space in an agent's address", method: "POST", path: "/api/v1/agents", as: "ada",
				body: map[string]any{"name": "Ravi", "email": "ra\u200bvi@desk.test", "role": "agent"}, wantStatus: http.StatusBadRequest,
				wantCode: "invalid", want: []check{{"error.fields.email", "must be an email address"}}},
			{name: "a right-to-left override in a contact's name", method: "POST", path: "/api/v1/contacts", as: "ada",
				body: map[string]any{"name": "gnp.\u202eexe", "emails": []string{"x@desk.test"}}, wantStatus: http.StatusBadRequest,
				wantCode: "invalid", want: []check{{"error.fields.name", "must not contain invisible or text-direction characters"}}},
			{name: "a requester named with an isolate", method: "POST", path: "/api/v1/tickets", as: "ada",
				body:       map[string]any{"subject": "Hi", "body": "Hello", "requester": map[string]any{"email": "k@customer.test", "name": "\u2067Kavya"}},
				wantStatus: http.StatusBadRequest, wantCode: "invalid"},
			{name: "nothing was written", method: "GET", path: "/api/v1/contacts", as: "ada", wantStatus: http.StatusOK,
				want: []check{{"contacts.#", 0}}},
			{name: "an international address in one script is welcome", method: "POST", path: "/api/v1/contacts", as: "ada",
				body: map[string]any{"name": "रवि", "emails": []string{"रवि@उदाहरण.भारत"}}, wantStatus: http.StatusCreated},
		})
	})
}
