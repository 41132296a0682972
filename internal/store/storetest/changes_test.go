package storetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/event"
	"github.com/sahayak/sahayak/internal/store"
	"github.com/sahayak/sahayak/internal/ticket"
)

// changes returns the field_changed events of a ticket as field → [old, new].
func changes(t *testing.T, evs []event.Event) map[string][2]any {
	t.Helper()
	out := map[string][2]any{}
	for _, e := range evs {
		if e.Kind != event.FieldChanged {
			continue
		}
		var c event.Change
		if err := json.Unmarshal(e.Data, &c); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[c.Field]; dup {
			t.Fatalf("two events for field %s", c.Field)
		}
		out[c.Field] = [2]any{c.Old, c.New}
	}
	return out
}

func TestUpdateRecordsOneEventPerChangedField(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		if _, err := f.tickets.CreateField(f.sys, ticket.Field{Key: "plan", Label: "Plan", Kind: ticket.FieldDropdown, Options: []string{"free", "pro"}}); err != nil {
			t.Fatal(err)
		}
		ravi := f.agent("ravi@desk.test", "agent")
		tk := f.open(ticket.NewTicket{Tags: []string{"a"}})
		before := len(f.events(tk.ID))
		f.clock.Advance(time.Hour)
		_, err := f.tickets.Update(f.as(ravi), tk.ID, ticket.Patch{
			Subject: ptr("Printer still on fire"), Status: ptr("pending"), Priority: ptr("urgent"), Type: ptr("incident"),
			Tags: &[]string{"b", "a"}, CustomFields: map[string]any{"plan": "pro"},
		})
		if err != nil {
			t.Fatal(err)
		}
		evs := f.events(tk.ID)[before:]
		got := changes(t, evs)
		want := map[string][2]any{
			"subject":       {"Printer on fire", "Printer still on fire"},
			"status":        {"new", "pending"},
			"priority":      {"normal", "urgent"},
			"type":          {"question", "incident"},
			"tags":          {[]any{"a"}, []any{"a", "b"}},
			"custom_fields": {map[string]any{}, map[string]any{"plan": "pro"}},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("changes = %v\nwant      %v", got, want)
		}
		for _, e := range evs {
			if e.ActorKind != desk.ActorAgent || e.ActorID != ravi.ID || !e.CreatedAt.Equal(start.Add(time.Hour)) {
				t.Fatalf("event %s by %s %d at %v, want ravi now", e.Kind, e.ActorKind, e.ActorID, e.CreatedAt)
			}
		}
		stored := f.reload(tk.ID)
		if !stored.UpdatedAt.Equal(start.Add(time.Hour)) || stored.Priority != "urgent" || fmt.Sprint(stored.Tags) != "[a b]" {
			t.Fatalf("stored = %+v", stored)
		}
		page, _ := f.tickets.List(f.sys, ticket.Filter{Tag: ptr("b")})
		if len(page.Tickets) != 1 {
			t.Fatalf("tag filter after retagging finds %d tickets, want 1", len(page.Tickets))
		}

		// The same patch again changes nothing: no event, no new updated_at.
		n := len(f.events(tk.ID))
		f.clock.Advance(time.Hour)
		_, err = f.tickets.Update(f.as(ravi), tk.ID, ticket.Patch{
			Subject: ptr("Printer still on fire"), Status: ptr("pending"), Priority: ptr("urgent"), Type: ptr("incident"),
			Tags: &[]string{"a", "b"}, CustomFields: map[string]any{"plan": "pro"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.events(tk.ID)) != n {
			t.Fatalf("a no-op patch recorded %v", kinds(f.events(tk.ID)[n:]))
		}
		if u := f.reload(tk.ID).UpdatedAt; !u.Equal(start.Add(time.Hour)) {
			t.Fatalf("a no-op patch moved updated_at to %v", u)
		}
	})
}

