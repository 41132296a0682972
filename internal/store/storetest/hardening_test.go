package storetest_test

import (
	"testing"

	"github.com/sahayak/sahayak/internal/people"
)

// Contact search treats % and _ as the characters they are, not as
// wildcards: a search for "50%" finds "50% Off" and not "500 Club".
func TestContactSearchEscapesWildcards(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		for _, c := range []struct{ name, email string }{
			{"50% Off", "deals@shop.test"},
			{"500 Club", "club@shop.test"},
			{"a_b", "ab@under.test"},
			{"axb", "axb@under.test"},
		} {
			if _, err := f.people.CreateContact(f.sys, people.ContactInput{Name: ptr(c.name), Emails: &[]string{c.email}}); err != nil {
				t.Fatal(err)
			}
		}
		for q, want := range map[string]string{"50%": "50% Off", "a_": "a_b", "%": "", "_": ""} {
			got, err := f.people.Contacts(f.sys, peopleQuery(q))
			if err != nil {
				t.Fatal(err)
			}
			names := []string{}
			for _, c := range got {
				names = append(names, c.Name)
			}
			if want == "" && len(names) != 0 || want != "" && (len(names) != 1 || names[0] != want) {
				t.Errorf("search %q found %v, want [%s]", q, names, want)
			}
		}
	})
}
