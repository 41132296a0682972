package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// The admin edit forms (agents, teams, roles, custom fields) never undo a
// colleague's change: each carries the values it was rendered with
// ("original", URL-encoded), and a submit takes from the form only the
// fields this agent changed, the others from the resource as it is now. A
// field this agent changed that someone else changed to another value since
// refuses the whole submit, naming the field with its values. The write
// then expects the version it was merged against, so a change landing in
// between makes it merge again.

// formValues is what an edit form submits for a resource left as rendered.
func formValues(v any) url.Values {
	flag := func(b bool) []string {
		if b {
			return []string{"1"}
		}
		return nil
	}
	switch x := v.(type) {
	case *people.Agent:
		teams := make([]string, len(x.TeamIDs))
		for i, id := range x.TeamIDs {
			teams[i] = strconv.FormatInt(id, 10)
		}
		return url.Values{"name": {x.Name}, "email": {x.Email}, "role": {x.Role}, "language": {x.Language},
			"active": flag(x.Active), "team_ids": teams}
	case *people.Team:
		lead := ""
		if x.LeadID != nil {
			lead = strconv.FormatInt(*x.LeadID, 10)
		}
		members := make([]string, len(x.MemberIDs))
		for i, id := range x.MemberIDs {
			members[i] = strconv.FormatInt(id, 10)
		}
		return url.Values{"name": {x.Name}, "tier": {strconv.Itoa(x.Tier)}, "lead_id": {lead}, "member_ids": members}
	case *people.Role:
		return url.Values{"name": {x.Name}, "description": {x.Description}, "permissions": x.Permissions}
	case ticket.Field:
		return url.Values{"label": {x.Label}, "options": {strings.Join(x.Options, "\n")},
			"position": {strconv.Itoa(x.Position)}, "required": flag(x.Required),
			"portal": flag(x.Portal)}
	}
	return nil
}

// originalOf is the hidden "original" of a resource's edit form.
func originalOf(v any) string { return formValues(v).Encode() }

// formConflict is a field both this agent and someone else changed.
type formConflict struct{ Field, Old, New, Mine string }

// mergeForm returns the values to apply for the fields: the submitted one
// where this agent changed it, the current one elsewhere; and the fields
// both sides changed differently. Values compare as sets of trimmed lines,
// so that checkbox groups and a textarea's line endings do not matter.
func mergeForm(original, submitted, current url.Values, fields []string) (url.Values, []formConflict) {
	merged := url.Values{}
	for k, v := range submitted {
		merged[k] = v
	}
	var conflicts []formConflict
	for _, f := range fields {
		was, mine, now := norm(original[f]), norm(submitted[f]), norm(current[f])
		switch {
		case mine == was || mine == now:
			merged[f] = current[f]
		case now != was:
			conflicts = append(conflicts, formConflict{Field: f, Old: was, New: now, Mine: mine})
		}
	}
	return merged, conflicts
}

func norm(vs []string) string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		for _, line := range strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, line)
			}
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// mergedEdit applies an admin edit form: read returns the resource as it is
// and its version, write applies r.PostForm (the merged values) expecting
// that version. A conflict is an ECONFLICT error naming each field.
func mergedEdit(r *http.Request, fields []string, read func() (any, int64, error), write func(version int64) error) error {
	submitted := r.PostForm
	return desk.Optimistic(0, func() error {
		cur, version, err := read()
		if err != nil {
			return err
		}
		current := formValues(cur)
		original := current
		if o := submitted.Get("original"); o != "" {
			if original, err = url.ParseQuery(o); err != nil {
				return desk.E(desk.EINVALID, "error.form_unreadable")
			}
		}
		merged, conflicts := mergeForm(original, submitted, current, fields)
		if len(conflicts) > 0 {
			errs := desk.Fields{"": desk.M("form.conflict")}
			for _, c := range conflicts {
				errs[c.Field] = desk.M("form.conflict_field", orNothing(c.Old), orNothing(c.New), orNothing(c.Mine))
			}
			return &desk.Error{Code: desk.ECONFLICT, Msg: desk.M("form.conflict"), Fields: errs}
		}
		r.PostForm = merged
		return write(version)
	})
}

func orNothing(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