func TestStatusRules(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		tk := f.open(ticket.NewTicket{})
		_, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{Status: ptr("open")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.tickets.Update(f.sys, tk.ID, ticket.Patch{Status: ptr("new")})
		wantField(t, err, "status")
		_, err = f.tickets.Update(f.sys, tk.ID, ticket.Patch{Status: ptr("nonsense")})
		wantField(t, err, "status")

		f.clock.Advance(time.Hour)
		solvedAt := f.clock.Now()
		if _, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{Status: ptr("solved")}); err != nil {
			t.Fatal(err)
		}
		if s := f.reload(tk.ID).SolvedAt; s == nil || !s.Equal(solvedAt) {
			t.Fatalf("solved_at = %v, want %v", s, solvedAt)
		}
		f.clock.Advance(time.Hour)
		if _, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{Status: ptr("open")}); err != nil {
			t.Fatal(err)
		}
		if s := f.reload(tk.ID).SolvedAt; s != nil {
			t.Fatalf("reopened ticket keeps solved_at %v", s)
		}
		// An admin-defined status counts by its category.
		if _, err := f.tickets.CreateStatus(f.sys, ticket.Status{Name: "awaiting_parts", Category: ticket.CategoryOnHold}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{Status: ptr("awaiting_parts")}); err != nil {
			t.Fatal(err)
		}
		if got := f.reload(tk.ID); got.Status != "awaiting_parts" || got.StatusCategory != ticket.CategoryOnHold {
			t.Fatalf("status = %s/%s", got.Status, got.StatusCategory)
		}
		page, _ := f.tickets.List(f.sys, ticket.Filter{Status: ptr(ticket.CategoryOnHold)})
		if len(page.Tickets) != 1 {
			t.Fatalf("category filter finds %d, want 1", len(page.Tickets))
		}
		f.clock.Advance(time.Hour)
		closedAt := f.clock.Now()
		if _, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{Status: ptr("closed")}); err != nil {
			t.Fatal(err)
		}
		if s := f.reload(tk.ID).SolvedAt; s == nil || !s.Equal(closedAt) {
			t.Fatalf("closing an unsolved ticket: solved_at = %v, want %v", s, closedAt)
		}
		n := len(f.events(tk.ID))
		_, err = f.tickets.Update(f.sys, tk.ID, ticket.Patch{Status: ptr("open")})
		wantCode(t, err, desk.EUNPROCESSABLE)
		_, err = f.tickets.AddMessage(f.sys, tk.ID, ticket.NewMessage{Body: "anyone?"})
		wantCode(t, err, desk.EUNPROCESSABLE)
		if len(f.events(tk.ID)) != n {
			t.Fatal("a refused change recorded events")
		}
	})
}

