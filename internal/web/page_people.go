package web

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/i18n"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// peoplePageSize is how many contacts or organizations a list page shows;
// "Next" pages on with a cursor, so a desk of any size can be walked.
const peoplePageSize = 50

// personForm is a contact or organization form as the agent filled it in,
// kept to show again when the service refuses it.
type personForm struct {
	Name, Emails, Phone, Language, Organization string // contacts
	Role, PrefLanguage, PrefChannel             string // contacts in an account
	Domains, Notes                              string // organizations
	PortalShares                                bool   // organizations: contacts see each other's tickets on the portal
	Version                                     int64
}

type contactsData struct {
	Query      string
	Contacts   []*people.Contact
	Orgs       []*people.Organization
	OrgNames   map[int64]string
	NextCursor string
	First      bool
	Form       personForm
	Errors     desk.Fields
	Languages  []string
}

// OrgName is an organization's name by id, for the list.
func (d contactsData) OrgName(id *int64) string {
	if id == nil {
		return ""
	}
	return d.OrgNames[*id]
}

func (s *Server) organizationList(r *http.Request) ([]*people.Organization, map[int64]string) {
	names := map[int64]string{}
	list, err := s.People.Organizations(r.Context())
	if err != nil {
		return nil, names
	}
	for _, o := range list {
		names[o.ID] = o.Name
	}
	return list, names
}

// contactsPage lists contacts by name or email prefix, a page at a time.
func (s *Server) contactsPage(w http.ResponseWriter, r *http.Request) error {
	return s.showContacts(w, r, http.StatusOK, personForm{Language: s.lang(r)}, nil)
}

func (s *Server) showContacts(w http.ResponseWriter, r *http.Request, status int, f personForm, errs desk.Fields) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	list, err := s.People.Contacts(r.Context(), people.ContactFilter{Query: q, Limit: peoplePageSize + 1, AfterID: max(after, 0)})
	if err != nil {
		return err
	}
	d := contactsData{Query: q, Contacts: list, First: after <= 0, Form: f, Errors: errs, Languages: i18n.Languages}
	if len(list) > peoplePageSize {
		d.Contacts = list[:peoplePageSize]
		d.NextCursor = strconv.FormatInt(d.Contacts[peoplePageSize-1].ID, 10)
	}
	d.Orgs, d.OrgNames = s.organizationList(r)
	return s.render(w, r, status, "contacts.html", page{Title: "contacts.title", Nav: "contacts", Data: d})
}

type contactData struct {
	Contact      *people.Contact
	Organization *people.Organization
	Orgs         []*people.Organization
	Tickets      []*ticket.Ticket
	Dir          *directory
	Bulk         *bulkBar
	Form         personForm
	Errors       desk.Fields
	Languages    []string
	Saved        bool
}

func (s *Server) contactPage(w http.ResponseWriter, r *http.Request) error {
	return s.showContact(w, r, http.StatusOK, nil, nil)
}

// showContact shows a contact with its edit form: the contact as it is, or
// the agent's refused input (f) with the reasons.
func (s *Server) showContact(w http.ResponseWriter, r *http.Request, status int, f *personForm, errs desk.Fields) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.People.Contact(r.Context(), id)
	if err != nil {
		return err
	}
	d := contactData{Contact: c, Dir: s.directory(r), Errors: errs, Languages: i18n.Languages, Saved: r.URL.Query().Has("saved")}
	d.Bulk = s.bulkBarFor(r, d.Dir, r.URL.Path)
	if f != nil {
		d.Form = *f
	} else {
		d.Form = personForm{Name: c.Name, Emails: strings.Join(c.Emails, "\n"), Phone: c.Phone, Language: c.Language,
			Role: c.AccountRole, PrefLanguage: c.PreferredLanguage, PrefChannel: c.PreferredChannel, Version: c.Version}
		if c.OrganizationID != nil {
			d.Form.Organization = strconv.FormatInt(*c.OrganizationID, 10)
		}
	}
	if c.OrganizationID != nil {
		d.Organization, _ = s.People.Organization(r.Context(), *c.OrganizationID)
	}
	d.Orgs, _ = s.organizationList(r)
	pg, err := s.Tickets.List(r.Context(), ticket.Filter{RequesterID: &c.ID, Limit: 100, Sort: "created"})
	if err != nil {
		return err
	}
	d.Tickets = pg.Tickets
	return s.render(w, r, status, "contact.html", page{Title: "contact.title", Nav: "contacts", Data: d})
}

