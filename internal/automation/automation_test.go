package automation_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/automation"
	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

var schema = automation.Schema{
	Statuses: []ticket.Status{{Name: "new", Category: "new"}, {Name: "open", Category: "open"}, {Name: "solved", Category: "solved"}},
	Fields: []ticket.Field{{Key: "plan", Kind: ticket.FieldDropdown, Options: []string{"free", "gold"}},
		{Key: "seats", Kind: ticket.FieldNumber}},
}

// Bad rules are refused when saved, naming the part that is wrong.
func TestValidateRefusesBadRules(t *testing.T) {
	on := automation.Trigger{Event: automation.OnCreated}
	cases := []struct {
		name  string
		rule  automation.Rule
		field string // the problem's key; "" accepts the rule
	}{
		{"a plain rule", automation.Rule{Name: "Outages are urgent", Trigger: on,
			Conditions: []automation.Condition{{Field: "subject", Op: "contains", Value: "outage"}},
			Actions:    []automation.Action{{Type: "set", Field: "priority", Value: "urgent"}}}, ""},
		{"custom field condition", automation.Rule{Name: "Gold", Trigger: on,
			Conditions: []automation.Condition{{Field: "custom_fields.plan", Op: "is", Value: "gold"},
				{Field: "custom_fields.seats", Op: "greater_than", Value: 50.0}},
			Actions: []automation.Action{{Type: "add_tags", Tags: []string{"vip"}}}}, ""},
		{"unknown field", automation.Rule{Name: "x", Trigger: on,
			Conditions: []automation.Condition{{Field: "mood", Op: "is", Value: "angry"}},
			Actions:    []automation.Action{{Type: "add_tags", Tags: []string{"x"}}}}, "conditions.0.field"},
		{"unknown custom field", automation.Rule{Name: "x", Trigger: on,
			Conditions: []automation.Condition{{Field: "custom_fields.region", Op: "is", Value: "north"}},
			Actions:    []automation.Action{{Type: "add_tags", Tags: []string{"x"}}}}, "conditions.0.field"},
		{"operator that does not suit", automation.Rule{Name: "x", Trigger: on,
			Conditions: []automation.Condition{{Field: "priority", Op: "greater_than", Value: "low"}},
			Actions:    []automation.Action{{Type: "add_tags", Tags: []string{"x"}}}}, "conditions.0.op"},
		{"value outside the enum", automation.Rule{Name: "x", Trigger: on,
			Conditions: []automation.Condition{{Field: "priority", Op: "is", Value: "critical"}},
			Actions:    []automation.Action{{Type: "add_tags", Tags: []string{"x"}}}}, "conditions.0.value"},
		{"no trigger", automation.Rule{Name: "x", Actions: []automation.Action{{Type: "add_tags", Tags: []string{"x"}}}}, "trigger"},
		{"time trigger without hours", automation.Rule{Name: "x", Trigger: automation.Trigger{Since: "created"},
			Actions: []automation.Action{{Type: "add_tags", Tags: []string{"x"}}}}, "trigger.hours"},
		{"template with an unknown variable", automation.Rule{Name: "x", Trigger: on,
			Actions: []automation.Action{{Type: "reply", Text: "Hi {{ticket.requester.phone}}"}}}, "actions.0.text"},
		{"template reaching outside its data", automation.Rule{Name: "x", Trigger: on,
			Actions: []automation.Action{{Type: "note", Text: `{{ .Ticket.Requester }} {{ printf "%v" . }}`}}}, "actions.0.text"},
		{"template left open", automation.Rule{Name: "x", Trigger: on,
			Actions: []automation.Action{{Type: "note", Text: "Dear {{ticket.requester.name"}}}, "actions.0.text"},
		{"setting a field that does not exist", automation.Rule{Name: "x", Trigger: on,
			Actions: []automation.Action{{Type: "set", Field: "custom_fields.region", Value: "x"}}}, "actions.0.field"},
		{"rule that triggers itself", automation.Rule{Name: "Tag on update", Trigger: automation.Trigger{Event: automation.OnUpdated},
			Actions: []automation.Action{{Type: "add_tags", Tags: []string{"touched"}}}}, "actions"},
		{"rule whose action ends its own condition", automation.Rule{Name: "Tag once", Trigger: automation.Trigger{Event: automation.OnUpdated},
			Conditions: []automation.Condition{{Field: "tags", Op: "not_contains", Value: "touched"}},
			Actions:    []automation.Action{{Type: "add_tags", Tags: []string{"touched"}}}}, ""},
		{"status change that sets status again", automation.Rule{Name: "Reopen", Trigger: automation.Trigger{Event: automation.OnStatusChanged},
			Conditions: []automation.Condition{{Field: "priority", Op: "is", Value: "urgent"}},
			Actions:    []automation.Action{{Type: "set", Field: "status", Value: "open"}}}, "actions"},
		{"time rule on updated that updates, guarded", automation.Rule{Name: "Nudge", Trigger: automation.Trigger{Since: "updated", Hours: 48},
			Conditions: []automation.Condition{{Field: "priority", Op: "is_not", Value: "high"}},
			Actions:    []automation.Action{{Type: "set", Field: "priority", Value: "high"}}}, ""},
		{"SLA event by its kind", automation.Rule{Name: "Breach", Trigger: automation.Trigger{Event: "sla.breach"},
			Actions: []automation.Action{{Type: "escalate", TeamID: ptr(int64(2))}}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.rule.Validate(schema)
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v %v", err, desk.ErrorFields(err))
				}
				return
			}
			if desk.ErrorCode(err) != desk.EINVALID {
				t.Fatalf("err %v, want invalid", err)
			}
			if _, ok := desk.ErrorFields(err)[c.field]; !ok {
				t.Errorf("problems %v, want one at %q", desk.ErrorFields(err), c.field)
			}
		})
	}
}

