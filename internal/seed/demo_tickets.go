package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/ticket"
)

var internalNotes = []string{
	"Checked the payment gateway logs: the transaction is marked failed on our side.",
	"Customer has written in before about this; see the linked order.",
	"Courier confirms the parcel is at the hub. Following up tomorrow.",
	"भुगतान टीम से बात की, रिफंड प्रक्रिया में है।",
	"Asked engineering whether this matches the known crash on Android 14.",
}

var customerFollowUps = map[string][]string{
	"en": {"Thank you, that solved it!", "It is still not working, please check again.", "Any update on this?"},
	"hi": {"धन्यवाद, समस्या हल हो गई!", "यह अभी भी काम नहीं कर रहा है, कृपया फिर से देखें।", "इस पर कोई अपडेट?"},
}

var escalationReasons = []string{"Needs a specialist", "Payment gateway investigation", "Reproducible bug in the app",
	"तकनीकी जाँच ज़रूरी है"}

// story opens the tickets in order of time and lets each one live its life:
// assignment, answers, notes, customer replies, escalations up the tiers,
// duplicates merged by a team lead, and a final status that depends on
// the ticket's age.
func (d *demo) story(ctx context.Context, contacts []*people.Contact, now time.Time) error {
	start := now.Add(-90 * 24 * time.Hour)
	step := 90 * 24 * time.Hour / DemoTickets
	hindiTopics, englishTopics := []topic{}, []topic{}
	for _, t := range subjects {
		if t.hindi {
			hindiTopics = append(hindiTopics, t)
		} else {
			englishTopics = append(englishTopics, t)
		}
	}
	for i := 0; i < DemoTickets; i++ {
		d.clk.now = start.Add(time.Duration(i)*step + time.Duration(d.rng.Int64N(int64(step))))
		c := contacts[d.rng.IntN(len(contacts))]
		topics := englishTopics
		if c.Language == "hi" && d.rng.IntN(5) > 0 {
			topics = hindiTopics
		}
		tp := topics[d.rng.IntN(len(topics))]
		t, err := d.open(ctx, c, tp, "")
		if err != nil {
			return err
		}
		if i+1 < DemoTickets && d.rng.IntN(50) == 0 {
			// The customer writes again about the same thing; a lead
			// merges the duplicate into the first ticket.
			d.later(now, 20*time.Minute, 2*time.Hour)
			dup, err := d.open(ctx, c, tp, "duplicate")
			if err != nil {
				return err
			}
			lead := d.actors[*d.teams[0].LeadID]
			if _, err := d.tickets.Merge(desk.WithActor(ctx, lead), dup.ID, t.ID); err != nil {
				return fmt.Errorf("demo merge %d into %d: %w", dup.ID, t.ID, err)
			}
			d.res.Merged++
			i++
		}
		if err := d.live(ctx, t, c, tp, now); err != nil {
			return fmt.Errorf("demo ticket %d: %w", t.ID, err)
		}
	}
	return nil
}

// open creates a ticket from the customer's first message.
func (d *demo) open(ctx context.Context, c *people.Contact, tp topic, extraTag string) (*ticket.Ticket, error) {
	team := d.teams[0]
	switch tp.tag {
	case "billing", "refund", "invoice", "upi":
		team = d.teams[1]
	}
	fields := map[string]any{"plan": demoPlans[d.rng.IntN(len(demoPlans))]}
	switch tp.tag {
	case "delivery", "shipping", "refund":
		fields["order_number"] = fmt.Sprintf("OD%010d", d.rng.IntN(1e10))
	}
	if tp.tag == "refund" {
		fields["refund_amount"] = float64(100 * (1 + d.rng.IntN(50)))
	}
	tags := []string{tp.tag}
	if extraTag != "" {
		tags = append(tags, extraTag)
	}
	if d.rng.IntN(12) == 0 {
		tags = append(tags, "vip")
	}
	priority := []string{"low", "normal", "normal", "normal", "high", "urgent"}[d.rng.IntN(6)]
	t, err := d.tickets.Create(desk.WithActor(ctx, desk.System), ticket.NewTicket{
		Subject: tp.text, Body: tp.body, Requester: ticket.Person{Email: c.Email(), Name: c.Name},
		Priority: priority, Type: []string{"question", "incident", "problem", "task"}[d.rng.IntN(4)],
		Channel: ticket.Channels[d.rng.IntN(len(ticket.Channels))], Tags: tags, CustomFields: fields, TeamID: &team.ID,
	})
	if err != nil {
		return nil, fmt.Errorf("demo ticket %q: %w", tp.text, err)
	}
	d.res.Tickets++
	return t, nil
}

// later moves the clock on by a random while, never past now.
func (d *demo) later(now time.Time, lo, hi time.Duration) {
	d.clk.now = d.clk.now.Add(lo + time.Duration(d.rng.Int64N(int64(hi-lo))))
	if limit := now.Add(-time.Minute); d.clk.now.After(limit) {
		d.clk.now = limit
	}
}

