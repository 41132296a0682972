package web_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

// The OpenAPI document is the contract: it describes every /api/v1 route
// of the route table and the live stream (GET /events) and nothing else, and
// it is internally consistent.
func TestOpenAPIDescribesTheRouteTable(t *testing.T) {
	t.Parallel()
	d := newDesk(t, storetest.Backends()[0], nil)
	r := d.mustCall(200, "GET", "/api/v1/openapi.json", "", nil)
	file, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Raw) != string(file) {
		t.Error("the served document is not openapi.json")
	}
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Security   []map[string][]string                `json:"security"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components map[string]map[string]any            `json:"components"`
		Tags       []struct{ Name, Description string } `json:"tags"`
	}
	if err := json.Unmarshal(file, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	if len(doc.Security) != 1 || doc.Security[0]["bearer"] == nil || doc.Components["securitySchemes"]["bearer"] == nil {
		t.Errorf("the document does not require the bearer scheme by default")
	}
	if doc.Components["schemas"]["Error"] == nil {
		t.Errorf("the error shape is not described")
	}

	// Tags group operations for the reader and for generated clients; each is
	// declared once, with a description.
	tags := map[string]bool{}
	for _, tag := range doc.Tags {
		if tags[tag.Name] || tag.Description == "" {
			t.Errorf("tag %q is declared twice or without a description", tag.Name)
		}
		tags[tag.Name] = true
	}

	described := map[string]bool{}
	operationIDs := map[string]string{}
	camelCase := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	for path, ops := range doc.Paths {
		for method, op := range ops {
			described[strings.ToUpper(method)+" "+path] = true
			// Client generators name methods after operationId: each is
			// present, unique and camelCase.
			opID, _ := op["operationId"].(string)
			if !camelCase.MatchString(opID) {
				t.Errorf("%s %s: operationId %q is not camelCase", method, path, opID)
			} else if other, dup := operationIDs[opID]; dup {
				t.Errorf("%s %s: operationId %q is also %s's", method, path, opID, other)
			}
			operationIDs[opID] = method + " " + path
			opTags, _ := op["tags"].([]any)
			if len(opTags) == 0 {
				t.Errorf("%s %s has no tags", method, path)
			}
			for _, tag := range opTags {
				if name, _ := tag.(string); !tags[name] {
					t.Errorf("%s %s: tag %q is not declared at the top level", method, path, tag)
				}
			}
			if resp, _ := op["responses"].(map[string]any); len(resp) == 0 {
				t.Errorf("%s %s has no responses", method, path)
			}
			declared := map[string]bool{}
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				declared[paramName(doc.Components, p)] = true
			}
			for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s %s does not declare the path parameter %s", method, path, m[1])
				}
			}
		}
	}
	routes := map[string]bool{}
	for _, rt := range d.Server.Routes() {
		if !strings.HasPrefix(rt.Path, "/api/v1/") && rt.Path != "/events" {
			continue
		}
		key := rt.Method + " " + rt.Path
		routes[key] = true
		if !described[key] {
			t.Errorf("route %s is not in openapi.json", key)
		}
		op := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		sec, hasSec := op["security"].([]any)
		if public := rt.Permission == auth.Public; public != (hasSec && len(sec) == 0) {
			t.Errorf("%s: public=%v but the document says security %v", key, public, op["security"])
		}
		if rt.Permission != auth.Public && rt.Permission != auth.SignedIn {
			if desc, _ := op["description"].(string); !strings.Contains(desc, rt.Permission) {
				t.Errorf("%s: the description does not name the permission %s", key, rt.Permission)
			}
		}
	}
	for key := range described {
		if !routes[key] {
			t.Errorf("openapi.json describes %s, which is not a route", key)
		}
	}

	// Every $ref points at something that exists.
	for _, ref := range regexp.MustCompile(`"\$ref":\s*"#/components/(\w+)/(\w+)"`).FindAllStringSubmatch(string(file), -1) {
		if doc.Components[ref[1]][ref[2]] == nil {
			t.Errorf("dangling $ref #/components/%s/%s", ref[1], ref[2])
		}
	}
	// Every write documents 400 and every route past sign-in documents 401.
	for path, ops := range doc.Paths {
		for method, op := range ops {
			resp, _ := op["responses"].(map[string]any)
			if _, ok := op["requestBody"]; ok && resp["400"] == nil {
				t.Errorf("%s %s takes a body but documents no 400", method, path)
			}
			if sec, ok := op["security"].([]any); !(ok && len(sec) == 0) && resp["401"] == nil {
				t.Errorf("%s %s documents no 401", method, path)
			}
		}
	}
	if t.Failed() {
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range routes {
				if !yield(k) {
					return
				}
			}
		})
		t.Logf("routes: %v", keys)
	}
}

func paramName(components map[string]map[string]any, p any) string {
	m, _ := p.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		m, _ = components["parameters"][strings.TrimPrefix(ref, "#/components/parameters/")].(map[string]any)
	}
	if m["in"] != "path" {
		return ""
	}
	name, _ := m["name"].(string)
	return name
}

// Every object an answer can hold says which of its properties are always
// sent: generated clients make the others optional (or pointers), and the
// contract check then fails an answer that leaves a required one out.
func TestOpenAPIResponseObjectsDeclareRequired(t *testing.T) {
	t.Parallel()
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[*openapi3.Schema]bool{}
	var walk func(where string, s *openapi3.SchemaRef)
	walk = func(where string, s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || seen[s.Value] {
			return
		}
		seen[s.Value] = true
		if s.Ref != "" {
			where = s.Ref
		}
		v := s.Value
		if len(v.Properties) > 0 && len(v.Required) == 0 {
			t.Errorf("%s: an object in an answer without required", where)
		}
		for name, p := range v.Properties {
			walk(where+"."+name, p)
		}
		walk(where+"[]", v.Items)
	}
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status, res := range op.Responses.Map() {
				for _, mt := range res.Value.Content {
					walk(method+" "+path+" "+status, mt.Schema)
				}
			}
		}
	}
	walk("LiveEvent", c.doc.Components.Schemas["LiveEvent"])
}
