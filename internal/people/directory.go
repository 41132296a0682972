package people

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
)

// Contact returns a contact.
func (s *Service) Contact(ctx context.Context, id int64) (*Contact, error) {
	if err := require(ctx, auth.ContactsRead); err != nil {
		return nil, err
	}
	return s.store.Contact(ctx, id)
}

// Contacts lists contacts.
func (s *Service) Contacts(ctx context.Context, f ContactFilter) ([]*Contact, error) {
	if err := require(ctx, auth.ContactsRead); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 101 { // a page of 100 and one more, to tell whether another page follows
		f.Limit = 50
	}
	return s.store.Contacts(ctx, f)
}

// ContactInput creates or changes a contact. Nil fields stay unchanged.
type ContactInput struct {
	Name           *string
	Emails         *[]string
	Phone          *string
	Language       *string
	OrganizationID *int64 // 0 detaches
	// AccountRole, PreferredLanguage, PreferredChannel: "" clears.
	AccountRole       *string
	PreferredLanguage *string
	PreferredChannel  *string
	// IfVersion, when not 0, applies the change only to that version (else
	// ESTALE).
	IfVersion int64
}

// CreateContact adds a contact. With no organization given, the first
// email's domain attaches it to the organization owning that domain.
func (s *Service) CreateContact(ctx context.Context, in ContactInput) (*Contact, error) {
	if err := require(ctx, auth.ContactsWrite); err != nil {
		return nil, err
	}
	c := &Contact{Language: "en", Emails: []string{}}
	if err := s.applyContact(ctx, c, in, true); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = s.clock.Now(), s.clock.Now()
	if err := s.save(ctx, event.ContactCreated, c, func(tx Tx) error { return tx.CreateContact(ctx, c) }); err != nil {
		return nil, fmt.Errorf("create contact: %w", err)
	}
	return c, nil
}

// UpdateContact changes a contact.
func (s *Service) UpdateContact(ctx context.Context, id int64, in ContactInput) (*Contact, error) {
	if err := require(ctx, auth.ContactsWrite); err != nil {
		return nil, err
	}
	var c *Contact
	err := desk.Optimistic(in.IfVersion, func() (err error) {
		if c, err = s.store.Contact(ctx, id); err != nil {
			return err
		}
		if err := desk.CheckVersion(in.IfVersion, c.Version); err != nil {
			return err
		}
		if err := s.applyContact(ctx, c, in, false); err != nil {
			return err
		}
		c.UpdatedAt = s.clock.Now()
		return s.save(ctx, event.ContactUpdated, c, func(tx Tx) error { return tx.UpdateContact(ctx, c) })
	})
	if err != nil {
		return nil, fmt.Errorf("update contact %d: %w", id, err)
	}
	return c, nil
}

// DeleteContact removes a contact who has no tickets; ifVersion, when not 0,
// is the version it must have (else ESTALE).
func (s *Service) DeleteContact(ctx context.Context, id, ifVersion int64) error {
	if err := require(ctx, auth.ContactsWrite); err != nil {
		return err
	}
	return s.save(ctx, event.ContactDeleted, gone{id}, func(tx Tx) error { return tx.DeleteContact(ctx, id, ifVersion) })
}

func (s *Service) applyContact(ctx context.Context, c *Contact, in ContactInput, creating bool) error {
	errs := desk.Fields{}
	if in.Name != nil || creating {
		n, msg := CleanName(deref(in.Name), 200)
		if msg.Key != "" {
			errs["name"] = msg
		}
		c.Name = n
	}
	if in.Emails != nil {
		out := []string{}
		for _, e := range *in.Emails {
			ne, err := NormalizeEmail(e)
			if err != nil {
				errs["emails"] = desk.M("invalid.not_email", e)
				break
			}
			if !slices.Contains(out, ne) {
				out = append(out, ne)
			}
		}
		c.Emails = out
	}
	if in.Phone != nil {
		p, msg := CleanName(*in.Phone, 40)
		if *in.Phone == "" {
			p, msg = "", desk.Msg{}
		}
		if msg.Key != "" {
			errs["phone"] = msg
		}
		c.Phone = p
	}
	if in.Language != nil {
		if !validLanguage(*in.Language) {
			errs["language"] = desk.M("invalid.language")
		}
		c.Language = *in.Language
	}
	oneOf := func(field string, p *string, allowed []string, dst *string) {
		if p == nil {
			return
		}
		v := strings.TrimSpace(*p)
		if v != "" && !slices.Contains(allowed, v) {
			errs[field] = desk.M("invalid.one_of", strings.Join(allowed, ", "))
		}
		*dst = v
	}
	oneOf("account_role", in.AccountRole, AccountRoles, &c.AccountRole)
	oneOf("preferred_language", in.PreferredLanguage, Languages, &c.PreferredLanguage)
	oneOf("preferred_channel", in.PreferredChannel, PreferredChannels, &c.PreferredChannel)
	if in.OrganizationID != nil {
		if *in.OrganizationID == 0 {
			c.OrganizationID = nil
		} else if _, err := s.store.Organization(ctx, *in.OrganizationID); err != nil {
			errs["organization_id"] = desk.M("invalid.no_organization")
		} else {
			id := *in.OrganizationID
			c.OrganizationID = &id
		}
	}
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	return nil
}

