package account_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/account"
	"github.com/sahayak/sahayak/internal/audit"
	"github.com/sahayak/sahayak/internal/auth"
	"github.com/sahayak/sahayak/internal/blob"
	"github.com/sahayak/sahayak/internal/channel/email"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/i18n"
	"github.com/sahayak/sahayak/internal/jobs"
	"github.com/sahayak/sahayak/internal/people"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// withMail gives the fixture a mailbox (no relay: mail stays in the
// outbox) and has the accounts service send its mail through it.
func (f *fixture) withMail(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	q := storetest.Queue(t, f.db, jobs.Config{Logger: quiet, PollInterval: 20 * time.Millisecond, MaxWorkers: 2})
	sender, err := email.NewSender(f.db, blob.New(t.TempDir()), q, event.NewBus(), f.clock, quiet,
		email.SenderConfig{Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	mb := &email.Mailbox{Address: "support@desk.test", Name: "Support", Active: true, CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
	mb.IMAP.Folder, mb.IMAP.Security, mb.SMTP.Security = "INBOX", email.SecurityTLS, email.SecurityStartTLS
	if err := f.db.CreateMailbox(f.sys, mb, audit.New(f.sys, f.clock.Now(), audit.MailboxCreated, "mailbox", 0, nil)); err != nil {
		t.Fatal(err)
	}
	f.acc.SendMail(account.Mail{Sender: sender, T: i18n.Builtin().T, PublicURL: "https://help.desk.test"})
}

// mails returns the queued mail of a purpose.
func (f *fixture) mails(purpose string) []*email.Outbound {
	f.t.Helper()
	list, err := f.db.OutboundList(f.sys, 0, 100)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []*email.Outbound
	for _, m := range list {
		if m.Purpose == purpose {
			out = append(out, m)
		}
	}
	return out
}

// events returns the data of the events of a kind once there are want of
// them (PostgreSQL shows events to readers only once every older
// transaction in the cluster has ended), or what there is after a while.
func (f *fixture) events(kind string, want int) []map[string]any {
	f.t.Helper()
	var out []map[string]any
	for try := 0; try < 600; try++ {
		evs, err := f.db.EventsAfter(f.sys, 0, 5000)
		if err != nil {
			f.t.Fatal(err)
		}
		out = nil
		for _, e := range evs {
			if e.Kind == kind {
				var d map[string]any
				_ = json.Unmarshal(e.Data, &d)
				out = append(out, d)
			}
		}
		if len(out) >= want {
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
	return out
}

// Feedback is recorded from a ticket (the account is the ticket's), listed
// per account and across accounts by kind and category, shows on the
// timeline, and bad input is refused by field.
func TestFeedback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		meera, asMeera := f.agent("meera", auth.RoleAccountExecutive)
		_, asArjun := f.agent("arjun", auth.RoleAccountExecutive)
		_, asRavi := f.agent("ravi", auth.RoleAgent)
		acme, globex := f.org("Acme", "acme.test"), f.org("Globex", "globex.test")
		if _, err := f.acc.Update(f.sys, acme.ID, account.Input{OwnerID: &meera.ID}); err != nil {
			t.Fatal(err)
		}
		tk := f.ticket("acme.test", "normal")
		other := f.ticket("globex.test", "normal")
		noOrg := f.ticket("example.test", "normal")
		bad := []struct {
			name  string
			in    account.FeedbackInput
			field string
		}{
			{"unknown kind", account.FeedbackInput{TicketID: &tk.ID, Kind: "rant", Body: "x"}, "kind"},
			{"no words", account.FeedbackInput{TicketID: &tk.ID, Kind: "praise", Body: "  "}, "body"},
			{"ticket of another account", account.FeedbackInput{OrganizationID: acme.ID, TicketID: &other.ID, Kind: "praise", Body: "x"}, "ticket_id"},
			{"ticket without an account", account.FeedbackInput{TicketID: &noOrg.ID, Kind: "praise", Body: "x"}, "ticket_id"},
			{"missing ticket", account.FeedbackInput{TicketID: ptr(int64(9999)), Kind: "praise", Body: "x"}, "ticket_id"},
			{"no account at all", account.FeedbackInput{Kind: "praise", Body: "x"}, "organization_id"},
		}
		for _, tc := range bad {
			if _, err := f.acc.RecordFeedback(asMeera, tc.in); desk.ErrorCode(err) != desk.EINVALID || desk.ErrorFields(err)[tc.field].Key == "" {
				t.Errorf("%s: %v %v", tc.name, err, desk.ErrorFields(err))
			}
		}
		// Another AE's book is not theirs to write in; an agent writes none.
		if _, err := f.acc.RecordFeedback(asArjun, account.FeedbackInput{TicketID: &tk.ID, Kind: "praise", Body: "x"}); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("arjun on meera's account: %v", err)
		}
		if _, err := f.acc.RecordFeedback(asRavi, account.FeedbackInput{TicketID: &tk.ID, Kind: "praise", Body: "x"}); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("an agent: %v", err)
		}
		fb, err := f.acc.RecordFeedback(asMeera, account.FeedbackInput{TicketID: &tk.ID, Kind: account.FeedbackFeature,
			Category: "Reports", Body: "Wants a monthly PDF of the SLA report."})
		if err != nil {
			t.Fatal(err)
		}
		if fb.OrganizationID != acme.ID || fb.Category != "reports" || fb.OrganizationName != "Acme" {
			t.Errorf("recorded: %+v", fb)
		}
		if _, err := f.acc.RecordFeedback(f.sys, account.FeedbackInput{OrganizationID: globex.ID, Kind: account.FeedbackComplaint,
			Category: "billing", Body: "शुल्क दो बार लगा।"}); err != nil {
			t.Fatal(err)
		}
		sup, _ := f.agent("sunita", auth.RoleSupervisor)
		_ = sup
		cases := []struct {
			name string
			ctx  context.Context
			f    account.FeedbackFilter
			want int
		}{
			{"all, as the system", f.sys, account.FeedbackFilter{}, 2},
			{"by kind", f.sys, account.FeedbackFilter{Kind: account.FeedbackComplaint}, 1},
			{"by category", f.sys, account.FeedbackFilter{Category: "Reports"}, 1},
			{"by account", asArjun, account.FeedbackFilter{OrganizationID: &globex.ID}, 1},
			{"across accounts, an AE sees their book", asMeera, account.FeedbackFilter{}, 1},
			{"since tomorrow", f.sys, account.FeedbackFilter{From: ptr(f.clock.Now().Add(24 * time.Hour))}, 0},
		}
		for _, tc := range cases {
			list, err := f.acc.ListFeedback(tc.ctx, tc.f)
			if err != nil || len(list) != tc.want {
				t.Errorf("%s: %d items, %v; want %d", tc.name, len(list), err, tc.want)
			}
		}
		if _, err := f.acc.ListFeedback(asMeera, account.FeedbackFilter{OwnerID: ptr(int64(999))}); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("another book without accounts:read_all: %v", err)
		}
		if _, err := f.acc.ListFeedback(f.sys, account.FeedbackFilter{Kind: "rant"}); desk.ErrorCode(err) != desk.EINVALID {
			t.Errorf("unknown kind filter: %v", err)
		}
		items, err := f.acc.Timeline(f.sys, acme.ID, account.TimelineFilter{Kinds: []string{account.ItemFeedback}})
		if err != nil || len(items) != 1 || items[0].ID != fb.ID || !strings.Contains(items[0].Text, "monthly PDF") {
			t.Errorf("timeline: %+v %v", items, err)
		}
	})
}