// member picks an agent of the team (the lead now and then).
func (d *demo) member(team *people.Team) desk.Actor {
	return d.actors[team.MemberIDs[d.rng.IntN(len(team.MemberIDs))]]
}

// finalCategory picks where a ticket ends up: young tickets are still being
// worked, old ones are mostly solved or closed.
func (d *demo) finalCategory(age time.Duration) string {
	n := d.rng.IntN(100)
	pick := func(cut []int, cats ...string) string {
		for i, c := range cut {
			if n < c {
				return cats[i]
			}
		}
		return cats[len(cats)-1]
	}
	switch {
	case age < 2*24*time.Hour:
		return pick([]int{30, 65, 85, 95}, ticket.CategoryNew, ticket.CategoryOpen, ticket.CategoryPending, ticket.CategoryOnHold, ticket.CategorySolved)
	case age < 14*24*time.Hour:
		return pick([]int{20, 40, 50, 85}, ticket.CategoryOpen, ticket.CategoryPending, ticket.CategoryOnHold, ticket.CategorySolved, ticket.CategoryClosed)
	default:
		return pick([]int{2, 4, 5, 35}, ticket.CategoryOpen, ticket.CategoryPending, ticket.CategoryOnHold, ticket.CategorySolved, ticket.CategoryClosed)
	}
}

func (d *demo) live(ctx context.Context, t *ticket.Ticket, c *people.Contact, tp topic, now time.Time) error {
	final := d.finalCategory(now.Sub(t.CreatedAt))
	if final == ticket.CategoryNew {
		return nil
	}
	team := d.teams[0]
	if *t.TeamID == d.teams[1].ID {
		team = d.teams[1]
	}
	agent := d.member(team)
	as := func(a desk.Actor) context.Context { return desk.WithActor(ctx, a) }
	d.later(now, 5*time.Minute, 3*time.Hour)
	if _, err := d.tickets.Update(as(agent), t.ID, ticket.Patch{AssigneeID: &agent.ID}); err != nil {
		return fmt.Errorf("assign: %w", err)
	}
	d.later(now, 5*time.Minute, 2*time.Hour)
	if _, err := d.tickets.AddMessage(as(agent), t.ID, ticket.NewMessage{Body: tp.reply}); err != nil {
		return fmt.Errorf("reply: %w", err)
	}
	if d.rng.IntN(10) < 3 {
		d.later(now, time.Minute, time.Hour)
		note := internalNotes[d.rng.IntN(len(internalNotes))]
		if _, err := d.tickets.AddMessage(as(agent), t.ID, ticket.NewMessage{Body: note, Internal: true}); err != nil {
			return fmt.Errorf("note: %w", err)
		}
	}
	if team.Tier == 1 && d.rng.IntN(100) < 12 {
		// Up a tier, and now and then up to engineering.
		for _, next := range []*people.Team{d.teams[2], d.teams[3]} {
			d.later(now, 30*time.Minute, 6*time.Hour)
			reason := escalationReasons[d.rng.IntN(len(escalationReasons))]
			if _, err := d.tickets.Escalate(as(agent), t.ID, next.ID, reason); err != nil {
				return fmt.Errorf("escalate: %w", err)
			}
			d.res.Escalated++
			team, agent = next, d.member(next)
			d.later(now, 10*time.Minute, 4*time.Hour)
			if _, err := d.tickets.Update(as(agent), t.ID, ticket.Patch{AssigneeID: &agent.ID}); err != nil {
				return fmt.Errorf("assign after escalation: %w", err)
			}
			d.later(now, 10*time.Minute, 4*time.Hour)
			if _, err := d.tickets.AddMessage(as(agent), t.ID, ticket.NewMessage{Body: tp.reply, Internal: d.rng.IntN(2) == 0}); err != nil {
				return fmt.Errorf("answer after escalation: %w", err)
			}
			if d.rng.IntN(4) > 0 {
				break
			}
		}
	}
	if d.rng.IntN(10) < 4 {
		d.later(now, 30*time.Minute, 24*time.Hour)
		customer := desk.Actor{Kind: desk.ActorContact, ID: c.ID, Name: c.Name, Language: c.Language,
			Permissions: []string{auth.TicketsRead, auth.TicketsReply}}
		lines := customerFollowUps[c.Language]
		if _, err := d.tickets.AddMessage(as(customer), t.ID, ticket.NewMessage{Body: lines[d.rng.IntN(len(lines))]}); err != nil {
			return fmt.Errorf("customer reply: %w", err)
		}
	}
	steps := map[string][]string{
		ticket.CategoryOpen: nil, ticket.CategoryPending: {ticket.CategoryPending}, ticket.CategoryOnHold: {ticket.CategoryOnHold},
		ticket.CategorySolved: {ticket.CategorySolved}, ticket.CategoryClosed: {ticket.CategorySolved, ticket.CategoryClosed},
	}[final]
	for _, st := range steps {
		d.later(now, time.Hour, 48*time.Hour)
		if _, err := d.tickets.Update(as(agent), t.ID, ticket.Patch{Status: &st}); err != nil {
			return fmt.Errorf("status %s: %w", st, err)
		}
	}
	return nil
}
