package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/desk"
)

// MaxJSONBody is the documented limit of a JSON request body.
const MaxJSONBody = 1 << 20

// decode reads a JSON body strictly: at most MaxJSONBody bytes, valid UTF-8,
// no unknown fields, one value.
func decode(r *http.Request, v any) error {
	if !isJSON(r.Header.Get("Content-Type")) {
		return desk.E(desk.EMEDIATYPE, "error.media_type", r.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxJSONBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return desk.E(desk.ETOOLARGE, "error.body_too_large", MaxJSONBody)
		}
		return desk.E(desk.EINVALID, "error.body_unreadable")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return desk.E(desk.EINVALID, "error.body_empty")
	}
	if !utf8.Valid(body) {
		return desk.E(desk.EINVALID, "error.body_utf8")
	}
	if hasNULEscape(body) {
		// PostgreSQL cannot store NUL in text, and no field needs it.
		return desk.E(desk.EINVALID, "error.body_nul")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return desk.E(desk.EINVALID, "error.body_many")
	}
	if !bytes.Contains(body, []byte("null")) {
		// No null anywhere (most bodies): nothing to refuse, and the walk
		// below re-parses the body, a tenth of a create's CPU.
		return nil
	}
	return refuseNulls(body, reflect.TypeOf(v), "")
}

// refuseNulls refuses a null where the field cannot be null. Decoding leaves
// such a field as if it were absent, which would silently ignore what the
// client meant (did {"name": null} ask to clear the name?). A field whose type
// reads null itself (optionalID: null clears) is left to it.
func refuseNulls(raw []byte, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if string(bytes.TrimSpace(raw)) == "null" {
		name := path
		if name == "" {
			name = "body"
		}
		return desk.Invalid(desk.Fields{name: jsonKind(t.Kind().String())})
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return nil
	}
	for key, value := range fields {
		f, ok := jsonField(t, key)
		if !ok || reflect.PointerTo(f.Type).Implements(unmarshaler) || f.Type.Implements(unmarshaler) {
			continue
		}
		if err := refuseNulls(value, f.Type, strings.TrimPrefix(path+"."+key, ".")); err != nil {
			return err
		}
	}
	return nil
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// jsonField finds the field that encoding/json decodes key into (it matches
// names without regard to case; an embedded struct's fields are the
// outer struct's).
func jsonField(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" && f.Type.Kind() == reflect.Struct {
			if g, ok := jsonField(f.Type, key); ok {
				return g, true
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if f.IsExported() && name != "-" && strings.EqualFold(name, key) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// isJSON reports whether a Content-Type names JSON: application/json or a
// +json type, with any parameters.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// hasNULEscape reports whether a JSON text holds the escape \u0000 (a raw
// NUL byte is not valid JSON and fails decoding anyway). A backslash that is
// itself escaped does not start an escape.
func hasNULEscape(body []byte) bool {
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(`\u0000`))
		if j < 0 {
			return false
		}
		at := i + j
		slashes := 0
		for k := at - 1; k >= 0 && body[k] == '\\'; k-- {
			slashes++
		}
		if slashes%2 == 0 {
			return true
		}
		i = at + 1
	}
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return desk.E(desk.EINVALID, "error.json_at", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return desk.Invalid(desk.Fields{field: jsonKind(typ.Type.Kind().String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &desk.Error{Code: desk.EINVALID, Msg: desk.M("error.unknown_field", name),
			Fields: desk.Fields{name: desk.M("invalid.unknown_field")}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return desk.E(desk.EINVALID, "error.json_eof")
	}
	return desk.E(desk.EINVALID, "error.json")
}

// jsonKind says what a value of a Go kind must be, in the caller's words.
func jsonKind(k string) desk.Msg {
	switch k {
	case "int", "int64", "int32", "float64":
		return desk.M("invalid.number")
	case "uint64":
		return desk.M("invalid.positive_id")
	case "string":
		return desk.M("invalid.string")
	case "bool":
		return desk.M("invalid.bool")
	case "slice":
		return desk.M("invalid.array")
	case "map", "struct":
		return desk.M("invalid.object")
	}
	return desk.M("invalid.other_type")
}

// pathID parses the {name} path value as a positive id.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, desk.E(desk.ENOTFOUND, "error.path_id", name, r.PathValue(name))
	}
	return id, nil
}

// queryID parses an optional id query parameter.
func queryID(r *http.Request, name string) (*int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return nil, desk.Invalid(desk.Fields{name: desk.M("invalid.id")})
	}
	return &id, nil
}

// normalizeNumbers turns json.Number values (from UseNumber) into float64
// so that domain validation sees plain JSON types.
func normalizeNumbers(m map[string]any) map[string]any {
	for k, v := range m {
		if n, ok := v.(json.Number); ok {
			f, err := n.Float64()
			if err != nil {
				m[k] = n.String()
				continue
			}
			m[k] = f
		}
	}
	return m
}