func TestRouting(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		ravi, meera, gone := f.agent("ravi@desk.test", "agent"), f.agent("meera@desk.test", "agent"), f.agent("gone@desk.test", "agent")
		billing, tech := f.team("Billing", 1, nil, ravi, gone), f.team("Tech", 2, nil, meera)
		if _, err := f.people.UpdateAgent(f.sys, gone.ID, peopleActive(false), nil); err != nil {
			t.Fatal(err)
		}
		tk := f.open(ticket.NewTicket{TeamID: &billing.ID})
		if _, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{AssigneeID: &ravi.ID}); err != nil {
			t.Fatal(err)
		}
		got := f.reload(tk.ID)
		if got.AssigneeID == nil || *got.AssigneeID != ravi.ID || got.Status != "open" {
			t.Fatalf("after assigning: assignee %v status %s, want ravi and open", got.AssigneeID, got.Status)
		}
		_, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{AssigneeID: &meera.ID})
		wantField(t, err, "assignee_id")
		_, err = f.tickets.Update(f.sys, tk.ID, ticket.Patch{AssigneeID: &gone.ID})
		wantField(t, err, "assignee_id")
		_, err = f.tickets.Update(f.sys, tk.ID, ticket.Patch{AssigneeID: ptr(int64(12345))})
		wantField(t, err, "assignee_id")
		_, err = f.tickets.Update(f.sys, tk.ID, ticket.Patch{TeamID: &tech.ID, AssigneeID: &ravi.ID})
		wantField(t, err, "assignee_id")

		n := len(f.events(tk.ID))
		if _, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{TeamID: &tech.ID}); err != nil {
			t.Fatal(err)
		}
		got = f.reload(tk.ID)
		if got.TeamID == nil || *got.TeamID != tech.ID || got.AssigneeID != nil {
			t.Fatalf("moved to tech: team %v assignee %v, want tech and unassigned", got.TeamID, got.AssigneeID)
		}
		if k := kinds(f.events(tk.ID)[n:]); fmt.Sprint(k) != "[ticket.field_changed ticket.assigned]" {
			t.Fatalf("events = %v", k)
		}
		if _, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{TeamID: &billing.ID, AssigneeID: &ravi.ID}); err != nil {
			t.Fatalf("team and member together: %v", err)
		}
		if _, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{TeamID: ptr(int64(0))}); err != nil {
			t.Fatal(err)
		}
		if got = f.reload(tk.ID); got.TeamID != nil || got.AssigneeID != nil {
			t.Fatalf("cleared team: team %v assignee %v", got.TeamID, got.AssigneeID)
		}
		// Without a team any active agent may take it.
		if _, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{AssigneeID: &meera.ID}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAddMessage(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		ravi, meera := f.agent("ravi@desk.test", "agent"), f.agent("meera@desk.test", "agent")
		tk := f.open(ticket.NewTicket{})
		customer := asContact(tk.Requester.ID)

		// An internal note is not a response.
		f.clock.Advance(time.Minute)
		note, err := f.tickets.AddMessage(f.as(ravi), tk.ID, ticket.NewMessage{Body: "Looping in @meera@desk.test and @nobody@desk.test", Internal: true})
		if err != nil {
			t.Fatal(err)
		}
		got := f.reload(tk.ID)
		if got.FirstRespondedAt != nil || got.Status != "new" {
			t.Fatalf("after a note: first response %v status %s", got.FirstRespondedAt, got.Status)
		}
		if fl, _ := f.tickets.Followers(f.sys, tk.ID); fmt.Sprint(fl) != fmt.Sprint([]int64{meera.ID}) {
			t.Fatalf("followers = %v, want the mentioned agent %d", fl, meera.ID)
		}
		var mentioned []int64
		for _, e := range f.events(tk.ID) {
			if e.Kind == event.Mentioned {
				var d struct {
					AgentID   int64 `json:"agent_id"`
					MessageID int64 `json:"message_id"`
				}
				_ = json.Unmarshal(e.Data, &d)
				if d.MessageID != note.ID {
					t.Fatalf("mention names message %d, want %d", d.MessageID, note.ID)
				}
				mentioned = append(mentioned, d.AgentID)
			}
		}
		if fmt.Sprint(mentioned) != fmt.Sprint([]int64{meera.ID}) {
			t.Fatalf("mentioned = %v", mentioned)
		}

		// The first public agent reply is the first response and opens it.
		f.clock.Advance(time.Minute)
		firstReply := f.clock.Now()
		reply, err := f.tickets.AddMessage(f.as(ravi), tk.ID, ticket.NewMessage{
			BodyHTML: `<p>Try <b>this</b><script>alert(1)</script> <a href="javascript:alert(1)" onclick="x()">link</a></p>`})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(reply.BodyHTML, "script") || strings.Contains(reply.BodyHTML, "javascript:") ||
			strings.Contains(reply.BodyHTML, "onclick") || !strings.Contains(reply.BodyHTML, "<b>this</b>") {
			t.Fatalf("sanitized html = %q", reply.BodyHTML)
		}
		if reply.BodyText != "Try this link" {
			t.Fatalf("derived text = %q", reply.BodyText)
		}
		got = f.reload(tk.ID)
		if got.FirstRespondedAt == nil || !got.FirstRespondedAt.Equal(firstReply) || got.Status != "open" {
			t.Fatalf("after the first reply: first response %v status %s", got.FirstRespondedAt, got.Status)
		}
		f.clock.Advance(time.Minute)
		if _, err := f.tickets.AddMessage(f.as(meera), tk.ID, ticket.NewMessage{Body: "Second reply"}); err != nil {
			t.Fatal(err)
		}
		if r := f.reload(tk.ID).FirstRespondedAt; !r.Equal(firstReply) {
			t.Fatalf("a later reply moved first_responded_at to %v", r)
		}

		// A customer's reply reopens a pending or solved ticket.
		for _, status := range []string{"pending", "solved"} {
			if _, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{Status: ptr(status)}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.tickets.AddMessage(customer, tk.ID, ticket.NewMessage{Body: "Still broken"}); err != nil {
				t.Fatal(err)
			}
			if got := f.reload(tk.ID); got.Status != "open" || got.SolvedAt != nil {
				t.Fatalf("customer reply to a %s ticket: status %s solved_at %v", status, got.Status, got.SolvedAt)
			}
		}
		_, err = f.tickets.AddMessage(customer, tk.ID, ticket.NewMessage{Body: "secret", Internal: true})
		wantCode(t, err, desk.EFORBIDDEN)

		// Notes need tickets:note, replies tickets:reply.
		role, err := f.people.CreateRole(f.sys, rolePerms("reader", "tickets:read", "tickets:reply"))
		if err != nil {
			t.Fatal(err)
		}
		reader := f.agent("reader@desk.test", role.Name)
		_, err = f.tickets.AddMessage(f.as(reader), tk.ID, ticket.NewMessage{Body: "note", Internal: true})
		wantCode(t, err, desk.EFORBIDDEN)
		if _, err := f.tickets.AddMessage(f.as(reader), tk.ID, ticket.NewMessage{Body: "reply"}); err != nil {
			t.Fatal(err)
		}
		_, err = f.tickets.AddMessage(f.sys, tk.ID, ticket.NewMessage{Body: "  "})
		wantField(t, err, "body")

		all, _ := f.tickets.Messages(f.sys, tk.ID)
		public, _ := f.tickets.Messages(customer, tk.ID)
		if len(all) != 7 || len(public) != 6 {
			t.Fatalf("thread: %d messages for agents, %d for the customer; want 7 and 6", len(all), len(public))
		}
	})
}

