package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/sahayak/sahayak/internal/store/storetest"
)

// The contract check: every request a test sends under /api/v1 and every
// answer to it is held against openapi.json, so that the document cannot
// drift from the server. The harness (send, probe) calls checkContract; a
// test that talks to the server another way should call it too.
//
//   - An answer must have a documented status, a documented content type, a
//     body that matches the schema, and headers that match the documented
//     ones. Response objects are checked closed: a property the document does
//     not name fails (the served document stays open, so that clients can
//     accept fields added later).
//   - A request the server accepted (2xx) must be one the document allows:
//     otherwise an integrator's client generated from the document could not
//     send it. Refused requests are not checked: tests send bad input on
//     purpose.
//   - A path under /api/v1 that the document does not describe fails, unless
//     the server answered it with an error (unknown routes are tested too).

// contract is openapi.json, loaded once for the whole test binary.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

var loadContract = sync.OnceValues(func() (*contract, error) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("openapi.json does not load: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
	}
	closeResponseObjects(doc)
	// Paths are matched as they are: the server URL "/" adds nothing.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi.json routes: %w", err)
	}
	return &contract{doc: doc, router: router}, nil
})

// closeResponseObjects makes every object schema reachable from a response
// (and the live stream's events) refuse properties it does not name (unless
// it says otherwise), so that a field the server sends and the document
// omits fails the check.
func closeResponseObjects(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, res := range op.Responses.Map() {
				if res.Value == nil {
					continue
				}
				for _, mt := range res.Value.Content {
					closeObjects(mt.Schema, seen)
				}
			}
		}
	}
	closeObjects(doc.Components.Schemas["LiveEvent"], seen)
}

func closeObjects(s *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	if s == nil || s.Value == nil || seen[s.Value] {
		return
	}
	v := s.Value
	seen[v] = true
	if v.Type.Is("object") && len(v.Properties) > 0 && v.AdditionalProperties.Has == nil &&
		v.AdditionalProperties.Schema == nil {
		no := false
		v.AdditionalProperties.Has = &no
	}
	for _, p := range v.Properties {
		closeObjects(p, seen)
	}
	closeObjects(v.Items, seen)
	closeObjects(v.AdditionalProperties.Schema, seen)
	for _, list := range []openapi3.SchemaRefs{v.AllOf, v.AnyOf, v.OneOf} {
		for _, x := range list {
			closeObjects(x, seen)
		}
	}
}

// checkContract fails t when the exchange under /api/v1 is not what
// openapi.json documents. reqBody and resBody are the bodies as sent and
// received (the request's and response's own bodies are already consumed).
func checkContract(t testing.TB, req *http.Request, reqBody []byte, res *http.Response, resBody []byte) {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") {
		return
	}
	c, err := loadContract()
	if err != nil {
		t.Fatalf("openapi contract: %v", err)
	}
	what := req.Method + " " + req.URL.Path
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if res.StatusCode >= 400 {
			return
		}
		t.Errorf("openapi contract: %s answered %d but openapi.json describes no such operation (%v)",
			what, res.StatusCode, err)
		return
	}
	op := route.Operation.OperationID
	if op == "" {
		op = route.Method + " " + route.Path
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if res.StatusCode < 300 {
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("openapi contract: %s (%s) was accepted with %d, but the request does not match openapi.json:\n%s",
				op, what, res.StatusCode, describe(err))
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode,
		Header: res.Header, Body: io.NopCloser(bytes.NewReader(resBody)), Options: opts}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("openapi contract: %s (%s) answered %d %s, which openapi.json does not document:\n%s\nbody: %.600s",
			op, what, res.StatusCode, res.Header.Get("Content-Type"), describe(err), resBody)
	}
}

// describe lists the errors of a multi-error one per line.
func describe(err error) string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		lines := make([]string, 0, len(me))
		for _, e := range me {
			lines = append(lines, "  - "+describe(e))
		}
		return strings.Join(lines, "\n")
	}
	where := ""
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		switch {
		case re.Parameter != nil:
			where = re.Parameter.In + " parameter " + re.Parameter.Name + " "
		case re.RequestBody != nil:
			where = "request body "
		}
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return fmt.Sprintf("%sat /%s: %s", where, strings.Join(se.JSONPointer(), "/"), se.Reason)
	}
	return where + err.Error()
}

// recorder is a testing.TB that keeps what would have failed the test.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