func TestTemplateRenders(t *testing.T) {
	tpl, msg := automation.ParseTemplate("Namaste {{ ticket.requester.name }}, re #{{ticket.id}} ({{ticket.custom_fields.plan}}) — {{agent.name}}", schema)
	if msg.Key != "" {
		t.Fatal(msg)
	}
	got := tpl.Render(automation.Data{Ticket: &ticket.Ticket{ID: 7, Requester: ticket.Person{Name: "<b>Asha</b>"},
		CustomFields: map[string]any{"plan": "gold"}}, Agent: desk.Actor{Name: "Ravi"}})
	// Plain text: the message service escapes it when it makes HTML.
	if want := "Namaste <b>Asha</b>, re #7 (gold) — Ravi"; got != want {
		t.Errorf("render = %q, want %q", got, want)
	}
}

// Event rules per action type, on each database.
func TestEventRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		f := newFixture(t, b)
		lead, _ := f.agent("meena", "team_lead")
		asha, _ := f.agent("asha", "agent")
		team, err := f.people.CreateTeam(f.sys, pTeam("Tier 2", 2, lead.ID, asha.ID))
		if err != nil {
			t.Fatal(err)
		}
		urgent := f.rule(automation.Rule{Name: "Outages are urgent", Trigger: automation.Trigger{Event: automation.OnCreated},
			Conditions: []automation.Condition{{Field: "subject", Op: "contains", Value: "outage"}},
			Actions: []automation.Action{{Type: "set", Field: "priority", Value: "urgent"},
				{Type: "add_tags", Tags: []string{"outage"}},
				{Type: "note", Text: "Auto: outage reported by {{ticket.requester.name}}"}}})
		thanks := f.rule(automation.Rule{Name: "Thank on solve", Trigger: automation.Trigger{Event: automation.OnStatusChanged},
			Conditions: []automation.Condition{{Field: "status_category", Op: "is", Value: "solved"}},
			Actions:    []automation.Action{{Type: "reply", Text: "Thank you {{ticket.requester.name}}, ticket {{ticket.id}} is solved."}}})
		reply := f.rule(automation.Rule{Name: "Escalate angry urgent replies", Trigger: automation.Trigger{Event: automation.OnMessageReceived},
			Match: "any", Conditions: []automation.Condition{{Field: "priority", Op: "is", Value: "urgent"},
				{Field: "tags", Op: "contains", Value: "vip"}},
			Actions: []automation.Action{{Type: "escalate", TeamID: &team.ID}, {Type: "notify", To: "team_lead", Text: "{{ticket.subject}} escalated"}}})
		broken := f.rule(automation.Rule{Name: "Assign to a stranger", Trigger: automation.Trigger{Event: automation.OnCreated},
			Conditions: []automation.Condition{{Field: "subject", Op: "contains", Value: "stranger"}},
			Actions:    []automation.Action{{Type: "assign", AgentID: ptr(int64(999999))}}})

		out := f.open(ticket.NewTicket{Subject: "Total outage in Pune"})
		calm := f.open(ticket.NewTicket{Subject: "Question about invoices"})
		strange := f.open(ticket.NewTicket{Subject: "A stranger calls"})
		f.consume()
		got := f.get(out.ID)
		if got.Priority != "urgent" || !slices.Contains(got.Tags, "outage") {
			t.Errorf("outage ticket: priority %s tags %v", got.Priority, got.Tags)
		}
		msgs, _ := f.tickets.Messages(f.sys, out.ID)
		if len(msgs) != 2 || !msgs[1].Internal || msgs[1].BodyText != "Auto: outage reported by Asha Rao" {
			t.Errorf("note: %+v", msgs)
		}
		if f.get(calm.ID).Priority != "normal" {
			t.Error("a ticket the conditions do not hold for was changed")
		}
		if runs := f.runs(urgent); len(runs) != 1 || runs[0].TicketID != out.ID || runs[0].Outcome != automation.Applied {
			t.Errorf("urgent's log: %+v", runs)
		}
		// A rule failing at run time is logged; the ticket was created all the same.
		if runs := f.runs(broken); len(runs) != 1 || runs[0].Outcome != automation.Failed || runs[0].Detail == "" {
			t.Errorf("broken's log: %+v", runs)
		}
		if f.get(strange.ID).ID == 0 {
			t.Error("the ticket is gone")
		}

		solved := "solved"
		if _, err := f.tickets.Update(f.sys, calm.ID, ticket.Patch{Status: &solved}); err != nil {
			t.Fatal(err)
		}
		f.consume()
		msgs, _ = f.tickets.Messages(f.sys, calm.ID)
		if last := msgs[len(msgs)-1]; last.Internal || !strings.Contains(last.BodyText, "Thank you Asha Rao") {
			t.Errorf("thank-you reply: %+v", last)
		}
		if len(f.runs(thanks)) != 1 {
			t.Error("thanks ran other than once")
		}

		// A customer's reply on the urgent ticket escalates it and tells the lead.
		contact := desk.WithActor(f.sys, desk.Actor{Kind: desk.ActorContact, ID: got.Requester.ID, Permissions: []string{"tickets:read", "tickets:reply"}})
		if _, err := f.tickets.AddMessage(contact, out.ID, ticket.NewMessage{Body: "Still down!"}); err != nil {
			t.Fatal(err)
		}
		f.consume()
		if g := f.get(out.ID); g.TeamID == nil || *g.TeamID != team.ID || g.EscalationLevel == 0 {
			t.Errorf("not escalated: team %v level %d", g.TeamID, g.EscalationLevel)
		}
		if runs := f.runs(reply); len(runs) != 1 || runs[0].Outcome != automation.Applied {
			t.Errorf("escalation log: %+v", runs)
		}
		notes, err := f.db.Notifications(f.sys, lead.ID, 10)
		if err != nil || len(notes) != 1 || notes[0].Body != "Total outage in Pune escalated" {
			t.Errorf("lead's notifications: %+v %v", notes, err)
		}
	})
}

