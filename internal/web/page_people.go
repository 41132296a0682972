package web

import (
	"net/http"
	"strings"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

type contactsData struct {
	Query    string
	Contacts []*people.Contact
	Orgs     map[int64]string
}

func (s *Server) organizationNames(r *http.Request) map[int64]string {
	names := map[int64]string{}
	if list, err := s.People.Organizations(r.Context()); err == nil {
		for _, o := range list {
			names[o.ID] = o.Name
		}
	}
	return names
}

func (s *Server) contactsPage(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	list, err := s.People.Contacts(r.Context(), people.ContactFilter{Query: q, Limit: 100})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "contacts.html", page{Title: "contacts.title", Nav: "contacts",
		Data: contactsData{Query: q, Contacts: list, Orgs: s.organizationNames(r)}})
}

type contactData struct {
	Contact      *people.Contact
	Organization *people.Organization
	Tickets      []*ticket.Ticket
	Dir          *directory
}

func (s *Server) contactPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.People.Contact(r.Context(), id)
	if err != nil {
		return err
	}
	d := contactData{Contact: c, Dir: s.directory(r)}
	if c.OrganizationID != nil {
		d.Organization, _ = s.People.Organization(r.Context(), *c.OrganizationID)
	}
	pg, err := s.Tickets.List(r.Context(), ticket.Filter{RequesterID: &c.ID, Limit: 100, Sort: "created"})
	if err != nil {
		return err
	}
	d.Tickets = pg.Tickets
	return s.render(w, r, http.StatusOK, "contact.html", page{Title: "contact.title", Nav: "contacts", Data: d})
}

func (s *Server) organizationsPage(w http.ResponseWriter, r *http.Request) error {
	list, err := s.People.Organizations(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "organizations.html", page{Title: "organizations.title", Nav: "organizations", Data: list})
}

type organizationData struct {
	Organization *people.Organization
	Contacts     []*people.Contact
	Tickets      []*ticket.Ticket
	Dir          *directory
}

func (s *Server) organizationPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := s.People.Organization(r.Context(), id)
	if err != nil {
		return err
	}
	d := organizationData{Organization: o, Dir: s.directory(r)}
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
	return s.render(w, r, http.StatusOK, "organization.html", page{Title: "organization.title", Nav: "organizations", Data: d})
}
