// Package seed fills a database: a realistic demo help desk written through
// the domain services (so every change has its events), and synthetic
// tickets by the million written in bulk for scale tests and benchmarks.
package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/ticket"
)

// SyntheticResult tells what a synthetic run wrote and how fast.
type SyntheticResult struct {
	Tickets   int
	FirstID   int64
	Contacts  int
	Messages  int
	Elapsed   time.Duration
	SizeBytes int64
}

// PerSecond is the loading rate in tickets per second.
func (r SyntheticResult) PerSecond() float64 { return float64(r.Tickets) / r.Elapsed.Seconds() }

// Services is what seeding needs from a wired application.
type Services struct {
	DB      *store.DB
	People  *people.Service
	Tickets *ticket.Service
	// Reports, when given, counts the loaded history into the report
	// rollups before Synthetic returns (in big batches, as a rebuild
	// does), so that dashboards have figures at once; without it the
	// running desk's consumer counts them.
	Reports *report.Service
}

// syntheticChunk tickets are generated at a time, to keep them in a few MB.
const syntheticChunk = 10000

var syntheticTags = []string{"billing", "refund", "login", "delivery", "bug", "feature-request", "vip", "mobile",
	"upi", "invoice", "password", "shipping"}

// Synthetic writes n tickets with a reused pool of contacts, spread over the
// last 90 days, across every status category, priority, channel, team and
// team member. It creates a small roster of teams and agents when the
// database has none. Deterministic for a given database state.
func Synthetic(ctx context.Context, s Services, n int, now time.Time) (SyntheticResult, error) {
	return SyntheticThreads(ctx, s, n, 0, now)
}

// SyntheticThreads is Synthetic with messagesPerTicket messages in each
// thread (at least the first message, and the agent's reply past new; 0
// keeps those alone): the customer and the agent writing back and forth in
// the ticket's language, for search at scale (see threadWriter).
func SyntheticThreads(ctx context.Context, s Services, n, messagesPerTicket int, now time.Time) (SyntheticResult, error) {
	start := time.Now()
	ctx = desk.WithActor(ctx, desk.System)
	rng := rand.New(rand.NewPCG(7, 11))
	teams, err := rosterForScale(ctx, s)
	if err != nil {
		return SyntheticResult{}, err
	}
	for _, tag := range syntheticTags {
		if _, err := s.Tickets.CreateTag(ctx, tag); err != nil {
			return SyntheticResult{}, fmt.Errorf("seed tag %s: %w", tag, err)
		}
	}
	statuses, err := s.Tickets.Statuses(ctx)
	if err != nil {
		return SyntheticResult{}, err
	}
	byCategory := map[string][]string{}
	for _, st := range statuses {
		byCategory[st.Category] = append(byCategory[st.Category], st.Name)
	}
	contacts, err := contactPool(ctx, s, rng, min(max(n/10, 100), 20000), now)
	if err != nil {
		return SyntheticResult{}, err
	}
	res := SyntheticResult{Contacts: len(contacts)}
	// Category weights out of 100: a desk has more finished work than open.
	weights := []struct {
		category string
		upTo     int
	}{{ticket.CategoryNew, 10}, {ticket.CategoryOpen, 35}, {ticket.CategoryPending, 50}, {ticket.CategoryOnHold, 55},
		{ticket.CategorySolved, 80}, {ticket.CategoryClosed, 100}}
	span := int64(90 * 24 * time.Hour / time.Microsecond)
	from := now.Add(-90 * 24 * time.Hour)
	done := 0
	threads := threadWriter{rng: rand.New(rand.NewPCG(13, 17))}
	var bodies []string // the chunk's later messages, reused
	next := func(batch []store.BulkTicket) []store.BulkTicket {
		bodies = bodies[:0]
		for len(batch) < syntheticChunk && done < n {
			c := contacts[rng.IntN(len(contacts))]
			w := rng.IntN(100)
			category := ticket.CategoryClosed
			for _, x := range weights {
				if w < x.upTo {
					category = x.category
					break
				}
			}
			names := byCategory[category]
			// Ids grow with creation time, as on a real desk, and most
			// tickets change within days of opening: both keep the
			// inserts near the right edge of the time indexes.
			created := from.Add(time.Duration(span*int64(done)/int64(n)) * time.Microsecond)
			age := now.Sub(created)
			updated := created.Add(min(age, time.Duration(rng.ExpFloat64()*float64(48*time.Hour))))
			subject := subjects[rng.IntN(len(subjects))]
			t := store.BulkTicket{
				Subject: subject.text, Body: subject.body, Status: names[rng.IntN(len(names))], StatusCategory: category,
				Priority: ticket.Priorities[rng.IntN(len(ticket.Priorities))], Type: ticket.Types[rng.IntN(len(ticket.Types))],
				Channel: ticket.Channels[rng.IntN(len(ticket.Channels))], RequesterID: c.ID, CreatedAt: created, UpdatedAt: updated,
			}
			if c.OrganizationID != nil {
				t.OrganizationID = *c.OrganizationID
			}
			if rng.IntN(10) > 0 { // one in ten waits in no queue
				team := teams[rng.IntN(len(teams))]
				t.TeamID = team.ID
				if category != ticket.CategoryNew && len(team.MemberIDs) > 0 {
					t.AssigneeID = team.MemberIDs[rng.IntN(len(team.MemberIDs))]
				}
			}
			if k := rng.IntN(4); k > 0 {
				t.Tags = make([]string, 0, k)
				for range k {
					t.Tags = append(t.Tags, syntheticTags[rng.IntN(len(syntheticTags))])
				}
				slices.Sort(t.Tags)
				t.Tags = slices.Compact(t.Tags)
			}
			first := 2 // the requester's message and the agent's reply
			if category == ticket.CategoryNew {
				first = 1
			}
			if more := messagesPerTicket - first; more > 0 {
				from := len(bodies)
				bodies = threads.thread(bodies, more, subject.hindi)
				t.Thread = bodies[from:len(bodies):len(bodies)]
			}
			batch = append(batch, t)
			done++
			res.Messages += first + len(t.Thread)
		}
		return batch
	}
	if res.FirstID, err = s.DB.LoadTickets(ctx, desk.System, n, next); err != nil {
		return res, err
	}
	res.Tickets = done
	// The notifier is not to announce the seeded history: its cursor moves
	// past the last loaded event.
	last, err := s.DB.LastEventID(ctx)
	if err != nil {
		return res, err
	}
	if err := s.DB.SetEventCursor(ctx, "notify", last); err != nil {
		return res, err
	}
	if s.Reports != nil {
		if err := s.Reports.CatchUpBulk(ctx); err != nil {
			return res, fmt.Errorf("seed report rollups: %w", err)
		}
	}
	res.Elapsed = time.Since(start)
	if res.SizeBytes, err = s.DB.DatabaseSize(ctx); err != nil {
		return res, err
	}
	return res, nil
}