// Opportunities move identified → qualified → handed to sales → won or
// lost and nowhere else; a hand-off needs a sales contact, mails them in
// the same transaction and appends opportunity.handed_off.
func TestOpportunityStagesAndHandOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.withMail(t)
		meera, asMeera := f.agent("meera", auth.RoleAccountExecutive)
		_, asArjun := f.agent("arjun", auth.RoleAccountExecutive)
		acme := f.org("Acme", "acme.test")
		if _, err := f.acc.Update(f.sys, acme.ID, account.Input{OwnerID: &meera.ID, Currency: ptr("INR")}); err != nil {
			t.Fatal(err)
		}
		tk := f.ticket("acme.test", "normal")
		for _, tc := range []struct {
			name  string
			in    account.OpportunityInput
			field string
		}{
			{"no title", account.OpportunityInput{TicketID: &tk.ID}, "title"},
			{"bad currency", account.OpportunityInput{TicketID: &tk.ID, Title: ptr("Seats"), Value: ptr(100.0), Currency: ptr("RUPEE")}, "currency"},
			{"negative value", account.OpportunityInput{TicketID: &tk.ID, Title: ptr("Seats"), Value: ptr(-5.0)}, "value"},
			{"bad sales address", account.OpportunityInput{TicketID: &tk.ID, Title: ptr("Seats"), SalesEmail: ptr("sales at acme")}, "sales_email"},
		} {
			if _, err := f.acc.FlagOpportunity(asMeera, tc.in); desk.ErrorCode(err) != desk.EINVALID || desk.ErrorFields(err)[tc.field].Key == "" {
				t.Errorf("%s: %v %v", tc.name, err, desk.ErrorFields(err))
			}
		}
		o, err := f.acc.FlagOpportunity(asMeera, account.OpportunityInput{TicketID: &tk.ID, Title: ptr("40 more seats"),
			Kind: ptr("seats"), Value: ptr(480000.0)})
		if err != nil {
			t.Fatal(err)
		}
		if o.Stage != account.StageIdentified || o.Currency != "INR" || o.OrganizationID != acme.ID || o.Source != account.SourceFlagged {
			t.Errorf("flagged: %+v", o)
		}
		if _, err := f.acc.ChangeOpportunity(asArjun, o.ID, account.OpportunityInput{Stage: ptr(account.StageQualified)}); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("another AE moves it: %v", err)
		}
		move := func(stage string, version int64) (*account.Opportunity, error) {
			return f.acc.ChangeOpportunity(asMeera, o.ID, account.OpportunityInput{Stage: &stage, IfVersion: version})
		}
		for _, bad := range []string{account.StageHandedOff, account.StageWon, "closed"} {
			if _, err := move(bad, 0); desk.ErrorCode(err) != desk.EINVALID || desk.ErrorFields(err)["stage"].Key == "" {
				t.Errorf("identified → %s: %v", bad, err)
			}
		}
		if o, err = move(account.StageQualified, o.Version); err != nil {
			t.Fatal(err)
		}
		if _, err := move(account.StageLost, o.Version-1); desk.ErrorCode(err) != desk.ESTALE {
			t.Errorf("stale version: %v", err)
		}
		// No sales contact anywhere: the hand-off is refused.
		if _, err := move(account.StageHandedOff, 0); desk.ErrorCode(err) != desk.EINVALID || desk.ErrorFields(err)["sales_email"].Key == "" {
			t.Errorf("hand-off without a sales contact: %v", err)
		}
		if _, err := f.acc.SetSalesContact(asMeera, "sales@desk.test", nil); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("an AE sets the default sales contact: %v", err)
		}
		if _, err := f.acc.SetSalesContact(f.sys, "sales@desk.test", nil); err != nil {
			t.Fatal(err)
		}
		if o, err = move(account.StageHandedOff, 0); err != nil {
			t.Fatal(err)
		}
		if o.SalesEmail != "sales@desk.test" || o.HandedOffAt == nil || o.OutboundID == nil {
			t.Errorf("handed off: %+v", o)
		}
		mails := f.mails(account.PurposeHandOff)
		if len(mails) != 1 || mails[0].ID != *o.OutboundID || !strings.Contains(strings.Join(mails[0].Recipients, ","), "sales@desk.test") ||
			!strings.Contains(mails[0].Subject, "40 more seats") {
			t.Errorf("hand-off mail: %+v", mails)
		}
		told := f.events(event.OpportunityHandedOff, 1)
		if len(told) != 1 || told[0]["opportunity_id"].(float64) != float64(o.ID) || told[0]["sales_email"] != "sales@desk.test" {
			t.Errorf("handed-off events: %v", told)
		}
		if o, err = move(account.StageWon, 0); err != nil || o.ClosedAt == nil {
			t.Fatalf("won: %+v %v", o, err)
		}
		if _, err := move(account.StageLost, 0); desk.ErrorCode(err) != desk.EINVALID {
			t.Errorf("won → lost: %v", err)
		}
		items, _ := f.acc.Timeline(f.sys, acme.ID, account.TimelineFilter{Kinds: []string{account.ItemOpportunity}})
		if len(items) != 1 || !strings.Contains(items[0].Text, "40 more seats") {
			t.Errorf("timeline: %+v", items)
		}
		if list, err := f.acc.Opportunities(asMeera, account.OpportunityFilter{Stage: account.StageWon}); err != nil || len(list) != 1 {
			t.Errorf("Meera's won: %d %v", len(list), err)
		}
		if list, err := f.acc.Opportunities(asArjun, account.OpportunityFilter{}); err != nil || len(list) != 0 {
			t.Errorf("Arjun's book: %d %v", len(list), err)
		}
	})
}