// Organization returns an organization.
func (s *Service) Organization(ctx context.Context, id int64) (*Organization, error) {
	if err := require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	return s.store.Organization(ctx, id)
}

// Organizations lists organizations by name.
func (s *Service) Organizations(ctx context.Context) ([]*Organization, error) {
	if err := require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	return s.store.Organizations(ctx)
}

// OrganizationsPage returns a page of organizations in id order.
func (s *Service) OrganizationsPage(ctx context.Context, p desk.Page) ([]*Organization, error) {
	if err := require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	return s.store.OrganizationsPage(ctx, p)
}

// OrganizationsByID returns the organizations of ids that exist, in id
// order (a page another list chose, such as accounts by owner).
func (s *Service) OrganizationsByID(ctx context.Context, ids []int64) ([]*Organization, error) {
	if err := require(ctx, auth.OrganizationsRead); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return []*Organization{}, nil
	}
	return s.store.OrganizationsByID(ctx, ids)
}

// OrganizationInput creates or changes an organization.
type OrganizationInput struct {
	Name    *string
	Domains *[]string
	Notes   *string
	// PortalSharesTickets: the contacts see each other's tickets on the
	// portal.
	PortalSharesTickets *bool
	// IfVersion, when not 0, applies the change only to that version.
	IfVersion int64
}

func applyOrganization(o *Organization, in OrganizationInput, creating bool) error {
	errs := desk.Fields{}
	if in.Name != nil || creating {
		n, msg := CleanName(deref(in.Name), 200)
		if msg.Key != "" {
			errs["name"] = msg
		}
		o.Name = n
	}
	if in.Domains != nil {
		d, msg := cleanDomains(*in.Domains)
		if msg.Key != "" {
			errs["domains"] = msg
		}
		o.Domains = d
	}
	if in.Notes != nil {
		o.Notes = *in.Notes
	}
	if in.PortalSharesTickets != nil {
		o.PortalSharesTickets = *in.PortalSharesTickets
	}
	if o.Domains == nil {
		o.Domains = []string{}
	}
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	return nil
}

// CreateOrganization adds an organization; a domain another organization
// owns is a conflict.
func (s *Service) CreateOrganization(ctx context.Context, in OrganizationInput) (*Organization, error) {
	if err := require(ctx, auth.OrganizationsWrite); err != nil {
		return nil, err
	}
	o := &Organization{}
	if err := applyOrganization(o, in, true); err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = s.clock.Now(), s.clock.Now()
	if err := s.save(ctx, event.OrganizationCreated, o, func(tx Tx) error { return tx.CreateOrganization(ctx, o) }); err != nil {
		return nil, fmt.Errorf("create organization: %w", err)
	}
	return o, nil
}

// UpdateOrganization changes an organization.
func (s *Service) UpdateOrganization(ctx context.Context, id int64, in OrganizationInput) (*Organization, error) {
	if err := require(ctx, auth.OrganizationsWrite); err != nil {
		return nil, err
	}
	var o *Organization
	err := desk.Optimistic(in.IfVersion, func() (err error) {
		if o, err = s.store.Organization(ctx, id); err != nil {
			return err
		}
		if err := desk.CheckVersion(in.IfVersion, o.Version); err != nil {
			return err
		}
		if err := applyOrganization(o, in, false); err != nil {
			return err
		}
		o.UpdatedAt = s.clock.Now()
		return s.save(ctx, event.OrganizationUpdated, o, func(tx Tx) error { return tx.UpdateOrganization(ctx, o) })
	})
	if err != nil {
		return nil, fmt.Errorf("update organization %d: %w", id, err)
	}
	return o, nil
}

// DeleteOrganization removes an organization no ticket points to; its
// contacts stay, detached. ifVersion, when not 0, is the version it must
// have.
func (s *Service) DeleteOrganization(ctx context.Context, id, ifVersion int64) error {
	if err := require(ctx, auth.OrganizationsWrite); err != nil {
		return err
	}
	return s.save(ctx, event.OrganizationDeleted, gone{id}, func(tx Tx) error { return tx.DeleteOrganization(ctx, id, ifVersion) })
}

