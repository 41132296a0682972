package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// speakHindi switches a cast member's own language to Hindi.
func speakHindi(t *testing.T, d *testDesk, name string) {
	t.Helper()
	hi := "hi"
	if _, err := d.People.UpdateAgent(system(), d.Agents[name].ID, people.AgentInput{Language: &hi}, auth.HashPassword); err != nil {
		t.Fatalf("set %s's language: %v", name, err)
	}
}

// The API answers an error's message and field messages in the caller's
// language: the agent's own for a signed-in agent, else the
// Accept-Language of the request. The code is the same in every language.
func TestErrorsInTheCallersLanguage(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], nil)
	speakHindi(t, d, "ravi")
	refused := map[string]any{"subject": "", "body": "y", "priority": "meh", "requester": map[string]any{"email": "nope"}}
	hindi := http.Header{"Accept-Language": {"hi-IN,hi;q=0.9"}}
	withToken := func(name string, h http.Header) http.Header {
		h = h.Clone()
		if h == nil {
			h = http.Header{}
		}
		h.Set("Authorization", "Bearer "+d.Tokens[name])
		return h
	}

	for _, tc := range []struct {
		name       string
		method     string
		path       string
		header     http.Header
		body       any
		wantStatus int
		wantCode   string
		wantMsg    string
		wantFields map[string]string
	}{
		{name: "a Hindi-speaking agent reads validation errors in Hindi", method: "POST", path: "/api/v1/tickets",
			header: withToken("ravi", nil), body: refused, wantStatus: 400, wantCode: "invalid", wantMsg: "सत्यापन विफल रहा",
			wantFields: map[string]string{"subject": "आवश्यक है", "requester.email": "ईमेल पता होना चाहिए",
				"priority": "इनमें से एक होना चाहिए: low, normal, high, urgent"}},
		{name: "an English-speaking agent reads them in English", method: "POST", path: "/api/v1/tickets",
			header: withToken("ada", nil), body: refused, wantStatus: 400, wantCode: "invalid", wantMsg: "validation failed",
			wantFields: map[string]string{"subject": "is required", "requester.email": "must be an email address",
				"priority": "must be one of low, normal, high, urgent"}},
		{name: "the agent's own language wins over the browser's", method: "POST", path: "/api/v1/tickets",
			header: withToken("ada", hindi), body: refused, wantStatus: 400, wantCode: "invalid", wantMsg: "validation failed",
			wantFields: map[string]string{"subject": "is required"}},
		{name: "a malformed body is explained in Hindi", method: "POST", path: "/api/v1/tickets",
			header: withToken("ravi", nil), body: `{"subject":5}`, wantStatus: 400, wantCode: "invalid",
			wantFields: map[string]string{"subject": "स्ट्रिंग होनी चाहिए"}},
		{name: "values in a message survive translation", method: "GET", path: "/api/v1/tickets/999999",
			header: withToken("ravi", nil), wantStatus: 404, wantCode: "not_found", wantMsg: "टिकट 999999 नहीं मिला"},
		{name: "a caller without credentials gets the Accept-Language", method: "GET", path: "/api/v1/tickets",
			header: hindi, wantStatus: 401, wantCode: "unauthorized", wantMsg: "पहले साइन इन करें"},
		{name: "and English by default", method: "GET", path: "/api/v1/tickets",
			wantStatus: 401, wantCode: "unauthorized", wantMsg: "sign in first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dd := *d
			dd.t = t
			r := dd.send(tc.method, tc.path, tc.header, tc.body)
			if r.Status != tc.wantStatus || r.errorCode() != tc.wantCode {
				t.Fatalf("status %d code %q, want %d %q\n%s", r.Status, r.errorCode(), tc.wantStatus, tc.wantCode, r.Raw)
			}
			if tc.wantMsg != "" && r.str("error.message") != tc.wantMsg {
				t.Errorf("message %q, want %q", r.str("error.message"), tc.wantMsg)
			}
			fields, _ := r.get("error.fields").(map[string]any)
			for k, want := range tc.wantFields {
				if fields[k] != want {
					t.Errorf("fields[%q] = %v, want %q\n%s", k, fields[k], want, r.Raw)
				}
			}
		})
	}
}

// The Hindi web app shows the service's validation messages in Hindi.
func TestPageShowsValidationErrorsInHindi(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], map[string]string{"ravi": goodPassword})
	speakHindi(t, d, "ravi")
	session, csrf, _, err := d.Access.SignIn(system(), "ravi@desk.test", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, d.URL)
	b.jar["sahayak_session"] = &http.Cookie{Name: "sahayak_session", Value: session}
	form := url.Values{"csrf": {csrf}, "email": {"nope"}, "subject": {"  "}, "body": {"मदद चाहिए"}, "priority": {"normal"}, "type": {"question"}}
	res, page := b.do("POST", "/tickets/new", http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
		"Accept": {"text/html"}}, form.Encode())
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400\n%s", res.StatusCode, page)
	}
	for _, want := range []string{"आवश्यक है", "ईमेल पता होना चाहिए", "<strong>विषय</strong>", "<strong>अनुरोधकर्ता का ईमेल</strong>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	for _, english := range []string{"is required", "must be an email address", "<strong>subject</strong>"} {
		if strings.Contains(page, english) {
			t.Errorf("the Hindi page says %q in English", english)
		}
	}
}