// Rules suggest opportunities from customers' words (English or Hindi)
// and from tags, with the evidence; a rule suggests once per ticket, and a
// batch read again suggests nothing more.
func TestSuggestedOpportunities(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		acme := f.org("Acme", "acme.test")
		say := func(subject, body, from string) *ticket.Ticket {
			tk, err := f.tickets.Create(f.sys, ticket.NewTicket{Subject: subject, Body: body,
				Requester: ticket.Person{Email: from, Name: "Asha"}})
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		seats := say("Licences", "We are hiring and need MORE SEATS next month.", "asha@acme.test")
		hindi := say("टीम", "हमारी नई टीम भी इसे इस्तेमाल करना चाहती है।", "ravi@acme.test")
		say("Export fails", "The export breaks on Mondays.", "bala@acme.test")
		say("more seats", "Need more seats.", "x@example.test") // no account: no suggestion
		// The customer says it again: the rule has already spoken for this ticket.
		if _, _, err := f.tickets.AddInbound(f.sys, seats.ID, ticket.InboundMessage{From: ticket.Person{Email: "asha@acme.test"}, Body: "Any news on the additional seats?"}); err != nil {
			t.Fatal(err)
		}
		tagged := say("Question", "How do we move to the annual plan?", "neha@acme.test")
		if _, err := f.tickets.Update(f.sys, tagged.ID, ticket.Patch{Tags: &[]string{"upgrade"}}); err != nil {
			t.Fatal(err)
		}
		catch := func() {
			storetest.CatchUpWith(t, f.db, account.SuggestConsumer, func(ctx context.Context) error {
				return f.acc.CatchupSuggestions(desk.WithActor(ctx, desk.System))
			})
		}
		catch()
		catch()
		list, err := f.acc.Opportunities(f.sys, account.OpportunityFilter{OrganizationID: &acme.ID})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]*account.Opportunity{}
		for _, o := range list {
			if o.Source != account.SourceSuggested || o.RuleID == nil || o.Stage != account.StageIdentified {
				t.Errorf("not a suggestion: %+v", o)
			}
			got[o.Kind] = o
		}
		if len(list) != 3 {
			t.Fatalf("%d suggestions: %+v", len(list), list)
		}
		if o := got["seats"]; o == nil || *o.TicketID != seats.ID || o.Evidence != "more seats" || o.MessageID == nil ||
			!strings.Contains(o.Notes, "more seats next month") {
			t.Errorf("seats: %+v", o)
		}
		if o := got["new_team"]; o == nil || *o.TicketID != hindi.ID || o.Evidence != "नई टीम" {
			t.Errorf("new team (Hindi): %+v", o)
		}
		if o := got["plan_limit"]; o == nil || *o.TicketID != tagged.ID || o.Evidence != "#upgrade" {
			t.Errorf("plan limit by tag: %+v", o)
		}
		if n := len(f.events(account.OpportunitySuggested, 3)); n != 3 {
			t.Errorf("%d suggestion events", n)
		}
		// Reading the whole log again suggests nothing twice.
		if err := f.db.SetEventCursor(f.sys, account.SuggestConsumer, 0); err != nil {
			t.Fatal(err)
		}
		catch()
		if again, _ := f.acc.Opportunities(f.sys, account.OpportunityFilter{OrganizationID: &acme.ID}); len(again) != 3 {
			t.Errorf("after reading again: %d", len(again))
		}
		// Rules are configured with accounts:manage, and bad ones refused.
		_, asMeera := f.agent("meera", auth.RoleAccountExecutive)
		if _, err := f.acc.CreateRule(asMeera, account.RuleInput{Name: ptr("x"), Kind: ptr("seats"), Keywords: &[]string{"seat"}}); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("AE makes a rule: %v", err)
		}
		for _, in := range []account.RuleInput{
			{Name: ptr("x"), Kind: ptr("upsell"), Keywords: &[]string{"abc"}},
			{Name: ptr("x"), Kind: ptr("seats")},
			{Name: ptr("x"), Kind: ptr("seats"), Keywords: &[]string{"ab"}},
		} {
			if _, err := f.acc.CreateRule(f.sys, in); desk.ErrorCode(err) != desk.EINVALID {
				t.Errorf("bad rule %+v: %v", in, err)
			}
		}
		r, err := f.acc.CreateRule(f.sys, account.RuleInput{Name: ptr("Integrations"), Kind: ptr("other"),
			Keywords: &[]string{"Salesforce"}})
		if err != nil || r.Keywords[0] != "salesforce" {
			t.Fatalf("rule: %+v %v", r, err)
		}
		if _, err := f.acc.ChangeRule(f.sys, r.ID, account.RuleInput{Active: ptr(false), IfVersion: r.Version + 1}); desk.ErrorCode(err) != desk.ESTALE {
			t.Errorf("stale rule change: %v", err)
		}
	})
}