func TestEscalation(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		ravi, lead := f.agent("ravi@desk.test", "agent"), f.agent("lead@desk.test", "team_lead")
		tier1, tier2 := f.team("Tier 1", 1, nil, ravi), f.team("Tier 2", 2, lead)
		tk := f.open(ticket.NewTicket{TeamID: &tier1.ID, AssigneeID: &ravi.ID})
		_, err := f.tickets.Escalate(f.as(ravi), tk.ID, tier2.ID, " ")
		wantField(t, err, "reason")
		_, err = f.tickets.Escalate(f.as(ravi), tk.ID, 999, "why")
		wantField(t, err, "team_id")
		_, err = f.tickets.Escalate(f.as(ravi), tk.ID, tier1.ID, "same queue")
		wantCode(t, err, desk.EUNPROCESSABLE)
		// Sideways is a transfer, not an escalation; down is de-escalation.
		otherTier1 := f.team("Tier 1 nights", 1, nil)
		_, err = f.tickets.Escalate(f.as(ravi), tk.ID, otherTier1.ID, "sideways")
		wantCode(t, err, desk.EUNPROCESSABLE)
		_, err = f.tickets.Deescalate(f.as(ravi), tk.ID, tier2.ID, "down to a higher tier")
		wantCode(t, err, desk.EUNPROCESSABLE)

		n := len(f.events(tk.ID))
		if _, err := f.tickets.Escalate(f.as(ravi), tk.ID, tier2.ID, "database corruption"); err != nil {
			t.Fatal(err)
		}
		got := f.reload(tk.ID)
		if got.EscalationLevel != 1 || got.TeamID == nil || *got.TeamID != tier2.ID || got.AssigneeID != nil {
			t.Fatalf("escalated: level %d team %v assignee %v", got.EscalationLevel, got.TeamID, got.AssigneeID)
		}
		evs := f.events(tk.ID)[n:]
		if k := kinds(evs); fmt.Sprint(k) != "[ticket.escalated ticket.assigned ticket.field_changed]" {
			t.Fatalf("events = %v", k)
		}
		var d struct {
			Reason string `json:"reason"`
			LeadID *int64 `json:"lead_id"`
			Level  int    `json:"level"`
			ToTeam int64  `json:"to_team_id"`
		}
		_ = json.Unmarshal(evs[0].Data, &d)
		if d.Reason != "database corruption" || d.LeadID == nil || *d.LeadID != lead.ID || d.Level != 1 || d.ToTeam != tier2.ID {
			t.Fatalf("escalation data = %s", evs[0].Data)
		}
		// Ravi no longer sees it; the lead (read_all) does and hands it back.
		_, err = f.tickets.Get(f.as(ravi), tk.ID)
		wantCode(t, err, desk.ENOTFOUND)
		_, err = f.tickets.Escalate(f.as(lead), tk.ID, otherTier1.ID, "up to a lower tier")
		wantCode(t, err, desk.EUNPROCESSABLE)
		if got := f.reload(tk.ID); got.EscalationLevel != 1 || *got.TeamID != tier2.ID {
			t.Fatalf("a refused escalation changed the ticket: level %d team %v", got.EscalationLevel, *got.TeamID)
		}
		if _, err := f.tickets.Deescalate(f.as(lead), tk.ID, tier1.ID, "fixed the database"); err != nil {
			t.Fatal(err)
		}
		if got := f.reload(tk.ID); got.EscalationLevel != 0 || *got.TeamID != tier1.ID {
			t.Fatalf("de-escalated: level %d team %v", got.EscalationLevel, *got.TeamID)
		}
		if kinds(f.events(tk.ID))[len(f.events(tk.ID))-2] != event.Deescalated {
			t.Fatalf("events = %v", kinds(f.events(tk.ID)))
		}
	})
}

