package seed

import (
	"context"
	"errors"
	"fmt"
	"github.com/sahayak/sahayak/internal/account"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

// ErrDemoExists is returned when the demo data is already there; nothing
// is written then.
var ErrDemoExists = errors.New("demo data already exists")

// DemoPassword signs in every demo agent.
const DemoPassword = "sahayak-demo-2024"

// DemoTickets is how many tickets the demo opens (duplicates included).
const DemoTickets = 2000

// DemoResult tells what the demo seed wrote.
type DemoResult struct {
	Agents        []*people.Agent
	Teams         int
	Organizations int
	Contacts      int
	Tickets       int
	Escalated     int
	Merged        int
	Elapsed       time.Duration
}

// Print writes a summary and the demo sign-ins.
func (r DemoResult) Print(w io.Writer) {
	fmt.Fprintf(w, "sahayak: demo desk ready in %s: %d tickets (%d escalated, %d merged), %d contacts, %d organizations, %d teams, %d agents\n",
		r.Elapsed.Round(time.Millisecond), r.Tickets, r.Escalated, r.Merged, r.Contacts, r.Organizations, r.Teams, len(r.Agents))
	fmt.Fprintln(w, "\nSign in as any of these agents with the password", DemoPassword)
	for _, a := range r.Agents {
		fmt.Fprintf(w, "  %-18s %-34s %s\n", a.Role, a.Email, a.Name)
	}
}

// clock is the demo's time, moved along as the story is told.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now.UTC().Truncate(time.Microsecond) }

type demoAgent struct {
	name, email, role string
	language          string
}

var demoAgents = []demoAgent{
	{"Anita Desai", "anita.desai@sahayak.example", auth.RoleAdmin, "en"},
	{"Rajesh Kumar", "rajesh.kumar@sahayak.example", auth.RoleSupervisor, "hi"},
	{"Sarah Johnson", "sarah.johnson@sahayak.example", auth.RoleSupervisor, "en"},
	{"Vikram Malhotra", "vikram.malhotra@sahayak.example", auth.RoleAccountExecutive, "en"},
	{"Emily Chen", "emily.chen@sahayak.example", auth.RoleAccountExecutive, "en"},
	{"Deepa Nair", "deepa.nair@sahayak.example", auth.RoleTeamLead, "en"},      // Frontline
	{"Amit Verma", "amit.verma@sahayak.example", auth.RoleTeamLead, "hi"},      // Billing
	{"Lucas Silva", "lucas.silva@sahayak.example", auth.RoleTeamLead, "en"},    // Technical
	{"Kavitha Rao", "kavitha.rao@sahayak.example", auth.RoleTeamLead, "en"},    // Engineering
	{"Priya Sharma", "priya.sharma@sahayak.example", auth.RoleAgent, "hi"},     // Frontline
	{"Arjun Reddy", "arjun.reddy@sahayak.example", auth.RoleAgent, "en"},       // Frontline
	{"Fatima Khan", "fatima.khan@sahayak.example", auth.RoleAgent, "hi"},       // Frontline
	{"Oliver Brown", "oliver.brown@sahayak.example", auth.RoleAgent, "en"},     // Frontline
	{"Sunita Yadav", "sunita.yadav@sahayak.example", auth.RoleAgent, "hi"},     // Billing
	{"Carlos Mendes", "carlos.mendes@sahayak.example", auth.RoleAgent, "en"},   // Billing
	{"Meera Iyer", "meera.iyer@sahayak.example", auth.RoleAgent, "en"},         // Technical
	{"Kenji Tanaka", "kenji.tanaka@sahayak.example", auth.RoleAgent, "en"},     // Technical
	{"David Okafor", "david.okafor@sahayak.example", auth.RoleAgent, "en"},     // Engineering
	{"Rohit Banerjee", "rohit.banerjee@sahayak.example", auth.RoleAgent, "hi"}, // Engineering
}

// The teams, by tier, with the indexes into demoAgents of lead and members.
var demoTeams = []struct {
	name    string
	tier    int
	lead    int
	members []int
}{
	{"Frontline Support", 1, 5, []int{9, 10, 11, 12}},
	{"Billing", 1, 6, []int{13, 14}},
	{"Technical Specialists", 2, 7, []int{15, 16}},
	{"Engineering Escalations", 3, 8, []int{17, 18}},
}

var demoOrganizations = []struct{ name, domain string }{
	{"Kirana Mart", "kiranamart.example"}, {"Chai Point Cafés", "chaipoint.example"},
	{"Saffron Travels", "saffrontravels.example"}, {"Bharat Textiles", "bharattextiles.example"},
	{"Northwind Traders", "northwind.example"}, {"Globex Corporation", "globex.example"},
	{"Lotus Health Clinics", "lotushealth.example"}, {"Monsoon Media", "monsoonmedia.example"},
}

// demo carries the state of one demo run.
type demo struct {
	s       Services
	clk     *clock
	rng     *rand.Rand
	people  *people.Service
	tickets *ticket.Service
	agents  []*people.Agent
	actors  map[int64]desk.Actor
	teams   []*people.Team
	res     DemoResult
}

// Demo writes a realistic help desk as it would look after 90 days of work
// ending at now: teams of every tier with leads and members, agents of
// every role, organizations, English- and Hindi-speaking contacts, custom
// fields, tags, and DemoTickets tickets with replies, internal notes,
// escalations, merges and every status category. Everything goes through
// the domain services, so every change has its events. Deterministic for a
// given now.
func Demo(ctx context.Context, s Services, now time.Time) (DemoResult, error) {
	start := time.Now()
	if ok, err := s.DB.HasTeam(ctx, demoTeams[0].name); err != nil || ok {
		if err == nil {
			err = ErrDemoExists
		}
		return DemoResult{}, err
	}
	clk := &clock{now: now.Add(-91 * 24 * time.Hour)}
	d := &demo{s: s, clk: clk, rng: rand.New(rand.NewPCG(2024, 91)),
		people: people.NewService(s.DB, clk), tickets: ticket.NewService(s.DB, s.DB, event.NewBus(), clk),
		actors: map[int64]desk.Actor{}}
	sys := desk.WithActor(ctx, desk.System)
	if err := d.staff(sys); err != nil {
		return d.res, err
	}
	contacts, err := d.customers(sys)
	if err != nil {
		return d.res, err
	}
	if err := d.catalog(sys); err != nil {
		return d.res, err
	}
	if err := d.story(ctx, contacts, now); err != nil {
		return d.res, err
	}
	d.res.Elapsed = time.Since(start)
	return d.res, nil
}

// staff creates the agents and the teams.
func (d *demo) staff(ctx context.Context) error {
	// One hash for all: argon2id is slow on purpose, and they share the
	// password anyway.
	hash, err := auth.HashPassword(DemoPassword)
	if err != nil {
		return err
	}
	perms := map[string][]string{}
	for _, r := range auth.BuiltinRoles {
		perms[r.Name] = r.Permissions
	}
	pw := DemoPassword
	for _, a := range demoAgents {
		ag, err := d.people.CreateAgent(ctx, people.AgentInput{Email: &a.email, Name: &a.name, Role: &a.role,
			Language: &a.language, Password: &pw}, func(string) (string, error) { return hash, nil })
		if err != nil {
			return fmt.Errorf("demo agent %s: %w", a.email, err)
		}
		d.agents = append(d.agents, ag)
	}
	for _, t := range demoTeams {
		lead := d.agents[t.lead].ID
		members := []int64{lead}
		for _, m := range t.members {
			members = append(members, d.agents[m].ID)
		}
		if t.tier > 1 {
			// Supervisors sit in the higher tiers to take what comes up.
			members = append(members, d.agents[1].ID, d.agents[2].ID)
		}
		team, err := d.people.CreateTeam(ctx, people.TeamInput{Name: &t.name, Tier: &t.tier, LeadID: &lead, MemberIDs: &members})
		if err != nil {
			return fmt.Errorf("demo team %s: %w", t.name, err)
		}
		d.teams = append(d.teams, team)
		for _, id := range team.MemberIDs {
			for _, ag := range d.agents {
				if ag.ID == id {
					ag.TeamIDs = append(ag.TeamIDs, team.ID)
				}
			}
		}
	}
	for _, ag := range d.agents {
		d.actors[ag.ID] = desk.Actor{Kind: desk.ActorAgent, ID: ag.ID, Name: ag.Name, Role: ag.Role,
			Permissions: perms[ag.Role], TeamIDs: ag.TeamIDs, Language: ag.Language}
	}
	d.res.Agents, d.res.Teams = d.agents, len(d.teams)
	return nil
}

// customers creates the organizations and their contacts: 160 people, a
// third of them writing in Hindi.
func (d *demo) customers(ctx context.Context) ([]*people.Contact, error) {
	var orgs []*people.Organization
	for _, o := range demoOrganizations {
		domains := []string{o.domain}
		org, err := d.people.CreateOrganization(ctx, people.OrganizationInput{Name: &o.name, Domains: &domains})
		if err != nil {
			return nil, fmt.Errorf("demo organization %s: %w", o.name, err)
		}
		orgs = append(orgs, org)
	}
	// The account executives own the accounts in turn, so each lands on
	// their accounts' tickets.
	var owners []int64
	for _, ag := range d.agents {
		if ag.Role == auth.RoleAccountExecutive {
			owners = append(owners, ag.ID)
		}
	}
	accounts := account.New(d.s.DB, event.NewBus(), d.clk, nil)
	for i, org := range orgs {
		if len(owners) == 0 {
			break
		}
		if _, err := accounts.Update(ctx, org.ID, account.Input{OwnerID: &owners[i%len(owners)]}); err != nil {
			return nil, fmt.Errorf("demo account %s: owner: %w", org.Name, err)
		}
	}
	var contacts []*people.Contact
	for i := range 160 {
		var name, lang, local string
		if i%3 == 0 {
			name, lang = hindiNames[(i/3)%len(hindiNames)], "hi"
			local = fmt.Sprintf("grahak%d", i+1)
		} else {
			first, last := givenNames[d.rng.IntN(len(givenNames))], familyNames[d.rng.IntN(len(familyNames))]
			name, lang = first+" "+last, "en"
			local = fmt.Sprintf("%s.%s%d", lower(first), lower(last), i+1)
		}
		domain := "mail.example"
		var orgID *int64
		if i%2 == 0 {
			o := orgs[(i/2)%len(orgs)]
			domain, orgID = o.Domains[0], &o.ID
		}
		emails := []string{local + "@" + domain}
		phone := fmt.Sprintf("+91 98%03d %05d", i, d.rng.IntN(100000))
		c, err := d.people.CreateContact(ctx, people.ContactInput{Name: &name, Emails: &emails, Phone: &phone,
			Language: &lang, OrganizationID: orgID})
		if err != nil {
			return nil, fmt.Errorf("demo contact %s: %w", emails[0], err)
		}
		contacts = append(contacts, c)
	}
	d.res.Organizations, d.res.Contacts = len(orgs), len(contacts)
	return contacts, nil
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

var demoPlans = []string{"Free", "Basic", "Pro", "Enterprise"}

// catalog defines the custom fields and the tags.
func (d *demo) catalog(ctx context.Context) error {
	for _, f := range []ticket.Field{
		// Customers give their order, plan and refund on the portal form; demo
		// tickets that came by the portal carry them.
		{Key: "order_number", Label: "Order number", Kind: ticket.FieldText, Position: 1, Portal: true},
		{Key: "plan", Label: "Plan", Kind: ticket.FieldDropdown, Options: demoPlans, Position: 2, Portal: true},
		{Key: "refund_amount", Label: "Refund amount (₹)", Kind: ticket.FieldNumber, Position: 3, Portal: true},
	} {
		if _, err := d.tickets.CreateField(ctx, f); err != nil {
			return fmt.Errorf("demo field %s: %w", f.Key, err)
		}
	}
	tags := []string{"vip", "callback", "duplicate"}
	for _, t := range subjects {
		if !slices.Contains(tags, t.tag) {
			tags = append(tags, t.tag)
		}
	}
	for _, t := range tags {
		if _, err := d.tickets.CreateTag(ctx, t); err != nil {
			return fmt.Errorf("demo tag %s: %w", t, err)
		}
	}
	return nil
}
