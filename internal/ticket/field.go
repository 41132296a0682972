package ticket

import (
	"fmt"
	"math"
	"regexp"
	"slices"
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

// FieldKinds lists the kinds an admin can choose.
var FieldKinds = []string{FieldText, FieldNumber, FieldDate, FieldDropdown, FieldCheckbox}

// Field is a typed custom field on tickets, defined by an admin.
type Field struct {
	ID        int64     `json:"id"`
	Key       string    `json:"key"`
	Label     string    `json:"label"`
	Kind      string    `json:"kind"`
	Options   []string  `json:"options"`
	Required  bool      `json:"required"`
	Position  int       `json:"position"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

var fieldKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Validate checks a field definition and returns per-attribute messages.
func (f *Field) Validate() error {
	errs := map[string]string{}
	if !fieldKeyRE.MatchString(f.Key) {
		errs["key"] = "must be lower-case letters, digits and underscores, starting with a letter"
	}
	if f.Label == "" || utf8.RuneCountInString(f.Label) > 200 {
		errs["label"] = "is required and at most 200 characters"
	}
	if !slices.Contains(FieldKinds, f.Kind) {
		errs["kind"] = fmt.Sprintf("must be one of %v", FieldKinds)
	}
	if f.Kind == FieldDropdown && len(f.Options) == 0 {
		errs["options"] = "a dropdown needs at least one option"
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
func (f *Field) check(v any) (any, string) {
	switch f.Kind {
	case FieldText:
		s, ok := v.(string)
		if !ok {
			return nil, "must be text"
		}
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 10000 {
			return nil, "must be valid text of at most 10000 characters"
		}
		return s, ""
	case FieldNumber:
		n, ok := v.(float64)
		if !ok || math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, "must be a number"
		}
		return n, ""
	case FieldDate:
		s, ok := v.(string)
		if !ok {
			return nil, "must be a date (YYYY-MM-DD)"
		}
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return nil, "must be a date (YYYY-MM-DD)"
		}
		return s, ""
	case FieldDropdown:
		s, ok := v.(string)
		if !ok || !slices.Contains(f.Options, s) {
			return nil, fmt.Sprintf("must be one of %v", f.Options)
		}
		return s, ""
	case FieldCheckbox:
		b, ok := v.(bool)
		if !ok {
			return nil, "must be true or false"
		}
		return b, ""
	}
	return nil, "has an unknown kind"
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
	errs := map[string]string{}
	for k, v := range values {
		f, ok := byKey[k]
		if !ok {
			errs["custom_fields."+k] = "is not a defined field"
			continue
		}
		if v == nil {
			delete(out, k)
			continue
		}
		cv, msg := f.check(v)
		if msg != "" {
			errs["custom_fields."+k] = msg
			continue
		}
		out[k] = cv
	}
	if requireAll {
		for _, f := range defs {
			if _, ok := out[f.Key]; f.Required && !ok {
				if _, bad := errs["custom_fields."+f.Key]; !bad {
					errs["custom_fields."+f.Key] = "is required"
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, desk.Invalid(errs)
	}
	return out, nil
}