func TestMergeAndLink(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		lead := f.agent("lead@desk.test", "team_lead")
		ctx := f.as(lead)
		src := f.open(ticket.NewTicket{Subject: "Duplicate"})
		if _, err := f.tickets.AddMessage(ctx, src.ID, ticket.NewMessage{Body: "On it"}); err != nil {
			t.Fatal(err)
		}
		dst := f.open(ticket.NewTicket{Subject: "Original"})
		other := f.open(ticket.NewTicket{Subject: "Other"})

		_, err := f.tickets.Merge(ctx, src.ID, src.ID)
		wantField(t, err, "into_id")
		_, err = f.tickets.Merge(ctx, src.ID, 9999)
		wantField(t, err, "into_id")
		_, err = f.tickets.Merge(f.as(f.agent("ravi@desk.test", "agent")), src.ID, dst.ID)
		wantCode(t, err, desk.EFORBIDDEN)

		f.clock.Advance(time.Hour)
		if _, err := f.tickets.Merge(ctx, src.ID, dst.ID); err != nil {
			t.Fatal(err)
		}
		s, d := f.reload(src.ID), f.reload(dst.ID)
		if s.MergedIntoID == nil || *s.MergedIntoID != dst.ID || s.StatusCategory != ticket.CategoryClosed {
			t.Fatalf("source: merged into %v, status %s", s.MergedIntoID, s.Status)
		}
		if !d.UpdatedAt.Equal(start.Add(time.Hour)) {
			t.Fatalf("target updated_at = %v", d.UpdatedAt)
		}
		srcMsgs, _ := f.db.Messages(context.Background(), src.ID, true)
		dstMsgs, _ := f.db.Messages(context.Background(), dst.ID, true)
		if len(srcMsgs) != 0 || len(dstMsgs) != 3 {
			t.Fatalf("messages: %d left on the source, %d on the target; want 0 and 3", len(srcMsgs), len(dstMsgs))
		}
		if k := kinds(f.events(dst.ID)); k[len(k)-1] != event.MergedInto {
			t.Fatalf("target events = %v", k)
		}
		// The merged source refuses every change and every further merge.
		_, err = f.tickets.Update(ctx, src.ID, ticket.Patch{Priority: ptr("high")})
		wantCode(t, err, desk.EUNPROCESSABLE)
		_, err = f.tickets.AddMessage(ctx, src.ID, ticket.NewMessage{Body: "late"})
		wantCode(t, err, desk.EUNPROCESSABLE)
		_, err = f.tickets.Merge(ctx, src.ID, other.ID)
		wantCode(t, err, desk.EUNPROCESSABLE)
		_, err = f.tickets.Merge(ctx, other.ID, src.ID)
		wantCode(t, err, desk.EUNPROCESSABLE)
		// A closed target refuses too.
		if _, err := f.tickets.Update(ctx, other.ID, ticket.Patch{Status: ptr("closed")}); err != nil {
			t.Fatal(err)
		}
		_, err = f.tickets.Merge(ctx, dst.ID, other.ID)
		wantCode(t, err, desk.EUNPROCESSABLE)
		// The target lives on.
		if _, err := f.tickets.Update(ctx, dst.ID, ticket.Patch{Priority: ptr("high")}); err != nil {
			t.Fatalf("merge target refuses change: %v", err)
		}

		third := f.open(ticket.NewTicket{})
		if err := f.tickets.Link(ctx, dst.ID, third.ID, ticket.LinkParent); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.tickets.Link(ctx, dst.ID, third.ID, ticket.LinkParent), desk.ECONFLICT)
		wantField(t, f.tickets.Link(ctx, dst.ID, dst.ID, ticket.LinkRelated), "other_id")
		wantField(t, f.tickets.Link(ctx, dst.ID, 9999, ticket.LinkRelated), "other_id")
		wantField(t, f.tickets.Link(ctx, dst.ID, third.ID, "sibling"), "kind")
		for _, id := range []int64{dst.ID, third.ID} {
			links, err := f.tickets.Links(ctx, id)
			if err != nil || len(links) != 1 || links[0] != (ticket.Link{TicketID: dst.ID, OtherID: third.ID, Kind: ticket.LinkParent}) {
				t.Fatalf("links of %d = %v (%v)", id, links, err)
			}
		}
	})
}