// Two rules that each look safe but undo each other are stopped by the
// loop guard, which logs it.
func TestLoopGuardStopsPingPong(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		f := newFixture(t, b)
		ping := f.rule(automation.Rule{Name: "ping", Trigger: automation.Trigger{Event: automation.OnUpdated},
			Conditions: []automation.Condition{{Field: "tags", Op: "contains", Value: "ping"}},
			Actions:    []automation.Action{{Type: "remove_tags", Tags: []string{"ping"}}, {Type: "add_tags", Tags: []string{"pong"}}}})
		f.rule(automation.Rule{Name: "pong", Trigger: automation.Trigger{Event: automation.OnUpdated},
			Conditions: []automation.Condition{{Field: "tags", Op: "contains", Value: "pong"}},
			Actions:    []automation.Action{{Type: "remove_tags", Tags: []string{"pong"}}, {Type: "add_tags", Tags: []string{"ping"}}}})
		tk := f.open(ticket.NewTicket{})
		if _, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{Tags: &[]string{"ping"}}); err != nil {
			t.Fatal(err)
		}
		f.consume()
		stopped := 0
		for _, r := range f.runs(ping) {
			if r.Outcome == automation.Stopped {
				stopped++
			}
		}
		if stopped == 0 {
			t.Errorf("ping-pong was not stopped: %d runs", len(f.runs(ping)))
		}
	})
}