// Crossing into the risk band mails the owner once per crossing, in the
// transaction that stores the band.
func TestAtRiskMailsTheOwnerOncePerCrossing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.withMail(t)
		ae, _ := f.agent("meera", auth.RoleAccountExecutive)
		a := f.org("Acme", "acme.test")
		if _, err := f.acc.Update(f.sys, a.ID, account.Input{OwnerID: &ae.ID}); err != nil {
			t.Fatal(err)
		}
		var urgent []*ticket.Ticket
		for range 3 {
			urgent = append(urgent, f.ticket("acme.test", "urgent"))
		}
		breach := func() {
			err := f.db.InTx(f.sys, func(tx ticket.Tx) error {
				var evs []event.Event
				for _, u := range urgent {
					for _, k := range []string{event.SLABreached, event.Escalated, event.SLABreached} {
						e := event.New(k, u.ID, map[string]any{"metric": "first_response"})
						e.ActorKind, e.CreatedAt = desk.ActorSystem, f.clock.Now()
						evs = append(evs, e)
					}
				}
				return tx.AppendEvents(f.sys, evs)
			})
			if err != nil {
				t.Fatal(err)
			}
			f.catchup()
		}
		breach()
		breach() // still at risk: no second mail
		mails := f.mails(account.PurposeAtRisk)
		if len(mails) != 1 || !strings.Contains(strings.Join(mails[0].Recipients, ","), "meera@desk.test") ||
			!strings.Contains(mails[0].Subject, "Acme") {
			t.Fatalf("at-risk mails: %+v", mails)
		}
		if n := len(f.events(account.AtRisk, 1)); n != 1 {
			t.Errorf("%d at-risk events", n)
		}
	})
}

