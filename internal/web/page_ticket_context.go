package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// The ticket page's side panels: who the customer is and what else they
// asked (the context panel), which teams an escalation may go to, who can
// take the ticket and how loaded they are, and which tickets a merge is
// likely to want. Every list here is bounded (a few rows by an index), so
// the page costs the same at a million tickets.

// contextRows bounds each ticket list of the context panel.
const contextRows = 5

// customerContext is the panel beside a ticket: the requester, their
// organization, their other tickets and the ticket's custom fields.
type customerContext struct {
	Requester ticket.Person
	// Contact is nil when the agent may not read contacts.
	Contact *people.Contact
	// Organization is nil when there is none or the agent may not read it.
	Organization *people.Organization
	// Open are the requester's other open tickets; Recent their solved and
	// closed ones, newest first (only those the agent may see).
	Open, Recent []*ticket.Ticket
	Fields       []fieldValue
	// Account is the slot for the account owner and health, which the
	// accounts work fills; nil until then, and the page shows nothing.
	Account any
}

// fieldValue is a custom field that has a value on the ticket.
type fieldValue struct{ Label, Value string }

func (s *Server) customerContext(r *http.Request, t *ticket.Ticket, defs []ticket.Field) *customerContext {
	ctx := r.Context()
	c := &customerContext{Requester: t.Requester}
	a, _ := desk.ActorFrom(ctx)
	if a.Can(auth.ContactsRead) {
		c.Contact, _ = s.People.Contact(ctx, t.Requester.ID)
	}
	if t.OrganizationID != nil && a.Can(auth.OrganizationsRead) {
		c.Organization, _ = s.People.Organization(ctx, *t.OrganizationID)
		if c.Organization != nil && s.Accounts != nil {
			c.Account = s.ticketAccount(r, c.Organization.ID)
		}
	}
	requester := t.Requester.ID
	others := func(f ticket.Filter) []*ticket.Ticket {
		f.RequesterID, f.Limit = &requester, contextRows+1
		pg, err := s.Tickets.List(ctx, f)
		if err != nil {
			return nil
		}
		out := slices.DeleteFunc(pg.Tickets, func(x *ticket.Ticket) bool { return x.ID == t.ID })
		return out[:min(len(out), contextRows)]
	}
	c.Open = others(ticket.Filter{Open: true})
	c.Recent = others(ticket.Filter{Categories: []string{ticket.CategorySolved, ticket.CategoryClosed}})
	for _, f := range defs {
		if v := customText(t.CustomFields, f.Key); v != "" {
			c.Fields = append(c.Fields, fieldValue{Label: f.Label, Value: v})
		}
	}
	return c
}

// escalationChoices are the teams each direction may move the ticket to:
// a higher tier than its team's to escalate, a lower one to de-escalate (any
// team when it has none), never its own team.
type escalationChoices struct {
	Current    *people.Team
	Up, Down   []*people.Team
	FromTeamID string // the form's "from_team": the team as rendered
}

func escalationMoves(t *ticket.Ticket, d *directory) escalationChoices {
	var m escalationChoices
	if t.TeamID != nil {
		m.Current = d.teams[*t.TeamID]
		m.FromTeamID = strconv.FormatInt(*t.TeamID, 10)
	}
	for _, team := range d.Teams {
		switch {
		case m.Current == nil:
			if t.TeamID == nil {
				m.Up = append(m.Up, team)
			}
		case team.ID == m.Current.ID:
		case team.Tier > m.Current.Tier:
			m.Up = append(m.Up, team)
		case team.Tier < m.Current.Tier:
			m.Down = append(m.Down, team)
		}
	}
	return m
}

// mergeCandidates suggests merge targets: the requester's other open
// tickets, then open tickets of their organization (both read through
// indexes by requester and organization; a desk-wide "recent open" list
// would sort a large part of the table). Any other ticket is picked by its
// number.
func (s *Server) mergeCandidates(r *http.Request, t *ticket.Ticket, c *customerContext) []*ticket.Ticket {
	out := slices.Clone(c.Open)
	add := func(f ticket.Filter) {
		f.Open, f.Limit = true, 15
		pg, err := s.Tickets.List(r.Context(), f)
		if err != nil {
			return
		}
		for _, x := range pg.Tickets {
			if x.ID != t.ID && !slices.ContainsFunc(out, func(y *ticket.Ticket) bool { return y.ID == x.ID }) {
				out = append(out, x)
			}
		}
	}
	if t.OrganizationID != nil {
		add(ticket.Filter{OrganizationID: t.OrganizationID})
	}
	return out
}

// withLoad adds each active agent's open ticket count to the directory, for
// the assignee pickers.
func (d *directory) withLoad(ctx context.Context, tickets *ticket.Service) {
	d.load, _ = tickets.OpenLoad(ctx)
}

// AssigneeLabel is an agent as an assignee picker shows them: the name and,
// when known, their open tickets ("100+" at the count's bound).
func (d *directory) AssigneeLabel(a *people.Agent) agentLoad {
	n, ok := d.load[a.ID]
	return agentLoad{Name: a.Name, Known: ok, Open: n, More: n >= ticket.LoadCap}
}

type agentLoad struct {
	Name  string
	Known bool
	Open  int
	More  bool
}

// TeamsOf lists the ids of the teams an agent belongs to, space-separated
// (the assignee picker filters its options by the chosen team with it).
func (d *directory) TeamsOf(agentID int64) string {
	var ids []string
	for _, t := range d.Teams {
		if slices.Contains(t.MemberIDs, agentID) {
			ids = append(ids, strconv.FormatInt(t.ID, 10))
		}
	}
	return strings.Join(ids, " ")
}

// InTeam reports whether an agent may be picked for a team given as a form
// value ("" for no team: everyone).
func (d *directory) InTeam(agentID int64, team string) bool {
	id, err := strconv.ParseInt(team, 10, 64)
	if err != nil {
		return true
	}
	t := d.teams[id]
	return t == nil || slices.Contains(t.MemberIDs, agentID)
}