// The contract check fails an exchange the document does not describe, and
// says which operation and what is wrong; it passes one it does.
func TestContractCheckNamesTheOperationAndTheMismatch(t *testing.T) {
	t.Parallel()
	jsonType := http.Header{"Content-Type": {"application/json"}}
	err := `{"error":{"code":"not_found","message":"no"}}`
	err400 := `{"error":{"code":"invalid","message":"no"}}`
	for _, tc := range []struct {
		name, method, path, reqBody string
		status                      int
		resBody                     string
		want                        []string // substrings of the one failure; none: passes
	}{
		{name: "a documented answer", method: "GET", path: "/api/v1/tickets/1", status: 404, resBody: err},
		{name: "an undocumented status", method: "GET", path: "/api/v1/tickets/1", status: 418, resBody: err,
			want: []string{"getTicket", "GET /api/v1/tickets/1", "418", "status is not supported"}},
		{name: "a property the document does not name", method: "GET", path: "/api/v1/tickets/1", status: 404,
			resBody: `{"error":{"code":"not_found","message":"no","hint":"x"}}`, want: []string{"getTicket", "hint"}},
		{name: "a required property missing", method: "GET", path: "/api/v1/tags", status: 200,
			resBody: `{}`, want: []string{"listTags", "tags"}},
		{name: "an accepted request the document forbids", method: "GET", path: "/api/v1/tickets?sort=sideways",
			status: 200, resBody: `{"tickets":[],"next_cursor":null}`,
			want: []string{"listTickets", "was accepted", "query parameter sort"}},
		{name: "a ticket needs a body", method: "POST", path: "/api/v1/tickets", status: 400, resBody: err400},
		{name: "a ticket accepted without a body", method: "POST", path: "/api/v1/tickets",
			reqBody: `{"subject":"s","requester":{"email":"k@x.test"}}`, status: 201, resBody: ``,
			want: []string{"createTicket", "was accepted", "request body", "anyOf"}},
		{name: "a refused request is not checked", method: "GET", path: "/api/v1/tickets?sort=sideways",
			status: 400, resBody: `{"error":{"code":"invalid","message":"no"}}`},
		{name: "an operation the document lacks", method: "GET", path: "/api/v1/nowhere", status: 200, resBody: `{}`,
			want: []string{"GET /api/v1/nowhere", "describes no such operation"}},
		{name: "an unknown route answered with an error", method: "GET", path: "/api/v1/nowhere", status: 404, resBody: err},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, "http://127.0.0.1"+tc.path, strings.NewReader(tc.reqBody))
			if tc.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			res := &http.Response{StatusCode: tc.status, Header: jsonType}
			rec := &recorder{TB: t}
			checkContract(rec, req, []byte(tc.reqBody), res, []byte(tc.resBody))
			if len(tc.want) == 0 && len(rec.errors) > 0 {
				t.Errorf("want no failure, got %q", rec.errors)
			}
			if len(tc.want) > 0 && len(rec.errors) == 0 {
				t.Fatalf("no failure, want one that says %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(rec.errors[0], w) {
					t.Errorf("the failure does not say %q:\n%s", w, rec.errors[0])
				}
			}
		})
	}
}

// The live stream is part of the contract too: its headers are the
// documented ones and each event's data is a LiveEvent named by its event
// line.
func TestLiveStreamMatchesTheDocument(t *testing.T) {
	t.Parallel()
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	d := newDesk(t, storetest.Backends()[0], nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", d.URL+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+d.Tokens["ada"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" ||
		res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("GET /events: %d %v", res.StatusCode, res.Header)
	}
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() && lines.Text() != ": connected" {
	}
	d.mustCreateTicket("ada", nil)

	var name string
	for lines.Scan() {
		line := lines.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			name = v
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			t.Fatalf("event data is not JSON: %v\n%s", err, data)
		}
		if err := c.doc.Components.Schemas["LiveEvent"].Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
			t.Errorf("openapi contract: streamEvents (GET /events) sent an event that is not a LiveEvent:\n%s\ndata: %s",
				describe(err), data)
		}
		if kind, _ := lookup(v, "kind").(string); kind != name || kind != "ticket.created" {
			t.Errorf("event %q carries kind %q, want ticket.created in both", name, kind)
		}
		return
	}
	t.Fatalf("the stream ended without an event: %v", lines.Err())
}