// rosterForScale returns the teams to spread tickets over, creating four
// teams of five agents when there are none.
func rosterForScale(ctx context.Context, s Services) ([]*people.Team, error) {
	teams, err := s.People.Teams(ctx)
	if err != nil || len(teams) > 0 {
		return teams, err
	}
	role := auth.RoleAgent
	for i, tier := range []int{1, 1, 2, 3} {
		var members []int64
		for k := range 5 {
			email := fmt.Sprintf("scale.agent%d.%d@sahayak.example", i+1, k+1)
			name := fmt.Sprintf("Scale Agent %d.%d", i+1, k+1)
			ag, err := s.People.CreateAgent(ctx, people.AgentInput{Email: &email, Name: &name, Role: &role}, auth.HashPassword)
			if err != nil {
				return nil, fmt.Errorf("seed agent: %w", err)
			}
			members = append(members, ag.ID)
		}
		name := fmt.Sprintf("Scale Queue %d", i+1)
		lead := members[0]
		t, err := s.People.CreateTeam(ctx, people.TeamInput{Name: &name, Tier: &tier, LeadID: &lead, MemberIDs: &members})
		if err != nil {
			return nil, fmt.Errorf("seed team: %w", err)
		}
		teams = append(teams, t)
	}
	return teams, nil
}

// contactPool loads n new contacts, a third of them in one of ten
// organizations and a fifth writing in Hindi.
func contactPool(ctx context.Context, s Services, rng *rand.Rand, n int, now time.Time) ([]*people.Contact, error) {
	var orgs []*people.Organization
	stamp := now.UnixMilli()
	for i := range 10 {
		name := fmt.Sprintf("Scale Customer %d (%d)", i+1, stamp)
		domains := []string{fmt.Sprintf("scale%d-%d.example", i+1, stamp)}
		o, err := s.People.CreateOrganization(ctx, people.OrganizationInput{Name: &name, Domains: &domains})
		if err != nil {
			return nil, fmt.Errorf("seed organization: %w", err)
		}
		orgs = append(orgs, o)
	}
	cs := make([]*people.Contact, n)
	for i := range cs {
		first, last := givenNames[rng.IntN(len(givenNames))], familyNames[rng.IntN(len(familyNames))]
		c := &people.Contact{Name: first + " " + last, Language: "en", CreatedAt: now, UpdatedAt: now}
		domain := fmt.Sprintf("customers-%d.example", stamp)
		if rng.IntN(3) == 0 {
			o := orgs[rng.IntN(len(orgs))]
			c.OrganizationID, domain = &o.ID, o.Domains[0]
		}
		if rng.IntN(5) == 0 {
			c.Language = "hi"
		}
		c.Emails = []string{fmt.Sprintf("customer%d@%s", i+1, domain)}
		cs[i] = c
	}
	if err := s.DB.BulkInsertContacts(ctx, cs); err != nil {
		return nil, fmt.Errorf("seed contacts: %w", err)
	}
	return cs, nil
}