// failingEvents is the real store, except that appending events fails after
// the rows were written: the change must roll back as a whole.
type failingEvents struct{ *store.DB }

var errInjected = errors.New("injected failure")

func (s failingEvents) InTx(ctx context.Context, fn func(ticket.Tx) error) error {
	return s.DB.InTx(ctx, func(tx ticket.Tx) error { return fn(failingTx{tx}) })
}

// OpenTicket writes the whole ticket and then fails, before the commit.
func (s failingEvents) OpenTicket(ctx context.Context, o *ticket.Opening) error {
	return s.DB.InTx(ctx, func(tx ticket.Tx) error {
		if err := tx.OpenTicket(ctx, o); err != nil {
			return err
		}
		return errInjected
	})
}

type failingTx struct{ ticket.Tx }

func (x failingTx) AppendEvents(ctx context.Context, evs []event.Event) error {
	if err := x.Tx.AppendEvents(ctx, evs); err != nil {
		return err
	}
	return errInjected
}

func TestAFailedChangeLeavesNoTrace(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		if _, err := f.tickets.CreateField(f.sys, ticket.Field{Key: "amount", Label: "Amount", Kind: ticket.FieldNumber}); err != nil {
			t.Fatal(err)
		}
		ravi, meera := f.agent("ravi@desk.test", "agent"), f.agent("meera@desk.test", "agent")
		billing := f.team("Billing", 1, nil, ravi)
		tk := f.open(ticket.NewTicket{TeamID: &billing.ID})
		before, n := f.reload(tk.ID), len(f.events(tk.ID))
		unchanged := func(t *testing.T) {
			t.Helper()
			after := f.reload(tk.ID)
			if a, b := jsonOf(t, after), jsonOf(t, before); a != b {
				t.Fatalf("ticket changed:\n%s\n%s", b, a)
			}
			if len(f.events(tk.ID)) != n {
				t.Fatalf("events appended: %v", kinds(f.events(tk.ID)[n:]))
			}
			if tags, _ := f.db.Tags(context.Background()); len(tags) != 0 {
				t.Fatalf("tag catalog = %v", tags)
			}
		}
		f.clock.Advance(time.Hour)
		// Validation inside the transaction fails after tags were written.
		_, err := f.tickets.Update(f.sys, tk.ID, ticket.Patch{Subject: ptr("New"), Tags: &[]string{"x"}, CustomFields: map[string]any{"amount": "lots"}})
		wantField(t, err, "custom_fields.amount")
		unchanged(t)
		_, err = f.tickets.Update(f.sys, tk.ID, ticket.Patch{Tags: &[]string{"x"}, AssigneeID: &meera.ID})
		wantField(t, err, "assignee_id")
		unchanged(t)

		// The store fails after the ticket row and the events were written.
		broken := ticket.NewService(failingEvents{f.db}, f.db, f.bus, f.clock)
		msgs, _ := f.db.Messages(context.Background(), tk.ID, true)
		_, err = broken.Update(f.sys, tk.ID, ticket.Patch{Subject: ptr("New"), Tags: &[]string{"x"}, AssigneeID: &ravi.ID})
		if !errors.Is(err, errInjected) {
			t.Fatalf("err = %v, want the injected failure", err)
		}
		unchanged(t)
		_, err = broken.AddMessage(f.sys, tk.ID, ticket.NewMessage{Body: "lost"})
		if !errors.Is(err, errInjected) {
			t.Fatalf("err = %v, want the injected failure", err)
		}
		unchanged(t)
		if after, _ := f.db.Messages(context.Background(), tk.ID, true); len(after) != len(msgs) {
			t.Fatalf("messages: %d, want %d", len(after), len(msgs))
		}
		_, err = broken.Create(f.sys, ticket.NewTicket{Subject: "x", Body: "y", Requester: ticket.Person{Email: "new@customer.test"}, Tags: []string{"x"}})
		if !errors.Is(err, errInjected) {
			t.Fatalf("err = %v, want the injected failure", err)
		}
		unchanged(t)
		if page, _ := f.tickets.List(f.sys, ticket.Filter{}); len(page.Tickets) != 1 {
			t.Fatalf("a failed create left %d tickets", len(page.Tickets))
		}
		if _, err := f.people.Contacts(f.sys, peopleQuery("new@")); err != nil {
			t.Fatal(err)
		} else if cs, _ := f.people.Contacts(f.sys, peopleQuery("new@")); len(cs) != 0 {
			t.Fatalf("a failed create left contact %v", cs[0].Emails)
		}
	})
}