// Team returns a team.
func (s *Service) Team(ctx context.Context, id int64) (*Team, error) {
	if err := require(ctx, auth.TeamsRead); err != nil {
		return nil, err
	}
	return s.store.Team(ctx, id)
}

// Teams lists teams by tier and name.
func (s *Service) Teams(ctx context.Context) ([]*Team, error) {
	if err := require(ctx, auth.TeamsRead); err != nil {
		return nil, err
	}
	return s.store.Teams(ctx)
}

// TeamsPage returns a page of teams in id order.
func (s *Service) TeamsPage(ctx context.Context, p desk.Page) ([]*Team, error) {
	if err := require(ctx, auth.TeamsRead); err != nil {
		return nil, err
	}
	return s.store.TeamsPage(ctx, p)
}

// TeamInput creates or changes a team.
type TeamInput struct {
	Name      *string
	Tier      *int
	LeadID    *int64 // 0 clears
	MemberIDs *[]int64
	// IfVersion, when not 0, applies the change only to that version.
	IfVersion int64
}

func (s *Service) applyTeam(ctx context.Context, t *Team, in TeamInput, creating bool) error {
	errs := desk.Fields{}
	if in.Name != nil || creating {
		n, msg := CleanName(deref(in.Name), 100)
		if msg.Key != "" {
			errs["name"] = msg
		}
		t.Name = n
	}
	if in.Tier != nil {
		if *in.Tier < 1 || *in.Tier > 3 {
			errs["tier"] = desk.M("invalid.tier")
		}
		t.Tier = *in.Tier
	}
	if in.MemberIDs != nil {
		ids := slices.Clone(*in.MemberIDs)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		for _, id := range ids {
			if _, err := s.store.Agent(ctx, id); err != nil {
				errs["member_ids"] = desk.M("invalid.agent_missing", id)
				break
			}
		}
		t.MemberIDs = ids
	}
	if in.LeadID != nil {
		if *in.LeadID == 0 {
			t.LeadID = nil
		} else if _, err := s.store.Agent(ctx, *in.LeadID); err != nil {
			errs["lead_id"] = desk.M("invalid.no_agent")
		} else {
			id := *in.LeadID
			t.LeadID = &id
		}
	}
	if t.LeadID != nil && !slices.Contains(t.MemberIDs, *t.LeadID) {
		t.MemberIDs = append(t.MemberIDs, *t.LeadID)
		slices.Sort(t.MemberIDs)
	}
	if t.MemberIDs == nil {
		t.MemberIDs = []int64{}
	}
	if len(errs) > 0 {
		return desk.Invalid(errs)
	}
	return nil
}

// CreateTeam adds a team.
func (s *Service) CreateTeam(ctx context.Context, in TeamInput) (*Team, error) {
	if err := require(ctx, auth.TeamsWrite); err != nil {
		return nil, err
	}
	t := &Team{Tier: 1}
	if err := s.applyTeam(ctx, t, in, true); err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt = s.clock.Now(), s.clock.Now()
	if err := s.save(ctx, event.TeamCreated, t, func(tx Tx) error { return tx.CreateTeam(ctx, t) }); err != nil {
		return nil, fmt.Errorf("create team: %w", err)
	}
	return t, nil
}

// UpdateTeam changes a team.
func (s *Service) UpdateTeam(ctx context.Context, id int64, in TeamInput) (*Team, error) {
	if err := require(ctx, auth.TeamsWrite); err != nil {
		return nil, err
	}
	var t *Team
	err := desk.Optimistic(in.IfVersion, func() (err error) {
		if t, err = s.store.Team(ctx, id); err != nil {
			return err
		}
		if err := desk.CheckVersion(in.IfVersion, t.Version); err != nil {
			return err
		}
		if err := s.applyTeam(ctx, t, in, false); err != nil {
			return err
		}
		t.UpdatedAt = s.clock.Now()
		return s.save(ctx, event.TeamUpdated, t, func(tx Tx) error { return tx.UpdateTeam(ctx, t) })
	})
	if err != nil {
		return nil, fmt.Errorf("update team %d: %w", id, err)
	}
	return t, nil
}

// DeleteTeam removes a team no ticket is routed to; ifVersion, when not 0,
// is the version it must have.
func (s *Service) DeleteTeam(ctx context.Context, id, ifVersion int64) error {
	if err := require(ctx, auth.TeamsWrite); err != nil {
		return err
	}
	return s.save(ctx, event.TeamDeleted, gone{id}, func(tx Tx) error { return tx.DeleteTeam(ctx, id, ifVersion) })
}
