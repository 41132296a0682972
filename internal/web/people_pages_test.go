package web_test

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sahayak/sahayak/internal/people"
)

// Contacts in the app: create, edit with the version the form was rendered
// from (a colleague's change in between is refused, never overwritten),
// delete, search by name and email, and page past the first page.
func TestContactPages(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"ravi": goodPassword}, func(t *testing.T, d *testDesk) {
		ravi := d.signedIn(t, "ravi")
		list := ravi.page("/contacts")
		csrf := csrfField.FindStringSubmatch(list)[1]
		res, page := ravi.post("/contacts", url.Values{"csrf": {csrf}, "name": {"Kavya Rao"}, "emails": {"kavya@customer.test\nk.rao@customer.test"},
			"phone": {"+91 98450 00000"}, "language": {"hi"}, "organization_id": {""}})
		loc := res.Header.Get("Location")
		if res.StatusCode != 303 || !strings.HasPrefix(loc, "/contacts/") {
			t.Fatalf("create contact: %d %q\n%s", res.StatusCode, loc, page)
		}
		path := strings.TrimSuffix(loc, "?saved")
		page = ravi.page(loc)
		for _, want := range []string{"Kavya Rao", "kavya@customer.test, k.rao@customer.test", "data-saved", `name="version" value="1"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the contact page lacks %q", want)
			}
		}
		// A refused form comes back with the agent's input and the reason.
		res, page = ravi.post("/contacts", url.Values{"csrf": {csrf}, "name": {"Dup"}, "emails": {"kavya@customer.test"}, "language": {"en"}})
		if res.StatusCode != 409 || !strings.Contains(page, "Email already in use by another contact") || !strings.Contains(page, `value="Dup"`) {
			t.Errorf("a taken email: %d\n%s", res.StatusCode, page)
		}

		// Two agents edit: the first save wins, the stale form is refused.
		edit := url.Values{"csrf": {csrf}, "version": {"1"}, "name": {"Kavya R."}, "emails": {"kavya@customer.test"}, "phone": {""},
			"language": {"hi"}, "organization_id": {""}}
		if res, page := ravi.post(path, edit); res.StatusCode != 303 {
			t.Fatalf("edit: %d\n%s", res.StatusCode, page)
		}
		edit.Set("name", "Kavya Stale")
		res, page = ravi.post(path, edit)
		if res.StatusCode != 412 || !strings.Contains(page, "Someone changed this meanwhile") || !strings.Contains(page, `name="version" value="2"`) ||
			!strings.Contains(page, `value="Kavya Stale"`) {
			t.Errorf("a stale edit: %d\n%s", res.StatusCode, page)
		}
		c := contactByPath(t, d, path)
		if c.Name != "Kavya R." || c.Phone != "" || len(c.Emails) != 1 {
			t.Errorf("after the stale edit the contact is %+v", c)
		}

		// Delete: refused while they have tickets, done once they have none.
		mustCreate := func(name, email string) {
			n, e := name, []string{email}
			if _, err := d.People.CreateContact(system(), people.ContactInput{Name: &n, Emails: &e}); err != nil {
				t.Fatal(err)
			}
		}
		d.mustCreateTicket("ada", map[string]any{"requester": map[string]any{"email": "writer@customer.test", "name": "Writer"}})
		writer := regexp.MustCompile(`href="(/contacts/\d+)">Writer<`).FindStringSubmatch(ravi.page("/contacts?q=writer"))
		if writer == nil {
			t.Fatal("the ticket's requester is not found by name")
		}
		res, page = ravi.post(writer[1]+"/delete", url.Values{"csrf": {csrf}, "version": {"1"}})
		if res.StatusCode != 409 || !strings.Contains(page, "error-box") {
			t.Errorf("deleting a contact with tickets: %d\n%s", res.StatusCode, page)
		}
		res, _ = ravi.post(path+"/delete", url.Values{"csrf": {csrf}, "version": {"2"}})
		if res.StatusCode != 303 || res.Header.Get("Location") != "/contacts?deleted" {
			t.Errorf("delete: %d", res.StatusCode)
		}
		if res, _ := ravi.do("GET", path, htmlHeaders, ""); res.StatusCode != 404 {
			t.Errorf("the deleted contact answers %d", res.StatusCode)
		}

		// Search by name and by email; page past 50 and 100.
		for i := range 120 {
			mustCreate(fmt.Sprintf("Bulk Person %03d", i), fmt.Sprintf("person%03d@many.test", i))
		}
		if page := ravi.page("/contacts?q=person007%40"); !strings.Contains(page, "Bulk Person 007") || strings.Contains(page, "Bulk Person 008") {
			t.Error("search by email")
		}
		if page := ravi.page("/contacts?q=bulk+person+01"); strings.Count(page, "Bulk Person 01") != 10 {
			t.Error("search by name")
		}
		seen, next := map[string]bool{}, "/contacts?q=bulk"
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			page := ravi.page(next)
			for _, m := range regexp.MustCompile(`>(Bulk Person \d+)<`).FindAllStringSubmatch(page, -1) {
				if seen[m[1]] {
					t.Errorf("%s on two pages", m[1])
				}
				seen[m[1]] = true
			}
			next = ""
			if m := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(page); m != nil {
				next = html.UnescapeString(m[1])
			}
		}
		if len(seen) != 120 {
			t.Errorf("paging showed %d of 120 contacts", len(seen))
		}
	})
}

func contactByPath(t *testing.T, d *testDesk, path string) *people.Contact {
	t.Helper()
	var cid int64
	fmt.Sscanf(path, "/contacts/%d", &cid)
	c, err := d.People.Contact(system(), cid)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Organizations in the app: create, edit, delete, search by name or
// domain, and page through more than 100.
func TestOrganizationPages(t *testing.T) {
	t.Parallel()
	eachBackendWithPasswords(t, map[string]string{"sunil": goodPassword}, func(t *testing.T, d *testDesk) {
		sunil := d.signedIn(t, "sunil") // supervisors hold organizations:write
		csrf := csrfField.FindStringSubmatch(sunil.page("/organizations"))[1]
		res, page := sunil.post("/organizations", url.Values{"csrf": {csrf}, "name": {"Acme Retail"}, "domains": {"acme.test, acme-retail.test"},
			"notes": {"Key account"}})
		if res.StatusCode != 303 {
			t.Fatalf("create: %d\n%s", res.StatusCode, page)
		}
		path := strings.TrimSuffix(res.Header.Get("Location"), "?saved")
		res, page = sunil.post("/organizations", url.Values{"csrf": {csrf}, "name": {"Acme Again"}, "domains": {"acme.test"}})
		if res.StatusCode != 409 || !strings.Contains(page, "Another organization has this domain already") {
			t.Errorf("a taken domain: %d\n%s", res.StatusCode, page)
		}
		edit := url.Values{"csrf": {csrf}, "version": {"1"}, "name": {"Acme Stores"}, "domains": {"acme.test"}, "notes": {""}}
		if res, page := sunil.post(path, edit); res.StatusCode != 303 {
			t.Fatalf("edit: %d\n%s", res.StatusCode, page)
		}
		if res, page := sunil.post(path, edit); res.StatusCode != 412 || !strings.Contains(page, "Someone changed this meanwhile") {
			t.Errorf("a stale edit: %d\n%s", res.StatusCode, page)
		}
		for i := range 130 {
			name, domains := fmt.Sprintf("Org %03d", i), []string{fmt.Sprintf("org%03d.test", i)}
			if _, err := d.People.CreateOrganization(system(), people.OrganizationInput{Name: &name, Domains: &domains}); err != nil {
				t.Fatal(err)
			}
		}
		if page := sunil.page("/organizations?q=stores"); !strings.Contains(page, "Acme Stores") || strings.Contains(page, "Org 001") {
			t.Error("search by name")
		}
		if page := sunil.page("/organizations?q=org12"); strings.Count(page, ">Org 12") != 10 {
			t.Error("search by domain")
		}
		seen, next := 0, "/organizations"
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			page := sunil.page(next)
			seen += len(regexp.MustCompile(`data-href="/organizations/\d+"`).FindAllString(page, -1))
			next = ""
			if m := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(page); m != nil {
				next = html.UnescapeString(m[1])
			}
		}
		if seen != 131 {
			t.Errorf("paging showed %d of 131 organizations", seen)
		}
		res, _ = sunil.post(path+"/delete", url.Values{"csrf": {csrf}, "version": {"2"}})
		if res.StatusCode != 303 {
			t.Errorf("delete: %d", res.StatusCode)
		}
	})
}