func TestEventCursorNeverMovesBackwards(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		if id, err := f.db.EventCursor(ctx, "audit"); err != nil || id != 0 {
			t.Fatalf("fresh cursor = %d (%v), want 0", id, err)
		}
		for _, step := range []struct{ set, want int64 }{{5, 5}, {3, 5}, {5, 5}, {9, 9}, {0, 9}} {
			if err := f.db.SetEventCursor(ctx, "audit", step.set); err != nil {
				t.Fatal(err)
			}
			if id, _ := f.db.EventCursor(ctx, "audit"); id != step.want {
				t.Fatalf("after setting %d: cursor %d, want %d", step.set, id, step.want)
			}
		}
		if id, _ := f.db.EventCursor(ctx, "other"); id != 0 {
			t.Fatalf("another consumer's cursor = %d, want 0", id)
		}
	})
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Many changes at once (on SQLite they share commits): each failing one
// leaves no trace, each succeeding one lands whole with its events.
func TestConcurrentChangesSucceedOrFailAlone(t *testing.T) {
	run(t, func(t *testing.T, f *fixture) {
		broken := ticket.NewService(failingEvents{f.db}, f.db, f.bus, f.clock)
		const n = 40
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				svc := f.tickets
				if i%2 == 1 {
					svc = broken
				}
				_, errs[i] = svc.Create(f.sys, ticket.NewTicket{Subject: fmt.Sprintf("Parallel %d", i), Body: "b",
					Requester: ticket.Person{Email: fmt.Sprintf("p%d@customer.test", i)}, Tags: []string{fmt.Sprintf("t%d", i)}})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if i%2 == 0 && err != nil {
				t.Fatalf("create %d: %v", i, err)
			}
			if i%2 == 1 && !errors.Is(err, errInjected) {
				t.Fatalf("create %d: err = %v, want the injected failure", i, err)
			}
		}
		page, err := f.tickets.List(f.sys, ticket.Filter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Tickets) != n/2 {
			t.Fatalf("%d tickets landed, want %d", len(page.Tickets), n/2)
		}
		for _, tk := range page.Tickets {
			var i int
			fmt.Sscanf(tk.Subject, "Parallel %d", &i)
			if i%2 != 0 || len(tk.Tags) != 1 || tk.Tags[0] != fmt.Sprintf("t%d", i) {
				t.Fatalf("unexpected ticket %q tags %v", tk.Subject, tk.Tags)
			}
			if evs := f.events(tk.ID); len(evs) != 1 || evs[0].Kind != "ticket.created" {
				t.Fatalf("ticket %d events: %v", tk.ID, kinds(evs))
			}
		}
		if tags, _ := f.db.Tags(context.Background()); len(tags) != n/2 {
			t.Fatalf("tag catalog has %d tags, want %d", len(tags), n/2)
		}
	})
}