type organizationsData struct {
	Query         string
	Organizations []*people.Organization
	NextCursor    string
	First         bool
	Form          personForm
	Errors        desk.Fields
}

// organizationsPage lists organizations in name order, a page at a time,
// matching the query anywhere in the name or at the start of a domain.
// The service keeps organizations whole (a desk has hundreds, not
// millions), so the page is cut here, after the last one shown (by name
// and id, as the list is ordered).
func (s *Server) organizationsPage(w http.ResponseWriter, r *http.Request) error {
	return s.showOrganizations(w, r, http.StatusOK, personForm{}, nil)
}

func (s *Server) showOrganizations(w http.ResponseWriter, r *http.Request, status int, f personForm, errs desk.Fields) error {
	list, err := s.People.Organizations(r.Context())
	if err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	after := orgCursorKey(r.URL.Query().Get("after"))
	d := organizationsData{Query: q, First: after == "", Form: f, Errors: errs}
	for _, o := range list {
		if (q != "" && !orgMatches(o, q)) || (after != "" && orgKey(o) <= after) {
			continue
		}
		if len(d.Organizations) == peoplePageSize {
			d.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(orgKey(d.Organizations[peoplePageSize-1])))
			break
		}
		d.Organizations = append(d.Organizations, o)
	}
	return s.render(w, r, status, "organizations.html", page{Title: "organizations.title", Nav: "organizations", Data: d})
}

// orgKey orders organizations as the store lists them: by name, then id.
func orgKey(o *people.Organization) string {
	return o.Name + "\x00" + strconv.FormatInt(1e18+o.ID, 10)
}

func orgCursorKey(c string) string {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return ""
	}
	return string(b)
}

// orgMatches reports whether the query is in the name (any case) or begins
// one of the domains.
func orgMatches(o *people.Organization, q string) bool {
	q = strings.ToLower(q)
	if strings.Contains(strings.ToLower(o.Name), q) {
		return true
	}
	for _, d := range o.Domains {
		if strings.HasPrefix(d, q) {
			return true
		}
	}
	return false
}

type organizationData struct {
	Organization *people.Organization
	Contacts     []*people.Contact
	Tickets      []*ticket.Ticket
	Dir          *directory
	Bulk         *bulkBar
	Form         personForm
	Errors       desk.Fields
	Saved        bool
	// Account is the account panel (nil without the accounts service).
	Account *accountPanel
}

func (s *Server) organizationPage(w http.ResponseWriter, r *http.Request) error {
	return s.showOrganization(w, r, http.StatusOK, nil, nil)
}

func (s *Server) showOrganization(w http.ResponseWriter, r *http.Request, status int, f *personForm, errs desk.Fields) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := s.People.Organization(r.Context(), id)
	if err != nil {
		return err
	}
	d := organizationData{Organization: o, Dir: s.directory(r), Errors: errs, Saved: r.URL.Query().Has("saved")}
	d.Bulk = s.bulkBarFor(r, d.Dir, r.URL.Path)
	if f != nil {
		d.Form = *f
	} else {
		d.Form = personForm{Name: o.Name, Domains: strings.Join(o.Domains, "\n"), Notes: o.Notes, Version: o.Version,
			PortalShares: o.PortalSharesTickets}
	}
	if a, _ := desk.ActorFrom(r.Context()); a.Can(auth.ContactsRead) {
		if d.Contacts, err = s.People.Contacts(r.Context(), people.ContactFilter{OrganizationID: &o.ID, Limit: 100}); err != nil {
			return err
		}
	}
	pg, err := s.Tickets.List(r.Context(), ticket.Filter{OrganizationID: &o.ID, Limit: 100, Sort: "created"})
	if err != nil {
		return err
	}
	d.Tickets = pg.Tickets
	if s.Accounts != nil {
		if d.Account, err = s.readAccountPanel(r, o.ID); err != nil {
			return err
		}
	}
	return s.render(w, r, status, "organization.html", page{Title: "organization.title", Nav: "organizations", Data: d})
}
