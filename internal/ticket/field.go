package ticket

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sahayak/sahayak/internal/desk"
)

// Field kinds of admin-defined custom fields.
const (
	FieldText     = "text"
	FieldNumber   = "number"
	FieldDate     = "date"
	FieldDropdown = "dropdown"
	FieldCheckbox = "checkbox"
)

// Limits of a field's label and of a text field's value, in characters.
const (
	maxLabel     = 200
	maxFieldText = 10000
)

// FieldKinds lists the kinds an admin can choose.
var FieldKinds = []string{FieldText, FieldNumber, FieldDate, FieldDropdown, FieldCheckbox}

// Field is a typed custom field on tickets, defined by an admin.
type Field struct {
	ID       int64    `json:"id"`
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Kind     string   `json:"kind"`
	Options  []string `json:"options"`
	Required bool     `json:"required"`
	Position int      `json:"position"`
	// Portal shows the field on the customer portal's new-ticket form;
	// a ticket opened there takes only such fields.
	Portal    bool      `json:"portal"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Version counts the changes; the API sends it as the ETag.
	Version int64 `json:"version"`
}

// CurrentVersion is the version the API sends as the ETag (If-Match compares with it).
func (f *Field) CurrentVersion() int64 { return f.Version }

var fieldKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Validate checks a field definition and returns per-attribute messages.
func (f *Field) Validate() error {
	errs := desk.Fields{}
	if !fieldKeyRE.MatchString(f.Key) {
		errs["key"] = desk.M("invalid.field_key")
	}
	if f.Label == "" || utf8.RuneCountInString(f.Label) > maxLabel {
		errs["label"] = desk.M("invalid.label", maxLabel)
	}
	if !slices.Contains(FieldKinds, f.Kind) {
		errs["kind"] = desk.M("invalid.one_of", strings.Join(FieldKinds, ", "))
	}
	if f.Kind == FieldDropdown && len(f.Options) == 0 {
		errs["options"] = desk.M("invalid.dropdown_options")
	}
	if f.Options == nil {
		f.Options = []string{}
	}
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	return nil
}

// check validates one value for the field and returns it in canonical form.
func (f *Field) check(v any) (any, desk.Msg) {
	switch f.Kind {
	case FieldText:
		s, ok := v.(string)
		if !ok {
			return nil, desk.M("invalid.text")
		}
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxFieldText {
			return nil, desk.M("invalid.text_long", maxFieldText)
		}
		return s, desk.Msg{}
	case FieldNumber:
		n, ok := v.(float64)
		if !ok || math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, desk.M("invalid.number")
		}
		return n, desk.Msg{}
	case FieldDate:
		s, ok := v.(string)
		if !ok {
			return nil, desk.M("invalid.date")
		}
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return nil, desk.M("invalid.date")
		}
		return s, desk.Msg{}
	case FieldDropdown:
		s, ok := v.(string)
		if !ok || !slices.Contains(f.Options, s) {
			return nil, desk.M("invalid.one_of", strings.Join(f.Options, ", "))
		}
		return s, desk.Msg{}
	case FieldCheckbox:
		b, ok := v.(bool)
		if !ok {
			return nil, desk.M("invalid.bool")
		}
		return b, desk.Msg{}
	}
	return nil, desk.M("invalid.unknown_kind")
}

// ApplyFields merges values into current (a nil value clears a field),
// validates them against the definitions and returns the new map. Required
// fields must hold a value afterwards when requireAll is set.
func ApplyFields(defs []Field, current, values map[string]any, requireAll bool) (map[string]any, error) {
	byKey := make(map[string]*Field, len(defs))
	for i := range defs {
		byKey[defs[i].Key] = &defs[i]
	}
	out := make(map[string]any, len(current)+len(values))
	for k, v := range current {
		out[k] = v
	}
	errs := desk.Fields{}
	for k, v := range values {
		f, ok := byKey[k]
		if !ok {
			errs["custom_fields."+k] = desk.M("invalid.undefined_field")
			continue
		}
		if v == nil {
			delete(out, k)
			continue
		}
		cv, msg := f.check(v)
		if msg.Key != "" {
			errs["custom_fields."+k] = msg
			continue
		}
		out[k] = cv
	}
	if requireAll {
		for _, f := range defs {
			if _, ok := out[f.Key]; f.Required && !ok {
				if _, bad := errs["custom_fields."+f.Key]; !bad {
					errs["custom_fields."+f.Key] = desk.M("invalid.required")
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	return out, nil
}

// PortalFields are the fields of defs shown on the customer portal, in
// their order.
func PortalFields(defs []Field) []Field {
	out := make([]Field, 0, len(defs))
	for _, f := range defs {
		if f.Portal {
			out = append(out, f)
		}
	}
	return out
}