// Time rules fire by due time, once per moment; the dry run lists what a
// rule would touch now.
func TestTimeRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		f := newFixture(t, b)
		early := f.open(ticket.NewTicket{Subject: "Before the rule"})
		stale := f.rule(automation.Rule{Name: "Bump after 2h", Trigger: automation.Trigger{Since: "created", Hours: 2},
			Conditions: []automation.Condition{{Field: "priority", Op: "is_not", Value: "high"}},
			Actions:    []automation.Action{{Type: "set", Field: "priority", Value: "high"}}})
		f.clock.Advance(time.Hour)
		late := f.open(ticket.NewTicket{Subject: "After the rule"})
		f.consume()
		due := func() int {
			t.Helper()
			n, err := f.auto.RunDue(f.sys)
			if err != nil {
				t.Fatal(err)
			}
			f.consume()
			return n
		}
		if n := due(); n != 0 {
			t.Fatalf("%d timers due after 1h", n)
		}
		dry, err := f.auto.DryRun(f.sys, *stale)
		if err != nil || len(dry) != 0 {
			t.Fatalf("dry run at 1h: %d tickets, %v", len(dry), err)
		}
		f.clock.Advance(time.Hour + time.Minute)
		dry, err = f.auto.DryRun(f.sys, *stale)
		if err != nil || len(dry) != 1 || dry[0].ID != early.ID {
			t.Fatalf("dry run at 2h: %v, %v; want the early ticket (backfilled when the rule was saved)", dry, err)
		}
		if f.get(early.ID).Priority == "high" {
			t.Fatal("the dry run changed a ticket")
		}
		if n := due(); n != 1 {
			t.Fatalf("%d timers due at 2h, want 1", n)
		}
		if f.get(early.ID).Priority != "high" || f.get(late.ID).Priority == "high" {
			t.Error("the due ticket was not bumped, or the other one was")
		}
		f.clock.Advance(time.Hour)
		if n := due(); n != 1 || f.get(late.ID).Priority != "high" {
			t.Errorf("late ticket at its due time: %d due, priority %s", n, f.get(late.ID).Priority)
		}
		if n := due(); n != 0 {
			t.Errorf("%d timers left after both fired", n)
		}
		if runs := f.runs(stale); len(runs) != 2 {
			t.Errorf("%d runs, want 2", len(runs))
		}
	})
}

// Macros: scopes, preview, apply, usage.
func TestMacros(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		f := newFixture(t, b)
		asha, asAsha := f.agent("asha", "agent")
		_, asRavi := f.agent("ravi", "agent")
		_, asLead := f.agent("meena", "team_lead")
		tk := f.open(ticket.NewTicket{Subject: "Refund please"})
		if _, err := f.auto.CreateMacro(asAsha, automation.Macro{Name: "Shared", Scope: "shared", Reply: "x"}); desk.ErrorCode(err) != desk.EFORBIDDEN {
			t.Errorf("an agent made a shared macro: %v", err)
		}
		if _, err := f.auto.CreateMacro(asLead, automation.Macro{Name: "Bad", Scope: "shared", Reply: "{{ticket.secret}}"}); desk.ErrorCode(err) != desk.EINVALID {
			t.Errorf("unknown variable: %v", err)
		}
		shared, err := f.auto.CreateMacro(asLead, automation.Macro{Name: "Refund issued", Scope: "shared",
			Reply:   "Namaste {{ticket.requester.name}}, your refund is on its way. — {{agent.name}}",
			Actions: []automation.Action{{Type: "set", Field: "status", Value: "pending"}, {Type: "add_tags", Tags: []string{"refund"}}}})
		if err != nil {
			t.Fatal(err)
		}
		mine, err := f.auto.CreateMacro(asAsha, automation.Macro{Name: "My sign-off", Scope: "personal", Reply: "— {{agent.name}}", Internal: true})
		if err != nil || mine.OwnerID == nil || *mine.OwnerID != asha.ID {
			t.Fatalf("personal macro: %+v %v", mine, err)
		}
		list, _ := f.auto.Macros(asRavi, "")
		if len(list) != 1 || list[0].ID != shared.ID {
			t.Errorf("ravi sees %d macros, want only the shared one", len(list))
		}
		if list, _ := f.auto.Macros(asAsha, "sign"); len(list) != 1 || list[0].ID != mine.ID {
			t.Errorf("search 'sign' for asha: %v", list)
		}
		p, err := f.auto.PreviewMacro(asRavi, shared.ID, tk.ID)
		if err != nil || p.Reply != "Namaste Asha Rao, your refund is on its way. — ravi" || len(p.Changes) != 2 {
			t.Fatalf("preview: %+v %v", p, err)
		}
		if f.get(tk.ID).Status != "new" {
			t.Fatal("preview changed the ticket")
		}
		if _, err := f.auto.ApplyMacro(asRavi, shared.ID, tk.ID, tk.Version+5); desk.ErrorCode(err) != desk.ESTALE {
			t.Errorf("apply to a stale version: %v", err)
		}
		got, err := f.auto.ApplyMacro(asRavi, shared.ID, tk.ID, tk.Version)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != "pending" || !slices.Contains(got.Tags, "refund") {
			t.Errorf("applied: status %s tags %v", got.Status, got.Tags)
		}
		msgs, _ := f.tickets.Messages(f.sys, tk.ID)
		if last := msgs[len(msgs)-1]; last.Internal || last.BodyText != p.Reply || last.AuthorName != "ravi" {
			t.Errorf("reply: %+v", last)
		}
		if m, _ := f.auto.Macro(asRavi, shared.ID); m.UsageCount != 1 {
			t.Errorf("usage %d, want 1", m.UsageCount)
		}
		if _, err := f.auto.PreviewMacro(asRavi, mine.ID, tk.ID); desk.ErrorCode(err) != desk.ENOTFOUND {
			t.Errorf("someone else's personal macro: %v", err)
		}
	})
}