// The hand-off mail is written in its reader's language: the default sales
// contact's (set with it), or that of the desk's agent who has the address;
// a language the desk does not ship is refused.
func TestHandOffMailInTheSalesContactsLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		f.withMail(t)
		meera, asMeera := f.agent("meera", auth.RoleAccountExecutive)
		priya, err := f.people.CreateAgent(f.sys, people.AgentInput{Email: ptr("priya@desk.test"), Name: ptr("Priya"),
			Role: ptr(auth.RoleAgent), Language: ptr("hi")}, auth.HashPassword)
		if err != nil {
			t.Fatal(err)
		}
		acme := f.org("Acme", "acme.test")
		if _, err := f.acc.Update(f.sys, acme.ID, account.Input{OwnerID: &meera.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.acc.SetSalesContact(f.sys, "sales@desk.test", ptr("fr")); desk.ErrorCode(err) != desk.EINVALID || desk.ErrorFields(err)["language"].Key == "" {
			t.Errorf("a language the desk does not ship: %v", err)
		}
		c, err := f.acc.SetSalesContact(f.sys, "sales@desk.test", ptr("hi"))
		if err != nil || c.Language != "hi" {
			t.Fatalf("set: %+v %v", c, err)
		}
		if c, _ := f.acc.SetSalesContact(f.sys, "sales@desk.test", nil); c.Language != "hi" {
			t.Errorf("a change of address without a language reset it: %+v", c)
		}
		for _, tc := range []struct {
			name, sales, wantTo, wantSubject string
		}{
			{"the default contact, in Hindi", "", "sales@desk.test", "Acme में अवसर: Seats"},
			{"an address of no agent, in English", "bizdev@else.test", "bizdev@else.test", "Opportunity at Acme: Seats"},
			{"an agent's address, in the agent's language", priya.Email, priya.Email, "Acme में अवसर: Seats"},
		} {
			in := account.OpportunityInput{TicketID: &f.ticket("acme.test", "normal").ID, Title: ptr("Seats")}
			if tc.sales != "" {
				in.SalesEmail = &tc.sales
			}
			o, err := f.acc.FlagOpportunity(asMeera, in)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range []string{account.StageQualified, account.StageHandedOff} {
				if o, err = f.acc.ChangeOpportunity(asMeera, o.ID, account.OpportunityInput{Stage: &st}); err != nil {
					t.Fatalf("%s: %s: %v", tc.name, st, err)
				}
			}
			var got *email.Outbound
			for _, m := range f.mails(account.PurposeHandOff) {
				if o.OutboundID != nil && m.ID == *o.OutboundID {
					got = m
				}
			}
			if got == nil || got.Subject != tc.wantSubject || !strings.Contains(strings.Join(got.Recipients, ","), tc.wantTo) {
				t.Errorf("%s: %+v", tc.name, got)
			}
		}
	})
}
