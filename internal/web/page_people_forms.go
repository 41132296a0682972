package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
)

// The contact and organization forms write through people.Service with the
// version the form was rendered from (as the API's If-Match does): a form
// older than a colleague's change is refused, shown again with the
// agent's input and the current version, never saved over the change.

// readPersonForm reads a contact or organization form.
func readPersonForm(r *http.Request) (personForm, error) {
	if err := formOnly(r); err != nil {
		return personForm{}, err
	}
	if err := r.ParseForm(); err != nil {
		return personForm{}, desk.E(desk.EINVALID, "error.form_unreadable")
	}
	f := r.PostForm
	v, _ := strconv.ParseInt(f.Get("version"), 10, 64)
	return personForm{Name: f.Get("name"), Emails: f.Get("emails"), Phone: f.Get("phone"), Language: f.Get("language"),
		Organization: f.Get("organization_id"), Domains: f.Get("domains"), Notes: f.Get("notes"), Version: v,
		PortalShares: f.Get("portal_shares_tickets") != "", Role: f.Get("account_role"),
		PrefLanguage: f.Get("preferred_language"), PrefChannel: f.Get("preferred_channel")}, nil
}

// listOf splits a textarea of addresses or domains: one a line, or
// separated by commas or spaces.
func listOf(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func (f personForm) contactInput() (people.ContactInput, desk.Fields) {
	errs := desk.Fields{}
	emails := listOf(f.Emails)
	in := people.ContactInput{Name: &f.Name, Emails: &emails, Phone: &f.Phone, Language: &f.Language, IfVersion: f.Version,
		AccountRole: &f.Role, PreferredLanguage: &f.PrefLanguage, PreferredChannel: &f.PrefChannel}
	if id, ok := formID(f.Organization, errs, "organization_id"); ok {
		in.OrganizationID = id
	} else if f.Organization == "" {
		zero := int64(0)
		in.OrganizationID = &zero
	}
	return in, errs
}

func (f personForm) organizationInput() people.OrganizationInput {
	domains := listOf(f.Domains)
	return people.OrganizationInput{Name: &f.Name, Domains: &domains, Notes: &f.Notes, IfVersion: f.Version,
		PortalSharesTickets: &f.PortalShares}
}

// refusal turns a service's refusal of a form into the reasons to show
// with it: per field, or the whole form's. It returns ok false for errors
// that are not the form's to fix.
func refusal(err error) (desk.Fields, bool) {
	switch desk.ErrorCode(err) {
	case desk.EINVALID:
		if f := desk.ErrorFields(err); len(f) > 0 {
			return f, true
		}
		return desk.Fields{"": desk.ErrorMsg(err)}, true
	case desk.ESTALE:
		return desk.Fields{"": desk.M("people.stale")}, true
	case desk.ECONFLICT, desk.EUNPROCESSABLE:
		return desk.Fields{"": desk.ErrorMsg(err)}, true
	}
	return nil, false
}

func (s *Server) createContactPage(w http.ResponseWriter, r *http.Request) error {
	f, err := readPersonForm(r)
	if err != nil {
		return err
	}
	in, errs := f.contactInput()
	if len(errs) > 0 {
		return s.showContacts(w, r, http.StatusBadRequest, f, errs)
	}
	c, err := s.People.CreateContact(r.Context(), in)
	if errs, ok := refusal(err); ok {
		return s.showContacts(w, r, HTTPStatus(err), f, errs)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/contacts/"+strconv.FormatInt(c.ID, 10)+"?saved", http.StatusSeeOther)
	return nil
}

func (s *Server) updateContactPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := readPersonForm(r)
	if err != nil {
		return err
	}
	in, errs := f.contactInput()
	if len(errs) == 0 {
		_, err = s.People.UpdateContact(r.Context(), id, in)
		if errs, _ = refusal(err); errs == nil && err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		if v, stale := desk.StaleVersion(err); stale {
			f.Version = v // saving again applies the agent's input over what they have now seen
		}
		return s.showContact(w, r, statusOr(err, http.StatusBadRequest), &f, errs)
	}
	http.Redirect(w, r, "/contacts/"+strconv.FormatInt(id, 10)+"?saved", http.StatusSeeOther)
	return nil
}

func (s *Server) deleteContactPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := readPersonForm(r)
	if err != nil {
		return err
	}
	err = s.People.DeleteContact(r.Context(), id, f.Version)
	if errs, ok := refusal(err); ok {
		return s.showContact(w, r, HTTPStatus(err), nil, errs)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/contacts?deleted", http.StatusSeeOther)
	return nil
}

func (s *Server) createOrganizationPage(w http.ResponseWriter, r *http.Request) error {
	f, err := readPersonForm(r)
	if err != nil {
		return err
	}
	o, err := s.People.CreateOrganization(r.Context(), f.organizationInput())
	if errs, ok := refusal(err); ok {
		return s.showOrganizations(w, r, HTTPStatus(err), f, errs)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/organizations/"+strconv.FormatInt(o.ID, 10)+"?saved", http.StatusSeeOther)
	return nil
}

func (s *Server) updateOrganizationPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := readPersonForm(r)
	if err != nil {
		return err
	}
	_, err = s.People.UpdateOrganization(r.Context(), id, f.organizationInput())
	if errs, ok := refusal(err); ok {
		if v, stale := desk.StaleVersion(err); stale {
			f.Version = v
		}
		return s.showOrganization(w, r, HTTPStatus(err), &f, errs)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/organizations/"+strconv.FormatInt(id, 10)+"?saved", http.StatusSeeOther)
	return nil
}

func (s *Server) deleteOrganizationPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := readPersonForm(r)
	if err != nil {
		return err
	}
	err = s.People.DeleteOrganization(r.Context(), id, f.Version)
	if errs, ok := refusal(err); ok {
		return s.showOrganization(w, r, HTTPStatus(err), nil, errs)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/organizations?deleted", http.StatusSeeOther)
	return nil
}

// statusOr is the status of err, or def when err is nil (a form refused
// before the service saw it).
func statusOr(err error, def int) int {
	if err == nil {
		return def
	}
	return HTTPStatus(err)
}

// formOnly refuses a page's POST that is not a URL-encoded form (as every
// form of the app is) before anything is read or rendered.
func formOnly(r *http.Request) error {
	if !isForm(r) {
		return desk.E(desk.EMEDIATYPE, "errors.page.form_only")
	}
	return nil
}
